package edge

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// signedAs returns the Authorization header of a request signed for service.
func signedAs(service string) string {
	return "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/" + service + "/aws4_request, SignedHeaders=host, Signature=00"
}

// logLines decodes the JSON log lines in buf.
func logLines(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	dec := json.NewDecoder(buf)
	for dec.More() {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

func TestLogLineNamesS3AndQueryOperations(t *testing.T) {
	var buf bytes.Buffer
	e := New(slog.New(slog.NewJSONHandler(&buf, nil)))
	e.Handle("s3", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
	}))
	var got []string
	e.Handle("sqs", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			t.Error(err)
		}
		if r.Method == http.MethodPost {
			got = append(got, string(b))
		}
	}))
	srv := httptest.NewServer(e)
	defer srv.Close()

	longValue := strings.Repeat("x", 2*peekLimit)
	forms := []string{
		"Action=SendMessage&Version=2012-11-05&QueueUrl=http%3A%2F%2Fq&MessageBody=" + longValue,
		"Version=2012-11-05&MessageBody=" + longValue + "&Action=DeleteQueue", // Action past the kept prefix
		"Version=2012-11-05&Action=Purge%51ueue",
	}
	cases := []struct {
		method, path, host, body, copySource, service, want string
	}{
		{"PUT", "/bkt/a/b.json", "", "{}", "", "s3", "PutObject"},
		{"PUT", "/bkt/copy", "", "", "/bkt/a", "s3", "CopyObject"},
		{"GET", "/bkt/a/b.json", "", "", "", "s3", "GetObject"},
		{"HEAD", "/bkt", "", "", "", "s3", "HeadBucket"},
		{"GET", "/bkt?list-type=2&prefix=a", "", "", "", "s3", "ListObjectsV2"},
		{"GET", "/bkt?versions", "", "", "", "s3", "ListObjectVersions"},
		{"POST", "/bkt?delete", "", "<Delete/>", "", "s3", "DeleteObjects"},
		{"PUT", "/bkt/k?partNumber=1&uploadId=u", "", "x", "", "s3", "UploadPart"},
		{"GET", "/", "", "", "", "s3", "ListBuckets"},
		{"GET", "/k.json", "bkt.s3.localhost", "", "", "s3", "GetObject"},
		{"DELETE", "/", "bkt.s3.localhost", "", "", "s3", "DeleteBucket"},
		{"GET", "/bkt/k?x-id=GetObjectAttributes", "", "", "", "s3", "GetObjectAttributes"},
		{"POST", "/000000000000/q", "", forms[0], "", "sqs", "SendMessage"},
		{"POST", "/", "", forms[1], "", "sqs", ""},
		{"POST", "/", "", forms[2], "", "sqs", "PurgeQueue"},
		{"GET", "/?Action=ListQueues&Version=2012-11-05", "", "", "", "sqs", "ListQueues"},
	}
	for _, c := range cases {
		req, err := http.NewRequest(c.method, srv.URL+c.path, strings.NewReader(c.body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", signedAs(c.service))
		if c.service == "sqs" && c.method == "POST" {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		}
		if c.host != "" {
			req.Host = c.host
		}
		if c.copySource != "" {
			req.Header.Set("X-Amz-Copy-Source", c.copySource)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	lines := logLines(t, &buf)
	if len(lines) != len(cases) {
		t.Fatalf("%d log lines for %d requests", len(lines), len(cases))
	}
	for i, c := range cases {
		l := lines[i]
		if l["op"] != c.want || l["service"] != c.service || l["method"] != c.method || l["status"] != float64(200) {
			t.Errorf("%s %s%s: log line %v, want op %q", c.method, c.host, c.path, l, c.want)
		}
	}
	// The handler saw every form body whole.
	if strings.Join(got, "\n") != strings.Join(forms, "\n") {
		t.Errorf("query handler did not read the form bodies unchanged (%d bodies)", len(got))
	}
}

func TestFormAction(t *testing.T) {
	for _, c := range []struct {
		head     string
		complete bool
		want     string
	}{
		{"Action=SendMessage&Version=1", false, "SendMessage"},
		{"Version=1&Action=Send", false, ""},
		{"Version=1&Action=Send", true, "Send"},
		{"NotAction=X&Action=Y&", false, "Y"},
		{"Action=%zz&", false, ""},
		{"", true, ""},
	} {
		if got := formAction([]byte(c.head), c.complete); got != c.want {
			t.Errorf("formAction(%q, %v) = %q, want %q", c.head, c.complete, got, c.want)
		}
	}
}

func TestUnroutedErrorShapeFollowsTheClientsProtocol(t *testing.T) {
	srv := httptest.NewServer(New(nil))
	defer srv.Close()

	// REST-XML: the S3 SDK decodes the error code from the XML body.
	c := s3.New(s3.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("any", "any", ""),
	})
	_, err := c.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String("b")})
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "UnrecognizedClientException" {
		t.Fatalf("S3 client error = %v, want UnrecognizedClientException", err)
	}

	// Query protocol: a form-encoded request gets an ErrorResponse document.
	req, _ := http.NewRequest("POST", srv.URL+"/", strings.NewReader("Action=ListQueues&Version=2012-11-05"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", signedAs("sqs"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var qe struct {
		XMLName xml.Name `xml:"ErrorResponse"`
		Error   struct{ Type, Code string }
	}
	body, _ := io.ReadAll(resp.Body)
	if err := xml.Unmarshal(body, &qe); err != nil || qe.Error.Code != "UnrecognizedClientException" || qe.Error.Type != "Sender" || resp.StatusCode != 400 {
		t.Fatalf("query error = %d %s (%v)", resp.StatusCode, body, err)
	}

	// REST-JSON services get JSON even without X-Amz-Target.
	req, _ = http.NewRequest("GET", srv.URL+"/2015-03-31/functions/f", nil)
	req.Header.Set("Authorization", signedAs("lambda"))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var je struct {
		Type string `json:"__type"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&je); err != nil || je.Type != "UnrecognizedClientException" {
		t.Fatalf("REST-JSON error = %+v (%v)", je, err)
	}
}
