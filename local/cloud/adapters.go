package cloud

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/dragons-dev/dragons/local/apigw"
	"github.com/dragons-dev/dragons/local/awsproto"
	"github.com/dragons-dev/dragons/local/eventbus"
	"github.com/dragons-dev/dragons/local/lambdahost"
	"github.com/dragons-dev/dragons/local/logs"
	"github.com/dragons-dev/dragons/local/objstore"
	"github.com/dragons-dev/dragons/local/params"
	"github.com/dragons-dev/dragons/local/queue"
	"github.com/dragons-dev/dragons/local/stack"
	"github.com/dragons-dev/dragons/local/tracing"
)

// buckets adapts the local S3 to the stack's BucketCreator.
type buckets struct{ s3 *objstore.Service }

func (b buckets) EnsureBucket(ctx context.Context, name string, versioned bool) error {
	if err := b.s3.CreateBucket(ctx, name); err != nil && !awsproto.IsCode(err, "BucketAlreadyOwnedByYou") {
		return fmt.Errorf("create bucket %s: %w", name, err)
	}
	if versioned {
		if err := b.s3.PutBucketVersioning(ctx, name, "Enabled"); err != nil {
			return fmt.Errorf("enable versioning on %s: %w", name, err)
		}
	}
	return nil
}

// queues adapts the local SQS to the stack and to the senders other services need.
type queues struct{ sqs *queue.Service }

func (q queues) EnsureQueue(ctx context.Context, name string, attrs map[string]string) (string, string, error) {
	if existing, err := q.sqs.GetQueue(ctx, name); err == nil {
		return existing.URL, existing.ARN, nil
	}
	created, err := q.sqs.CreateQueue(ctx, name, attrs)
	if err != nil {
		return "", "", fmt.Errorf("create queue %s: %w", name, err)
	}
	return created.URL, created.ARN, nil
}

// sendTyped delivers to a queue named by ARN or URL with typed attributes
// (a function's dead-letter message).
func (q queues) sendTyped(ctx context.Context, queueRef, body string, attributes map[string]lambdahost.Attribute) error {
	var attrs map[string]queue.Attribute
	if len(attributes) > 0 {
		attrs = make(map[string]queue.Attribute, len(attributes))
		for k, a := range attributes {
			attrs[k] = queue.Attribute{DataType: a.DataType, StringValue: a.Value}
		}
	}
	return q.send(ctx, queueRef, body, attrs)
}

// SendMessage delivers to a queue named by ARN or URL, with string attributes
// (EventBridge's dead-letter attributes).
func (q queues) SendMessage(ctx context.Context, queueRef, body string, attributes map[string]string) error {
	var attrs map[string]queue.Attribute
	if len(attributes) > 0 {
		attrs = map[string]queue.Attribute{}
		for k, v := range attributes {
			attrs[k] = queue.Attribute{DataType: "String", StringValue: v}
		}
	}
	return q.send(ctx, queueRef, body, attrs)
}

// send delivers a message; a missing queue is eventbus.ErrTargetNotFound.
func (q queues) send(ctx context.Context, queueRef, body string, attrs map[string]queue.Attribute) error {
	_, err := q.sqs.SendMessage(ctx, queueRef, body, attrs)
	if awsproto.IsCode(err, "AWS.SimpleQueueService.NonExistentQueue") || awsproto.IsCode(err, "QueueDoesNotExist") {
		return fmt.Errorf("%w: %v", eventbus.ErrTargetNotFound, err)
	}
	return err
}

// parameters adapts the local SSM.
type parameters struct{ ssm *params.Service }

func (p parameters) EnsureParameter(ctx context.Context, name, typ, value string) error {
	if cur, err := p.ssm.Get(ctx, name); err == nil && cur == value {
		return nil
	}
	_, err := p.ssm.Put(ctx, name, typ, value)
	return err
}

// buses adapts the local EventBridge.
type buses struct{ eb *eventbus.Service }

func (b buses) EnsureBus(ctx context.Context, name string) (string, error) {
	if name != "default" {
		_, err := b.eb.CreateEventBus(ctx, &eventbus.CreateEventBusInput{Name: name})
		if err != nil && !awsproto.IsCode(err, "ResourceAlreadyExistsException") {
			return "", fmt.Errorf("create bus %s: %w", name, err)
		}
	}
	return b.eb.BusArn(name), nil
}

func (b buses) EnsureRule(ctx context.Context, r stack.RuleSpec) (string, error) {
	state := "ENABLED"
	if !r.Enabled {
		state = "DISABLED"
	}
	out, err := b.eb.PutRule(ctx, &eventbus.PutRuleInput{Name: r.Name, EventBusName: r.Bus, EventPattern: r.Pattern, State: state, Description: r.Description})
	if err != nil {
		return "", fmt.Errorf("put rule %s: %w", r.Name, err)
	}
	if len(r.Targets) == 0 {
		return out.RuleArn, nil
	}
	in := &eventbus.PutTargetsInput{Rule: r.Name, EventBusName: r.Bus}
	for _, t := range r.Targets {
		tg := eventbus.Target{Id: t.ID, Arn: t.ARN, Input: t.Input, InputPath: t.InputPath}
		if t.MaxRetryAttempts >= 0 || t.MaxEventAgeSeconds > 0 {
			tg.RetryPolicy = &eventbus.RetryPolicy{}
			if t.MaxRetryAttempts >= 0 {
				n := t.MaxRetryAttempts
				tg.RetryPolicy.MaximumRetryAttempts = &n
			}
			if t.MaxEventAgeSeconds > 0 {
				n := t.MaxEventAgeSeconds
				tg.RetryPolicy.MaximumEventAgeInSeconds = &n
			}
		}
		if t.DeadLetterARN != "" {
			tg.DeadLetterConfig = &eventbus.DeadLetterConfig{Arn: t.DeadLetterARN}
		}
		in.Targets = append(in.Targets, tg)
	}
	if _, err := b.eb.PutTargets(ctx, in); err != nil {
		return "", fmt.Errorf("put targets of %s: %w", r.Name, err)
	}
	return out.RuleArn, nil
}

func (b buses) EnsureArchive(ctx context.Context, a stack.ArchiveSpec) (string, error) {
	out, err := b.eb.CreateArchive(ctx, &eventbus.CreateArchiveInput{ArchiveName: a.Name, EventSourceArn: a.SourceARN,
		Description: a.Description, EventPattern: a.Pattern, RetentionDays: a.RetentionDays})
	if err == nil {
		return out.ArchiveArn, nil
	}
	if !awsproto.IsCode(err, "ResourceAlreadyExistsException") {
		return "", fmt.Errorf("create archive %s: %w", a.Name, err)
	}
	d, err := b.eb.DescribeArchive(ctx, &eventbus.ArchiveRef{ArchiveName: a.Name})
	if err != nil {
		return "", fmt.Errorf("describe archive %s: %w", a.Name, err)
	}
	return d.ArchiveArn, nil
}

// functions adapts the Lambda host to the stack.
type functions struct {
	host     *lambdahost.Host
	buildDir string
}

func (f functions) Build(ctx context.Context, baseDir string, dirs []string) (map[string]string, error) {
	pkgs := make([]string, len(dirs))
	for i, d := range dirs {
		pkgs[i] = "./" + strings.TrimSuffix(strings.TrimPrefix(d, "./"), "/")
	}
	bins, err := newBuilder(baseDir, f.buildDir).Build(ctx, pkgs)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for i, d := range dirs {
		out[d] = bins[pkgs[i]]
	}
	return out, nil
}

func (f functions) AddFunction(_ context.Context, s stack.FunctionSpec) error {
	cfg, err := functionConfig(s)
	if err != nil {
		return err
	}
	return f.host.AddFunction(cfg)
}

// functionConfig maps a template function onto the Lambda host's settings.
func functionConfig(s stack.FunctionSpec) (lambdahost.FunctionConfig, error) {
	cfg := lambdahost.FunctionConfig{
		Name: s.Name, ARN: s.ARN, Binary: s.Binary, Env: s.Env, Timeout: s.Timeout, Memory: s.Memory,
		LogGroup: s.LogGroup, DeadLetterARN: s.DeadLetterARN, OnFailure: s.OnFailureARN,
		MaxRetryAttempts: s.MaxRetryAttempts, MaxEventAge: s.MaxEventAge,
	}
	if rc := s.ReservedConcurrency; rc != nil {
		n := *rc // 0 throttles every invocation, as on AWS
		cfg.ReservedConcurrency = &n
	}
	return cfg, nil
}

// lambdaInvoker serves API Gateway's and EventBridge's calls into the Lambda host.
type lambdaInvoker struct{ host *lambdahost.Host }

// Invoke implements apigw.Invoker.
func (l lambdaInvoker) Invoke(ctx context.Context, fn string, payload []byte, trace string) ([]byte, string, error) {
	res, err := l.host.Invoke(ctx, fn, payload, lambdahost.InvokeOptions{TraceHeader: trace})
	if err != nil {
		return nil, "", err
	}
	return res.Payload, res.FunctionError, nil
}

// eventTarget delivers EventBridge events to functions asynchronously, as
// EventBridge does.
func (l lambdaInvoker) eventTarget() eventbus.Invoker {
	return eventbus.InvokerFunc(func(ctx context.Context, arn string, payload []byte) error {
		_, err := l.host.InvokeAsync(ctx, arn, payload, lambdahost.InvokeOptions{TraceHeader: eventbus.TraceHeader(ctx)})
		if awsproto.IsCode(err, "ResourceNotFoundException") {
			return fmt.Errorf("%w: %v", eventbus.ErrTargetNotFound, err)
		}
		return err
	})
}

// logGroups adapts the log store.
type logGroups struct{ l *logs.Service }

func (g logGroups) CreateGroup(name string) error { return g.l.CreateGroup(name) }

// apiStarter starts gateways for the stack.
type apiStarter struct {
	c    *Cloud
	addr string
}

func (a *apiStarter) StartAPI(ctx context.Context, cfg apigw.Config, auths map[string]stack.AuthorizerSpec) (string, error) {
	authorizers := map[string]apigw.Authorizer{}
	for name, spec := range auths {
		az, err := a.c.cognitoAuthorizer(spec.UserPoolARNs)
		if err != nil {
			return "", fmt.Errorf("authorizer %s: %w", name, err)
		}
		authorizers[name] = az
	}
	cfg.AccessLogGroup = firstNonEmpty(cfg.AccessLogGroup, "API-Gateway-Access-Logs_"+cfg.ID+"/"+cfg.Stage)
	gw, err := apigw.New(cfg, apigw.Deps{Invoker: lambdaInvoker{a.c.Lambda}, Authorizers: authorizers, Logs: a.c.Logs, Tracer: stageTracer{a.c.XRay}})
	if err != nil {
		return "", err
	}
	addr := a.addr
	if len(a.c.apiGateways()) > 0 {
		addr = "127.0.0.1:0" // only the first API gets the configured address
	}
	bound, err := gw.Start(addr)
	if err != nil {
		return "", err
	}
	a.c.mu.Lock()
	a.c.gateways = append(a.c.gateways, gw)
	a.c.mu.Unlock()
	return "http://" + bound, nil
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// stageTracer records API Gateway stage segments.
type stageTracer struct{ x *tracing.Service }

func (t stageTracer) RecordStage(s apigw.StageSegment) {
	h := tracing.ParseHeader(s.TraceHeader)
	t.x.Record(tracing.Segment{Name: s.Name, ID: s.ID, TraceID: h.Root, Origin: "AWS::ApiGateway::Stage", Start: s.Start, End: s.End,
		Error: s.Status >= 400 && s.Status < 500, Fault: s.Status >= 500,
		HTTP: map[string]any{"request": map[string]any{"method": s.Method, "url": s.URL}, "response": map[string]any{"status": s.Status}}})
}

// recordInvoke turns a Lambda invocation into the AWS::Lambda service segment and
// the AWS::Lambda::Function segment that handler subsegments hang under.
func recordInvoke(x *tracing.Service, rec lambdahost.InvokeRecord) {
	h := tracing.ParseHeader(rec.TraceHeader)
	if h.Root == "" || !h.Sampled {
		return
	}
	fault := rec.Kind == lambdahost.ErrorTimeout || rec.Kind == lambdahost.ErrorCrash || rec.Kind == lambdahost.ErrorInit
	x.Record(tracing.Segment{Name: rec.Function, ID: rec.ServiceSegment, TraceID: h.Root, ParentID: h.Parent, Origin: "AWS::Lambda",
		Start: rec.Start, End: rec.End, Fault: fault, AWS: map[string]any{"request_id": rec.RequestID}})
	x.Record(tracing.Segment{Name: rec.Function, ID: rec.FunctionSegment, TraceID: h.Root, ParentID: rec.ServiceSegment,
		Origin: "AWS::Lambda::Function", Start: rec.Start, End: rec.End, Error: rec.Kind == lambdahost.ErrorHandled, Fault: fault,
		AWS: map[string]any{"function_arn": rec.ARN, "cold_start": rec.ColdStart}})
}

// putIfAbsent writes an object only when the key does not exist.
func putIfAbsent(ctx context.Context, s3 *objstore.Service, bucket, key string, body []byte) (bool, error) {
	_, err := s3.PutObject(ctx, bucket, key, bytes.NewReader(body), objstore.PutOptions{ContentType: "application/json", IfNoneMatch: "*"})
	var ae *awsproto.Error
	if errors.As(err, &ae) && ae.Status == http.StatusPreconditionFailed {
		return false, nil
	}
	return err == nil, err
}
