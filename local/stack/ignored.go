package stack

import (
	"fmt"
	"sort"

	"github.com/dragons-dev/dragons/local/template"
)

// noLocalBehaviour lists, per resource type, the properties the local cloud
// accepts but does not apply, and why. Descriptions are not listed: they
// change nothing anywhere.
var noLocalBehaviour = map[string]map[string]string{
	"AWS::S3::Bucket": {
		"BucketEncryption":               "objects are stored unencrypted under the data directory",
		"PublicAccessBlockConfiguration": "the local S3 serves loopback only and has no public access to block",
		"LifecycleConfiguration":         "objects and versions never expire locally",
		"OwnershipControls":              "ACLs and object ownership are not modelled",
		"CorsConfiguration":              "S3 CORS rules are not applied",
		"Tags":                           "tags are not kept",
	},
	"AWS::SQS::Queue": {
		"SqsManagedSseEnabled":         "messages are stored unencrypted",
		"KmsMasterKeyId":               "messages are stored unencrypted",
		"KmsDataKeyReusePeriodSeconds": "messages are stored unencrypted",
		"Tags":                         "tags are not kept",
	},
	"AWS::SSM::Parameter": {
		"Tier":           "every parameter is stored alike",
		"DataType":       "values are not validated as the data type",
		"AllowedPattern": "values are not validated against the pattern",
		"Tags":           "tags are not kept",
	},
	"AWS::Events::EventBus": {"Tags": "tags are not kept"},
	"AWS::Cognito::UserPool": {
		"Schema":                      "custom attribute schemas are not enforced",
		"AccountRecoverySetting":      "no recovery messages are sent",
		"MfaConfiguration":            "MFA is not offered",
		"DeletionProtection":          "stacks are not deleted locally",
		"UserPoolTags":                "tags are not kept",
		"EmailConfiguration":          "no email is sent",
		"UsernameConfiguration":       "user names keep their case as given",
		"VerificationMessageTemplate": "no messages are sent",
	},
	"AWS::Cognito::UserPoolClient": {
		"PreventUserExistenceErrors":      "not applied to the local pool's sign-in errors",
		"AccessTokenValidity":             "tokens use the local pool's fixed validity",
		"IdTokenValidity":                 "tokens use the local pool's fixed validity",
		"RefreshTokenValidity":            "tokens use the local pool's fixed validity",
		"TokenValidityUnits":              "tokens use the local pool's fixed validity",
		"SupportedIdentityProviders":      "only the pool's own users sign in",
		"AllowedOAuthFlows":               "there is no hosted UI or OAuth endpoint",
		"AllowedOAuthScopes":              "there is no hosted UI or OAuth endpoint",
		"AllowedOAuthFlowsUserPoolClient": "there is no hosted UI or OAuth endpoint",
		"CallbackURLs":                    "there is no hosted UI or OAuth endpoint",
		"LogoutURLs":                      "there is no hosted UI or OAuth endpoint",
		"EnableTokenRevocation":           "tokens cannot be revoked locally",
	},
	"AWS::Logs::LogGroup": {
		"RetentionInDays": "log events are kept until the data directory is removed",
		"KmsKeyId":        "log events are stored unencrypted",
		"LogGroupClass":   "every log group is stored alike",
		"Tags":            "tags are not kept",
	},
	"AWS::Serverless::Function": {
		"Architectures":    "built for this machine's architecture",
		"MemorySize":       "reported to the function, not enforced",
		"Policies":         "IAM is not enforced locally",
		"Role":             "IAM is not enforced locally",
		"AutoPublishAlias": "no versions or aliases locally",
		"Tags":             "tags are not kept",
		"PropagateTags":    "tags are not kept",
	},
	"AWS::Serverless::StateMachine": {
		"Policies":      "IAM is not enforced locally",
		"Role":          "IAM is not enforced locally",
		"Tags":          "tags are not kept",
		"PropagateTags": "tags are not kept",
	},
	"AWS::Serverless::Api": {
		"CacheClusterSize":      "the local cache is bounded by memory, not by size",
		"OpenApiVersion":        "no OpenAPI document is generated locally",
		"EndpointConfiguration": "the API is served on a loopback address",
		"Tags":                  "tags are not kept",
		"PropagateTags":         "tags are not kept",
	},
}

// Nested keys with no local behaviour.
var (
	ignoredMethodSettings = map[string]string{
		"MetricsEnabled":     "no CloudWatch metrics locally",
		"LoggingLevel":       "no execution logs locally (access logs are written)",
		"DataTraceEnabled":   "no execution logs locally (access logs are written)",
		"CacheDataEncrypted": "the cache is held in memory",
	}
	ignoredLoggingConfig = map[string]string{
		"LogFormat":           "function output is stored as written",
		"ApplicationLogLevel": "function output is not filtered by level",
		"SystemLogLevel":      "platform lines are not filtered by level",
	}
	ignoredAuthorizerKeys = map[string]string{
		"Identity":            "the token is read from the Authorization header",
		"AuthorizationScopes": "scopes are not checked (ID tokens carry none)",
	}
)

// noteIgnored records which properties of a created resource have no local
// behaviour, as "Resource.Property: reason".
func (d *deployer) noteIgnored(r *template.Resource) {
	props := r.Properties
	add := func(path, reason string) {
		d.stack.IgnoredProperties = append(d.stack.IgnoredProperties, fmt.Sprintf("%s.%s: %s", r.LogicalID, path, reason))
	}
	for _, k := range sortedKeys(props) {
		if reason, ok := noLocalBehaviour[r.Type][k]; ok {
			if d.fromGlobals(r.Type, k) {
				reason += " (set in Globals)"
			}
			add(k, reason)
		}
	}
	switch r.Type {
	case "AWS::Serverless::Function":
		lc, _ := props["LoggingConfig"].(map[string]any)
		for _, k := range sortedKeys(lc) {
			if reason, ok := ignoredLoggingConfig[k]; ok {
				if d.fromGlobals(r.Type, "LoggingConfig") {
					reason += " (set in Globals)"
				}
				add("LoggingConfig."+k, reason)
			}
		}
		dc, _ := obj(props, "EventInvokeConfig")["DestinationConfig"].(map[string]any)
		if dc["OnSuccess"] != nil {
			add("EventInvokeConfig.DestinationConfig.OnSuccess", "successful async invocations are not sent anywhere")
		}
		events, _ := props["Events"].(map[string]any)
		for _, name := range sortedKeys(events) {
			ev, _ := events[name].(map[string]any)
			ep, _ := ev["Properties"].(map[string]any)
			if _, ok := ep["RequestModel"]; ok {
				add("Events."+name+".RequestModel", "request bodies are not validated against the model")
			}
		}
	case "AWS::Serverless::Api":
		if als, _ := props["AccessLogSetting"].(map[string]any); als["Format"] != nil {
			add("AccessLogSetting.Format", "access log lines use a fixed JSON format")
		}
		auth, _ := props["Auth"].(map[string]any)
		for _, k := range sortedKeys(auth) {
			switch k {
			case "DefaultAuthorizer", "Authorizers":
			case "AddDefaultAuthorizerToCorsPreflight":
				if boolean(auth, k) {
					add("Auth."+k, "CORS preflights are answered without authorization")
				}
			default:
				add("Auth."+k, "not implemented by the local API Gateway")
			}
		}
		authorizers, _ := auth["Authorizers"].(map[string]any)
		for _, name := range sortedKeys(authorizers) {
			a, _ := authorizers[name].(map[string]any)
			for _, k := range sortedKeys(a) {
				if reason, ok := ignoredAuthorizerKeys[k]; ok {
					add("Auth.Authorizers."+name+"."+k, reason)
				}
			}
		}
		seen := map[string]bool{}
		for _, raw := range list(props, "MethodSettings") {
			m, _ := raw.(map[string]any)
			for _, k := range sortedKeys(m) {
				if reason, ok := ignoredMethodSettings[k]; ok && !seen[k] {
					seen[k] = true
					add("MethodSettings."+k, reason)
				}
			}
		}
	}
}

// fromGlobals reports whether a resource type's Globals section sets key.
func (d *deployer) fromGlobals(typ, key string) bool {
	_, ok := d.t.Globals[globalSection[typ]][key]
	return ok
}

// globalSection maps the SAM types this package deploys to their Globals
// section.
var globalSection = map[string]string{
	"AWS::Serverless::Function":     "Function",
	"AWS::Serverless::Api":          "Api",
	"AWS::Serverless::StateMachine": "StateMachine",
}

func sortIgnored(s *Stack) {
	sort.Strings(s.Ignored)
	sort.Strings(s.IgnoredProperties)
}
