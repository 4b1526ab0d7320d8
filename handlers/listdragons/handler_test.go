package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"

	lambdaevents "github.com/aws/aws-lambda-go/events"

	"github.com/dragons-dev/dragons/dragons"
	"github.com/dragons-dev/dragons/dragons/awstest"
	"github.com/dragons-dev/dragons/handlers/internal/handlertest"
	"github.com/dragons-dev/dragons/handlers/internal/restapi"
	"github.com/dragons-dev/dragons/schemas"
	"github.com/dragons-dev/dragons/seed"
)

func TestMain(m *testing.M) { handlertest.Run(m, nil) }

const bucket = handlertest.Bucket

type fixture struct {
	s3  *awstest.S3
	h   *Handler
	log *bytes.Buffer
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	srv, api := handlertest.NewS3(t)
	var buf bytes.Buffer
	return &fixture{s3: srv, log: &buf, h: &Handler{Catalog: handlertest.NewCatalog(t, api), Log: slog.New(slog.NewJSONHandler(&buf, nil))}}
}

func (f *fixture) get(t *testing.T, query map[string]string) lambdaevents.APIGatewayProxyResponse {
	t.Helper()
	req := lambdaevents.APIGatewayProxyRequest{HTTPMethod: "GET", Path: "/dragons", Resource: "/dragons", QueryStringParameters: query}
	resp, err := f.h.Handle(context.Background(), req)
	if err != nil {
		t.Fatalf("Handle returned an error: %v", err)
	}
	return resp
}

func names(t *testing.T, resp lambdaevents.APIGatewayProxyResponse) []string {
	t.Helper()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
	}
	var records []map[string]string
	if err := json.Unmarshal([]byte(resp.Body), &records); err != nil {
		t.Fatalf("body %q: %v", resp.Body, err)
	}
	var out []string
	for _, r := range records {
		out = append(out, r["dragon_name_str"])
	}
	return out
}

func TestListsTheSeedInCourseFormat(t *testing.T) {
	f := newFixture(t)
	f.s3.PutObject(bucket, "Dragons.json", seed.Dragons())
	resp := f.get(t, nil)
	if resp.Headers["Content-Type"] != "application/json" {
		t.Errorf("Content-Type = %q", resp.Headers["Content-Type"])
	}
	want, _ := dragons.DecodeRecords(seed.Dragons())
	if got := names(t, resp); len(got) != len(want) || got[0] != want[0].DragonName {
		t.Fatalf("names = %v", got)
	}
	var docs []json.RawMessage
	_ = json.Unmarshal([]byte(resp.Body), &docs)
	record := schemas.MustCompile(schemas.DragonRecord)
	for _, d := range docs {
		if vs, err := record.ValidateJSON(d); err != nil || len(vs) > 0 {
			t.Errorf("served record %s fails the record schema: %v %v", d, vs, err)
		}
	}
}

func TestMissingCatalogIsAnEmptyArray(t *testing.T) {
	f := newFixture(t)
	resp := f.get(t, nil)
	if resp.StatusCode != 200 || resp.Body != "[]" {
		t.Fatalf("response = %d %s, want 200 []", resp.StatusCode, resp.Body)
	}
}

func TestExecutionIDsAreNotServed(t *testing.T) {
	f := newFixture(t)
	f.s3.PutObject(bucket, "Dragons.json", []byte(`[{"dragon_name_str":"Ember","family_str":"red","description_str":"","location_city_str":"","location_state_str":"","location_country_str":"","location_neighborhood_str":"","execution_id_str":"0f8fad5b-d9cb-469f-a165-70867728950e"}]`))
	resp := f.get(t, nil)
	if strings.Contains(resp.Body, "execution_id_str") || strings.Contains(resp.Body, "0f8fad5b") {
		t.Fatalf("body leaks the execution id: %s", resp.Body)
	}
	if got := names(t, resp); len(got) != 1 || got[0] != "Ember" {
		t.Fatalf("names = %v", got)
	}
}

func TestFilters(t *testing.T) {
	f := newFixture(t)
	f.s3.PutObject(bucket, "Dragons.json", []byte(`[
		{"dragon_name_str":"Ember","family_str":"red","description_str":"","location_city_str":"","location_state_str":"","location_country_str":"","location_neighborhood_str":""},
		{"dragon_name_str":"O'Brien \"the Bold\"","family_str":"red","description_str":"","location_city_str":"","location_state_str":"","location_country_str":"","location_neighborhood_str":""},
		{"dragon_name_str":"龍神","family_str":"gold","description_str":"","location_city_str":"","location_state_str":"","location_country_str":"","location_neighborhood_str":""}]`))
	cases := []struct {
		q    map[string]string
		want string
	}{
		{map[string]string{"family": "red"}, `Ember|O'Brien "the Bold"`},
		{map[string]string{"dragonName": `o'brien "THE BOLD"`}, `O'Brien "the Bold"`},
		{map[string]string{"dragonName": "龍神"}, "龍神"},
		{map[string]string{"dragonName": "Ember", "family": "gold"}, ""},
		{map[string]string{"dragonName": " ember ", "family": "RED"}, "Ember"},
		{map[string]string{"dragonName": `' OR 1=1 --`}, ""},
		{map[string]string{"unrelated": "x"}, `Ember|O'Brien "the Bold"|龍神`},
	}
	for _, tc := range cases {
		resp := f.get(t, tc.q)
		if got := strings.Join(names(t, resp), "|"); got != tc.want {
			t.Errorf("GET %v = %q, want %q", tc.q, got, tc.want)
		}
		if resp.Body == "null" {
			t.Errorf("GET %v served null", tc.q)
		}
	}
}

func TestConflictingRepeatedFilterIsRefused(t *testing.T) {
	f := newFixture(t)
	req := lambdaevents.APIGatewayProxyRequest{
		QueryStringParameters:           map[string]string{"family": "blue"},
		MultiValueQueryStringParameters: map[string][]string{"family": {"red", "blue"}},
	}
	resp, err := f.h.Handle(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	var body restapi.ErrorBody
	_ = json.Unmarshal([]byte(resp.Body), &body)
	if resp.StatusCode != 400 || len(body.Errors) != 1 || body.Errors[0].Path != "family" {
		t.Fatalf("response = %d %s", resp.StatusCode, resp.Body)
	}
	// The same value twice is fine.
	req.MultiValueQueryStringParameters["family"] = []string{"red", "red"}
	if resp, _ := f.h.Handle(context.Background(), req); resp.StatusCode != 200 {
		t.Fatalf("repeated identical filter: %d %s", resp.StatusCode, resp.Body)
	}
}

func TestWarmInvocationIsOneNotModified(t *testing.T) {
	f := newFixture(t)
	f.s3.PutObject(bucket, "Dragons.json", seed.Dragons())
	first := f.get(t, nil)
	f.s3.ResetRequests()
	second := f.get(t, nil)
	if first.Body != second.Body {
		t.Error("warm answer differs from the cold one")
	}
	reqs := f.s3.Requests()
	if len(reqs) != 1 || reqs[0].Method != "GET" || reqs[0].Status != http.StatusNotModified {
		t.Fatalf("warm invocation requests = %+v, want one 304", reqs)
	}
}

func TestUnreadableCatalogIs500AndUntouched(t *testing.T) {
	f := newFixture(t)
	f.s3.PutObject(bucket, "Dragons.json", []byte(`[{"dragon_name_str": "Atl`))
	resp := f.get(t, nil)
	var body restapi.ErrorBody
	if err := json.Unmarshal([]byte(resp.Body), &body); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 500 || !strings.Contains(body.Message, "unreadable") {
		t.Fatalf("response = %d %s", resp.StatusCode, resp.Body)
	}
	if data, _, _ := f.s3.Object(bucket, "Dragons.json"); string(data) != `[{"dragon_name_str": "Atl` {
		t.Fatalf("catalog changed: %q", data)
	}
	if !strings.Contains(f.log.String(), "s3://dragons-bucket/Dragons.json") {
		t.Errorf("log does not name the broken object: %s", f.log.String())
	}
}

func TestGoldenAPIGatewayEvent(t *testing.T) {
	f := newFixture(t)
	f.s3.PutObject(bucket, "Dragons.json", []byte(`[
		{"dragon_name_str":"O'Brien \"the Bold\"","family_str":"red","description_str":"","location_city_str":"","location_state_str":"","location_country_str":"","location_neighborhood_str":""},
		{"dragon_name_str":"O'Brien \"the Bold\" Jr","family_str":"red","description_str":"","location_city_str":"","location_state_str":"","location_country_str":"","location_neighborhood_str":""}]`))
	data, err := os.ReadFile("testdata/get-dragons.json")
	if err != nil {
		t.Fatal(err)
	}
	var req lambdaevents.APIGatewayProxyRequest
	if err := json.Unmarshal(data, &req); err != nil {
		t.Fatal(err)
	}
	resp, err := f.h.Handle(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if got := names(t, resp); len(got) != 1 || got[0] != `O'Brien "the Bold"` {
		t.Fatalf("names = %q", got)
	}
}
