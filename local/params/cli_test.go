package params

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// cliEnv is the environment every external client runs with: fixed
// credentials and region, no configuration files, no pager.
func cliEnv() []string {
	env := []string{
		"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"AWS_PAGER=", "AWS_EC2_METADATA_DISABLED=true",
	}
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PATH=") || strings.HasPrefix(kv, "HOME=") || strings.HasPrefix(kv, "PYENV") || strings.HasPrefix(kv, "LANG=") {
			env = append(env, kv)
		}
	}
	return env
}

// findCLI returns the path of an AWS CLI whose --version starts with prefix, or
// skips (fails when DRAGONS_REQUIRE_CLI=1) when there is none.
func findCLI(t *testing.T, path, prefix string) string {
	t.Helper()
	missing := func(why string) string {
		if os.Getenv("DRAGONS_REQUIRE_CLI") == "1" {
			t.Fatalf("%s (DRAGONS_REQUIRE_CLI=1)", why)
		}
		t.Skipf("skipping: %s", why)
		return ""
	}
	p, err := exec.LookPath(path)
	if err != nil {
		return missing("AWS CLI " + path + " is not installed")
	}
	cmd := exec.Command(p, "--version")
	cmd.Env = cliEnv()
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), prefix) {
		return missing(p + " is not " + prefix + " (" + strings.TrimSpace(string(out)) + ")")
	}
	return p
}

func runJSON(t *testing.T, bin string, args ...string) map[string]any {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = cliEnv()
	out, err := cmd.Output()
	if err != nil {
		stderr := ""
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("%s %s: %v\n%s%s", bin, strings.Join(args, " "), err, out, stderr)
	}
	var v map[string]any
	if len(strings.TrimSpace(string(out))) == 0 {
		return v
	}
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("%s %s: output is not JSON: %v\n%s", bin, strings.Join(args, " "), err, out)
	}
	return v
}

func TestAWSCLI(t *testing.T) {
	for _, tc := range []struct{ name, bin, prefix string }{
		{"v1", "aws", "aws-cli/1."},
		{"v2", "/usr/bin/aws", "aws-cli/2."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			bin := findCLI(t, tc.bin, tc.prefix)
			svc, err := New(Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer svc.Close()
			srv := httptest.NewServer(svc)
			defer srv.Close()
			ep := "--endpoint-url=" + srv.URL
			out := runJSON(t, bin, "ssm", "put-parameter", ep, "--output", "json", "--name", "/dragons/bucket", "--type", "String", "--value", "cli-bucket")
			if out["Version"] != float64(1) {
				t.Fatalf("put-parameter = %v", out)
			}
			if _, err := svc.Put(t.Context(), "/dragons/deep/key", TypeSecureString, "hidden"); err != nil {
				t.Fatal(err)
			}
			got := runJSON(t, bin, "ssm", "get-parameter", ep, "--output", "json", "--name", "/dragons/bucket")
			p, _ := got["Parameter"].(map[string]any)
			if p["Value"] != "cli-bucket" || p["Type"] != "String" || p["ARN"] != "arn:aws:ssm:us-east-1:000000000000:parameter/dragons/bucket" {
				t.Fatalf("get-parameter = %v", got)
			}
			byPath := runJSON(t, bin, "ssm", "get-parameters-by-path", ep, "--output", "json", "--path", "/dragons", "--recursive", "--with-decryption")
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
	python, err := exec.LookPath("python3")
	if err == nil {
		err = exec.Command(python, "-c", "import boto3").Run()
	}
	if err != nil {
		if os.Getenv("DRAGONS_REQUIRE_CLI") == "1" {
			t.Fatalf("python3 with boto3 is not available: %v", err)
		}
		t.Skipf("skipping: python3 with boto3 is not available: %v", err)
	}
	svc, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	srv := httptest.NewServer(svc)
	defer srv.Close()
	cmd := exec.Command(python, "testdata/boto3_ssm.py", srv.URL)
	cmd.Env = cliEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("boto3 script: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "boto3 ssm ok") {
		t.Fatalf("boto3 script output: %s", out)
	}
}
