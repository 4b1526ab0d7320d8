package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	lambdaevents "github.com/aws/aws-lambda-go/events"

	"github.com/dragons-dev/dragons/dragons/awstest"
	"github.com/dragons-dev/dragons/handlers/internal/handlertest"
	"github.com/dragons-dev/dragons/handlers/internal/restapi"
	"github.com/dragons-dev/dragons/schemas"
)

func TestMain(m *testing.M) { handlertest.Run(m, nil) }

const bucket = handlertest.Bucket

func newHandler(t *testing.T) (*awstest.S3, *Handler) {
	t.Helper()
	srv, api := handlertest.NewS3(t)
	return srv, &Handler{S3: api, Bucket: bucket, Log: handlertest.Logger()}
}

func get(t *testing.T, h *Handler, id string) (lambdaevents.APIGatewayProxyResponse, restapi.ErrorBody) {
	t.Helper()
	resp, err := h.Handle(context.Background(), lambdaevents.APIGatewayProxyRequest{
		HTTPMethod: "GET", Resource: "/dragons/executions/{id}", Path: "/dragons/executions/" + id,
		PathParameters: map[string]string{"id": id},
	})
	if err != nil {
		t.Fatalf("Handle returned an error: %v", err)
	}
	var body restapi.ErrorBody
	if resp.StatusCode >= 400 {
		if err := json.Unmarshal([]byte(resp.Body), &body); err != nil {
			t.Fatalf("error body %q: %v", resp.Body, err)
		}
	}
	return resp, body
}

// TestServesEveryExampleStatusRecord stores each example status record of
// schemas/ and reads it back through the handler unchanged.
func TestServesEveryExampleStatusRecord(t *testing.T) {
	srv, h := newHandler(t)
	files, _ := filepath.Glob("../../schemas/examples/execution-status/valid/*.json")
	if len(files) == 0 {
		t.Fatal("no example status records")
	}
	status := schemas.MustCompile(schemas.ExecutionStatus)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct{ ExecutionID string }
		_ = json.Unmarshal(data, &doc)
		srv.PutObject(bucket, "executions/"+doc.ExecutionID+".json", data)
		resp, _ := get(t, h, doc.ExecutionID)
		if resp.StatusCode != 200 || resp.Headers["Cache-Control"] != "no-store" {
			t.Fatalf("%s: %d %s", f, resp.StatusCode, resp.Body)
		}
		var got, want any
		_ = json.Unmarshal([]byte(resp.Body), &got)
		_ = json.Unmarshal(data, &want)
		gb, _ := json.Marshal(got)
		wb, _ := json.Marshal(want)
		if string(gb) != string(wb) {
			t.Errorf("%s served as %s", f, resp.Body)
		}
		if vs, _ := status.ValidateJSON([]byte(resp.Body)); len(vs) > 0 {
			t.Errorf("%s: served record fails the schema: %v", f, vs)
		}
	}
	// Upper-case ids name the same execution.
	if resp, _ := get(t, h, "0F8FAD5B-D9CB-469F-A165-70867728950E"); resp.StatusCode != 200 {
		t.Errorf("upper-case id: %d %s", resp.StatusCode, resp.Body)
	}
}

func TestUnknownIDIs404(t *testing.T) {
	_, h := newHandler(t)
	resp, body := get(t, h, "6c1b2a3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d")
	if resp.StatusCode != 404 || !strings.Contains(body.Message, "6c1b2a3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d") {
		t.Fatalf("response = %d %s", resp.StatusCode, resp.Body)
	}
}

func TestBadIDIs400(t *testing.T) {
	srv, h := newHandler(t)
	for _, id := range []string{"", "abc", "../Dragons", "0f8fad5b-d9cb-469f-a165-70867728950e/../../x", "0f8fad5bd9cb469fa16570867728950e"} {
		resp, body := get(t, h, id)
		if resp.StatusCode != 400 || len(body.Errors) != 1 || body.Errors[0].Path != "id" {
			t.Errorf("id %q: %d %s", id, resp.StatusCode, resp.Body)
		}
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("bad ids reached S3 %d times", n)
	}
}

func TestBrokenStatusRecordIs500(t *testing.T) {
	srv, h := newHandler(t)
	id := "7d2c3b4e-5f6a-4b7c-9d8e-0f1a2b3c4d5e"
	srv.PutObject(bucket, "executions/"+id+".json", []byte(`{"executionId":`))
	if resp, _ := get(t, h, id); resp.StatusCode != 500 {
		t.Errorf("truncated record: %d %s", resp.StatusCode, resp.Body)
	}
	srv.PutObject(bucket, "executions/"+id+".json", []byte(`{"executionId":"0f8fad5b-d9cb-469f-a165-70867728950e","status":"ACCEPTED"}`))
	if resp, _ := get(t, h, id); resp.StatusCode != 500 {
		t.Errorf("record of another execution: %d %s", resp.StatusCode, resp.Body)
	}
}
