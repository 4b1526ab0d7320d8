package awsproto

import (
	"net/http/httptest"
	"strings"
	"testing"
)

func TestSigV4Scope(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260101/eu-west-1/sqs/aws4_request, SignedHeaders=host, Signature=abc")
	s, ok := SigV4Scope(r)
	if !ok || s.Service != "sqs" || s.Region != "eu-west-1" || s.AccessKey != "AKID" {
		t.Fatalf("scope = %+v %v", s, ok)
	}
	r = httptest.NewRequest("GET", "/b/k?X-Amz-Credential=AKID%2F20260101%2Fus-east-1%2Fs3%2Faws4_request", nil)
	if s, ok := SigV4Scope(r); !ok || s.Service != "s3" {
		t.Fatalf("presigned scope = %+v %v", s, ok)
	}
	if _, ok := SigV4Scope(httptest.NewRequest("GET", "/", nil)); ok {
		t.Fatal("unsigned request reported a scope")
	}
}

func TestQueryAndRESTXMLErrors(t *testing.T) {
	rec := httptest.NewRecorder()
	WriteQueryError(rec, Errorf(400, "AWS.SimpleQueueService.NonExistentQueue", "no queue %s", "q"))
	body := rec.Body.String()
	for _, want := range []string{"<Type>Sender</Type>", "<Code>AWS.SimpleQueueService.NonExistentQueue</Code>", "<Message>no queue q</Message>", "<RequestId>"} {
		if !strings.Contains(body, want) {
			t.Errorf("query error body %q lacks %q", body, want)
		}
	}
	rec = httptest.NewRecorder()
	WriteRESTXMLError(rec, Errorf(404, "NoSuchKey", "gone"), "/b/k")
	if rec.Code != 404 || !strings.Contains(rec.Body.String(), "<Code>NoSuchKey</Code>") || rec.Header().Get("X-Amz-Request-Id") == "" {
		t.Fatalf("rest-xml error = %d %q", rec.Code, rec.Body.String())
	}
}

func TestErrorTableNew(t *testing.T) {
	table := ErrorTable{"NoSuchKey": 404, "InternalError": 500}
	e := table.New("NoSuchKey", "key %s", "k")
	if e.Code != "NoSuchKey" || e.Status != 404 || !e.Sender || e.Message != "key k" {
		t.Fatalf("New(NoSuchKey) = %+v", e)
	}
	if e := table.New("InternalError", "boom"); e.Status != 500 || e.Sender {
		t.Fatalf("New(InternalError) = %+v, want a 500 receiver fault", e)
	}
	e = table.New("Unlisted", "x")
	if e.Code != UnregisteredCode || e.Status != 500 || !strings.Contains(e.Message, `"Unlisted"`) {
		t.Fatalf("New(Unlisted) = %+v, want a 500 naming the code", e)
	}
	if s, ok := table.Status("NoSuchKey"); !ok || s != 404 {
		t.Fatalf("Status(NoSuchKey) = %d %v", s, ok)
	}
}
