// Package stack turns a parsed SAM/CloudFormation template into running local
// resources: it walks the resources in dependency order, resolves their
// intrinsics, and asks the local services (through small interfaces it declares)
// to create each one, recording the physical ids and attributes that later
// references resolve to. Resource types with no local behaviour (alarms, IAM,
// queue policies) are listed as ignored, and so are the properties it accepts
// but does not apply (encryption, lifecycle rules, IAM policies, ...), each
// with the reason; any other unknown type or property stops the deployment
// with an error naming it.
//
// It does not implement any service, build code or serve requests.
package stack

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/dragons-dev/dragons/local/apigw"
	"github.com/dragons-dev/dragons/local/template"
)

// Account is the local account id.
const Account = "000000000000"

// Services are what a deployment creates resources in.
type Services struct {
	Buckets       BucketCreator
	Queues        QueueCreator
	Params        ParameterCreator
	Buses         BusCreator
	Identity      PoolCreator
	Logs          LogGroupCreator
	Functions     FunctionCreator
	StateMachines StateMachineCreator
	APIs          APICreator
}

// BucketCreator creates S3 buckets; an existing bucket is not an error.
type BucketCreator interface {
	EnsureBucket(ctx context.Context, name string, versioned bool) error
}

// QueueCreator creates SQS queues; an existing queue is reused.
type QueueCreator interface {
	EnsureQueue(ctx context.Context, name string, attrs map[string]string) (url, arn string, err error)
}

// ParameterCreator creates SSM parameters, overwriting existing ones.
type ParameterCreator interface {
	EnsureParameter(ctx context.Context, name, typ, value string) error
}

// BusCreator creates EventBridge buses, rules with targets, and archives.
type BusCreator interface {
	EnsureBus(ctx context.Context, name string) (arn string, err error)
	EnsureRule(ctx context.Context, r RuleSpec) (arn string, err error)
	EnsureArchive(ctx context.Context, a ArchiveSpec) (arn string, err error)
}

// RuleSpec describes a rule and its targets.
type RuleSpec struct {
	Bus, Name, Pattern, Description string
	Enabled                         bool
	Targets                         []TargetSpec
}

// TargetSpec describes one rule target.
type TargetSpec struct {
	ID, ARN, Input, InputPath string
	MaxRetryAttempts          int // -1: service default
	MaxEventAgeSeconds        int // 0: service default
	DeadLetterARN             string
}

// ArchiveSpec describes an event archive.
type ArchiveSpec struct {
	Name, SourceARN, Pattern, Description string
	RetentionDays                         int
}

// PoolCreator creates Cognito user pools and clients, reusing existing ones with
// the same name.
type PoolCreator interface {
	EnsureUserPool(ctx context.Context, p PoolSpec) (id, arn string, err error)
	EnsureUserPoolClient(ctx context.Context, poolID, name string, authFlows []string) (clientID string, err error)
}

// PoolSpec describes a user pool.
type PoolSpec struct {
	Name                 string
	MinLength            int
	RequireLowercase     bool
	RequireUppercase     bool
	RequireNumbers       bool
	RequireSymbols       bool
	AdminCreateUserOnly  bool
	UsernameAttributes   []string
	AutoVerifyAttributes []string
}

// LogGroupCreator creates log groups.
type LogGroupCreator interface {
	CreateGroup(name string) error
}

// FunctionCreator builds and registers Lambda functions.
type FunctionCreator interface {
	// Build compiles the given code directories (relative to the template's
	// directory) and returns each one's executable.
	Build(ctx context.Context, baseDir string, codeDirs []string) (map[string]string, error)
	AddFunction(ctx context.Context, f FunctionSpec) error
}

// FunctionSpec describes a function.
type FunctionSpec struct {
	LogicalID string
	Name, ARN string
	Binary    string
	Env       map[string]string
	Timeout   time.Duration
	Memory    int
	// ReservedConcurrency is ReservedConcurrentExecutions; nil when unset.
	// Zero is meaningful: every invocation is throttled.
	ReservedConcurrency *int
	// DeadLetterARN is the SQS queue of DeadLetterQueue: it receives the
	// original event of an async invocation that was given up.
	DeadLetterARN string
	// OnFailureARN is the SQS queue of EventInvokeConfig's OnFailure
	// destination: it receives an invocation record.
	OnFailureARN string
	// MaxRetryAttempts and MaxEventAge come from EventInvokeConfig; nil and
	// zero mean Lambda's defaults.
	MaxRetryAttempts *int
	MaxEventAge      time.Duration
	LogGroup         string
	Tracing          bool // Tracing: Active
}

// StateMachineCreator creates state machines.
type StateMachineCreator interface {
	EnsureStateMachine(ctx context.Context, s StateMachineSpec) (arn string, err error)
}

// StateMachineSpec describes a state machine.
type StateMachineSpec struct {
	Name, Type, Definition, RoleARN string
	LogGroupARN, LogLevel           string
	IncludeExecutionData            bool
	Tracing                         bool
}

// APICreator starts REST API stages.
type APICreator interface {
	// StartAPI serves an API stage and returns its base URL.
	StartAPI(ctx context.Context, cfg apigw.Config, authorizers map[string]AuthorizerSpec) (url string, err error)
}

// AuthorizerSpec describes a Cognito user pool authorizer.
type AuthorizerSpec struct {
	UserPoolARNs []string
}

// Resource is a created resource.
type Resource struct {
	Type  string         `json:"type"`
	Ref   any            `json:"ref"`
	Attrs map[string]any `json:"attributes,omitempty"`
}

// Stack is a deployed template.
type Stack struct {
	Name      string
	Region    string
	Resources map[string]*Resource
	Outputs   map[string]any
	Ignored   []string // logical ids of resources with no local behaviour
	// IgnoredProperties are the properties accepted but not applied locally,
	// as "LogicalId.Property: reason", sorted.
	IgnoredProperties []string
	APIURLs           map[string]string
}

// Options configure a deployment.
type Options struct {
	Name    string // stack name, default "dragons"
	Region  string
	BaseDir string // directory the template's relative paths are resolved against
	Params  map[string]any
}

// deployer carries one deployment's state.
type deployer struct {
	opts  Options
	t     *template.Template
	svc   Services
	stack *Stack
	res   *template.Resolver
	bins  map[string]string
	apis  map[string]*apiState
}

type apiState struct {
	logicalID   string
	cfg         apigw.Config
	authorizers map[string]AuthorizerSpec
	defaultAuth string
	methods     []methodSetting
	cacheOn     bool
	implicit    bool
}

type methodSetting struct {
	path, method string
	caching      bool
	ttl          time.Duration
	// requireAuth and strategy are API Gateway's cache-control settings; nil
	// and "" when the entry does not set them.
	requireAuth *bool
	strategy    string
	// throttleRate > 0 when the entry sets ThrottlingRateLimit.
	throttleRate  float64
	throttleBurst int
}

// Deploy creates every resource of t in svc.
func Deploy(ctx context.Context, t *template.Template, svc Services, opts Options) (*Stack, error) {
	if opts.Name == "" {
		opts.Name = "dragons"
	}
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	d := &deployer{
		opts: opts, t: t, svc: svc,
		stack: &Stack{Name: opts.Name, Region: opts.Region, Resources: map[string]*Resource{}, Outputs: map[string]any{}, APIURLs: map[string]string{}},
		apis:  map[string]*apiState{},
	}
	d.res = &template.Resolver{T: t, Env: d, Params: opts.Params, Pseudo: map[string]any{
		"AWS::Region":    opts.Region,
		"AWS::AccountId": Account,
		"AWS::StackName": opts.Name,
		"AWS::StackId":   fmt.Sprintf("arn:aws:cloudformation:%s:%s:stack/%s/local", opts.Region, Account, opts.Name),
		"AWS::Partition": "aws",
		"AWS::URLSuffix": "amazonaws.com",
	}}
	if err := d.check(); err != nil {
		return nil, err
	}
	order, err := t.Order()
	if err != nil {
		return nil, err
	}
	if err := d.build(ctx); err != nil {
		return nil, err
	}
	for _, id := range order {
		r := t.Resources[id]
		if r.Condition != "" {
			ok, err := d.res.Condition(r.Condition)
			if err != nil {
				return nil, fmt.Errorf("resource %s: %w", id, err)
			}
			if !ok {
				continue
			}
		}
		if err := d.create(ctx, r); err != nil {
			return nil, fmt.Errorf("create %s (%s): %w", id, r.Type, err)
		}
	}
	if err := d.startAPIs(ctx); err != nil {
		return nil, err
	}
	for name, o := range t.Outputs {
		m, _ := o.(map[string]any)
		if cond, _ := m["Condition"].(string); cond != "" {
			ok, err := d.res.Condition(cond)
			if err != nil {
				return nil, fmt.Errorf("output %s: %w", name, err)
			}
			if !ok {
				continue // as CloudFormation: the output does not exist
			}
		}
		v, err := d.res.Resolve(m["Value"])
		if err != nil {
			return nil, fmt.Errorf("output %s: %w", name, err)
		}
		d.stack.Outputs[name] = v
	}
	sortIgnored(d.stack)
	return d.stack, nil
}

// Ref implements template.Env.
func (d *deployer) Ref(id string) (any, error) {
	if r, ok := d.stack.Resources[id]; ok {
		return r.Ref, nil
	}
	// APIs are started last, but their ids are known up front.
	if tr, ok := d.t.Resources[id]; ok && tr.Type == "AWS::Serverless::Api" {
		return d.apiID(id), nil
	}
	return nil, fmt.Errorf("resource %s is not created yet (or was skipped by its condition)", id)
}

// GetAtt implements template.Env.
func (d *deployer) GetAtt(id, attr string) (any, error) {
	r, ok := d.stack.Resources[id]
	if !ok {
		return nil, fmt.Errorf("resource %s is not created yet", id)
	}
	v, ok := r.Attrs[attr]
	if !ok {
		return nil, fmt.Errorf("%s (%s) has no attribute %s locally", id, r.Type, attr)
	}
	return v, nil
}

func (d *deployer) arn(service, resource string) string {
	return fmt.Sprintf("arn:aws:%s:%s:%s:%s", service, d.opts.Region, Account, resource)
}

// physicalName is the name CloudFormation would generate, made deterministic so
// a restart finds the same resources.
func (d *deployer) physicalName(id string, max int) string {
	n := d.opts.Name + "-" + id
	if len(n) > max {
		n = n[:max]
	}
	return n
}

func (d *deployer) apiID(logicalID string) string {
	sum := sha256.Sum256([]byte(d.opts.Name + "/" + logicalID))
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 10)
	for i := range b {
		b[i] = alphabet[int(sum[i])%len(alphabet)]
	}
	return string(b)
}

// props resolves a resource's properties.
func (d *deployer) props(r *template.Resource) (map[string]any, error) {
	v, err := d.res.Resolve(r.Properties)
	if err != nil {
		return nil, err
	}
	m, _ := v.(map[string]any)
	if m == nil {
		m = map[string]any{}
	}
	return m, nil
}

func (d *deployer) record(id, typ string, ref any, attrs map[string]any) {
	d.stack.Resources[id] = &Resource{Type: typ, Ref: ref, Attrs: attrs}
}

// build compiles every function's code up front, in one batch.
func (d *deployer) build(ctx context.Context) error {
	var dirs []string
	seen := map[string]bool{}
	for _, id := range d.t.SortedIDs() {
		r := d.t.Resources[id]
		if r.Type != "AWS::Serverless::Function" {
			continue
		}
		dir, err := d.codeDir(r)
		if err != nil {
			return err
		}
		if !seen[dir] {
			seen[dir] = true
			dirs = append(dirs, dir)
		}
	}
	if len(dirs) == 0 {
		return nil
	}
	if d.svc.Functions == nil {
		return fmt.Errorf("the template has functions but no Lambda host is configured")
	}
	bins, err := d.svc.Functions.Build(ctx, d.opts.BaseDir, dirs)
	if err != nil {
		return fmt.Errorf("build functions: %w", err)
	}
	d.bins = bins
	return nil
}

func (d *deployer) codeDir(r *template.Resource) (string, error) {
	raw, ok := r.Properties["CodeUri"].(string)
	if !ok || raw == "" {
		return "", fmt.Errorf("function %s: CodeUri must be a local directory", r.LogicalID)
	}
	dir := filepath.Clean(raw)
	if st, err := os.Stat(filepath.Join(d.opts.BaseDir, dir)); err != nil || !st.IsDir() {
		return "", fmt.Errorf("function %s: CodeUri %q is not a directory", r.LogicalID, raw)
	}
	return dir, nil
}

// Helpers to read resolved property values.

func str(m map[string]any, k string) string { return scalar(m[k]) }

// scalar is template.Scalar, with "" for values that are not scalars.
func scalar(v any) string {
	s, _ := template.Scalar(v)
	return s
}

func num(m map[string]any, k string) (float64, bool) {
	switch v := m[k].(type) {
	case float64:
		return v, true
	case string:
		f, err := strconv.ParseFloat(v, 64)
		return f, err == nil
	}
	return 0, false
}

func boolean(m map[string]any, k string) bool {
	switch v := m[k].(type) {
	case bool:
		return v
	case string:
		return strings.EqualFold(v, "true")
	}
	return false
}

func obj(m map[string]any, k string) map[string]any {
	v, _ := m[k].(map[string]any)
	return v
}

func list(m map[string]any, k string) []any {
	v, _ := m[k].([]any)
	return v
}

func strList(m map[string]any, k string) []string {
	var out []string
	for _, v := range list(m, k) {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// unquote strips the single quotes SAM's Cors values carry.
func unquote(s string) string {
	if len(s) >= 2 && s[0] == '\'' && s[len(s)-1] == '\'' {
		return s[1 : len(s)-1]
	}
	return s
}

func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:4])
}
