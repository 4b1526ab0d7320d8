package stack

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/dragons-dev/dragons/local/apigw"
	"github.com/dragons-dev/dragons/local/template"
)

// recorder is a hand-written stand-in for every local service: it records what
// the deployment asked for.
type recorder struct {
	buckets   map[string]bool
	queues    map[string]map[string]string
	params    map[string]string
	buses     []string
	rules     map[string]RuleSpec
	archives  []ArchiveSpec
	pools     []PoolSpec
	clients   []string
	groups    []string
	built     []string
	functions map[string]FunctionSpec
	machines  map[string]StateMachineSpec
	apis      []apigw.Config
	auths     map[string]AuthorizerSpec
}

func newRecorder() *recorder {
	return &recorder{buckets: map[string]bool{}, queues: map[string]map[string]string{}, params: map[string]string{},
		rules: map[string]RuleSpec{}, functions: map[string]FunctionSpec{}, machines: map[string]StateMachineSpec{}}
}

func (r *recorder) services() Services {
	return Services{Buckets: r, Queues: r, Params: r, Buses: r, Identity: r, Logs: r, Functions: r, StateMachines: r, APIs: r}
}

func (r *recorder) EnsureBucket(_ context.Context, name string, versioned bool) error {
	r.buckets[name] = versioned
	return nil
}
func (r *recorder) EnsureQueue(_ context.Context, name string, attrs map[string]string) (string, string, error) {
	r.queues[name] = attrs
	return "http://edge/000000000000/" + name, "arn:aws:sqs:us-east-1:000000000000:" + name, nil
}
func (r *recorder) EnsureParameter(_ context.Context, name, _, value string) error {
	r.params[name] = value
	return nil
}
func (r *recorder) EnsureBus(_ context.Context, name string) (string, error) {
	r.buses = append(r.buses, name)
	return "arn:aws:events:us-east-1:000000000000:event-bus/" + name, nil
}
func (r *recorder) EnsureRule(_ context.Context, s RuleSpec) (string, error) {
	r.rules[s.Name] = s
	return "arn:aws:events:us-east-1:000000000000:rule/" + s.Bus + "/" + s.Name, nil
}
func (r *recorder) EnsureArchive(_ context.Context, a ArchiveSpec) (string, error) {
	r.archives = append(r.archives, a)
	return "arn:aws:events:us-east-1:000000000000:archive/" + a.Name, nil
}
func (r *recorder) EnsureUserPool(_ context.Context, p PoolSpec) (string, string, error) {
	r.pools = append(r.pools, p)
	return "us-east-1_Local1234", "arn:aws:cognito-idp:us-east-1:000000000000:userpool/us-east-1_Local1234", nil
}
func (r *recorder) EnsureUserPoolClient(_ context.Context, poolID, name string, flows []string) (string, error) {
	r.clients = append(r.clients, poolID+"/"+name+"/"+strings.Join(flows, ","))
	return "client123", nil
}
func (r *recorder) CreateGroup(name string) error {
	r.groups = append(r.groups, name)
	return nil
}
func (r *recorder) Build(_ context.Context, _ string, dirs []string) (map[string]string, error) {
	out := map[string]string{}
	for _, d := range dirs {
		r.built = append(r.built, d)
		out[d] = "/bin/" + filepath.Base(d)
	}
	return out, nil
}
func (r *recorder) AddFunction(_ context.Context, f FunctionSpec) error {
	r.functions[f.LogicalID] = f
	return nil
}
func (r *recorder) EnsureStateMachine(_ context.Context, s StateMachineSpec) (string, error) {
	r.machines[s.Name] = s
	return "arn:aws:states:us-east-1:000000000000:stateMachine:" + s.Name, nil
}
func (r *recorder) StartAPI(_ context.Context, cfg apigw.Config, auths map[string]AuthorizerSpec) (string, error) {
	r.apis = append(r.apis, cfg)
	r.auths = auths
	return "http://127.0.0.1:3000", nil
}

func repoRoot(t *testing.T) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

func TestDeployTheProjectTemplate(t *testing.T) {
	root := repoRoot(t)
	tp, err := template.Load(filepath.Join(root, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	rec := newRecorder()
	st, err := Deploy(context.Background(), tp, rec.services(), Options{BaseDir: root})
	if err != nil {
		t.Fatal(err)
	}
	bucket := st.Resources["DragonsBucket"].Ref.(string)
	if !rec.buckets[bucket] {
		t.Fatalf("bucket %s not created versioned: %v", bucket, rec.buckets)
	}
	if rec.params["/dragons/bucket"] != bucket || rec.params["/dragons/key"] != "Dragons.json" {
		t.Fatalf("parameters = %v", rec.params)
	}
	sm := rec.machines["dragons-add-dragon"]
	if sm.Type != "EXPRESS" || !sm.Tracing || sm.LogLevel != "ALL" || !sm.IncludeExecutionData || !strings.Contains(sm.LogGroupARN, "/aws/vendedlogs/states/dragons-add-dragon") {
		t.Fatalf("state machine = %+v", sm)
	}
	validate := rec.functions["ValidateDragonFunction"]
	if !strings.Contains(sm.Definition, validate.ARN) || strings.Contains(sm.Definition, "${ValidateDragonFunctionArn}") {
		t.Fatal("definition substitutions were not applied")
	}
	submit := rec.functions["SubmitDragonFunction"]
	if submit.Env["STATE_MACHINE_ARN"] != "arn:aws:states:us-east-1:000000000000:stateMachine:dragons-add-dragon" || submit.Env["PARAM_PREFIX"] != "/dragons" {
		t.Fatalf("submit env = %v", submit.Env)
	}
	if submit.Binary != "/bin/submitdragon" || submit.Timeout.Seconds() != 10 || submit.Memory != 256 || !submit.Tracing {
		t.Fatalf("submit = %+v", submit)
	}
	audit := rec.functions["AuditDragonFunction"]
	// DeadLetterQueue is the function's dead-letter queue, not an OnFailure
	// destination: the two receive different messages.
	if !strings.HasSuffix(audit.DeadLetterARN, ":dragons-audit-dlq") || audit.OnFailureARN != "" {
		t.Fatalf("audit DLQ = %q, OnFailure = %q", audit.DeadLetterARN, audit.OnFailureARN)
	}
	rule := rec.rules["dragons-audit-dragon-added"]
	if rule.Bus != "dragons" || !strings.Contains(rule.Pattern, `"DragonAdded"`) || len(rule.Targets) != 1 ||
		rule.Targets[0].ARN != audit.ARN || rule.Targets[0].MaxRetryAttempts != 8 || !strings.HasSuffix(rule.Targets[0].DeadLetterARN, ":dragons-audit-dlq") {
		t.Fatalf("audit rule = %+v", rule)
	}
	if len(rec.apis) != 1 {
		t.Fatalf("apis = %d", len(rec.apis))
	}
	api := rec.apis[0]
	if api.Stage != "v1" || !api.Tracing || api.ThrottleRate != 50 || api.ThrottleBurst != 100 || api.Cors == nil || api.Cors.AllowOrigin != "*" {
		t.Fatalf("api = %+v", api)
	}
	routes := map[string]apigw.Route{}
	for _, r := range api.Routes {
		routes[r.Method+" "+r.Path] = r
		if r.Authorizer != "CognitoAuthorizer" {
			t.Errorf("route %s %s has authorizer %q", r.Method, r.Path, r.Authorizer)
		}
	}
	list := routes["GET /dragons"]
	if !list.Cache || list.CacheTTL.Seconds() != 60 || strings.Join(list.CacheKeys, ",") != "method.request.querystring.dragonName,method.request.querystring.family" {
		t.Fatalf("GET /dragons = %+v", list)
	}
	// CloudFormation cannot set the per-key invalidation settings, so API
	// Gateway's defaults apply: Cognito users' max-age=0 is ignored.
	if !list.RequireAuthorizationForCacheControl || list.UnauthorizedCacheControlHeaderStrategy != apigw.SucceedWithResponseHeader {
		t.Fatalf("GET /dragons cache control = %+v", list)
	}
	if list.ThrottleRate != 50 || list.ThrottleBurst != 100 || routes["POST /dragons"].ThrottleRate != 0 {
		t.Fatalf("per-method throttling: GET /dragons %+v, POST /dragons %+v", list, routes["POST /dragons"])
	}
	for _, want := range []string{
		"DragonsBucket.LifecycleConfiguration: ",
		"DragonsBucket.BucketEncryption: ",
		"DragonsBucket.PublicAccessBlockConfiguration: ",
		"DragonsApi.CacheClusterSize: ",
		"DragonsApi.MethodSettings.MetricsEnabled: ",
		"SubmitDragonFunction.Policies: IAM is not enforced locally",
		"SubmitDragonFunction.Architectures: built for this machine's architecture (set in Globals)",
		"AuditDragonFunction.LoggingConfig.LogFormat: function output is stored as written (set in Globals)",
		"AddDragonStateMachine.Policies: ",
		"StateMachineLogGroup.RetentionInDays: ",
	} {
		found := false
		for _, p := range st.IgnoredProperties {
			found = found || strings.HasPrefix(p, want)
		}
		if !found {
			t.Errorf("IgnoredProperties lacks %q", want)
		}
	}
	for _, p := range st.IgnoredProperties {
		if strings.Contains(p, "DeletionPolicy") || strings.Contains(p, "Description") || strings.Contains(p, "VersioningConfiguration") {
			t.Errorf("IgnoredProperties lists %q, which is not an ignored property", p)
		}
	}
	if routes["POST /dragons"].Cache || routes["GET /dragons/executions/{id}"].Cache {
		t.Fatal("a route other than GET /dragons is cached")
	}
	if got := rec.auths["CognitoAuthorizer"].UserPoolARNs; len(got) != 1 || !strings.HasSuffix(got[0], "us-east-1_Local1234") {
		t.Fatalf("authorizer = %v", got)
	}
	if len(rec.clients) != 1 || !strings.Contains(rec.clients[0], "ALLOW_USER_PASSWORD_AUTH") {
		t.Fatalf("clients = %v", rec.clients)
	}
	if len(rec.pools) != 1 || rec.pools[0].MinLength != 12 || rec.pools[0].RequireSymbols {
		t.Fatalf("pool = %+v", rec.pools)
	}
	if len(st.Ignored) == 0 || !contains(st.Ignored, "FailedExecutionsAlarm") || !contains(st.Ignored, "AuditDLQPolicy") {
		t.Fatalf("ignored = %v", st.Ignored)
	}
	if st.Outputs["BucketName"] != bucket || !strings.HasPrefix(st.Outputs["ApiUrl"].(string), "https://") {
		t.Fatalf("outputs = %v", st.Outputs)
	}
	if len(rec.built) != 6 {
		t.Fatalf("built %v, want the six function directories", rec.built)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestUnsupportedTypesAndPropertiesAreNamed(t *testing.T) {
	doc := `
Resources:
  Topic:
    Type: AWS::SNS::Topic
  Q:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: q
      Frobnicate: true
`
	tp, err := template.Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Deploy(context.Background(), tp, newRecorder().services(), Options{})
	if err == nil || !strings.Contains(err.Error(), "AWS::SNS::Topic") || !strings.Contains(err.Error(), "Frobnicate") {
		t.Fatalf("error = %v", err)
	}
}

func TestDecodeResourcePath(t *testing.T) {
	for in, want := range map[string]string{"/*": "/*", "/~1dragons": "/dragons", "/~1dragons~1executions~1{id}": "/dragons/executions/{id}"} {
		if got := decodeResourcePath(in); got != want {
			t.Errorf("decodeResourcePath(%q) = %q, want %q", in, got, want)
		}
	}
}

// deployDoc deploys a template document whose functions' CodeUri is "fn/".
func deployDoc(t *testing.T, doc string) (*Stack, *recorder) {
	t.Helper()
	st, rec, err := tryDeployDoc(t, doc)
	if err != nil {
		t.Fatal(err)
	}
	return st, rec
}

func tryDeployDoc(t *testing.T, doc string) (*Stack, *recorder, error) {
	t.Helper()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "fn"), 0o755); err != nil {
		t.Fatal(err)
	}
	tp, err := template.Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	rec := newRecorder()
	st, err := Deploy(context.Background(), tp, rec.services(), Options{BaseDir: dir})
	return st, rec, err
}

func TestOnlyCachingTrueParametersAreCacheKeys(t *testing.T) {
	_, rec := deployDoc(t, `
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: v1
      CacheClusterEnabled: true
      MethodSettings:
        - ResourcePath: "/*"
          HttpMethod: "*"
          CachingEnabled: true
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/
      Events:
        List:
          Type: Api
          Properties:
            RestApiId: !Ref Api
            Path: /things
            Method: GET
            RequestParameters:
              - method.request.querystring.plain
              - method.request.querystring.cached:
                  Caching: true
              - method.request.header.notCached:
                  Required: true
                  Caching: false
`)
	route := rec.apis[0].Routes[0]
	if !route.Cache || strings.Join(route.CacheKeys, ",") != "method.request.querystring.cached" {
		t.Fatalf("route = %+v, want only the Caching: true parameter as a cache key", route)
	}
}

func TestCacheControlMethodSettings(t *testing.T) {
	doc := `
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: v1
      CacheClusterEnabled: true
      MethodSettings:
        - ResourcePath: "/*"
          HttpMethod: "*"
          CachingEnabled: true
          UnauthorizedCacheControlHeaderStrategy: FAIL_WITH_403
        - ResourcePath: "/~1open"
          HttpMethod: GET
          CachingEnabled: true
          RequireAuthorizationForCacheControl: false
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/
      Events:
        Open:
          Type: Api
          Properties: {RestApiId: !Ref Api, Path: /open, Method: GET}
        Closed:
          Type: Api
          Properties: {RestApiId: !Ref Api, Path: /closed, Method: GET}
`
	_, rec := deployDoc(t, doc)
	routes := map[string]apigw.Route{}
	for _, r := range rec.apis[0].Routes {
		routes[r.Path] = r
	}
	if r := routes["/open"]; r.RequireAuthorizationForCacheControl || r.UnauthorizedCacheControlHeaderStrategy != apigw.FailWith403 {
		t.Errorf("/open = %+v", r)
	}
	if r := routes["/closed"]; !r.RequireAuthorizationForCacheControl || r.UnauthorizedCacheControlHeaderStrategy != apigw.FailWith403 {
		t.Errorf("/closed = %+v", r)
	}
	if _, _, err := tryDeployDoc(t, strings.Replace(doc, "FAIL_WITH_403", "FAIL_SOMETIMES", 1)); err == nil || !strings.Contains(err.Error(), "FAIL_SOMETIMES") {
		t.Fatalf("an unknown strategy: %v", err)
	}
}

func TestFunctionAsyncSettings(t *testing.T) {
	st, rec := deployDoc(t, `
Resources:
  Q:
    Type: AWS::SQS::Queue
    Properties: {QueueName: failures}
  D:
    Type: AWS::SQS::Queue
    Properties: {QueueName: dead}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/
      Tracing: Active
      ReservedConcurrentExecutions: 0
      DeadLetterQueue:
        Type: SQS
        TargetArn: !GetAtt D.Arn
      EventInvokeConfig:
        MaximumRetryAttempts: 0
        MaximumEventAgeInSeconds: 120
        DestinationConfig:
          OnFailure:
            Type: SQS
            Destination: !GetAtt Q.Arn
          OnSuccess:
            Type: SQS
            Destination: !GetAtt Q.Arn
  Plain:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/
`)
	fn := rec.functions["Fn"]
	if !strings.HasSuffix(fn.DeadLetterARN, ":dead") || !strings.HasSuffix(fn.OnFailureARN, ":failures") {
		t.Errorf("DLQ %q, OnFailure %q", fn.DeadLetterARN, fn.OnFailureARN)
	}
	if fn.MaxRetryAttempts == nil || *fn.MaxRetryAttempts != 0 || fn.MaxEventAge != 2*time.Minute || !fn.Tracing {
		t.Errorf("async settings = %+v", fn)
	}
	if fn.ReservedConcurrency == nil || *fn.ReservedConcurrency != 0 {
		t.Errorf("ReservedConcurrentExecutions: 0 was lost: %v", fn.ReservedConcurrency)
	}
	if strings.Join(st.IgnoredProperties, "\n") != "Fn.EventInvokeConfig.DestinationConfig.OnSuccess: successful async invocations are not sent anywhere" {
		t.Errorf("IgnoredProperties = %v", st.IgnoredProperties)
	}
	plain := rec.functions["Plain"]
	if plain.MaxRetryAttempts != nil || plain.MaxEventAge != 0 || plain.ReservedConcurrency != nil || plain.Tracing {
		t.Errorf("defaults = %+v", plain)
	}
}

func TestOutputsFollowTheirConditions(t *testing.T) {
	st, _ := deployDoc(t, `
Parameters:
  Env:
    Type: String
    Default: dev
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Resources:
  Q:
    Type: AWS::SQS::Queue
    Properties: {QueueName: q}
  ProdQ:
    Type: AWS::SQS::Queue
    Condition: IsProd
    Properties: {QueueName: prod-q}
Outputs:
  QueueUrl:
    Value: !Ref Q
  ProdQueueUrl:
    Condition: IsProd
    Value: !Ref ProdQ
`)
	if _, ok := st.Outputs["ProdQueueUrl"]; ok {
		t.Fatalf("an output whose condition is false was created: %v", st.Outputs)
	}
	if st.Outputs["QueueUrl"] != "http://edge/000000000000/q" {
		t.Fatalf("outputs = %v", st.Outputs)
	}
}

func TestIgnoredAuthAndEventSettingsAreReported(t *testing.T) {
	st, _ := deployDoc(t, `
Resources:
  Pool:
    Type: AWS::Cognito::UserPool
    Properties: {UserPoolName: p}
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: v1
      AccessLogSetting:
        DestinationArn: arn:aws:logs:us-east-1:000000000000:log-group:access
        Format: $context.requestId
      Auth:
        DefaultAuthorizer: Cog
        AddDefaultAuthorizerToCorsPreflight: true
        ResourcePolicy:
          CustomStatements: []
        Authorizers:
          Cog:
            UserPoolArn: !GetAtt Pool.Arn
            Identity:
              Header: X-Token
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/
      Events:
        Post:
          Type: Api
          Properties:
            RestApiId: !Ref Api
            Path: /x
            Method: POST
            RequestModel:
              Model: Thing
              Required: true
`)
	want := []string{
		"Api.AccessLogSetting.Format: access log lines use a fixed JSON format",
		"Api.Auth.AddDefaultAuthorizerToCorsPreflight: CORS preflights are answered without authorization",
		"Api.Auth.Authorizers.Cog.Identity: the token is read from the Authorization header",
		"Api.Auth.ResourcePolicy: not implemented by the local API Gateway",
		"Fn.Events.Post.RequestModel: request bodies are not validated against the model",
	}
	if strings.Join(st.IgnoredProperties, "\n") != strings.Join(want, "\n") {
		t.Fatalf("IgnoredProperties =\n%s\nwant\n%s", strings.Join(st.IgnoredProperties, "\n"), strings.Join(want, "\n"))
	}
}
