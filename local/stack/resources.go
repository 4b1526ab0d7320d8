package stack

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/dragons-dev/dragons/local/template"
)

// supported lists, per resource type, the properties the local cloud honours or
// can safely ignore (encryption, tags, policies: nothing to enforce on one machine).
var supported = map[string][]string{
	"AWS::S3::Bucket": {"BucketName", "VersioningConfiguration", "BucketEncryption", "PublicAccessBlockConfiguration",
		"LifecycleConfiguration", "Tags", "OwnershipControls", "CorsConfiguration"},
	"AWS::SQS::Queue": {"QueueName", "MessageRetentionPeriod", "VisibilityTimeout", "DelaySeconds", "MaximumMessageSize",
		"ReceiveMessageWaitTimeSeconds", "RedrivePolicy", "RedriveAllowPolicy", "FifoQueue", "ContentBasedDeduplication",
		"DeduplicationScope", "FifoThroughputLimit", "SqsManagedSseEnabled", "KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds", "Tags"},
	"AWS::SSM::Parameter":   {"Name", "Type", "Value", "Description", "Tier", "DataType", "Tags", "AllowedPattern"},
	"AWS::Events::EventBus": {"Name", "Tags", "Description"},
	"AWS::Events::Rule":     {"Name", "EventBusName", "EventPattern", "State", "Targets", "Description"},
	"AWS::Events::Archive":  {"ArchiveName", "SourceArn", "EventPattern", "RetentionDays", "Description"},
	"AWS::Cognito::UserPool": {"UserPoolName", "Policies", "AdminCreateUserConfig", "UsernameAttributes", "AutoVerifiedAttributes",
		"Schema", "AccountRecoverySetting", "MfaConfiguration", "DeletionProtection", "UserPoolTags", "EmailConfiguration",
		"UsernameConfiguration", "VerificationMessageTemplate"},
	"AWS::Cognito::UserPoolClient": {"ClientName", "UserPoolId", "ExplicitAuthFlows", "GenerateSecret", "PreventUserExistenceErrors",
		"AccessTokenValidity", "IdTokenValidity", "RefreshTokenValidity", "TokenValidityUnits", "SupportedIdentityProviders",
		"AllowedOAuthFlows", "AllowedOAuthScopes", "AllowedOAuthFlowsUserPoolClient", "CallbackURLs", "LogoutURLs", "EnableTokenRevocation"},
	"AWS::Logs::LogGroup": {"LogGroupName", "RetentionInDays", "Tags", "KmsKeyId", "LogGroupClass"},
	"AWS::Serverless::Function": {"CodeUri", "Handler", "Runtime", "Architectures", "Tracing", "Timeout", "MemorySize", "LoggingConfig",
		"Environment", "Policies", "Events", "Description", "FunctionName", "DeadLetterQueue", "ReservedConcurrentExecutions", "Role",
		"Tags", "EventInvokeConfig", "AutoPublishAlias", "PropagateTags"},
	"AWS::Serverless::StateMachine": {"Name", "Type", "Definition", "DefinitionUri", "DefinitionSubstitutions", "Tracing", "Logging",
		"Policies", "Role", "Tags", "PropagateTags"},
	"AWS::Serverless::Api": {"Name", "StageName", "TracingEnabled", "CacheClusterEnabled", "CacheClusterSize", "Cors", "Auth",
		"MethodSettings", "OpenApiVersion", "EndpointConfiguration", "AccessLogSetting", "Description", "Tags", "PropagateTags"},
}

// ignoredTypes have no local behaviour; they are listed, not created.
var ignoredTypes = map[string]bool{
	"AWS::CloudWatch::Alarm":             true,
	"AWS::CloudWatch::Dashboard":         true,
	"AWS::SQS::QueuePolicy":              true,
	"AWS::IAM::Role":                     true,
	"AWS::IAM::Policy":                   true,
	"AWS::IAM::ManagedPolicy":            true,
	"AWS::Lambda::Permission":            true,
	"AWS::Events::EventBusPolicy":        true,
	"AWS::S3::BucketPolicy":              true,
	"AWS::Logs::ResourcePolicy":          true,
	"AWS::ApiGateway::Account":           true,
	"AWS::Cognito::UserPoolDomain":       true,
	"AWS::CloudFormation::WaitCondition": true,
}

var supportedEvents = map[string][]string{
	"Api":             {"RestApiId", "Path", "Method", "Auth", "RequestParameters", "RequestModel"},
	"EventBridgeRule": {"EventBusName", "Pattern", "RuleName", "RetryPolicy", "DeadLetterConfig", "Target", "Input", "InputPath", "State"},
}

// check rejects unsupported resource types, properties and function events
// before anything is created, naming every one.
func (d *deployer) check() error {
	var problems []string
	for _, id := range d.t.SortedIDs() {
		r := d.t.Resources[id]
		if ignoredTypes[r.Type] {
			continue
		}
		props, ok := supported[r.Type]
		if !ok {
			problems = append(problems, fmt.Sprintf("%s: resource type %s is not supported by the local cloud", id, r.Type))
			continue
		}
		for _, p := range unknownKeys(r.Properties, props) {
			problems = append(problems, fmt.Sprintf("%s: property %s of %s is not supported by the local cloud", id, p, r.Type))
		}
		if r.Type != "AWS::Serverless::Function" {
			continue
		}
		events, _ := r.Properties["Events"].(map[string]any)
		for _, name := range sortedKeys(events) {
			ev, _ := events[name].(map[string]any)
			typ, _ := ev["Type"].(string)
			allowed, ok := supportedEvents[typ]
			if !ok {
				problems = append(problems, fmt.Sprintf("%s: event %s of type %s is not supported by the local cloud", id, name, typ))
				continue
			}
			evProps, _ := ev["Properties"].(map[string]any)
			for _, p := range unknownKeys(evProps, allowed) {
				problems = append(problems, fmt.Sprintf("%s: event %s property %s is not supported by the local cloud", id, name, p))
			}
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("template uses what the local cloud does not support:\n  %s", strings.Join(problems, "\n  "))
	}
	return nil
}

func unknownKeys(m map[string]any, allowed []string) []string {
	ok := map[string]bool{}
	for _, a := range allowed {
		ok[a] = true
	}
	var out []string
	for k := range m {
		if !ok[k] {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (d *deployer) create(ctx context.Context, r *template.Resource) error {
	if ignoredTypes[r.Type] {
		d.stack.Ignored = append(d.stack.Ignored, r.LogicalID)
		d.record(r.LogicalID, r.Type, r.LogicalID, map[string]any{})
		return nil
	}
	d.noteIgnored(r)
	if r.Type == "AWS::Serverless::Api" {
		return d.declareAPI(r)
	}
	p, err := d.props(r)
	if err != nil {
		return err
	}
	switch r.Type {
	case "AWS::S3::Bucket":
		return d.createBucket(ctx, r, p)
	case "AWS::SQS::Queue":
		return d.createQueue(ctx, r, p)
	case "AWS::SSM::Parameter":
		return d.createParameter(ctx, r, p)
	case "AWS::Events::EventBus":
		return d.createBus(ctx, r, p)
	case "AWS::Events::Rule":
		return d.createRule(ctx, r, p)
	case "AWS::Events::Archive":
		return d.createArchive(ctx, r, p)
	case "AWS::Cognito::UserPool":
		return d.createUserPool(ctx, r, p)
	case "AWS::Cognito::UserPoolClient":
		return d.createUserPoolClient(ctx, r, p)
	case "AWS::Logs::LogGroup":
		return d.createLogGroup(r, p)
	case "AWS::Serverless::Function":
		return d.createFunction(ctx, r, p)
	case "AWS::Serverless::StateMachine":
		return d.createStateMachine(ctx, r, p)
	}
	return fmt.Errorf("resource type %s is not supported", r.Type)
}

func (d *deployer) createBucket(ctx context.Context, r *template.Resource, p map[string]any) error {
	name := str(p, "BucketName")
	if name == "" {
		name = strings.ToLower(d.physicalName(r.LogicalID, 63))
	}
	versioned := str(obj(p, "VersioningConfiguration"), "Status") == "Enabled"
	if err := d.svc.Buckets.EnsureBucket(ctx, name, versioned); err != nil {
		return err
	}
	d.record(r.LogicalID, r.Type, name, map[string]any{
		"Arn":                 "arn:aws:s3:::" + name,
		"DomainName":          name + ".s3.amazonaws.com",
		"RegionalDomainName":  name + ".s3." + d.opts.Region + ".amazonaws.com",
		"DualStackDomainName": name + ".s3.dualstack." + d.opts.Region + ".amazonaws.com",
		"WebsiteURL":          "http://" + name + ".s3-website-" + d.opts.Region + ".amazonaws.com",
	})
	return nil
}

func (d *deployer) createQueue(ctx context.Context, r *template.Resource, p map[string]any) error {
	name := str(p, "QueueName")
	if name == "" {
		name = d.physicalName(r.LogicalID, 80)
		if boolean(p, "FifoQueue") {
			name = d.physicalName(r.LogicalID, 75) + ".fifo"
		}
	}
	attrs := map[string]string{}
	for _, k := range []string{"MessageRetentionPeriod", "VisibilityTimeout", "DelaySeconds", "MaximumMessageSize",
		"ReceiveMessageWaitTimeSeconds", "FifoQueue", "ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit"} {
		if _, ok := p[k]; ok {
			attrs[k] = str(p, k)
		}
	}
	for _, k := range []string{"RedrivePolicy", "RedriveAllowPolicy"} {
		if v, ok := p[k]; ok {
			if s, isStr := v.(string); isStr {
				attrs[k] = s
			} else {
				b, _ := json.Marshal(v)
				attrs[k] = string(b)
			}
		}
	}
	url, arn, err := d.svc.Queues.EnsureQueue(ctx, name, attrs)
	if err != nil {
		return err
	}
	d.record(r.LogicalID, r.Type, url, map[string]any{"Arn": arn, "QueueName": name, "QueueUrl": url})
	return nil
}

func (d *deployer) createParameter(ctx context.Context, r *template.Resource, p map[string]any) error {
	name := str(p, "Name")
	if name == "" {
		name = d.physicalName(r.LogicalID, 1000)
	}
	typ := str(p, "Type")
	if typ == "" {
		typ = "String"
	}
	if err := d.svc.Params.EnsureParameter(ctx, name, typ, str(p, "Value")); err != nil {
		return err
	}
	d.record(r.LogicalID, r.Type, name, map[string]any{"Type": typ, "Value": str(p, "Value")})
	return nil
}

func (d *deployer) createBus(ctx context.Context, r *template.Resource, p map[string]any) error {
	name := str(p, "Name")
	if name == "" {
		return fmt.Errorf("an event bus needs a Name")
	}
	arn, err := d.svc.Buses.EnsureBus(ctx, name)
	if err != nil {
		return err
	}
	d.record(r.LogicalID, r.Type, name, map[string]any{"Arn": arn, "Name": name})
	return nil
}

func patternString(v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "", nil
	case string:
		return x, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode event pattern: %w", err)
	}
	return string(b), nil
}

// busName accepts a bus name or ARN; empty means default.
func busName(v string) string {
	if i := strings.LastIndex(v, "event-bus/"); i >= 0 {
		return v[i+len("event-bus/"):]
	}
	if v == "" {
		return "default"
	}
	return v
}

func (d *deployer) createRule(ctx context.Context, r *template.Resource, p map[string]any) error {
	name := str(p, "Name")
	if name == "" {
		name = d.physicalName(r.LogicalID, 64)
	}
	pattern, err := patternString(p["EventPattern"])
	if err != nil {
		return err
	}
	spec := RuleSpec{Bus: busName(str(p, "EventBusName")), Name: name, Pattern: pattern, Description: str(p, "Description"),
		Enabled: str(p, "State") != "DISABLED"}
	for _, raw := range list(p, "Targets") {
		t, _ := raw.(map[string]any)
		ts := TargetSpec{ID: str(t, "Id"), ARN: str(t, "Arn"), Input: str(t, "Input"), InputPath: str(t, "InputPath"), MaxRetryAttempts: -1,
			DeadLetterARN: str(obj(t, "DeadLetterConfig"), "Arn")}
		if rp := obj(t, "RetryPolicy"); rp != nil {
			if n, ok := num(rp, "MaximumRetryAttempts"); ok {
				ts.MaxRetryAttempts = int(n)
			}
			if n, ok := num(rp, "MaximumEventAgeInSeconds"); ok {
				ts.MaxEventAgeSeconds = int(n)
			}
		}
		spec.Targets = append(spec.Targets, ts)
	}
	arn, err := d.svc.Buses.EnsureRule(ctx, spec)
	if err != nil {
		return err
	}
	d.record(r.LogicalID, r.Type, name, map[string]any{"Arn": arn})
	return nil
}

func (d *deployer) createArchive(ctx context.Context, r *template.Resource, p map[string]any) error {
	name := str(p, "ArchiveName")
	if name == "" {
		name = d.physicalName(r.LogicalID, 48)
	}
	pattern, err := patternString(p["EventPattern"])
	if err != nil {
		return err
	}
	days, _ := num(p, "RetentionDays")
	arn, err := d.svc.Buses.EnsureArchive(ctx, ArchiveSpec{Name: name, SourceARN: str(p, "SourceArn"), Pattern: pattern,
		Description: str(p, "Description"), RetentionDays: int(days)})
	if err != nil {
		return err
	}
	d.record(r.LogicalID, r.Type, name, map[string]any{"Arn": arn, "ArchiveName": name})
	return nil
}

func (d *deployer) createUserPool(ctx context.Context, r *template.Resource, p map[string]any) error {
	name := str(p, "UserPoolName")
	if name == "" {
		name = d.physicalName(r.LogicalID, 128)
	}
	pw := obj(obj(p, "Policies"), "PasswordPolicy")
	spec := PoolSpec{Name: name, MinLength: 8, RequireLowercase: true, RequireUppercase: true, RequireNumbers: true, RequireSymbols: true,
		AdminCreateUserOnly:  boolean(obj(p, "AdminCreateUserConfig"), "AllowAdminCreateUserOnly"),
		UsernameAttributes:   strList(p, "UsernameAttributes"),
		AutoVerifyAttributes: strList(p, "AutoVerifiedAttributes")}
	if pw != nil {
		if n, ok := num(pw, "MinimumLength"); ok {
			spec.MinLength = int(n)
		}
		spec.RequireLowercase = boolean(pw, "RequireLowercase")
		spec.RequireUppercase = boolean(pw, "RequireUppercase")
		spec.RequireNumbers = boolean(pw, "RequireNumbers")
		spec.RequireSymbols = boolean(pw, "RequireSymbols")
	}
	id, arn, err := d.svc.Identity.EnsureUserPool(ctx, spec)
	if err != nil {
		return err
	}
	d.record(r.LogicalID, r.Type, id, map[string]any{
		"Arn":          arn,
		"ProviderName": "cognito-idp." + d.opts.Region + ".amazonaws.com/" + id,
		"ProviderURL":  "https://cognito-idp." + d.opts.Region + ".amazonaws.com/" + id,
		"UserPoolId":   id,
	})
	return nil
}

func (d *deployer) createUserPoolClient(ctx context.Context, r *template.Resource, p map[string]any) error {
	name := str(p, "ClientName")
	if name == "" {
		name = d.physicalName(r.LogicalID, 128)
	}
	if boolean(p, "GenerateSecret") {
		return fmt.Errorf("GenerateSecret: true is not supported by the local cloud")
	}
	id, err := d.svc.Identity.EnsureUserPoolClient(ctx, str(p, "UserPoolId"), name, strList(p, "ExplicitAuthFlows"))
	if err != nil {
		return err
	}
	d.record(r.LogicalID, r.Type, id, map[string]any{"ClientId": id, "Name": name})
	return nil
}

func (d *deployer) createLogGroup(r *template.Resource, p map[string]any) error {
	name := str(p, "LogGroupName")
	if name == "" {
		name = "/aws/" + d.opts.Name + "/" + r.LogicalID
	}
	if err := d.svc.Logs.CreateGroup(name); err != nil {
		return err
	}
	d.record(r.LogicalID, r.Type, name, map[string]any{"Arn": d.arn("logs", "log-group:"+name+":*")})
	return nil
}

func (d *deployer) createFunction(ctx context.Context, r *template.Resource, p map[string]any) error {
	name := str(p, "FunctionName")
	if name == "" {
		name = d.physicalName(r.LogicalID, 64)
	}
	arn := d.arn("lambda", "function:"+name)
	dir, err := d.codeDir(r)
	if err != nil {
		return err
	}
	spec := FunctionSpec{LogicalID: r.LogicalID, Name: name, ARN: arn, Binary: d.bins[dir], Env: map[string]string{},
		Timeout: 3 * time.Second, Memory: 128, Tracing: str(p, "Tracing") == "Active",
		LogGroup: str(obj(p, "LoggingConfig"), "LogGroup")}
	if spec.Binary == "" {
		return fmt.Errorf("no binary was built for %s", dir)
	}
	if n, ok := num(p, "Timeout"); ok {
		spec.Timeout = time.Duration(n * float64(time.Second))
	}
	if n, ok := num(p, "MemorySize"); ok {
		spec.Memory = int(n)
	}
	if n, ok := num(p, "ReservedConcurrentExecutions"); ok {
		rc := int(n)
		spec.ReservedConcurrency = &rc
	}
	for k, v := range obj(obj(p, "Environment"), "Variables") {
		spec.Env[k] = scalar(v)
	}
	if dlq := obj(p, "DeadLetterQueue"); dlq != nil {
		if t := str(dlq, "Type"); t != "SQS" {
			return fmt.Errorf("DeadLetterQueue type %q is not supported locally (only SQS)", t)
		}
		spec.DeadLetterARN = str(dlq, "TargetArn")
	}
	eic := obj(p, "EventInvokeConfig")
	if n, ok := num(eic, "MaximumRetryAttempts"); ok {
		retries := int(n)
		spec.MaxRetryAttempts = &retries
	}
	if n, ok := num(eic, "MaximumEventAgeInSeconds"); ok {
		spec.MaxEventAge = time.Duration(n) * time.Second
	}
	if dest := obj(obj(eic, "DestinationConfig"), "OnFailure"); dest != nil {
		if t := str(dest, "Type"); t != "" && t != "SQS" {
			return fmt.Errorf("EventInvokeConfig OnFailure destination type %q is not supported locally (only SQS)", t)
		}
		spec.OnFailureARN = str(dest, "Destination")
	}
	if err := d.svc.Functions.AddFunction(ctx, spec); err != nil {
		return err
	}
	d.record(r.LogicalID, r.Type, name, map[string]any{"Arn": arn})
	return d.functionEvents(ctx, r, p, name, arn)
}

func (d *deployer) functionEvents(ctx context.Context, r *template.Resource, p map[string]any, fnName, fnARN string) error {
	events := obj(p, "Events")
	for _, evName := range sortedKeys(events) {
		ev, _ := events[evName].(map[string]any)
		ep := obj(ev, "Properties")
		switch str(ev, "Type") {
		case "Api":
			if err := d.addRoute(r.LogicalID, evName, ep, fnName); err != nil {
				return err
			}
		case "EventBridgeRule":
			pattern, err := patternString(ep["Pattern"])
			if err != nil {
				return err
			}
			name := str(ep, "RuleName")
			if name == "" {
				name = d.physicalName(r.LogicalID+evName, 64)
			}
			target := TargetSpec{ID: str(obj(ep, "Target"), "Id"), ARN: fnARN, Input: str(ep, "Input"), InputPath: str(ep, "InputPath"),
				MaxRetryAttempts: -1, DeadLetterARN: str(obj(ep, "DeadLetterConfig"), "Arn")}
			if target.ID == "" {
				target.ID = r.LogicalID + evName + "LambdaTarget"
			}
			if rp := obj(ep, "RetryPolicy"); rp != nil {
				if n, ok := num(rp, "MaximumRetryAttempts"); ok {
					target.MaxRetryAttempts = int(n)
				}
				if n, ok := num(rp, "MaximumEventAgeInSeconds"); ok {
					target.MaxEventAgeSeconds = int(n)
				}
			}
			arn, err := d.svc.Buses.EnsureRule(ctx, RuleSpec{Bus: busName(str(ep, "EventBusName")), Name: name, Pattern: pattern,
				Enabled: str(ep, "State") != "DISABLED", Targets: []TargetSpec{target}})
			if err != nil {
				return fmt.Errorf("event %s: %w", evName, err)
			}
			d.record(r.LogicalID+evName, "AWS::Events::Rule", name, map[string]any{"Arn": arn})
		}
	}
	return nil
}

func (d *deployer) createStateMachine(ctx context.Context, r *template.Resource, p map[string]any) error {
	name := str(p, "Name")
	if name == "" {
		name = d.physicalName(r.LogicalID, 80)
	}
	var def string
	switch {
	case p["Definition"] != nil:
		b, err := json.Marshal(p["Definition"])
		if err != nil {
			return fmt.Errorf("encode Definition: %w", err)
		}
		def = string(b)
	case str(p, "DefinitionUri") != "":
		b, err := os.ReadFile(filepath.Join(d.opts.BaseDir, str(p, "DefinitionUri")))
		if err != nil {
			return fmt.Errorf("read DefinitionUri: %w", err)
		}
		def = string(b)
	default:
		return fmt.Errorf("a state machine needs Definition or DefinitionUri")
	}
	for k, v := range obj(p, "DefinitionSubstitutions") {
		def = strings.ReplaceAll(def, "${"+k+"}", scalar(v))
	}
	typ := str(p, "Type")
	if typ == "" {
		typ = "STANDARD"
	}
	spec := StateMachineSpec{Name: name, Type: typ, Definition: def,
		RoleARN: d.arn("iam", "role/"+d.physicalName(r.LogicalID+"Role", 64)),
		Tracing: boolean(obj(p, "Tracing"), "Enabled")}
	spec.RoleARN = strings.Replace(spec.RoleARN, ":"+d.opts.Region+":", "::", 1)
	if lg := obj(p, "Logging"); lg != nil {
		spec.LogLevel = str(lg, "Level")
		spec.IncludeExecutionData = boolean(lg, "IncludeExecutionData")
		for _, dst := range list(lg, "Destinations") {
			m, _ := dst.(map[string]any)
			if a := str(obj(m, "CloudWatchLogsLogGroup"), "LogGroupArn"); a != "" {
				spec.LogGroupARN = a
			}
		}
	}
	arn, err := d.svc.StateMachines.EnsureStateMachine(ctx, spec)
	if err != nil {
		return err
	}
	d.record(r.LogicalID, r.Type, arn, map[string]any{"Arn": arn, "Name": name})
	return nil
}
