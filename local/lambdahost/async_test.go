package lambdahost

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"
)

type delivery struct {
	queue string
	body  string
	attrs map[string]string // values
	types map[string]string // data types
}

// asyncRecorder collects deliveries and invocation records of a host.
type asyncRecorder struct {
	deliveries chan delivery
	mu         sync.Mutex
	invokes    []InvokeRecord
}

func newAsyncRecorder() *asyncRecorder { return &asyncRecorder{deliveries: make(chan delivery, 10)} }

func (r *asyncRecorder) options(o Options) Options {
	o.Deliver = func(_ context.Context, q string, body []byte, attrs map[string]Attribute) error {
		d := delivery{queue: q, body: string(body)}
		if attrs != nil {
			d.attrs, d.types = map[string]string{}, map[string]string{}
			for k, a := range attrs {
				d.attrs[k], d.types[k] = a.Value, a.DataType
			}
		}
		r.deliveries <- d
		return nil
	}
	o.OnInvoke = func(rec InvokeRecord) {
		r.mu.Lock()
		r.invokes = append(r.invokes, rec)
		r.mu.Unlock()
	}
	return o
}

// invocations returns the records of the invocations with the request id.
func (r *asyncRecorder) invocations(id string) []InvokeRecord {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []InvokeRecord
	for _, rec := range r.invokes {
		if rec.RequestID == id {
			out = append(out, rec)
		}
	}
	return out
}

// next returns the next delivery, failing the test if none comes.
func (r *asyncRecorder) next(t *testing.T) delivery {
	t.Helper()
	select {
	case d := <-r.deliveries:
		return d
	case <-time.After(20 * time.Second):
		t.Fatal("no delivery")
		return delivery{}
	}
}

// none checks that nothing is delivered before the host has finished its
// async work (Close waits for it).
func (r *asyncRecorder) none(t *testing.T, h *Host) {
	t.Helper()
	h.Close()
	select {
	case d := <-r.deliveries:
		t.Fatalf("unexpected delivery to %s: %s %v", d.queue, d.body, d.attrs)
	default:
	}
}

// byQueue collects n deliveries by queue.
func (r *asyncRecorder) byQueue(t *testing.T, n int) map[string]delivery {
	t.Helper()
	out := map[string]delivery{}
	for i := 0; i < n; i++ {
		d := r.next(t)
		out[d.queue] = d
	}
	return out
}

type record struct {
	RequestContext struct {
		RequestID              string
		FunctionArn            string
		Condition              string
		ApproximateInvokeCount int
	}
	RequestPayload  json.RawMessage
	ResponseContext struct {
		StatusCode    int
		FunctionError string
	}
	ResponsePayload map[string]any
}

func parseRecord(t *testing.T, body string) record {
	t.Helper()
	var rec record
	if err := json.Unmarshal([]byte(body), &rec); err != nil {
		t.Fatalf("invocation record %s: %v", body, err)
	}
	return rec
}

func intp(n int) *int { return &n }

const (
	dlqARN  = "arn:aws:sqs:us-east-1:000000000000:fn-dlq"
	destARN = "arn:aws:sqs:us-east-1:000000000000:fn-on-failure"
)

func TestAsyncFailureGoesToDeadLetterQueueAndDestination(t *testing.T) {
	r := newAsyncRecorder()
	h := newHost(t, r.options(Options{AsyncRetryDelay: 10 * time.Millisecond}),
		FunctionConfig{Name: "f", DeadLetterARN: dlqARN, OnFailure: destARN, MaxRetryAttempts: intp(1)})
	event := `{"fail":"no scales","dragon":{"name":"Ember"}}`
	id, err := h.InvokeAsync(t.Context(), "f", []byte(event), InvokeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := r.byQueue(t, 2)

	dlq := got[dlqARN]
	if dlq.body != event {
		t.Errorf("dead-letter message body = %s, want the original event %s", dlq.body, event)
	}
	if dlq.attrs["RequestID"] != id || dlq.attrs["ErrorCode"] != "200" || dlq.attrs["ErrorMessage"] != "no scales" || len(dlq.attrs) != 3 {
		t.Errorf("dead-letter message attributes = %v (request %s)", dlq.attrs, id)
	}
	if dlq.types["RequestID"] != "String" || dlq.types["ErrorCode"] != "Number" || dlq.types["ErrorMessage"] != "String" {
		t.Errorf("dead-letter attribute types = %v, want ErrorCode a Number and the others Strings", dlq.types)
	}

	rec := parseRecord(t, got[destARN].body)
	if rec.RequestContext.RequestID != id || rec.RequestContext.Condition != "RetriesExhausted" || rec.RequestContext.ApproximateInvokeCount != 2 ||
		rec.RequestContext.FunctionArn != "arn:aws:lambda:us-east-1:000000000000:function:f:$LATEST" ||
		string(rec.RequestPayload) != event || rec.ResponseContext.StatusCode != 200 || rec.ResponseContext.FunctionError != "Unhandled" ||
		rec.ResponsePayload["errorType"] != "BadDragon" || got[destARN].attrs != nil {
		t.Errorf("on-failure record = %s", got[destARN].body)
	}
	// One retry, and every attempt ran under the event's request id.
	if n := len(r.invocations(id)); n != 2 {
		t.Errorf("%d invocations with request id %s, want 2", n, id)
	}
}

func TestAsyncRetryBudget(t *testing.T) {
	for _, tc := range []struct {
		retries *int
		want    int
	}{{intp(0), 1}, {nil, 3}, {intp(7), 3}, {intp(-1), 1}} {
		r := newAsyncRecorder()
		h := newHost(t, r.options(Options{AsyncRetryDelay: 5 * time.Millisecond}),
			FunctionConfig{Name: "f", OnFailure: destARN, MaxRetryAttempts: tc.retries})
		id, err := h.InvokeAsync(t.Context(), "f", []byte(`{"fail":"x"}`), InvokeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		rec := parseRecord(t, r.next(t).body)
		if rec.RequestContext.ApproximateInvokeCount != tc.want || len(r.invocations(id)) != tc.want {
			t.Errorf("MaxRetryAttempts %v: %d attempts recorded, %d invocations, want %d",
				tc.retries, rec.RequestContext.ApproximateInvokeCount, len(r.invocations(id)), tc.want)
		}
		h.Close()
	}
}

func TestAsyncSuccessDeliversNothing(t *testing.T) {
	r := newAsyncRecorder()
	h := newHost(t, r.options(Options{}), FunctionConfig{Name: "f", DeadLetterARN: dlqARN, OnFailure: destARN})
	id, err := h.InvokeAsync(t.Context(), "f", []byte(`{"echo":1}`), InvokeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the event runs", func() bool { return len(r.invocations(id)) > 0 })
	r.none(t, h)
	if recs := r.invocations(id); len(recs) != 1 || recs[0].ErrorType != "" {
		t.Fatalf("invocations = %+v", recs)
	}
}

func TestAsyncMaxEventAge(t *testing.T) {
	r := newAsyncRecorder()
	// The first retry would come after the event's maximum age.
	h := newHost(t, r.options(Options{AsyncRetryDelay: 300 * time.Millisecond}),
		FunctionConfig{Name: "f", DeadLetterARN: dlqARN, OnFailure: destARN, MaxEventAge: 100 * time.Millisecond})
	id, err := h.InvokeAsync(t.Context(), "f", []byte(`{"fail":"late"}`), InvokeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := r.byQueue(t, 2)
	rec := parseRecord(t, got[destARN].body)
	if rec.RequestContext.Condition != "EventAgeExceeded" || rec.RequestContext.ApproximateInvokeCount != 1 || rec.ResponsePayload["errorMessage"] != "late" {
		t.Errorf("record = %s", got[destARN].body)
	}
	if got[dlqARN].attrs["ErrorCode"] != "200" || got[dlqARN].attrs["ErrorMessage"] != "late" {
		t.Errorf("dead-letter attributes = %v", got[dlqARN].attrs)
	}
	if n := len(r.invocations(id)); n != 1 {
		t.Errorf("%d invocations, want 1", n)
	}
}

// holdSlot keeps the only process of a function with reserved concurrency 1
// busy for sleepMs, and returns once it is.
func holdSlot(t *testing.T, h *Host, name string, sleepMs int) <-chan struct{} {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		b, _ := json.Marshal(map[string]any{"sleepMs": sleepMs})
		if _, err := h.Invoke(context.Background(), name, b, InvokeOptions{}); err != nil {
			t.Errorf("holding invoke: %v", err)
		}
	}()
	f, _ := h.lookup(name)
	waitUntil(t, "the function's only slot is taken", func() bool { return len(f.slots) == cap(f.slots) })
	return done
}

func TestAsyncThrottlesDoNotUseTheRetryBudget(t *testing.T) {
	r := newAsyncRecorder()
	h := newHost(t, r.options(Options{AsyncRetryDelay: 20 * time.Millisecond}),
		FunctionConfig{Name: "f", ReservedConcurrency: intp(1), MaxRetryAttempts: intp(0), DeadLetterARN: dlqARN, OnFailure: destARN, Timeout: 5 * time.Second})
	held := holdSlot(t, h, "f", 500)
	// Every attempt is throttled until the slot frees; none counts as a retry.
	id, err := h.InvokeAsync(t.Context(), "f", []byte(`{"echo":"eventually"}`), InvokeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	<-held
	waitUntil(t, "the async event runs", func() bool { return len(r.invocations(id)) > 0 })
	r.none(t, h)
	if recs := r.invocations(id); len(recs) != 1 || recs[0].ErrorType != "" {
		t.Fatalf("invocations of the throttled event = %+v, want one success", recs)
	}
}

func TestAsyncThrottledTooLongIsGivenUp(t *testing.T) {
	r := newAsyncRecorder()
	h := newHost(t, r.options(Options{AsyncRetryDelay: 20 * time.Millisecond, ThrottleRetryFor: 200 * time.Millisecond}),
		FunctionConfig{Name: "f", ReservedConcurrency: intp(1), DeadLetterARN: dlqARN, OnFailure: destARN, Timeout: 10 * time.Second})
	held := holdSlot(t, h, "f", 1200)
	id, err := h.InvokeAsync(t.Context(), "f", []byte(`{"echo":"never"}`), InvokeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := r.byQueue(t, 2)
	if d := got[dlqARN]; d.body != `{"echo":"never"}` || d.attrs["ErrorCode"] != "429" || d.attrs["RequestID"] != id || d.attrs["ErrorMessage"] == "" {
		t.Errorf("dead-letter message = %+v", d)
	}
	rec := parseRecord(t, got[destARN].body)
	if rec.RequestContext.Condition != "EventAgeExceeded" || rec.RequestContext.ApproximateInvokeCount != 0 ||
		rec.ResponseContext.StatusCode != 429 || rec.ResponsePayload != nil {
		t.Errorf("record = %s", got[destARN].body)
	}
	if n := len(r.invocations(id)); n != 0 {
		t.Errorf("the throttled event ran %d times", n)
	}
	<-held
}
