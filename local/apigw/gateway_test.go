package apigw

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// echoInvoker is a hand-written stand-in for the Lambda host: it answers with the
// event it received, or with what the test scripted for a function.
type echoInvoker struct {
	mu     sync.Mutex
	calls  map[string]int
	events []map[string]any
	traces []string
	script map[string]func() ([]byte, string, error)
}

func (e *echoInvoker) Invoke(_ context.Context, fn string, payload []byte, trace string) ([]byte, string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.calls == nil {
		e.calls = map[string]int{}
	}
	e.calls[fn]++
	var ev map[string]any
	_ = json.Unmarshal(payload, &ev)
	e.events = append(e.events, ev)
	e.traces = append(e.traces, trace)
	if f, ok := e.script[fn]; ok {
		return f()
	}
	body, _ := json.Marshal(map[string]any{"n": e.calls[fn], "query": ev["queryStringParameters"]})
	resp, _ := json.Marshal(map[string]any{"statusCode": 200, "headers": map[string]string{"X-Fn": fn}, "body": string(body)})
	return resp, "", nil
}

func (e *echoInvoker) last() map[string]any {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.events[len(e.events)-1]
}

type tokenAuth struct{}

func (tokenAuth) Authorize(_ context.Context, token string) (map[string]any, error) {
	if token != "good" {
		return nil, errors.New("bad token")
	}
	return map[string]any{"sub": "user-1", "cognito:username": "ada", "exp": float64(1900000000), "iat": float64(1899996400),
		"auth_time": float64(1899996400), "email_verified": true}, nil
}

type memSink struct {
	mu    sync.Mutex
	lines []string
}

func (m *memSink) AppendLog(_, _ string, _ time.Time, msg string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.lines = append(m.lines, msg)
}

type memTracer struct {
	mu   sync.Mutex
	segs []StageSegment
}

func (m *memTracer) RecordStage(s StageSegment) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.segs = append(m.segs, s)
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type fixture struct {
	inv    *echoInvoker
	logs   *memSink
	tracer *memTracer
	clock  *fakeClock
	url    string
	gw     *Gateway
}

func newFixture(t *testing.T, mutate func(*Config)) *fixture {
	t.Helper()
	f := &fixture{inv: &echoInvoker{script: map[string]func() ([]byte, string, error){}}, logs: &memSink{}, tracer: &memTracer{},
		clock: &fakeClock{t: time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)}}
	cfg := Config{
		ID: "abc123", Name: "dragons-api", Stage: "v1", CacheTTL: time.Minute, AccessLogGroup: "access", Tracing: true,
		Cors: &Cors{AllowOrigin: "*", AllowHeaders: "Authorization,Content-Type", AllowMethods: "GET,POST,OPTIONS", MaxAge: "600"},
		Routes: []Route{
			{Method: "GET", Path: "/dragons", Function: "list", Authorizer: "cognito", Cache: true,
				CacheKeys: []string{"method.request.querystring.dragonName", "method.request.querystring.family"}},
			{Method: "POST", Path: "/dragons", Function: "submit", Authorizer: "cognito"},
			{Method: "GET", Path: "/dragons/executions/{id}", Function: "status", Authorizer: "cognito"},
			{Method: "GET", Path: "/dragons/executions/latest", Function: "latest"},
			{Method: "ANY", Path: "/files/{proxy+}", Function: "files"},
		},
	}
	if mutate != nil {
		mutate(&cfg)
	}
	gw, err := New(cfg, Deps{Invoker: f.inv, Authorizers: map[string]Authorizer{"cognito": tokenAuth{}}, Logs: f.logs, Tracer: f.tracer, Now: f.clock.now})
	if err != nil {
		t.Fatal(err)
	}
	f.gw = gw
	srv := httptest.NewServer(gw)
	t.Cleanup(srv.Close)
	f.url = srv.URL
	return f
}

func (f *fixture) do(t *testing.T, method, path, token, body string, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(method, f.url+path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestRoutingAndProxyEvent(t *testing.T) {
	f := newFixture(t, nil)
	resp, body := f.do(t, "GET", "/dragons/executions/e-42?x=1&x=2", "Bearer good", "", map[string]string{"X-Amzn-Trace-Id": "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"})
	if resp.StatusCode != 200 || resp.Header.Get("X-Fn") != "status" {
		t.Fatalf("status route = %d %s %v", resp.StatusCode, body, resp.Header)
	}
	ev := f.inv.last()
	if ev["resource"] != "/dragons/executions/{id}" || ev["path"] != "/dragons/executions/e-42" || ev["httpMethod"] != "GET" {
		t.Fatalf("event = %v", ev)
	}
	if ev["pathParameters"].(map[string]any)["id"] != "e-42" {
		t.Fatalf("pathParameters = %v", ev["pathParameters"])
	}
	if q := ev["queryStringParameters"].(map[string]any); q["x"] != "2" {
		t.Fatalf("query = %v", q)
	}
	if mq := ev["multiValueQueryStringParameters"].(map[string]any); len(mq["x"].([]any)) != 2 {
		t.Fatalf("multi query = %v", mq)
	}
	rc := ev["requestContext"].(map[string]any)
	claims := rc["authorizer"].(map[string]any)["claims"].(map[string]any)
	// REST APIs pass every claim as a string; exp and iat as dates, auth_time
	// as seconds.
	if claims["sub"] != "user-1" || claims["exp"] != "Sun Mar 17 17:46:40 UTC 2030" || claims["iat"] != "Sun Mar 17 16:46:40 UTC 2030" ||
		claims["auth_time"] != "1899996400" || claims["email_verified"] != "true" || rc["stage"] != "v1" || rc["resourcePath"] != "/dragons/executions/{id}" {
		t.Fatalf("requestContext = %v", rc)
	}
	if !strings.HasPrefix(f.inv.traces[len(f.inv.traces)-1], "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=") {
		t.Fatalf("trace passed to the function = %q", f.inv.traces[len(f.inv.traces)-1])
	}

	if resp, _ := f.do(t, "GET", "/dragons/executions/latest", "", "", nil); resp.Header.Get("X-Fn") != "latest" {
		t.Fatal("a literal segment did not win over a parameter")
	}
	if resp, _ := f.do(t, "DELETE", "/files/a/b/c", "", "", nil); resp.Header.Get("X-Fn") != "files" ||
		f.inv.last()["pathParameters"].(map[string]any)["proxy"] != "a/b/c" {
		t.Fatalf("greedy route: %v", f.inv.last()["pathParameters"])
	}
	resp, body = f.do(t, "GET", "/nowhere", "Bearer good", "", nil)
	if resp.StatusCode != 403 || !strings.Contains(body, "Missing Authentication Token") {
		t.Fatalf("unknown path = %d %s", resp.StatusCode, body)
	}
	resp, _ = f.do(t, "PUT", "/dragons", "Bearer good", "", nil)
	if resp.StatusCode != 403 {
		t.Fatalf("unknown method = %d", resp.StatusCode)
	}
	tr := f.tracer.segs
	if len(tr) == 0 || tr[0].Name != "dragons-api/v1" || tr[0].Status != 200 {
		t.Fatalf("stage segments = %+v", tr)
	}
	if len(f.logs.lines) < 3 || !strings.Contains(f.logs.lines[0], `"resourcePath":"/dragons/executions/{id}"`) {
		t.Fatalf("access log = %v", f.logs.lines)
	}
}

func TestAuthorizer(t *testing.T) {
	f := newFixture(t, nil)
	for _, tok := range []string{"", "bad", "Bearer bad"} {
		resp, body := f.do(t, "POST", "/dragons", tok, "{}", nil)
		if resp.StatusCode != 401 || body != `{"message":"Unauthorized"}` {
			t.Fatalf("token %q: %d %s", tok, resp.StatusCode, body)
		}
	}
	if f.inv.calls["submit"] != 0 {
		t.Fatal("the function ran for an unauthorized request")
	}
	if resp, _ := f.do(t, "POST", "/dragons", "good", "{}", nil); resp.StatusCode != 200 {
		t.Fatalf("raw token = %d", resp.StatusCode)
	}
}

func TestCacheKeysTTLAndInvalidation(t *testing.T) {
	f := newFixture(t, nil)
	get := func(q string, hdr map[string]string) map[string]any {
		resp, body := f.do(t, "GET", "/dragons"+q, "good", "", hdr)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s = %d %s", q, resp.StatusCode, body)
		}
		var out map[string]any
		_ = json.Unmarshal([]byte(body), &out)
		return out
	}
	if n := get("?family=red", nil)["n"]; n != float64(1) {
		t.Fatalf("first call n = %v", n)
	}
	if n := get("?family=red", nil)["n"]; n != float64(1) {
		t.Fatalf("repeat was not served from the cache (n = %v)", n)
	}
	if n := get("?family=red&ignored=1", nil)["n"]; n != float64(1) {
		t.Fatalf("an undeclared parameter changed the cache key (n = %v)", n)
	}
	if n := get("?family=blue", nil)["n"]; n != float64(2) {
		t.Fatalf("a different filter shared the cached answer (n = %v)", n)
	}
	if n := get("?family=red&dragonName=Ember", nil)["n"]; n != float64(3) {
		t.Fatalf("adding dragonName shared the cached answer (n = %v)", n)
	}
	if n := get("?family=red", map[string]string{"Cache-Control": "max-age=0"})["n"]; n != float64(4) {
		t.Fatalf("max-age=0 did not bypass the cache (n = %v)", n)
	}
	if n := get("?family=red", nil)["n"]; n != float64(4) {
		t.Fatalf("max-age=0 did not refresh the entry (n = %v)", n)
	}
	f.clock.advance(61 * time.Second)
	if n := get("?family=red", nil)["n"]; n != float64(5) {
		t.Fatalf("entry outlived its TTL (n = %v)", n)
	}
	// POST is never cached.
	f.do(t, "POST", "/dragons", "good", "{}", nil)
	f.do(t, "POST", "/dragons", "good", "{}", nil)
	if f.inv.calls["submit"] != 2 {
		t.Fatalf("POST calls = %d", f.inv.calls["submit"])
	}
}

func TestCorsThrottleAndErrors(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.ThrottleRate = 1; c.ThrottleBurst = 3 })
	resp, _ := f.do(t, "OPTIONS", "/dragons", "", "", nil)
	if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "*" || resp.Header.Get("Access-Control-Allow-Methods") != "GET,POST,OPTIONS" {
		t.Fatalf("preflight = %d %v", resp.StatusCode, resp.Header)
	}
	f.do(t, "GET", "/dragons/executions/latest", "", "", nil)
	f.do(t, "GET", "/dragons/executions/latest", "", "", nil)
	resp, body := f.do(t, "GET", "/dragons/executions/latest", "", "", nil)
	if resp.StatusCode != 429 || body != `{"message":"Too Many Requests"}` {
		t.Fatalf("past the burst = %d %s", resp.StatusCode, body)
	}
	f.clock.advance(2 * time.Second)

	f.inv.script["latest"] = func() ([]byte, string, error) { return []byte(`{"body": 12}`), "", nil }
	resp, body = f.do(t, "GET", "/dragons/executions/latest", "", "", nil)
	if resp.StatusCode != 502 || body != `{"message":"Internal server error"}` {
		t.Fatalf("malformed response = %d %s", resp.StatusCode, body)
	}
	f.clock.advance(2 * time.Second)
	f.inv.script["latest"] = func() ([]byte, string, error) { return []byte(`{"errorMessage":"boom"}`), "Unhandled", nil }
	if resp, _ := f.do(t, "GET", "/dragons/executions/latest", "", "", nil); resp.StatusCode != 502 {
		t.Fatalf("function error = %d", resp.StatusCode)
	}
	f.clock.advance(2 * time.Second)
	f.inv.script["latest"] = func() ([]byte, string, error) {
		return []byte(`{"statusCode":201,"multiValueHeaders":{"Set-Cookie":["a=1","b=2"]},"body":"aGk=","isBase64Encoded":true}`), "", nil
	}
	resp, body = f.do(t, "GET", "/dragons/executions/latest", "", "", nil)
	if resp.StatusCode != 201 || body != "hi" || len(resp.Header.Values("Set-Cookie")) != 2 {
		t.Fatalf("base64 response = %d %q %v", resp.StatusCode, body, resp.Header)
	}
	f.clock.advance(2 * time.Second)
	resp, body = f.do(t, "POST", "/dragons", "good", strings.Repeat("x", MaxBody+1), nil)
	if resp.StatusCode != 413 {
		t.Fatalf("oversized body = %d %s", resp.StatusCode, body)
	}
}

func TestConfigErrors(t *testing.T) {
	if _, err := New(Config{Routes: []Route{{Method: "GET", Path: "/x", Function: "f", Authorizer: "missing"}}}, Deps{Invoker: &echoInvoker{}}); err == nil {
		t.Fatal("a route with an unconfigured authorizer was accepted")
	}
	if _, err := New(Config{Routes: []Route{{Method: "GET", Path: "/{p+}/x", Function: "f"}}}, Deps{Invoker: &echoInvoker{}}); err == nil {
		t.Fatal("a greedy parameter that is not last was accepted")
	}
}

func TestClaimDates(t *testing.T) {
	got := stringClaims(map[string]any{"exp": float64(1492470769), "iat": json.Number("1491260000"), "auth_time": float64(1491260000), "custom:n": float64(1.5)})
	want := map[string]string{"exp": "Mon Apr 17 23:12:49 UTC 2017", "iat": "Mon Apr 03 22:53:20 UTC 2017", "auth_time": "1491260000", "custom:n": "1.5"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("claim %s = %q, want %q", k, got[k], v)
		}
	}
}

// blockingInvoker holds every invocation until released, and reports the
// context it was given.
type blockingInvoker struct {
	started chan context.Context
	release chan struct{}
}

func (b *blockingInvoker) Invoke(ctx context.Context, _ string, _ []byte, _ string) ([]byte, string, error) {
	b.started <- ctx
	select {
	case <-b.release:
	case <-ctx.Done():
		return nil, "", ctx.Err()
	}
	return []byte(`{"statusCode":200,"body":"done"}`), "", nil
}

func TestClientDisconnectDoesNotCancelTheIntegration(t *testing.T) {
	inv := &blockingInvoker{started: make(chan context.Context, 1), release: make(chan struct{})}
	gw, err := New(Config{ID: "a", Name: "n", Stage: "s", Routes: []Route{{Method: "POST", Path: "/slow", Function: "f"}}}, Deps{Invoker: inv})
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan context.Context, 1)
	finished := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served <- r.Context()
		gw.ServeHTTP(w, r)
		close(finished)
	}))
	defer srv.Close()
	var once sync.Once
	releaseAll := func() { once.Do(func() { close(inv.release) }) }
	defer releaseAll() // runs before srv.Close, which waits for the handler

	clientCtx, hangUp := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(clientCtx, "POST", srv.URL+"/slow", strings.NewReader("{}"))
	go func() {
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	reqCtx := <-served
	invCtx := <-inv.started
	hangUp()
	<-reqCtx.Done() // the server has seen the client go away
	if err := invCtx.Err(); err != nil {
		t.Fatalf("the client's disconnect cancelled the integration: %v", err)
	}
	if _, ok := invCtx.Deadline(); !ok {
		t.Fatal("the integration has no timeout")
	}
	releaseAll()
	<-finished
}

func TestCacheControlNeedsAuthorizationWhenRequired(t *testing.T) {
	setup := func(strategy string) *fixture {
		return newFixture(t, func(c *Config) {
			c.Routes[0].RequireAuthorizationForCacheControl = true
			c.Routes[0].UnauthorizedCacheControlHeaderStrategy = strategy
			c.Routes = append(c.Routes, Route{Method: "GET", Path: "/open", Function: "open", Cache: true, RequireAuthorizationForCacheControl: true})
		})
	}
	get := func(f *fixture, path, token string, hdr map[string]string) (*http.Response, float64) {
		t.Helper()
		resp, body := f.do(t, "GET", path, token, "", hdr)
		var out map[string]any
		_ = json.Unmarshal([]byte(body), &out)
		n, _ := out["n"].(float64)
		return resp, n
	}
	refresh := map[string]string{"Cache-Control": "max-age=0"}

	// The default strategy: a Cognito user may not invalidate, so the answer
	// comes from the cache, with a warning.
	f := setup("")
	if _, n := get(f, "/dragons?family=red", "good", nil); n != 1 {
		t.Fatalf("first call n = %v", n)
	}
	resp, n := get(f, "/dragons?family=red", "good", map[string]string{"Cache-Control": "no-cache, max-age=0"})
	if n != 1 || resp.Header.Get("X-Local-Cache") != "hit" || !strings.HasPrefix(resp.Header.Get("Warning"), "199 ") {
		t.Fatalf("unauthorized max-age=0: n = %v, headers %v", n, resp.Header)
	}
	// An IAM (SigV4-signed) caller may invalidate.
	sig := "AWS4-HMAC-SHA256 Credential=AKID/20261127/us-east-1/execute-api/aws4_request, SignedHeaders=host, Signature=00"
	if _, n := get(f, "/open", sig, nil); n != 1 {
		t.Fatalf("first /open n = %v", n)
	}
	if resp, n := get(f, "/open", "", refresh); n != 1 || resp.Header.Get("Warning") == "" {
		t.Fatalf("unsigned max-age=0 on /open: n = %v %v", n, resp.Header)
	}
	if resp, n := get(f, "/open", sig, refresh); n != 2 || resp.Header.Get("X-Local-Cache") != "miss" {
		t.Fatalf("signed max-age=0 on /open: n = %v %v", n, resp.Header)
	}
	if _, n := get(f, "/open", "", nil); n != 2 {
		t.Fatalf("the signed refresh did not replace the entry (n = %v)", n)
	}

	f = setup(SucceedWithoutResponseHeader)
	get(f, "/dragons?family=red", "good", nil)
	if resp, n := get(f, "/dragons?family=red", "good", refresh); n != 1 || resp.Header.Get("Warning") != "" {
		t.Fatalf("SUCCEED_WITHOUT_RESPONSE_HEADER: n = %v, headers %v", n, resp.Header)
	}

	f = setup(FailWith403)
	get(f, "/dragons?family=red", "good", nil)
	if resp, _ := f.do(t, "GET", "/dragons?family=red", "good", "", refresh); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("FAIL_WITH_403: %d", resp.StatusCode)
	}
	if f.inv.calls["list"] != 1 {
		t.Fatalf("the function ran %d times; an unauthorized invalidation must not reach it", f.inv.calls["list"])
	}
}

func TestMethodThrottlingOverridesTheStage(t *testing.T) {
	f := newFixture(t, func(c *Config) {
		c.ThrottleRate, c.ThrottleBurst = 1, 1
		c.Routes[3].ThrottleRate, c.Routes[3].ThrottleBurst = 1, 2 // GET /dragons/executions/latest
	})
	codes := func(path string, n int) []int {
		var out []int
		for i := 0; i < n; i++ {
			resp, _ := f.do(t, "GET", path, "good", "", nil)
			out = append(out, resp.StatusCode)
		}
		return out
	}
	if got := codes("/dragons/executions/latest", 3); got[0] != 200 || got[1] != 200 || got[2] != 429 {
		t.Fatalf("the method's own burst of 2: %v", got)
	}
	// The method's bucket is its own: the stage's is still full.
	if got := codes("/dragons/executions/e-1", 2); got[0] != 200 || got[1] != 429 {
		t.Fatalf("the stage's burst of 1: %v", got)
	}
}
