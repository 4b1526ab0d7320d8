package lambdahost

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestStreamedResponsesAndMidStreamErrors(t *testing.T) {
	h := newHost(t, Options{}, FunctionConfig{Name: "s"})
	res, err := h.Invoke(t.Context(), "s", []byte(`{"stream": 100000}`), InvokeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if want := `"` + strings.Repeat("x", 100000) + `"`; res.FunctionError != "" || string(res.Payload) != want {
		t.Fatalf("streamed response: error %q, %d bytes, want %d", res.FunctionError, len(res.Payload), len(want))
	}
	res, out := invokeJSON(t, h, "s", map[string]any{"streamFail": 50}, InvokeOptions{})
	if res.FunctionError != "Unhandled" || res.Kind != ErrorHandled || res.ErrorType != "BadDragon" ||
		out["errorType"] != "BadDragon" || out["errorMessage"] != "stream broke" {
		t.Fatalf("response that failed part way = %+v %v", res, out)
	}
	_, warm := invokeJSON(t, h, "s", map[string]any{"echo": "after"}, InvokeOptions{})
	if warm["echo"] != "after" {
		t.Fatalf("invoke after a failed stream = %v", warm)
	}
}

func TestInitErrorIsReported(t *testing.T) {
	h := newHost(t, Options{}, FunctionConfig{Name: "broken", Env: map[string]string{"FN_INIT_ERROR": "no catalog configured"}})
	for i := 0; i < 2; i++ { // every cold start fails the same way
		res, out := invokeJSON(t, h, "broken", map[string]any{}, InvokeOptions{})
		if res.Kind != ErrorInit || res.FunctionError != "Unhandled" || res.ErrorType != "InitFailed" || out["errorMessage"] != "no catalog configured" {
			t.Fatalf("invoke %d of a function whose init fails = %+v %v", i, res, out)
		}
	}
}

// runtimeClient drives a runtimeAPI over HTTP the way a runtime does.
type runtimeClient struct {
	t    *testing.T
	a    *runtimeAPI
	base string
}

func newRuntimeClient(t *testing.T, maxResp int64) *runtimeClient {
	a, err := newRuntimeAPI("arn:aws:lambda:us-east-1:000000000000:function:f", maxResp)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.close)
	return &runtimeClient{t: t, a: a, base: "http://" + a.addr() + "/2018-06-01/runtime/"}
}

// next hands inv to the runtime's GET /invocation/next and returns the response.
func (c *runtimeClient) next(inv *invocation) *http.Response {
	c.t.Helper()
	go func() { c.a.next <- inv }()
	resp, err := http.Get(c.base + "invocation/next")
	if err != nil {
		c.t.Fatal(err)
	}
	return resp
}

// postChunked posts chunks with no Content-Length (so chunked), and the given
// trailers once the body is written.
func (c *runtimeClient) postChunked(path string, chunks []string, trailer http.Header) report {
	c.t.Helper()
	pr, pw := io.Pipe()
	req, err := http.NewRequest(http.MethodPost, c.base+path, pr)
	if err != nil {
		c.t.Fatal(err)
	}
	req.ContentLength, req.TransferEncoding = -1, []string{"chunked"}
	req.Trailer = http.Header{}
	for k := range trailer {
		req.Trailer[k] = nil // declared up front, filled in after the body
	}
	go func() {
		for _, ch := range chunks {
			if _, err := pw.Write([]byte(ch)); err != nil {
				return
			}
		}
		for k, v := range trailer {
			req.Trailer[k] = v
		}
		pw.Close()
	}()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		c.t.Fatalf("POST %s = %d, want 202", path, resp.StatusCode)
	}
	select {
	case rep := <-c.a.reports:
		return rep
	case <-time.After(10 * time.Second):
		c.t.Fatalf("no report for POST %s", path)
		return report{}
	}
}

func TestRuntimeAPIChunkedBodiesAndTrailers(t *testing.T) {
	c := newRuntimeClient(t, 1000)
	deadline := time.Now().Add(time.Minute)
	resp := c.next(&invocation{id: "req-1", payload: []byte(`{"a":1}`), deadline: deadline, trace: "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1", client: "e30="})
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	hd := resp.Header
	if string(body) != `{"a":1}` || hd.Get("Lambda-Runtime-Aws-Request-Id") != "req-1" ||
		hd.Get("Lambda-Runtime-Deadline-Ms") != strconvI(deadline.UnixMilli()) ||
		hd.Get("Lambda-Runtime-Invoked-Function-Arn") != "arn:aws:lambda:us-east-1:000000000000:function:f" ||
		!strings.HasPrefix(hd.Get("Lambda-Runtime-Trace-Id"), "Root=1-5759e988-") || hd.Get("Lambda-Runtime-Client-Context") != "e30=" {
		t.Fatalf("next = %s %v", body, hd)
	}

	rep := c.postChunked("invocation/req-1/response", []string{`{"part":`, `"one",`, `"two":2}`}, nil)
	if rep.requestID != "req-1" || rep.out.kind != ErrorNone || string(rep.out.payload) != `{"part":"one","two":2}` {
		t.Fatalf("chunked response report = %+v (%s)", rep, rep.out.payload)
	}

	doc := `{"errorMessage":"disk on fire","errorType":"StreamError"}`
	rep = c.postChunked("invocation/req-2/response", []string{`{"partial":`}, http.Header{
		"Lambda-Runtime-Function-Error-Type": {"StreamError"},
		"Lambda-Runtime-Function-Error-Body": {base64.StdEncoding.EncodeToString([]byte(doc))},
	})
	if rep.requestID != "req-2" || rep.out.kind != ErrorHandled || rep.out.errorType != "StreamError" || string(rep.out.payload) != doc {
		t.Fatalf("mid-stream error report = %+v (%s)", rep, rep.out.payload)
	}

	// A response over the limit is refused whatever follows, but still read to
	// the end, so the runtime gets its 202.
	rep = c.postChunked("invocation/req-3/response", []string{strings.Repeat("z", 800), strings.Repeat("z", 800)}, nil)
	if rep.out.errorType != "Function.ResponseSizeTooLarge" {
		t.Fatalf("oversized chunked response report = %+v", rep)
	}

	rep = c.postChunked("init/error", []string{`{"errorMessage":"bad env",`, `"errorType":"Runtime.InitError"}`}, nil)
	var e map[string]string
	if !rep.init || rep.out.kind != ErrorInit || rep.out.errorType != "Runtime.InitError" || json.Unmarshal(rep.out.payload, &e) != nil || e["errorMessage"] != "bad env" {
		t.Fatalf("chunked init error report = %+v (%s)", rep, rep.out.payload)
	}
}

func strconvI(n int64) string { b, _ := json.Marshal(n); return string(b) }
