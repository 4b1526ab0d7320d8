package workflows

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// The app contract between template.yaml and the Go code: which folder each
// function is built from, the environment the handlers read and the names of
// the resources other code looks up by name.

func TestTemplateFunctionsFollowTheAppContract(t *testing.T) {
	root := loadTemplate(t)
	resources := field(root, "Resources")
	want := map[string]string{
		"SubmitDragonFunction":   "handlers/submitdragon/",
		"GetExecutionFunction":   "handlers/getexecution/",
		"ListDragonsFunction":    "handlers/listdragons/",
		"ValidateDragonFunction": "handlers/validatedragon/",
		"AddDragonFunction":      "handlers/adddragon/",
		"AuditDragonFunction":    "handlers/auditdragon/",
	}
	found := map[string]bool{}
	for i := 0; i+1 < len(resources.Content); i += 2 {
		id, res := resources.Content[i].Value, resources.Content[i+1]
		if typ := field(res, "Type"); typ == nil || typ.Value != "AWS::Serverless::Function" {
			continue
		}
		found[id] = true
		codeURI, ok := want[id]
		if !ok {
			t.Errorf("function %s is not in the app contract", id)
			continue
		}
		props := field(res, "Properties")
		if got := field(props, "CodeUri"); got == nil || got.Value != codeURI {
			t.Errorf("%s CodeUri = %v, want %s", id, show(got), codeURI)
		}
		if bm := field(field(res, "Metadata"), "BuildMethod"); bm == nil || bm.Value != "go1.x" {
			t.Errorf("%s Metadata.BuildMethod = %v, want go1.x", id, show(bm))
		}
		if field(props, "Policies") == nil {
			t.Errorf("%s has no Policies", id)
		}
		env := field(field(props, "Environment"), "Variables")
		hasSMArn := field(env, "STATE_MACHINE_ARN") != nil
		if hasSMArn != (id == "SubmitDragonFunction") {
			t.Errorf("%s: STATE_MACHINE_ARN set = %v; only SubmitDragonFunction gets it", id, hasSMArn)
		}
	}
	for id := range want {
		if !found[id] {
			t.Errorf("function %s is missing from the template", id)
		}
	}
	sm := field(field(field(field(resources, "SubmitDragonFunction"), "Properties"), "Environment"), "Variables")
	if v := field(sm, "STATE_MACHINE_ARN"); v == nil || v.Tag != "!Ref" || v.Value != "AddDragonStateMachine" {
		t.Errorf("STATE_MACHINE_ARN = %v, want !Ref AddDragonStateMachine", show(v))
	}

	globals := field(field(root, "Globals"), "Function")
	for key, value := range map[string]string{"Runtime": "provided.al2023", "Handler": "bootstrap", "Tracing": "Active"} {
		if got := field(globals, key); got == nil || got.Value != value {
			t.Errorf("Globals.Function.%s = %v, want %s", key, show(got), value)
		}
	}
	if arch := field(globals, "Architectures"); arch == nil || len(arch.Content) != 1 || arch.Content[0].Value != "arm64" {
		t.Errorf("Globals.Function.Architectures = %v, want [arm64]", show(arch))
	}
	if f := field(field(globals, "LoggingConfig"), "LogFormat"); f == nil || f.Value != "JSON" {
		t.Errorf("Globals.Function.LoggingConfig.LogFormat = %v, want JSON", show(f))
	}
	if p := field(field(field(globals, "Environment"), "Variables"), "PARAM_PREFIX"); p == nil || p.Value != "/dragons" {
		t.Errorf("Globals PARAM_PREFIX = %v, want /dragons", show(p))
	}
}

func TestTemplateNamesWhatOtherCodeLooksUp(t *testing.T) {
	resources := field(loadTemplate(t), "Resources")
	cases := []struct{ resource, property, want string }{
		{"WorkflowDLQ", "QueueName", "dragons-workflow-dlq"},
		{"AuditDLQ", "QueueName", "dragons-audit-dlq"},
		{"BucketNameParameter", "Name", "/dragons/bucket"},
		{"CatalogKeyParameter", "Name", "/dragons/key"},
	}
	for _, c := range cases {
		got := field(field(field(resources, c.resource), "Properties"), c.property)
		if got == nil || got.Value != c.want {
			t.Errorf("%s.%s = %v, want %s", c.resource, c.property, show(got), c.want)
		}
	}
	if v := field(field(field(resources, "BucketNameParameter"), "Properties"), "Value"); v == nil || v.Tag != "!Ref" || v.Value != "DragonsBucket" {
		t.Errorf("/dragons/bucket value = %v, want !Ref DragonsBucket", show(v))
	}
	key := field(field(loadTemplate(t), "Parameters"), "CatalogKey")
	if d := field(key, "Default"); d == nil || d.Value != "Dragons.json" {
		t.Errorf("CatalogKey default = %v, want Dragons.json", show(d))
	}
}

// show renders a YAML node for a failure message: its tag and scalar value,
// or "missing".
func show(n *yaml.Node) string {
	if n == nil {
		return "missing"
	}
	if n.Kind != yaml.ScalarNode {
		return n.ShortTag() + " (not a scalar)"
	}
	if n.Tag == "" || n.Tag == "!!str" {
		return n.Value
	}
	return n.Tag + " " + n.Value
}

// at walks a YAML node by path. A path element is a mapping key, "[n]" (the
// n-th item of a sequence) or "[key=value]" (the first sequence item that is
// a mapping whose key holds that scalar value). It returns nil when any step
// is missing.
func at(n *yaml.Node, path ...string) *yaml.Node {
	for _, p := range path {
		if n == nil {
			return nil
		}
		sel, ok := strings.CutPrefix(p, "[")
		if !ok {
			n = field(n, p)
			continue
		}
		sel = strings.TrimSuffix(sel, "]")
		if n.Kind != yaml.SequenceNode {
			return nil
		}
		key, value, isMatch := strings.Cut(sel, "=")
		var next *yaml.Node
		for i, item := range n.Content {
			if isMatch {
				if v := field(item, key); v != nil && v.Kind == yaml.ScalarNode && v.Value == value {
					next = item
					break
				}
			} else if strconv.Itoa(i) == sel {
				next = item
				break
			}
		}
		n = next
	}
	return n
}

// scalar renders a scalar node as the template spells it: its value, with
// a CloudFormation intrinsic's tag in front ("!GetAtt UserPool.Arn").
func scalar(n *yaml.Node) string {
	if n == nil {
		return "missing"
	}
	if n.Kind != yaml.ScalarNode {
		return n.ShortTag() + " (not a scalar)"
	}
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		return n.Tag + " " + n.Value
	}
	return n.Value
}

// TestTemplateHasTheIssueMandatedProperties pins, one row per property, what
// the issue requires of template.yaml beyond the function contract: the
// Cognito sign-in flow, the API's authorizer, tracing, cache keys, CORS and
// throttling, the workflow's logging and tracing, the event archive and the
// consumer rule's retry policy and DLQ, the bucket's protections, the alarms
// and the outputs.
func TestTemplateHasTheIssueMandatedProperties(t *testing.T) {
	root := loadTemplate(t)
	res := func(id string, path ...string) []string {
		return append([]string{"Resources", id}, path...)
	}
	type check struct {
		path []string
		op   string // "=": the scalar equals want; "has": a sequence has the item, or a scalar contains the text
		want string
	}
	api := func(path ...string) []string { return res("DragonsApi", append([]string{"Properties"}, path...)...) }
	sm := func(path ...string) []string {
		return res("AddDragonStateMachine", append([]string{"Properties"}, path...)...)
	}
	rule := func(path ...string) []string {
		return res("AuditDragonFunction", append([]string{"Properties", "Events", "DragonAdded"}, path...)...)
	}
	bucket := func(path ...string) []string { return res("DragonsBucket", append([]string{"Properties"}, path...)...) }
	cachedGet := []string{"MethodSettings", "[ResourcePath=/~1dragons]"}
	everyRoute := []string{"MethodSettings", "[ResourcePath=/*]"}
	checks := map[string]check{
		"user pool client allows USER_PASSWORD_AUTH": {res("UserPoolClient", "Properties", "ExplicitAuthFlows"), "has", "ALLOW_USER_PASSWORD_AUTH"},
		"user pool client belongs to the pool":       {res("UserPoolClient", "Properties", "UserPoolId"), "=", "!Ref UserPool"},
		"API default authorizer":                     {api("Auth", "DefaultAuthorizer"), "=", "CognitoAuthorizer"},
		"authorizer uses the user pool":              {api("Auth", "Authorizers", "CognitoAuthorizer", "UserPoolArn"), "=", "!GetAtt UserPool.Arn"},
		"API tracing":                                {api("TracingEnabled"), "=", "true"},
		"API cache cluster":                          {api("CacheClusterEnabled"), "=", "true"},
		"GET /dragons cached":                        {api(append(cachedGet, "CachingEnabled")...), "=", "true"},
		"GET /dragons cache setting is for GET":      {api(append(cachedGet, "HttpMethod")...), "=", "GET"},
		"GET /dragons cache TTL":                     {api(append(cachedGet, "CacheTtlInSeconds")...), "=", "!Ref ApiCacheTtlSeconds"},
		"dragonName is a cache key": {res("ListDragonsFunction", "Properties", "Events", "ListDragons", "Properties", "RequestParameters",
			"[0]", "method.request.querystring.dragonName", "Caching"), "=", "true"},
		"family is a cache key": {res("ListDragonsFunction", "Properties", "Events", "ListDragons", "Properties", "RequestParameters",
			"[1]", "method.request.querystring.family", "Caching"), "=", "true"},
		"other routes are not cached":             {api(append(everyRoute, "CachingEnabled")...), "=", "false"},
		"every route throttled (rate)":            {api(append(everyRoute, "ThrottlingRateLimit")...), "=", "!Ref ApiThrottleRateLimit"},
		"every route throttled (burst)":           {api(append(everyRoute, "ThrottlingBurstLimit")...), "=", "!Ref ApiThrottleBurstLimit"},
		"every route setting covers every method": {api(append(everyRoute, "HttpMethod")...), "=", "*"},
		"CORS origin":                             {api("Cors", "AllowOrigin"), "=", "'*'"},
		"CORS allows POST":                        {api("Cors", "AllowMethods"), "has", "POST"},
		"CORS allows the bearer token":            {api("Cors", "AllowHeaders"), "has", "Authorization"},
		"CORS allows Idempotency-Key":             {api("Cors", "AllowHeaders"), "has", "Idempotency-Key"},
		"state machine is Express":                {sm("Type"), "=", "EXPRESS"},
		"state machine tracing":                   {sm("Tracing", "Enabled"), "=", "true"},
		"state machine log level":                 {sm("Logging", "Level"), "=", "ALL"},
		"state machine logs execution data":       {sm("Logging", "IncludeExecutionData"), "=", "true"},
		"state machine logs to its log group":     {sm("Logging", "Destinations", "[0]", "CloudWatchLogsLogGroup", "LogGroupArn"), "=", "!GetAtt StateMachineLogGroup.Arn"},
		"log group has a retention":               {res("StateMachineLogGroup", "Properties", "RetentionInDays"), "=", "!Ref LogRetentionDays"},
		"bus archive source":                      {res("DragonsEventArchive", "Properties", "SourceArn"), "=", "!GetAtt DragonsEventBus.Arn"},
		"bus archive retention":                   {res("DragonsEventArchive", "Properties", "RetentionDays"), "=", "30"},
		"consumer rule type":                      {rule("Type"), "=", "EventBridgeRule"},
		"consumer rule bus":                       {rule("Properties", "EventBusName"), "=", "!Ref DragonsEventBus"},
		"consumer rule source":                    {rule("Properties", "Pattern", "source"), "has", "dragons.app"},
		"consumer rule detail-type":               {rule("Properties", "Pattern", "detail-type"), "has", "DragonAdded"},
		"consumer rule retry attempts":            {rule("Properties", "RetryPolicy", "MaximumRetryAttempts"), "=", "8"},
		"consumer rule retry event age":           {rule("Properties", "RetryPolicy", "MaximumEventAgeInSeconds"), "=", "3600"},
		"consumer rule DLQ":                       {rule("Properties", "DeadLetterConfig", "Arn"), "=", "!GetAtt AuditDLQ.Arn"},
		"bucket versioning":                       {bucket("VersioningConfiguration", "Status"), "=", "Enabled"},
		"bucket encryption":                       {bucket("BucketEncryption", "ServerSideEncryptionConfiguration", "[0]", "ServerSideEncryptionByDefault", "SSEAlgorithm"), "=", "AES256"},
		"bucket blocks public ACLs":               {bucket("PublicAccessBlockConfiguration", "BlockPublicAcls"), "=", "true"},
		"bucket blocks public policies":           {bucket("PublicAccessBlockConfiguration", "BlockPublicPolicy"), "=", "true"},
		"bucket ignores public ACLs":              {bucket("PublicAccessBlockConfiguration", "IgnorePublicAcls"), "=", "true"},
		"bucket restricts public buckets":         {bucket("PublicAccessBlockConfiguration", "RestrictPublicBuckets"), "=", "true"},
		"executions/ lifecycle rule enabled":      {bucket("LifecycleConfiguration", "Rules", "[Prefix=executions/]", "Status"), "=", "Enabled"},
		"executions/ records expire":              {bucket("LifecycleConfiguration", "Rules", "[Prefix=executions/]", "ExpirationInDays"), "=", "!Ref ExecutionRecordRetentionDays"},
		"workflow DLQ alarm metric":               {res("WorkflowDLQDepthAlarm", "Properties", "MetricName"), "=", "ApproximateNumberOfMessagesVisible"},
		"workflow DLQ alarm queue":                {res("WorkflowDLQDepthAlarm", "Properties", "Dimensions", "[Name=QueueName]", "Value"), "=", "!GetAtt WorkflowDLQ.QueueName"},
		"workflow DLQ alarm fires on one message": {res("WorkflowDLQDepthAlarm", "Properties", "Threshold"), "=", "0"},
		"audit DLQ alarm metric":                  {res("AuditDLQDepthAlarm", "Properties", "MetricName"), "=", "ApproximateNumberOfMessagesVisible"},
		"audit DLQ alarm queue":                   {res("AuditDLQDepthAlarm", "Properties", "Dimensions", "[Name=QueueName]", "Value"), "=", "!GetAtt AuditDLQ.QueueName"},
		"failed executions alarm namespace":       {res("FailedExecutionsAlarm", "Properties", "Namespace"), "=", "AWS/States"},
		"failed executions alarm metric":          {res("FailedExecutionsAlarm", "Properties", "MetricName"), "=", "ExecutionsFailed"},
		"failed executions alarm state machine":   {res("FailedExecutionsAlarm", "Properties", "Dimensions", "[Name=StateMachineArn]", "Value"), "=", "!Ref AddDragonStateMachine"},
	}
	for name, c := range checks {
		n := at(root, c.path...)
		switch c.op {
		case "=":
			if got := scalar(n); got != c.want {
				t.Errorf("%s: %s = %s, want %s", name, strings.Join(c.path, "."), got, c.want)
			}
		case "has":
			ok := false
			switch {
			case n == nil:
			case n.Kind == yaml.SequenceNode:
				for _, item := range n.Content {
					ok = ok || scalar(item) == c.want
				}
			case n.Kind == yaml.ScalarNode:
				ok = strings.Contains(n.Value, c.want)
			}
			if !ok {
				t.Errorf("%s: %s (%s) does not have %q", name, strings.Join(c.path, "."), scalar(n), c.want)
			}
		default:
			t.Fatalf("%s: unknown op %q", name, c.op)
		}
	}

	// The cache TTL parameter has a positive default.
	ttl := at(root, "Parameters", "ApiCacheTtlSeconds", "Default")
	if v, err := strconv.Atoi(scalar(ttl)); err != nil || v <= 0 {
		t.Errorf("ApiCacheTtlSeconds default = %s, want a positive number of seconds", scalar(ttl))
	}

	// The outputs users and the local cloud rely on.
	wantOutputs := map[string]string{
		"ApiUrl":           "",
		"StateMachineArn":  "!Ref AddDragonStateMachine",
		"BucketName":       "!Ref DragonsBucket",
		"UserPoolId":       "!Ref UserPool",
		"UserPoolClientId": "!Ref UserPoolClient",
		"EventBusName":     "!Ref DragonsEventBus",
		"WorkflowDLQUrl":   "!Ref WorkflowDLQ",
		"AuditDLQUrl":      "!Ref AuditDLQ",
	}
	for name, want := range wantOutputs {
		v := at(root, "Outputs", name, "Value")
		switch {
		case v == nil:
			t.Errorf("output %s is missing", name)
		case want != "" && scalar(v) != want:
			t.Errorf("output %s = %s, want %s", name, scalar(v), want)
		}
	}
	if api := scalar(at(root, "Outputs", "ApiUrl", "Value")); !strings.HasPrefix(api, "!Sub https://${DragonsApi}.execute-api.") {
		t.Errorf("output ApiUrl = %s, want the stage's execute-api URL", api)
	}
}

// TestTemplatePoliciesAreNarrow checks the least-privilege choices that are
// easy to undo by copy and paste: parameters are read by name under
// /dragons/ (the functions never call GetParametersByPath), and the audit
// consumer can only create its own records.
func TestTemplatePoliciesAreNarrow(t *testing.T) {
	resources := field(loadTemplate(t), "Resources")
	for i := 0; i+1 < len(resources.Content); i += 2 {
		id, r := resources.Content[i].Value, resources.Content[i+1]
		if scalar(field(r, "Type")) != "AWS::Serverless::Function" {
			continue
		}
		policies := at(r, "Properties", "Policies")
		if policies == nil {
			t.Errorf("%s has no Policies", id)
			continue
		}
		ssm := 0
		for _, p := range policies.Content {
			if name := at(p, "SSMParameterReadPolicy", "ParameterName"); name != nil {
				ssm++
				if scalar(name) != "dragons/*" {
					t.Errorf("%s SSMParameterReadPolicy on %s, want dragons/* only", id, scalar(name))
				}
			}
		}
		if ssm != 1 {
			t.Errorf("%s has %d SSMParameterReadPolicy entries, want 1", id, ssm)
		}
	}
	var actions []string
	auditPolicies := at(resources, "AuditDragonFunction", "Properties", "Policies")
	if auditPolicies == nil {
		t.Fatal("AuditDragonFunction has no Policies")
	}
	for _, p := range auditPolicies.Content {
		statements := field(p, "Statement")
		if statements == nil {
			continue // a SAM policy template, checked above
		}
		for _, st := range statements.Content {
			a := field(st, "Action")
			switch {
			case a == nil:
				t.Errorf("AuditDragonFunction statement without Action")
			case a.Kind == yaml.SequenceNode:
				for _, item := range a.Content {
					actions = append(actions, scalar(item))
				}
			default:
				actions = append(actions, scalar(a))
			}
			if res := scalar(field(st, "Resource")); res != "!Sub ${DragonsBucket.Arn}/audit/*" {
				t.Errorf("AuditDragonFunction statement on %s, want audit/* only", res)
			}
		}
	}
	if !slices.Equal(actions, []string{"s3:PutObject"}) {
		t.Errorf("AuditDragonFunction S3 actions = %v, want only s3:PutObject (If-None-Match creates need nothing else)", actions)
	}
}
