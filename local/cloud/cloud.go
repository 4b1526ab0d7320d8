// Package cloud assembles the local cloud: it starts every local service behind
// one edge endpoint, the X-Ray daemon endpoint and the Lambda host, deploys a
// SAM template into them, starts its API stages, seeds data, and reports health
// and the stack's physical ids. cmd/dragons and the end-to-end tests use it.
//
// It holds no service logic of its own: each service lives in its own package,
// and this package only wires them together.
package cloud

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/dragons-dev/dragons/local/durable"

	"github.com/dragons-dev/dragons/local/apigw"
	"github.com/dragons-dev/dragons/local/awsproto"
	"github.com/dragons-dev/dragons/local/edge"
	"github.com/dragons-dev/dragons/local/eventbus"
	"github.com/dragons-dev/dragons/local/identity"
	"github.com/dragons-dev/dragons/local/lambdahost"
	"github.com/dragons-dev/dragons/local/logs"
	"github.com/dragons-dev/dragons/local/objstore"
	"github.com/dragons-dev/dragons/local/params"
	"github.com/dragons-dev/dragons/local/queue"
	"github.com/dragons-dev/dragons/local/stack"
	"github.com/dragons-dev/dragons/local/stepfunctions"
	"github.com/dragons-dev/dragons/local/template"
	"github.com/dragons-dev/dragons/local/tokenverify"
	"github.com/dragons-dev/dragons/local/tracing"
)

// Config configures the local cloud.
type Config struct {
	// Template is the SAM template to deploy; its directory is the module root
	// functions are built from.
	Template string
	// DataDir holds every service's state; ignored when Ephemeral.
	DataDir   string
	Ephemeral bool
	// Durability is how far the data directory's journals take a write
	// before it is acknowledged: durable.Process (the default) survives
	// kill -9, durable.Disk (dragons up --fsync) also a power loss.
	Durability durable.Level
	// EdgeAddr and APIAddr are listen addresses; port 0 picks a free port.
	EdgeAddr string
	APIAddr  string
	// BuildDir caches function binaries; default DataDir/build, or a
	// per-user cache directory when Ephemeral.
	BuildDir string
	Region   string
	// Params override template parameters (for example a short cache TTL in
	// tests).
	Params map[string]any
	Logger *slog.Logger
	// Seed, when set, is written to the catalog object if it does not exist.
	Seed                          []byte
	SeedKeyParam, SeedBucketParam string
	// User is created in every user pool when absent, for `dragons token`.
	User User
	// Faster retries for tests: EventBridge's first retry delay and Lambda's
	// async retry delay (defaults 1s).
	EventRetryDelay time.Duration
	AsyncRetryDelay time.Duration
	// Now is Cognito's clock (time.Now when nil); tests shift it to issue
	// tokens that are already expired.
	Now func() time.Time
}

// User is the default local user.
type User struct {
	Username string
	Password string
	Email    string
}

// Cloud is a running local cloud.
type Cloud struct {
	cfg Config
	log *slog.Logger
	// EdgeURL, APIURL, XRayUDP and Stack are written (under mu) while Start
	// runs and the edge already serves; read them once Start has returned.
	EdgeURL string
	APIURL  string
	XRayUDP string

	Edge   *edge.Edge
	S3     *objstore.Service
	SQS    *queue.Service
	Events *eventbus.Service
	SSM    *params.Service
	IdP    *identity.Service
	States *stepfunctions.Service
	Lambda *lambdahost.Host
	Logs   *logs.Service
	XRay   *tracing.Service
	Stack  *stack.Stack

	gateways []*apigw.Gateway
	s3Faults *faultInjector
	mu       sync.Mutex
	ready    bool
	started  time.Time
}

// Start brings the local cloud up and deploys the template. On error everything
// started so far is stopped.
func Start(ctx context.Context, cfg Config) (c *Cloud, err error) {
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.EdgeAddr == "" {
		cfg.EdgeAddr = "127.0.0.1:4566"
	}
	if cfg.APIAddr == "" {
		cfg.APIAddr = "127.0.0.1:3000"
	}
	if cfg.DataDir == "" && !cfg.Ephemeral {
		cfg.DataDir = ".dragons"
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c = &Cloud{cfg: cfg, log: log, started: time.Now()}
	started := c
	defer func() {
		if err != nil {
			_ = started.Close(context.Background())
			c = nil
		}
	}()
	c.Edge = edge.New(log.With("component", "edge"))
	edgeAddr, err := c.Edge.Start(cfg.EdgeAddr)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.EdgeURL = "http://" + edgeAddr
	c.mu.Unlock()
	if err := c.startServices(); err != nil {
		return nil, err
	}
	c.route()
	if cfg.Template != "" {
		if err := c.deploy(ctx); err != nil {
			return nil, err
		}
	}
	c.States.Recover()
	c.mu.Lock()
	c.ready = true
	c.mu.Unlock()
	return c, nil
}

// dir returns a service's data directory ("" when ephemeral).
func (c *Cloud) dir(name string) string {
	if c.cfg.Ephemeral {
		return ""
	}
	return filepath.Join(c.cfg.DataDir, name)
}

func (c *Cloud) startServices() error {
	var err error
	region := c.cfg.Region
	if c.Logs, err = logs.New(logs.Options{DataDir: c.dir("logs"), Region: region}); err != nil {
		return fmt.Errorf("start logs: %w", err)
	}
	c.XRay = tracing.New(tracing.Options{Log: c.log.With("component", "xray")})
	xrayAddr, err := c.XRay.ListenUDP("127.0.0.1:0")
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.XRayUDP = xrayAddr
	c.mu.Unlock()
	if c.S3, err = objstore.New(objstore.Options{DataDir: c.dir("s3"), Durability: c.cfg.Durability, Region: region, Logger: c.log.With("component", "s3")}); err != nil {
		return fmt.Errorf("start s3: %w", err)
	}
	if c.SQS, err = queue.New(queue.Options{DataDir: c.dir("sqs"), Durability: c.cfg.Durability, Region: region, Endpoint: c.EdgeURL, Logger: c.log.With("component", "sqs")}); err != nil {
		return fmt.Errorf("start sqs: %w", err)
	}
	if c.SSM, err = params.New(params.Options{DataDir: c.dir("ssm"), Region: region}); err != nil {
		return fmt.Errorf("start ssm: %w", err)
	}
	if c.IdP, err = identity.New(identity.Options{DataDir: c.dir("cognito"), Region: region, IssuerBase: c.EdgeURL, Now: c.cfg.Now, Logger: c.log.With("component", "cognito")}); err != nil {
		return fmt.Errorf("start cognito: %w", err)
	}
	q := queues{c.SQS}
	c.Lambda = lambdahost.New(lambdahost.Options{
		Region: region, Endpoint: c.EdgeURL, XRayDaemon: c.XRayUDP, Logs: c.Logs,
		AsyncRetryDelay: c.cfg.AsyncRetryDelay,
		OnInvoke:        func(rec lambdahost.InvokeRecord) { recordInvoke(c.XRay, rec) },
		Deliver: func(ctx context.Context, arn string, body []byte, attrs map[string]lambdahost.Attribute) error {
			return q.sendTyped(ctx, arn, string(body), attrs)
		},
	})
	li := lambdaInvoker{c.Lambda}
	if c.Events, err = eventbus.New(eventbus.Options{DataDir: c.dir("events"), Durability: c.cfg.Durability, Region: region, Queues: q,
		Invokers: map[string]eventbus.Invoker{"lambda": li.eventTarget()}, RetryBaseDelay: c.cfg.EventRetryDelay,
		Logger: c.log.With("component", "events")}); err != nil {
		return fmt.Errorf("start eventbridge: %w", err)
	}
	if c.States, err = c.newStepFunctions(); err != nil {
		return fmt.Errorf("start step functions: %w", err)
	}
	c.Events.SetInvoker("states", c.stateMachineTarget())
	return nil
}

// route registers every service on the edge.
func (c *Cloud) route() {
	e := c.Edge
	c.s3Faults = &faultInjector{next: c.S3, write: func(w http.ResponseWriter, e *awsproto.Error) { awsproto.WriteRESTXMLError(w, e, "") }}
	e.Handle("s3", c.s3Faults)
	e.HandleTarget("AmazonSQS", c.SQS)
	e.Handle("sqs", c.SQS)
	e.HandleTarget("AWSEvents", c.Events)
	e.Handle("events", c.Events)
	e.HandleTarget("AmazonSSM", c.SSM)
	e.Handle("ssm", c.SSM)
	e.HandleTarget("AWSCognitoIdentityProviderService", c.IdP)
	e.Handle("cognito-idp", c.IdP)
	e.HandleTarget("AWSStepFunctions", c.States)
	e.Handle("states", c.States)
	e.HandleTarget("Logs_20140328", c.Logs)
	e.Handle("logs", c.Logs)
	e.Handle("lambda", c.Lambda)
	e.Handle("xray", c.XRay)
	e.HandlePath("/_local/cognito/", c.IdP.LocalHandler())
	e.HandleFallback(c.identityRoutes())
	e.SetHealth(c.health)
	e.SetStack(c.stackMap)
	e.HandlePath(StackDetailsPath, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		b, err := json.Marshal(c.stackDetails())
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b)
	}))
}

func (c *Cloud) deploy(ctx context.Context) error {
	t, err := template.Load(c.cfg.Template)
	if err != nil {
		return err
	}
	buildDir := c.cfg.BuildDir
	if buildDir == "" {
		if c.cfg.Ephemeral {
			cache, err := os.UserCacheDir()
			if err != nil {
				cache = os.TempDir()
			}
			buildDir = filepath.Join(cache, "dragons", "build")
		} else {
			buildDir = filepath.Join(c.cfg.DataDir, "build")
		}
	}
	if buildDir, err = filepath.Abs(buildDir); err != nil {
		return err
	}
	base, err := filepath.Abs(filepath.Dir(c.cfg.Template))
	if err != nil {
		return err
	}
	svc := stack.Services{
		Buckets: buckets{c.S3}, Queues: queues{c.SQS}, Params: parameters{c.SSM}, Buses: buses{c.Events},
		Identity: pools{c.IdP}, Logs: logGroups{c.Logs}, Functions: functions{host: c.Lambda, buildDir: buildDir},
		StateMachines: stateMachines{c.States}, APIs: &apiStarter{c: c, addr: c.cfg.APIAddr},
	}
	st, err := stack.Deploy(ctx, t, svc, stack.Options{Region: c.cfg.Region, BaseDir: base, Params: c.cfg.Params})
	if err != nil {
		return fmt.Errorf("deploy %s: %w", c.cfg.Template, err)
	}
	c.publish(st)
	if err := c.seed(ctx); err != nil {
		return err
	}
	return c.ensureUsers(ctx)
}

// publish makes a deployed stack visible, under c.mu: /_local/health and
// /_local/stack are served while the deployment runs.
func (c *Cloud) publish(st *stack.Stack) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.Stack = st
	c.APIURL = ""
	for _, id := range sortedAPIs(st) {
		c.APIURL = st.APIURLs[id]
		break
	}
}

func sortedAPIs(st *stack.Stack) []string {
	var ids []string
	for id := range st.APIURLs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// seed writes the seed catalog when the configured object does not exist.
func (c *Cloud) seed(ctx context.Context) error {
	if len(c.cfg.Seed) == 0 || c.cfg.SeedBucketParam == "" || c.cfg.SeedKeyParam == "" {
		return nil
	}
	bucket, err := c.SSM.Get(ctx, c.cfg.SeedBucketParam)
	if err != nil {
		return fmt.Errorf("seed: read %s: %w", c.cfg.SeedBucketParam, err)
	}
	key, err := c.SSM.Get(ctx, c.cfg.SeedKeyParam)
	if err != nil {
		return fmt.Errorf("seed: read %s: %w", c.cfg.SeedKeyParam, err)
	}
	if _, err := putIfAbsent(ctx, c.S3, bucket, key, c.cfg.Seed); err != nil {
		return fmt.Errorf("seed s3://%s/%s: %w", bucket, key, err)
	}
	return nil
}

func (c *Cloud) health() map[string]any {
	c.mu.Lock()
	ready, edgeURL, apiURL, xrayUDP := c.ready, c.EdgeURL, c.APIURL, c.XRayUDP
	c.mu.Unlock()
	services := map[string]string{}
	for _, s := range []string{"s3", "sqs", "events", "ssm", "cognito-idp", "states", "lambda", "apigateway", "xray", "logs"} {
		services[s] = "running"
	}
	return map[string]any{
		"ready":    ready,
		"edge":     edgeURL,
		"api":      apiURL,
		"xrayUdp":  xrayUDP,
		"region":   c.cfg.Region,
		"services": services,
		"uptime":   time.Since(c.started).Round(time.Millisecond).String(),
	}
}

// stackMap maps each logical id to its physical id, ARN or URL.
func (c *Cloud) stackMap() map[string]any {
	c.mu.Lock()
	st := c.Stack
	c.mu.Unlock()
	out := map[string]any{}
	if st == nil {
		return out
	}
	for id, r := range st.Resources {
		out[id] = physical(r)
	}
	return out
}

// physical is what /_local/stack reports for a resource: the URL of an API,
// otherwise what !Ref returns (bucket, queue URL, state machine ARN, bus name,
// user pool id, client id, function name, ...).
func physical(r *stack.Resource) string {
	if r.Type == "AWS::Serverless::Api" {
		if u, ok := r.Attrs["Url"].(string); ok {
			return u
		}
	}
	return fmt.Sprint(r.Ref)
}

// StackDetailsPath serves the stack with every resource's type and attributes,
// the outputs, the addresses and the local user, for tools such as
// `dragons token`.
const StackDetailsPath = "/_local/stack/details"

func (c *Cloud) stackDetails() map[string]any {
	c.mu.Lock()
	st, apiURL, edgeURL := c.Stack, c.APIURL, c.EdgeURL
	c.mu.Unlock()
	out := map[string]any{"EdgeUrl": edgeURL, "ApiUrl": apiURL, "Region": c.cfg.Region}
	resources := map[string]any{}
	if st != nil {
		for id, r := range st.Resources {
			entry := map[string]any{"type": r.Type, "physicalId": r.Ref}
			for k, v := range r.Attrs {
				entry[k] = v
			}
			resources[id] = entry
		}
		out["Outputs"] = st.Outputs
	}
	out["Resources"] = resources
	if c.cfg.User.Username != "" {
		out["LocalUser"] = map[string]any{"username": c.cfg.User.Username, "password": c.cfg.User.Password}
	}
	return out
}

func (c *Cloud) apiGateways() []*apigw.Gateway {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*apigw.Gateway(nil), c.gateways...)
}

// FlushAPICaches empties every API stage's cache, as API Gateway's
// FlushStageCache does.
func (c *Cloud) FlushAPICaches() {
	for _, g := range c.apiGateways() {
		g.FlushCache()
	}
}

// Close stops everything, gateways first so no new work arrives.
func (c *Cloud) Close(ctx context.Context) error {
	var errs []error
	for _, g := range c.apiGateways() {
		errs = append(errs, g.Close(ctx))
	}
	if c.Edge != nil {
		errs = append(errs, c.Edge.Close(ctx))
	}
	if c.Events != nil {
		errs = append(errs, c.Events.Close())
	}
	if c.States != nil {
		errs = append(errs, c.States.Close())
	}
	if c.Lambda != nil {
		c.Lambda.Close()
	}
	if c.SQS != nil {
		errs = append(errs, c.SQS.Close())
	}
	if c.S3 != nil {
		errs = append(errs, c.S3.Close())
	}
	if c.SSM != nil {
		errs = append(errs, c.SSM.Close())
	}
	if c.IdP != nil {
		errs = append(errs, c.IdP.Close())
	}
	if c.Logs != nil {
		errs = append(errs, c.Logs.Close())
	}
	if c.XRay != nil {
		errs = append(errs, c.XRay.Close())
	}
	return errors.Join(errs...)
}

// cognitoAuthorizer verifies ID tokens of the given pools, as API Gateway's
// Cognito authorizer does (any app client of the pool).
func (c *Cloud) cognitoAuthorizer(poolARNs []string) (apigw.Authorizer, error) {
	var verifiers []*tokenverify.Verifier
	for _, arn := range poolARNs {
		i := strings.LastIndex(arn, "userpool/")
		if i < 0 {
			return nil, fmt.Errorf("%q is not a user pool ARN", arn)
		}
		pool := arn[i+len("userpool/"):]
		v, err := tokenverify.New(tokenverify.Config{
			Keys:      c.IdP.KeySource(pool),
			Issuer:    c.IdP.Issuer(pool),
			AnyClient: true,
			TokenUse:  tokenverify.UseID,
		})
		if err != nil {
			return nil, err
		}
		verifiers = append(verifiers, v)
	}
	return newTokenCache(func(ctx context.Context, token string) (map[string]any, error) {
		var last error
		for _, v := range verifiers {
			claims, err := v.Verify(ctx, token)
			if err == nil {
				return claims, nil
			}
			last = err
		}
		return nil, last
	}, nil), nil
}
