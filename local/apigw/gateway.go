package apigw

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/dragons-dev/dragons/local/awsproto"
	"github.com/dragons-dev/dragons/local/tracing"
)

// Limits API Gateway enforces.
const (
	MaxBody            = 10 << 20
	IntegrationTimeout = 29 * time.Second
)

// Deps are what a Gateway calls out to. Logs and Tracer may be nil.
type Deps struct {
	Invoker     Invoker
	Authorizers map[string]Authorizer
	Logs        LogSink
	Tracer      Tracer
	Now         func() time.Time
}

// Gateway serves one REST API stage.
type Gateway struct {
	cfg    Config
	deps   Deps
	routes []*compiledRoute
	cache  *responseCache
	bucket *tokenBucket
	srv    *http.Server
	ln     net.Listener
}

// New builds a Gateway.
func New(cfg Config, deps Deps) (*Gateway, error) {
	if deps.Invoker == nil {
		return nil, errors.New("apigw: an Invoker is required")
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	g := &Gateway{cfg: cfg, deps: deps, cache: newResponseCache()}
	for _, r := range cfg.Routes {
		cr, err := compileRoute(r)
		if err != nil {
			return nil, err
		}
		if r.ThrottleRate > 0 {
			cr.bucket = newTokenBucket(r.ThrottleRate, r.ThrottleBurst, deps.Now)
		}
		if r.Authorizer != "" && deps.Authorizers[r.Authorizer] == nil {
			return nil, fmt.Errorf("route %s %s: authorizer %q is not configured", r.Method, r.Path, r.Authorizer)
		}
		g.routes = append(g.routes, cr)
	}
	// Literal segments win over parameters, parameters over greedy paths.
	sort.SliceStable(g.routes, func(i, j int) bool { return g.routes[i].rank() > g.routes[j].rank() })
	if cfg.ThrottleRate > 0 {
		g.bucket = newTokenBucket(cfg.ThrottleRate, cfg.ThrottleBurst, deps.Now)
	}
	return g, nil
}

// Start listens on addr and serves in the background; it returns the bound address.
func (g *Gateway) Start(addr string) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("listen on %s: %w", addr, err)
	}
	g.ln = ln
	g.srv = &http.Server{Handler: g, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = g.srv.Serve(ln) }()
	return ln.Addr().String(), nil
}

// Close stops the server.
func (g *Gateway) Close(ctx context.Context) error {
	if g.srv == nil {
		return nil
	}
	return g.srv.Shutdown(ctx)
}

// FlushCache empties the stage cache.
func (g *Gateway) FlushCache() { g.cache.flush() }

type compiledRoute struct {
	Route
	segs   []string
	bucket *tokenBucket // nil: the stage's
}

func compileRoute(r Route) (*compiledRoute, error) {
	if !strings.HasPrefix(r.Path, "/") {
		return nil, fmt.Errorf("route path %q must start with /", r.Path)
	}
	segs := splitPath(r.Path)
	for i, s := range segs {
		if strings.HasSuffix(s, "+}") && i != len(segs)-1 {
			return nil, fmt.Errorf("route path %q: a greedy parameter must be last", r.Path)
		}
	}
	r.Method = strings.ToUpper(r.Method)
	return &compiledRoute{Route: r, segs: segs}, nil
}

func splitPath(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

func (c *compiledRoute) rank() int {
	n := 0
	for _, s := range c.segs {
		switch {
		case strings.HasSuffix(s, "+}"):
		case strings.HasPrefix(s, "{"):
			n += 1
		default:
			n += 100
		}
	}
	return n*10 + len(c.segs)
}

// match returns the path parameters when the request path fits the route.
func (c *compiledRoute) match(segs []string) (map[string]string, bool) {
	params := map[string]string{}
	for i, s := range c.segs {
		if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "+}") {
			if i >= len(segs) {
				return nil, false
			}
			params[s[1:len(s)-2]] = strings.Join(segs[i:], "/")
			return params, true
		}
		if i >= len(segs) {
			return nil, false
		}
		if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
			params[s[1:len(s)-1]] = segs[i]
			continue
		}
		if s != segs[i] {
			return nil, false
		}
	}
	return params, len(segs) == len(c.segs)
}

// gatewayError writes one of API Gateway's own error responses.
func (g *Gateway) gatewayError(w http.ResponseWriter, status int, msg string, errType string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", errType)
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]string{"message": msg})
	_, _ = w.Write(b)
}

// ServeHTTP handles one request to the stage.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := g.deps.Now()
	reqID := awsproto.NewRequestID()
	rec := &recorder{ResponseWriter: w, status: http.StatusOK}
	w = rec
	w.Header().Set("X-Amzn-RequestId", reqID)
	w.Header().Set("X-Amz-Apigw-Id", strings.ReplaceAll(reqID[:13], "-", "")+"=")

	// The stage segment: continue the caller's trace or start one.
	segID := tracing.NewSegmentID()
	callerTrace := tracing.ParseHeader(r.Header.Get("X-Amzn-Trace-Id"))
	childTrace := callerTrace.Child(segID, start)
	w.Header().Set("X-Amzn-Trace-Id", childTrace.String())
	var resource string
	defer func() {
		end := g.deps.Now()
		if g.cfg.Tracing && g.deps.Tracer != nil {
			g.deps.Tracer.RecordStage(StageSegment{Name: g.cfg.Name + "/" + g.cfg.Stage, ID: segID, TraceHeader: childTrace.String(),
				Start: start, End: end, Method: r.Method, URL: r.URL.String(), Status: rec.status})
		}
		g.accessLog(r, reqID, resource, rec, start, end)
	}()

	segs := splitPath(r.URL.Path)
	var route *compiledRoute
	var params map[string]string
	pathExists := false
	for _, c := range g.routes {
		p, ok := c.match(segs)
		if !ok {
			continue
		}
		pathExists = true
		if c.Method == r.Method || c.Method == "ANY" {
			route, params = c, p
			break
		}
	}
	// A method with its own throttling settings has its own bucket; the
	// others share the stage's.
	bucket := g.bucket
	if route != nil && route.bucket != nil {
		bucket = route.bucket
	}
	if bucket != nil && !bucket.take() {
		g.gatewayError(w, http.StatusTooManyRequests, "Too Many Requests", "TooManyRequestsException")
		return
	}
	if r.Method == http.MethodOptions && g.cfg.Cors != nil && pathExists && (route == nil || route.Method == "ANY") {
		g.preflight(w)
		return
	}
	if route == nil {
		g.gatewayError(w, http.StatusForbidden, "Missing Authentication Token", "MissingAuthenticationTokenException")
		return
	}
	resource = route.Path
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
	if err != nil {
		g.gatewayError(w, http.StatusBadRequest, "Bad Request", "BadRequestException")
		return
	}
	if len(body) > MaxBody {
		g.gatewayError(w, http.StatusRequestEntityTooLarge, "Request Too Long", "RequestTooLongException")
		return
	}
	var claims map[string]any
	if route.Authorizer != "" {
		token := r.Header.Get("Authorization")
		if t, ok := strings.CutPrefix(token, "Bearer "); ok {
			token = t
		}
		if token == "" {
			g.gatewayError(w, http.StatusUnauthorized, "Unauthorized", "UnauthorizedException")
			return
		}
		claims, err = g.deps.Authorizers[route.Authorizer].Authorize(r.Context(), strings.TrimSpace(token))
		if err != nil {
			g.gatewayError(w, http.StatusUnauthorized, "Unauthorized", "UnauthorizedException")
			return
		}
	}

	ttl := g.cfg.CacheTTL
	if route.CacheTTL > 0 {
		ttl = route.CacheTTL
	}
	cacheable := route.Cache && ttl > 0 && r.Method == http.MethodGet
	var key string
	if cacheable {
		key = cacheKey(route, r)
		refresh := false
		if asksRefresh(r.Header) {
			switch {
			case !route.RequireAuthorizationForCacheControl || signedWithSigV4(r):
				refresh = true
			case route.UnauthorizedCacheControlHeaderStrategy == FailWith403:
				g.gatewayError(w, http.StatusForbidden, "Forbidden", "AccessDeniedException")
				return
			case route.UnauthorizedCacheControlHeaderStrategy == SucceedWithoutResponseHeader:
			default:
				w.Header().Set("Warning", unauthorizedCacheControlWarning)
			}
		}
		if !refresh {
			if resp, ok := g.cache.get(key, g.deps.Now()); ok {
				w.Header().Set("X-Local-Cache", "hit")
				resp.write(w)
				return
			}
		}
		w.Header().Set("X-Local-Cache", "miss")
	}

	event := g.proxyEvent(r, route, params, body, claims, reqID, start)
	payload, err := json.Marshal(event)
	if err != nil {
		g.gatewayError(w, http.StatusInternalServerError, "Internal server error", "InternalServerErrorException")
		return
	}
	// The integration outlives a client that hangs up, as on AWS: a
	// disconnect must not cancel (and so kill) a function mid-invocation.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), IntegrationTimeout)
	defer cancel()
	out, fnErr, err := g.deps.Invoker.Invoke(ctx, route.Function, payload, childTrace.String())
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			g.gatewayError(w, http.StatusGatewayTimeout, "Endpoint request timed out", "IntegrationTimeoutException")
			return
		}
		if awsproto.IsCode(err, "TooManyRequestsException") {
			g.gatewayError(w, http.StatusTooManyRequests, "Too Many Requests", "TooManyRequestsException")
			return
		}
		g.gatewayError(w, http.StatusInternalServerError, "Internal server error", "InternalServerErrorException")
		return
	}
	if fnErr != "" {
		g.gatewayError(w, http.StatusBadGateway, "Internal server error", "InternalServerErrorException")
		return
	}
	resp, err := parseProxyResponse(out)
	if err != nil {
		g.gatewayError(w, http.StatusBadGateway, "Internal server error", "InternalServerErrorException")
		return
	}
	if cacheable && resp.status >= 200 && resp.status < 300 {
		g.cache.put(key, resp, g.deps.Now().Add(ttl))
	}
	resp.write(w)
}

func (g *Gateway) preflight(w http.ResponseWriter) {
	c := g.cfg.Cors
	h := w.Header()
	if c.AllowOrigin != "" {
		h.Set("Access-Control-Allow-Origin", c.AllowOrigin)
	}
	if c.AllowHeaders != "" {
		h.Set("Access-Control-Allow-Headers", c.AllowHeaders)
	}
	if c.AllowMethods != "" {
		h.Set("Access-Control-Allow-Methods", c.AllowMethods)
	}
	if c.MaxAge != "" {
		h.Set("Access-Control-Max-Age", c.MaxAge)
	}
	if c.AllowCredentials {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	h.Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte("{}"))
}

// unauthorizedCacheControlWarning tells a caller that its Cache-Control
// header was ignored.
const unauthorizedCacheControlWarning = `199 - "Cache-Control header ignored: the caller is not authorized to invalidate the cache"`

// asksRefresh reports whether the request carries Cache-Control: max-age=0.
func asksRefresh(h http.Header) bool {
	for _, v := range h.Values("Cache-Control") {
		for _, d := range strings.Split(v, ",") {
			name, val, _ := strings.Cut(strings.TrimSpace(d), "=")
			if strings.EqualFold(name, "max-age") && strings.Trim(val, `"`) == "0" {
				return true
			}
		}
	}
	return false
}

// signedWithSigV4 reports whether the request is signed as an IAM caller's
// (header or presigned query). The signature is not checked: the local cloud
// accepts any credentials.
func signedWithSigV4(r *http.Request) bool {
	return strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") || r.URL.Query().Get("X-Amz-Signature") != ""
}

// cacheKey is the method, the path, and only the declared cache-key parameters.
func cacheKey(route *compiledRoute, r *http.Request) string {
	var b strings.Builder
	b.WriteString(r.Method + " " + r.URL.Path)
	keys := append([]string(nil), route.CacheKeys...)
	sort.Strings(keys)
	q := r.URL.Query()
	for _, k := range keys {
		switch {
		case strings.HasPrefix(k, "method.request.querystring."):
			name := strings.TrimPrefix(k, "method.request.querystring.")
			vals := q[name]
			b.WriteString("\x00q:" + name + "=" + strings.Join(vals, "\x01"))
			if vals == nil {
				b.WriteString("\x02absent")
			}
		case strings.HasPrefix(k, "method.request.header."):
			name := strings.TrimPrefix(k, "method.request.header.")
			b.WriteString("\x00h:" + name + "=" + strings.Join(r.Header.Values(name), "\x01"))
		}
	}
	return b.String()
}

// proxyEvent builds the Lambda proxy integration event (payload format 1.0).
func (g *Gateway) proxyEvent(r *http.Request, route *compiledRoute, params map[string]string, body []byte, claims map[string]any, reqID string, now time.Time) map[string]any {
	headers := map[string]any{}
	multiHeaders := map[string]any{}
	for k, vs := range r.Header {
		headers[k] = vs[len(vs)-1]
		multiHeaders[k] = vs
	}
	if r.Host != "" {
		headers["Host"] = r.Host
		multiHeaders["Host"] = []string{r.Host}
	}
	var query, multiQuery any
	if q := r.URL.Query(); len(q) > 0 {
		qs, mq := map[string]any{}, map[string]any{}
		for k, vs := range q {
			qs[k] = vs[len(vs)-1]
			mq[k] = vs
		}
		query, multiQuery = qs, mq
	}
	var pathParams any
	if len(params) > 0 {
		pathParams = params
	}
	var bodyVal any
	isB64 := false
	if len(body) > 0 {
		if utf8.Valid(body) {
			bodyVal = string(body)
		} else {
			bodyVal = base64.StdEncoding.EncodeToString(body)
			isB64 = true
		}
	}
	sourceIP, _, _ := net.SplitHostPort(r.RemoteAddr)
	rc := map[string]any{
		"accountId":         "000000000000",
		"apiId":             g.cfg.ID,
		"resourceId":        resourceID(route.Path),
		"resourcePath":      route.Path,
		"stage":             g.cfg.Stage,
		"requestId":         reqID,
		"extendedRequestId": strings.ReplaceAll(reqID[:13], "-", "") + "=",
		"requestTime":       now.UTC().Format("02/Jan/2006:15:04:05 -0700"),
		"requestTimeEpoch":  now.UnixMilli(),
		"path":              "/" + g.cfg.Stage + r.URL.Path,
		"protocol":          r.Proto,
		"httpMethod":        r.Method,
		"domainName":        r.Host,
		"domainPrefix":      strings.Split(r.Host, ".")[0],
		"identity": map[string]any{
			"sourceIp":  sourceIP,
			"userAgent": r.UserAgent(),
		},
	}
	if claims != nil {
		rc["authorizer"] = map[string]any{"claims": stringClaims(claims)}
	}
	return map[string]any{
		"resource":                        route.Path,
		"path":                            r.URL.Path,
		"httpMethod":                      r.Method,
		"headers":                         headers,
		"multiValueHeaders":               multiHeaders,
		"queryStringParameters":           query,
		"multiValueQueryStringParameters": multiQuery,
		"pathParameters":                  pathParams,
		"stageVariables":                  nil,
		"requestContext":                  rc,
		"body":                            bodyVal,
		"isBase64Encoded":                 isB64,
	}
}

// claimTimeLayout is how the REST API's Cognito authorizer renders the exp and
// iat claims: "Mon Apr 17 23:12:49 UTC 2017".
const claimTimeLayout = "Mon Jan 02 15:04:05 UTC 2006"

// stringClaims renders claims the way the REST API's Cognito authorizer passes
// them: every value a string, with exp and iat as dates (auth_time stays a
// number of seconds).
func stringClaims(c map[string]any) map[string]string {
	out := make(map[string]string, len(c))
	for k, v := range c {
		if k == "exp" || k == "iat" {
			if secs, ok := claimSeconds(v); ok {
				out[k] = time.Unix(secs, 0).UTC().Format(claimTimeLayout)
				continue
			}
		}
		switch x := v.(type) {
		case string:
			out[k] = x
		case float64:
			out[k] = strconv.FormatFloat(x, 'f', -1, 64)
		case json.Number:
			out[k] = x.String()
		case bool:
			out[k] = strconv.FormatBool(x)
		default:
			b, _ := json.Marshal(x)
			out[k] = string(b)
		}
	}
	return out
}

// claimSeconds reads a NumericDate claim.
func claimSeconds(v any) (int64, bool) {
	switch x := v.(type) {
	case float64:
		return int64(x), true
	case int64:
		return x, true
	case int:
		return int64(x), true
	case json.Number:
		n, err := x.Int64()
		if err != nil {
			f, ferr := x.Float64()
			return int64(f), ferr == nil
		}
		return n, true
	}
	return 0, false
}

func resourceID(path string) string {
	var h uint32 = 2166136261
	for i := 0; i < len(path); i++ {
		h = (h ^ uint32(path[i])) * 16777619
	}
	return strconv.FormatUint(uint64(h)%(36*36*36*36*36*36), 36)
}

// proxyResponse is a parsed Lambda proxy integration response.
type proxyResponse struct {
	status  int
	headers http.Header
	body    []byte
}

func parseProxyResponse(b []byte) (*proxyResponse, error) {
	var raw struct {
		StatusCode        *int                `json:"statusCode"`
		Headers           map[string]string   `json:"headers"`
		MultiValueHeaders map[string][]string `json:"multiValueHeaders"`
		Body              *string             `json:"body"`
		IsBase64Encoded   bool                `json:"isBase64Encoded"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("malformed Lambda proxy response: %w", err)
	}
	if raw.StatusCode == nil || *raw.StatusCode < 100 || *raw.StatusCode > 599 {
		return nil, errors.New("malformed Lambda proxy response: bad statusCode")
	}
	resp := &proxyResponse{status: *raw.StatusCode, headers: http.Header{}}
	for k, vs := range raw.MultiValueHeaders {
		for _, v := range vs {
			resp.headers.Add(k, v)
		}
	}
	for k, v := range raw.Headers {
		resp.headers.Set(k, v)
	}
	if raw.Body != nil {
		resp.body = []byte(*raw.Body)
		if raw.IsBase64Encoded {
			d, err := base64.StdEncoding.DecodeString(*raw.Body)
			if err != nil {
				return nil, fmt.Errorf("malformed Lambda proxy response: body is not base64: %w", err)
			}
			resp.body = d
		}
	}
	return resp, nil
}

func (p *proxyResponse) write(w http.ResponseWriter) {
	h := w.Header()
	for k, vs := range p.headers {
		h[k] = append([]string(nil), vs...)
	}
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/json")
	}
	h.Set("Content-Length", strconv.Itoa(len(p.body)))
	w.WriteHeader(p.status)
	_, _ = w.Write(p.body)
}

func (g *Gateway) accessLog(r *http.Request, reqID, resource string, rec *recorder, start, end time.Time) {
	if g.cfg.AccessLogGroup == "" || g.deps.Logs == nil {
		return
	}
	ip, _, _ := net.SplitHostPort(r.RemoteAddr)
	line, _ := json.Marshal(map[string]any{
		"requestId":      reqID,
		"ip":             ip,
		"requestTime":    start.UTC().Format("02/Jan/2006:15:04:05 -0700"),
		"httpMethod":     r.Method,
		"path":           r.URL.Path,
		"resourcePath":   resource,
		"status":         rec.status,
		"protocol":       r.Proto,
		"responseLength": rec.bytes,
		"latencyMs":      end.Sub(start).Milliseconds(),
		"userAgent":      r.UserAgent(),
	})
	g.deps.Logs.AppendLog(g.cfg.AccessLogGroup, g.cfg.ID+"/"+g.cfg.Stage, end, string(line))
}

type recorder struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (r *recorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	n, err := r.ResponseWriter.Write(b)
	r.bytes += n
	return n, err
}

// responseCache is the stage cache.
type responseCache struct {
	mu      sync.Mutex
	entries map[string]cacheEntry
}

type cacheEntry struct {
	resp    *proxyResponse
	expires time.Time
}

func newResponseCache() *responseCache { return &responseCache{entries: map[string]cacheEntry{}} }

func (c *responseCache) get(key string, now time.Time) (*proxyResponse, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || !now.Before(e.expires) {
		delete(c.entries, key)
		return nil, false
	}
	return e.resp, true
}

func (c *responseCache) put(key string, resp *proxyResponse, expires time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries[key] = cacheEntry{resp: resp, expires: expires}
}

func (c *responseCache) flush() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries = map[string]cacheEntry{}
}

// tokenBucket throttles the stage.
type tokenBucket struct {
	mu     sync.Mutex
	rate   float64
	burst  float64
	tokens float64
	last   time.Time
	now    func() time.Time
}

func newTokenBucket(rate float64, burst int, now func() time.Time) *tokenBucket {
	b := float64(burst)
	if b < 1 {
		b = 1
	}
	return &tokenBucket{rate: rate, burst: b, tokens: b, last: now(), now: now}
}

func (t *tokenBucket) take() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	t.tokens += now.Sub(t.last).Seconds() * t.rate
	if t.tokens > t.burst {
		t.tokens = t.burst
	}
	t.last = now
	if t.tokens < 1 {
		return false
	}
	t.tokens--
	return true
}
