package stack

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/dragons-dev/dragons/local/apigw"
	"github.com/dragons-dev/dragons/local/template"
)

// implicitAPI is SAM's API for Api events that name no RestApiId.
const implicitAPI = "ServerlessRestApi"

func (d *deployer) declareAPI(r *template.Resource) error {
	p, err := d.props(r)
	if err != nil {
		return err
	}
	id := d.apiID(r.LogicalID)
	stage := str(p, "StageName")
	if stage == "" {
		return fmt.Errorf("an API needs a StageName")
	}
	name := str(p, "Name")
	if name == "" {
		name = d.physicalName(r.LogicalID, 128)
	}
	a := &apiState{logicalID: r.LogicalID, authorizers: map[string]AuthorizerSpec{}, cacheOn: boolean(p, "CacheClusterEnabled")}
	a.cfg = apigw.Config{ID: id, Name: name, Stage: stage, Tracing: boolean(p, "TracingEnabled")}
	switch c := p["Cors"].(type) {
	case string:
		a.cfg.Cors = &apigw.Cors{AllowOrigin: unquote(c), AllowMethods: "*", AllowHeaders: "*"}
	case map[string]any:
		a.cfg.Cors = &apigw.Cors{AllowOrigin: unquote(str(c, "AllowOrigin")), AllowHeaders: unquote(str(c, "AllowHeaders")),
			AllowMethods: unquote(str(c, "AllowMethods")), MaxAge: unquote(str(c, "MaxAge")), AllowCredentials: boolean(c, "AllowCredentials")}
	}
	auth := obj(p, "Auth")
	a.defaultAuth = str(auth, "DefaultAuthorizer")
	for authName, raw := range obj(auth, "Authorizers") {
		m, _ := raw.(map[string]any)
		var arns []string
		switch v := m["UserPoolArn"].(type) {
		case string:
			arns = []string{v}
		case []any:
			for _, x := range v {
				if s, ok := x.(string); ok {
					arns = append(arns, s)
				}
			}
		}
		if len(arns) == 0 {
			return fmt.Errorf("authorizer %s: only Cognito authorizers (UserPoolArn) are supported locally", authName)
		}
		a.authorizers[authName] = AuthorizerSpec{UserPoolARNs: arns}
	}
	if a.defaultAuth != "" && a.defaultAuth != "AWS_IAM" && a.authorizers[a.defaultAuth].UserPoolARNs == nil {
		return fmt.Errorf("DefaultAuthorizer %s is not defined in Auth.Authorizers", a.defaultAuth)
	}
	for _, raw := range list(p, "MethodSettings") {
		m, _ := raw.(map[string]any)
		ms := methodSetting{path: decodeResourcePath(str(m, "ResourcePath")), method: str(m, "HttpMethod"),
			caching: boolean(m, "CachingEnabled"), ttl: 300 * time.Second}
		if n, ok := num(m, "CacheTtlInSeconds"); ok {
			ms.ttl = time.Duration(n) * time.Second
		}
		// API Gateway's per-key invalidation settings. CloudFormation's
		// Stage MethodSetting has no such properties (cfn-lint rejects them,
		// and on AWS they are set with UpdateStage), so templates meant for
		// AWS leave them out and get API Gateway's defaults: authorization
		// required, SUCCEED_WITH_RESPONSE_HEADER.
		if _, ok := m["RequireAuthorizationForCacheControl"]; ok {
			v := boolean(m, "RequireAuthorizationForCacheControl")
			ms.requireAuth = &v
		}
		switch v := str(m, "UnauthorizedCacheControlHeaderStrategy"); v {
		case "", apigw.FailWith403, apigw.SucceedWithResponseHeader, apigw.SucceedWithoutResponseHeader:
			ms.strategy = v
		default:
			return fmt.Errorf("MethodSettings: UnauthorizedCacheControlHeaderStrategy %q is not one of %s, %s, %s", v,
				apigw.FailWith403, apigw.SucceedWithResponseHeader, apigw.SucceedWithoutResponseHeader)
		}
		if n, ok := num(m, "ThrottlingRateLimit"); ok {
			ms.throttleRate = n
		}
		if n, ok := num(m, "ThrottlingBurstLimit"); ok {
			ms.throttleBurst = int(n)
		}
		if ms.path == "/*" && ms.method == "*" {
			a.cfg.ThrottleRate, a.cfg.ThrottleBurst = ms.throttleRate, ms.throttleBurst
		}
		a.methods = append(a.methods, ms)
	}
	if dst := str(obj(p, "AccessLogSetting"), "DestinationArn"); dst != "" {
		a.cfg.AccessLogGroup = logGroupFromARN(dst)
	}
	d.apis[id] = a
	d.record(r.LogicalID, r.Type, id, map[string]any{"RootResourceId": shortHash(id + "/")})
	return nil
}

// decodeResourcePath turns a method setting's ResourcePath ("/~1dragons", where
// ~1 escapes the resource's slashes) into the resource path ("/dragons"); "/*"
// stays as it is.
func decodeResourcePath(p string) string {
	if p == "/*" || p == "" {
		return p
	}
	return strings.ReplaceAll(strings.TrimPrefix(p, "/"), "~1", "/")
}

func logGroupFromARN(arn string) string {
	_, rest, ok := strings.Cut(arn, ":log-group:")
	if !ok {
		return arn
	}
	return strings.TrimSuffix(rest, ":*")
}

func (d *deployer) addRoute(fnID, evName string, ep map[string]any, fnName string) error {
	apiID := str(ep, "RestApiId")
	if apiID == "" {
		apiID = d.apiID(implicitAPI)
		if _, ok := d.apis[apiID]; !ok {
			d.apis[apiID] = &apiState{logicalID: implicitAPI, implicit: true, authorizers: map[string]AuthorizerSpec{},
				cfg: apigw.Config{ID: apiID, Name: d.opts.Name, Stage: "Prod"}}
			d.record(implicitAPI, "AWS::Serverless::Api", apiID, map[string]any{"RootResourceId": shortHash(apiID + "/")})
		}
	}
	a, ok := d.apis[apiID]
	if !ok {
		return fmt.Errorf("%s event %s: RestApiId %q is not an API of this template", fnID, evName, apiID)
	}
	route := apigw.Route{Method: strings.ToUpper(str(ep, "Method")), Path: str(ep, "Path"), Function: fnName, Authorizer: a.defaultAuth}
	if route.Authorizer == "AWS_IAM" {
		return fmt.Errorf("%s event %s: AWS_IAM authorization is not supported locally", fnID, evName)
	}
	if route.Method == "ANY" || route.Method == "X-AMAZON-APIGATEWAY-ANY-METHOD" {
		route.Method = "ANY"
	}
	if auth := obj(ep, "Auth"); auth != nil {
		switch n := str(auth, "Authorizer"); n {
		case "":
		case "NONE":
			route.Authorizer = ""
		default:
			if _, ok := a.authorizers[n]; !ok {
				return fmt.Errorf("%s event %s: authorizer %s is not defined on the API", fnID, evName, n)
			}
			route.Authorizer = n
		}
	}
	// A request parameter is a cache key only when declared with Caching:
	// true; SAM's plain string entries mean Required: false, Caching: false.
	for _, raw := range list(ep, "RequestParameters") {
		switch v := raw.(type) {
		case map[string]any:
			for k, cfg := range v {
				if boolean(cfgMap(cfg), "Caching") {
					route.CacheKeys = append(route.CacheKeys, k)
				}
			}
		}
	}
	sort.Strings(route.CacheKeys)
	a.cfg.Routes = append(a.cfg.Routes, route)
	return nil
}

func cfgMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// setting returns the most specific method setting for a route.
func (a *apiState) setting(route apigw.Route) (methodSetting, bool) {
	return a.mostSpecific(route, func(methodSetting) bool { return true })
}

// mostSpecific returns the most specific method setting for a route among
// those for which has is true.
func (a *apiState) mostSpecific(route apigw.Route, has func(methodSetting) bool) (methodSetting, bool) {
	best, score := methodSetting{}, -1
	for _, m := range a.methods {
		if !has(m) {
			continue
		}
		s := 0
		switch {
		case m.path == route.Path:
			s += 2
		case m.path == "/*":
		default:
			continue
		}
		switch {
		case strings.EqualFold(m.method, route.Method):
			s++
		case m.method == "*":
		default:
			continue
		}
		if s > score {
			best, score = m, s
		}
	}
	return best, score >= 0
}

// cacheControl applies the per-key invalidation settings to a cached route:
// each comes from the most specific method setting that sets it.
func (a *apiState) cacheControl(route *apigw.Route) {
	route.RequireAuthorizationForCacheControl = true
	if ms, ok := a.mostSpecific(*route, func(m methodSetting) bool { return m.requireAuth != nil }); ok {
		route.RequireAuthorizationForCacheControl = *ms.requireAuth
	}
	route.UnauthorizedCacheControlHeaderStrategy = apigw.SucceedWithResponseHeader
	if ms, ok := a.mostSpecific(*route, func(m methodSetting) bool { return m.strategy != "" }); ok {
		route.UnauthorizedCacheControlHeaderStrategy = ms.strategy
	}
}

func (d *deployer) startAPIs(ctx context.Context) error {
	ids := make([]string, 0, len(d.apis))
	for id := range d.apis {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		a := d.apis[id]
		for i, route := range a.cfg.Routes {
			// A method's own throttling settings override the stage's.
			if ms, ok := a.mostSpecific(route, func(m methodSetting) bool { return m.throttleRate > 0 }); ok && (ms.path != "/*" || ms.method != "*") {
				a.cfg.Routes[i].ThrottleRate, a.cfg.Routes[i].ThrottleBurst = ms.throttleRate, ms.throttleBurst
			}
			if ms, ok := a.setting(route); ok && a.cacheOn && ms.caching && route.Method == "GET" {
				a.cfg.Routes[i].Cache = true
				a.cfg.Routes[i].CacheTTL = ms.ttl
				a.cacheControl(&a.cfg.Routes[i])
			}
		}
		if d.svc.APIs == nil {
			return fmt.Errorf("the template has an API but no API Gateway is configured")
		}
		url, err := d.svc.APIs.StartAPI(ctx, a.cfg, a.authorizers)
		if err != nil {
			return fmt.Errorf("start API %s: %w", a.logicalID, err)
		}
		d.stack.APIURLs[a.logicalID] = url
		d.stack.Resources[a.logicalID].Attrs["Url"] = url
	}
	return nil
}
