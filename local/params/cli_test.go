package params

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/dragons-dev/dragons/internal/clitest"
)

// serveHTTP starts an in-memory Service behind an HTTP server and returns it
// with the server's URL; both stop when the test ends.
func serveHTTP(t *testing.T) (*Service, string) {
	t.Helper()
	svc, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(svc)
	t.Cleanup(func() {
		srv.Close()
		_ = svc.Close()
	})
	return svc, srv.URL
}

func TestAWSCLI(t *testing.T) {
	for _, cli := range clitest.CLIs() {
		t.Run(cli.Name, func(t *testing.T) {
			t.Parallel()
			aws := clitest.RequireCLI(t, cli)
			svc, url := serveHTTP(t)
			ep := "--endpoint-url=" + url
			out := aws.JSON(t, "ssm", "put-parameter", ep, "--output", "json", "--name", "/dragons/bucket", "--type", "String", "--value", "cli-bucket")
			if out["Version"] != float64(1) {
				t.Fatalf("put-parameter = %v", out)
			}
			if _, err := svc.Put(t.Context(), "/dragons/deep/key", TypeSecureString, "hidden"); err != nil {
				t.Fatal(err)
			}
			got := aws.JSON(t, "ssm", "get-parameter", ep, "--output", "json", "--name", "/dragons/bucket")
			p, _ := got["Parameter"].(map[string]any)
			if p["Value"] != "cli-bucket" || p["Type"] != "String" || p["ARN"] != "arn:aws:ssm:us-east-1:000000000000:parameter/dragons/bucket" {
				t.Fatalf("get-parameter = %v", got)
			}
			byPath := aws.JSON(t, "ssm", "get-parameters-by-path", ep, "--output", "json", "--path", "/dragons", "--recursive", "--with-decryption")
			list, _ := byPath["Parameters"].([]any)
			values := map[string]any{}
			for _, item := range list {
				m, _ := item.(map[string]any)
				values[m["Name"].(string)] = m["Value"]
			}
			if len(values) != 2 || values["/dragons/bucket"] != "cli-bucket" || values["/dragons/deep/key"] != "hidden" {
				t.Fatalf("get-parameters-by-path = %v", byPath)
			}
		})
	}
}

func TestBoto3(t *testing.T) {
	python := clitest.RequireBoto3(t)
	_, url := serveHTTP(t)
	out, err := python.Combined(t.Context(), "testdata/boto3_ssm.py", url)
	if err != nil {
		t.Fatalf("boto3 script: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "boto3 ssm ok") {
		t.Fatalf("boto3 script output: %s", out)
	}
}
