package main

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	lambdaevents "github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-xray-sdk-go/v2/xray"

	"github.com/dragons-dev/dragons/dragons"
	"github.com/dragons-dev/dragons/dragons/awstest"
	"github.com/dragons-dev/dragons/handlers/internal/handlertest"
	"github.com/dragons-dev/dragons/handlers/internal/restapi"
	"github.com/dragons-dev/dragons/handlers/internal/telemetry"
	"github.com/dragons-dev/dragons/schemas"
)

var emitter = &handlertest.Emitter{}

// TestMain captures emitted X-Ray segments instead of sending them.
func TestMain(m *testing.M) { handlertest.Run(m, emitter) }

const (
	bucket  = handlertest.Bucket
	machine = "arn:aws:states:us-east-1:000000000000:stateMachine:AddDragonStateMachine"
)

type fixture struct {
	s3      *awstest.S3
	sfn     *awstest.StepFunctions
	h       *Handler
	metrics *strings.Builder
	clock   time.Time
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	s3srv, s3api := handlertest.NewS3(t)
	sfnsrv, sfnapi := handlertest.NewStepFunctions(t)
	f := &fixture{s3: s3srv, sfn: sfnsrv, metrics: &strings.Builder{}, clock: time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)}
	ids := 0
	f.h = &Handler{
		S3:              s3api,
		SFN:             sfnapi,
		Bucket:          bucket,
		StateMachineArn: machine,
		Validator:       handlertest.NewValidator(t),
		Log:             handlertest.Logger(),
		Metrics:         telemetry.NewMetrics(f.metrics, "submitDragon", nil),
		Now:             func() time.Time { return f.clock },
		NewID: func() string {
			ids++
			return fmt.Sprintf("00000000-0000-4000-8000-%012d", ids)
		},
	}
	return f
}

func post(body string, headers map[string]string, sub string) lambdaevents.APIGatewayProxyRequest {
	req := lambdaevents.APIGatewayProxyRequest{HTTPMethod: "POST", Resource: "/dragons", Path: "/dragons", Body: body, Headers: headers}
	if sub != "" {
		req.RequestContext.Authorizer = map[string]any{"claims": map[string]any{"sub": sub, "cognito:username": "rider"}}
	}
	return req
}

func (f *fixture) do(t *testing.T, ctx context.Context, req lambdaevents.APIGatewayProxyRequest) lambdaevents.APIGatewayProxyResponse {
	t.Helper()
	resp, err := f.h.Handle(ctx, req)
	if err != nil {
		t.Fatalf("Handle returned an error (API Gateway would answer 502): %v", err)
	}
	return resp
}

func accepted(t *testing.T, resp lambdaevents.APIGatewayProxyResponse) Accepted {
	t.Helper()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("status %d, want 202: %s", resp.StatusCode, resp.Body)
	}
	var a Accepted
	dec := json.NewDecoder(strings.NewReader(resp.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a); err != nil {
		t.Fatalf("202 body %s: %v", resp.Body, err)
	}
	if resp.Headers["Location"] != "/dragons/executions/"+a.ExecutionID {
		t.Errorf("Location = %q for %s", resp.Headers["Location"], a.ExecutionID)
	}
	return a
}

const good = `{"dragonName":"Frostfang","family":"blue","city":"nome","confirmationRequired":false}`

func TestAcceptedSubmissionStartsTheWorkflow(t *testing.T) {
	f := newFixture(t)
	resp := f.do(t, context.Background(), post(good, nil, "user-1"))
	a := accepted(t, resp)
	want := Accepted{
		ExecutionArn: awstest.ExecutionArn(machine, "00000000-0000-4000-8000-000000000001"),
		ExecutionID:  "00000000-0000-4000-8000-000000000001",
		Status:       dragons.StatusAccepted,
	}
	if a.ExecutionArn != want.ExecutionArn || a.ExecutionID != want.ExecutionID || a.Status != want.Status {
		t.Errorf("202 body = %+v, want %+v", a, want)
	}
	if _, err := time.Parse(time.RFC3339Nano, a.StartDate); err != nil {
		t.Errorf("startDate %q: %v", a.StartDate, err)
	}

	// The execution: named after the execution id, with the contract's input.
	calls := f.sfn.Calls()
	if len(calls) != 1 {
		t.Fatalf("%d StartExecution calls", len(calls))
	}
	c := calls[0]
	if c.StateMachineArn != machine || c.Name != a.ExecutionID {
		t.Errorf("StartExecution = %+v", c)
	}
	var in struct {
		ExecutionID string          `json:"executionId"`
		SubmittedAt string          `json:"submittedAt"`
		Dragon      json.RawMessage `json:"dragon"`
	}
	dec := json.NewDecoder(strings.NewReader(c.Input))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		t.Fatalf("workflow input %s: %v", c.Input, err)
	}
	if in.ExecutionID != a.ExecutionID || in.SubmittedAt != "2026-03-14T09:26:53Z" {
		t.Errorf("workflow input = %s", c.Input)
	}
	var dragon, body any
	_ = json.Unmarshal(in.Dragon, &dragon)
	_ = json.Unmarshal([]byte(good), &body)
	if fmt.Sprint(dragon) != fmt.Sprint(body) {
		t.Errorf("workflow dragon %s, want the POST body %s", in.Dragon, good)
	}
	// The workflow's tasks accept what submitDragon sends.
	if _, err := f.h.Validator.ParseSubmission(in.Dragon); err != nil {
		t.Errorf("workflow dragon does not validate: %v", err)
	}

	// The ACCEPTED status record.
	data, _, ok := f.s3.Object(bucket, "executions/"+a.ExecutionID+".json")
	if !ok {
		t.Fatal("no status record")
	}
	if vs, err := schemas.MustCompile(schemas.ExecutionStatus).ValidateJSON(data); err != nil || len(vs) > 0 {
		t.Errorf("status record %s fails the schema: %v %v", data, vs, err)
	}
	var rec dragons.Execution
	_ = json.Unmarshal(data, &rec)
	if rec.Status != dragons.StatusAccepted || rec.ExecutionArn != a.ExecutionArn || rec.StartDate != a.StartDate || rec.UpdatedAt != "2026-03-14T09:26:53.000Z" {
		t.Errorf("status record = %+v", rec)
	}
}

func TestBadBodiesAre400WithEveryProblem(t *testing.T) {
	f := newFixture(t)
	cases := []struct {
		name   string
		req    lambdaevents.APIGatewayProxyRequest
		fields []string
	}{
		{"empty", post("", nil, "u"), []string{""}},
		{"not JSON", post("dragonName=Ember&family=red", nil, "u"), []string{""}},
		{"too large", post(`{"dragonName":"`+strings.Repeat("x", 20000)+`","family":"red"}`, nil, "u"), []string{""}},
		{"wrong types", post(`{"dragonName":1,"family":true,"confirmationRequired":"no"}`, nil, "u"), []string{"/confirmationRequired", "/dragonName", "/family"}},
		{"unknown fields", post(`{"dragonName":"a","family":"b","colour":"red","size":2}`, nil, "u"), []string{"/colour", "/size"}},
		{"missing required", post(`{"description":"no name"}`, nil, "u"), []string{"/dragonName", "/family"}},
		{"array", post(`[{"dragonName":"a","family":"b"}]`, nil, "u"), []string{""}},
		{"bad base64", lambdaevents.APIGatewayProxyRequest{Body: "***", IsBase64Encoded: true}, []string{""}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := f.do(t, context.Background(), tc.req)
			if resp.StatusCode != http.StatusBadRequest || resp.Headers["Content-Type"] != "application/json" {
				t.Fatalf("response = %d %v %s", resp.StatusCode, resp.Headers, resp.Body)
			}
			var body restapi.ErrorBody
			if err := json.Unmarshal([]byte(resp.Body), &body); err != nil {
				t.Fatal(err)
			}
			var fields []string
			for _, p := range body.Errors {
				fields = append(fields, p.Path)
				if p.Message == "" {
					t.Errorf("problem without message: %+v", p)
				}
			}
			if body.Message == "" || strings.Join(fields, ",") != strings.Join(tc.fields, ",") {
				t.Errorf("body = %s, want problems at %q", resp.Body, tc.fields)
			}
		})
	}
	if calls := f.sfn.Calls(); len(calls) != 0 {
		t.Errorf("bad bodies started %d executions", len(calls))
	}
	if keys := f.s3.Keys(bucket, ""); len(keys) != 0 {
		t.Errorf("bad bodies wrote %v", keys)
	}
	if n := strings.Count(f.metrics.String(), `"DragonsRejected":1`); n != len(cases) {
		t.Errorf("DragonsRejected counted %d times, want %d", n, len(cases))
	}
}

func TestBase64BodyIsAccepted(t *testing.T) {
	f := newFixture(t)
	req := post(base64.StdEncoding.EncodeToString([]byte(good)), nil, "u")
	req.IsBase64Encoded = true
	accepted(t, f.do(t, context.Background(), req))
}

func TestTraceHeaderAndAnnotations(t *testing.T) {
	f := newFixture(t)
	ctx := context.WithValue(context.Background(), xray.LambdaTraceHeaderKey,
		"Root=1-65f2a1b3-aaaaaaaaaaaaaaaaaaaaaaaa;Parent=53995c3f42cd8ad8;Sampled=1")
	a := accepted(t, f.do(t, ctx, post(`{"dragonName":"O'Brien \"Bold\" 龍","family":"red"}`, nil, "u")))
	c := f.sfn.Calls()[0]
	if !strings.HasPrefix(c.TraceHeader, "Root=1-65f2a1b3-aaaaaaaaaaaaaaaaaaaaaaaa;Parent=") {
		t.Errorf("StartExecution traceHeader = %q", c.TraceHeader)
	}
	if !strings.Contains(c.HTTPTraceHeader, "Root=1-65f2a1b3-aaaaaaaaaaaaaaaaaaaaaaaa") {
		t.Errorf("StartExecution HTTP X-Amzn-Trace-Id = %q", c.HTTPTraceHeader)
	}
	seg := emitter.Find("SubmitDragon")
	if seg == nil {
		t.Fatal("no SubmitDragon subsegment emitted")
	}
	if seg.Annotations[telemetry.AnnotationDragonName] != `O'Brien "Bold" 龍` || seg.Annotations[telemetry.AnnotationExecutionID] != a.ExecutionID {
		t.Errorf("annotations = %v", seg.Annotations)
	}
}

func TestIdempotencyKeyReplaysTheFirstExecution(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	hdr := map[string]string{"idempotency-key": "order-77"}
	first := accepted(t, f.do(t, ctx, post(good, hdr, "user-1")))
	// Same key, same user, same dragon (spelt with other white space): the
	// first execution, no new one.
	resp := f.do(t, ctx, post("  "+good+"\n", map[string]string{"Idempotency-Key": "order-77"}, "user-1"))
	again := accepted(t, resp)
	if again != first || resp.Headers["Idempotent-Replayed"] != "true" {
		t.Errorf("replay = %+v (%v), want %+v", again, resp.Headers, first)
	}
	if n := len(f.sfn.Calls()); n != 1 {
		t.Fatalf("%d executions started, want 1", n)
	}
	// The replay reports the execution's current status.
	succeeded := dragons.Execution{ExecutionID: first.ExecutionID, ExecutionArn: first.ExecutionArn, Status: dragons.StatusSucceeded,
		StartDate: first.StartDate, UpdatedAt: first.StartDate, Dragon: &dragons.Record{DragonName: "Frostfang", Family: "blue", City: "nome"}}
	b, _ := json.Marshal(succeeded)
	f.s3.PutObject(bucket, "executions/"+first.ExecutionID+".json", b)
	if a := accepted(t, f.do(t, ctx, post(good, hdr, "user-1"))); a.Status != dragons.StatusSucceeded || a.ExecutionID != first.ExecutionID {
		t.Errorf("replay after success = %+v", a)
	}
	// The key is scoped to the user: another user's key starts its own.
	other := accepted(t, f.do(t, ctx, post(good, hdr, "user-2")))
	if other.ExecutionID == first.ExecutionID || len(f.sfn.Calls()) != 2 {
		t.Errorf("another user's request replayed user-1's execution")
	}
	// The record is where the contract puts it: sha256("user-1" NUL "order-77").
	const recordKey = "idempotency/30917437ccd8d908360a6409ce821522f098ed9f6fed4d145410c190809948ef.json"
	if _, _, ok := f.s3.Object(bucket, recordKey); !ok {
		t.Errorf("no idempotency record at %s; keys %v", recordKey, f.s3.Keys(bucket, "idempotency/"))
	}
	// The subject and the key are kept apart: user "user-1o" with key
	// "rder-77" is not user "user-1" with key "order-77".
	shifted := accepted(t, f.do(t, ctx, post(good, map[string]string{"Idempotency-Key": "rder-77"}, "user-1o")))
	if shifted.ExecutionID == first.ExecutionID || len(f.sfn.Calls()) != 3 {
		t.Errorf("(user-1o, rder-77) replayed (user-1, order-77)'s execution")
	}
	// The same key with another dragon is refused.
	resp = f.do(t, ctx, post(`{"dragonName":"Other","family":"red"}`, hdr, "user-1"))
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("key reuse with another body: %d %s", resp.StatusCode, resp.Body)
	}
	// Malformed keys are refused.
	resp = f.do(t, ctx, post(good, map[string]string{"Idempotency-Key": strings.Repeat("k", 256)}, "user-1"))
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("256-character key: %d %s", resp.StatusCode, resp.Body)
	}
}

func TestIdempotencyKeyInProgressAndAbandoned(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	const key = "idempotency/9c7412c8a6f15c2e6b1c39a123ac1c7074e6492f659992e1b3c3068e844ae708.json" // sha256("user-1" NUL "k1")
	dragonJSON := `{"dragonName":"Frostfang","family":"blue","city":"nome","confirmationRequired":false}`
	hash := sha256.Sum256([]byte(dragonJSON))
	claim := func(created time.Time) {
		b, _ := json.Marshal(idempotencyRecord{ExecutionID: "6c1b2a3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", RequestHash: hex.EncodeToString(hash[:]), CreatedAt: dragons.FormatTime(created)})
		f.s3.PutObject(bucket, key, b)
	}
	hdr := map[string]string{"Idempotency-Key": "k1"}
	// A claim made a second ago whose execution has not started: in progress.
	claim(f.clock.Add(-time.Second))
	resp := f.do(t, ctx, post(good, hdr, "user-1"))
	if resp.StatusCode != http.StatusConflict || resp.Headers["Retry-After"] == "" {
		t.Fatalf("in-progress key: %d %v %s", resp.StatusCode, resp.Headers, resp.Body)
	}
	// A claim older than the TTL was abandoned: this request takes it over.
	claim(f.clock.Add(-2 * DefaultClaimTTL))
	a := accepted(t, f.do(t, ctx, post(good, hdr, "user-1")))
	if a.ExecutionID == "6c1b2a3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d" || len(f.sfn.Calls()) != 1 {
		t.Fatalf("takeover = %+v, calls %d", a, len(f.sfn.Calls()))
	}
	data, _, _ := f.s3.Object(bucket, key)
	var rec idempotencyRecord
	_ = json.Unmarshal(data, &rec)
	if rec.ExecutionID != a.ExecutionID || rec.ExecutionArn != a.ExecutionArn {
		t.Errorf("idempotency record after takeover = %+v", rec)
	}
}

func TestFailedStartReleasesTheKey(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	hdr := map[string]string{"Idempotency-Key": "k2"}
	f.sfn.FailNext("StateMachineDoesNotExist")
	resp := f.do(t, ctx, post(good, hdr, "user-1"))
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("failed start: %d %s", resp.StatusCode, resp.Body)
	}
	if keys := f.s3.Keys(bucket, ""); len(keys) != 0 {
		t.Errorf("a failed start left %v", keys)
	}
	// The client's retry with the same key starts the execution.
	a := accepted(t, f.do(t, ctx, post(good, hdr, "user-1")))
	if len(f.sfn.Calls()) != 1 || a.ExecutionID == "" {
		t.Errorf("retry after a failed start: %+v", a)
	}
}

func TestWorkflowOutcomeIsNeverOverwrittenByAccepted(t *testing.T) {
	f := newFixture(t)
	// The Express execution is fast: its SUCCEEDED record may land before
	// submitDragon writes ACCEPTED.
	id := "00000000-0000-4000-8000-000000000001"
	done := `{"executionId":"` + id + `","executionArn":"arn:x","status":"SUCCEEDED","startDate":"2026-03-14T09:26:53Z","updatedAt":"2026-03-14T09:26:54Z","dragon":{"dragon_name_str":"Frostfang","family_str":"blue","description_str":"","location_city_str":"nome","location_state_str":"","location_country_str":"","location_neighborhood_str":""}}`
	f.s3.PutObject(bucket, "executions/"+id+".json", []byte(done))
	accepted(t, f.do(t, context.Background(), post(good, nil, "u")))
	if data, _, _ := f.s3.Object(bucket, "executions/"+id+".json"); string(data) != done {
		t.Errorf("status record overwritten with %s", data)
	}
}

func TestConcurrentRetriesWithOneKeyStartOneExecution(t *testing.T) {
	f := newFixture(t)
	var mu sync.Mutex
	n := 0
	f.h.NewID = func() string {
		mu.Lock()
		defer mu.Unlock()
		n++
		return fmt.Sprintf("00000000-0000-4000-8000-%012d", n)
	}
	const clients = 8
	resps := make([]lambdaevents.APIGatewayProxyResponse, clients)
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resps[i], _ = f.h.Handle(context.Background(), post(good, map[string]string{"Idempotency-Key": "same"}, "user-1"))
		}()
	}
	wg.Wait()
	if calls := f.sfn.Calls(); len(calls) != 1 {
		t.Fatalf("%d executions started, want 1", len(calls))
	}
	id := f.sfn.Calls()[0].Name
	for i, r := range resps {
		switch r.StatusCode {
		case http.StatusAccepted:
			if a := accepted(t, r); a.ExecutionID != id {
				t.Errorf("client %d got execution %s, want %s", i, a.ExecutionID, id)
			}
		case http.StatusConflict:
		default:
			t.Errorf("client %d: %d %s", i, r.StatusCode, r.Body)
		}
	}
}

// TestGoldenAPIGatewayEvent feeds a whole API Gateway proxy event, as the
// service delivers it (Cognito claims, lower-case header names), through
// the runtime's JSON decoding and the handler.
func TestGoldenAPIGatewayEvent(t *testing.T) {
	f := newFixture(t)
	data, err := os.ReadFile("testdata/post-dragons.json")
	if err != nil {
		t.Fatal(err)
	}
	var req lambdaevents.APIGatewayProxyRequest
	if err := json.Unmarshal(data, &req); err != nil {
		t.Fatal(err)
	}
	first := accepted(t, f.do(t, context.Background(), req))
	again := accepted(t, f.do(t, context.Background(), req))
	if again != first || len(f.sfn.Calls()) != 1 {
		t.Fatalf("the event's Idempotency-Key was not honoured: %+v then %+v", first, again)
	}
	// sha256("9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d" NUL "sighting-2026-03-14-001")
	if _, _, ok := f.s3.Object(bucket, "idempotency/867e4ffcb6b74054279f11c5e9d9688a5159026be5f08ba2ae57413df01fc01e.json"); !ok {
		t.Errorf("idempotency record not scoped to the claims' sub; keys %v", f.s3.Keys(bucket, "idempotency/"))
	}
}
