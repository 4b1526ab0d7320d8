package stepfunctions

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/dragons-dev/dragons/local/edge"
)

// cliEnv is the environment every external client runs with: fixed
// credentials and region, no configuration files, no pager.
func cliEnv(extra ...string) []string {
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
	return append(env, extra...)
}

// findCLI returns the path of an AWS CLI whose --version starts with prefix,
// or skips (fails when DRAGONS_REQUIRE_CLI=1) when there is none.
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

func runCLI(t *testing.T, env []string, bin string, args ...string) map[string]any {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	out, err := cmd.Output()
	if err != nil {
		stderr := ""
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("%s %s: %v\n%s%s", bin, strings.Join(args, " "), err, out, stderr)
	}
	var v map[string]any
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("%s %s: output is not JSON: %v\n%s", bin, strings.Join(args, " "), err, out)
	}
	return v
}

// TestAWSCLI drives the service with both AWS CLIs. StartSyncExecution goes
// to the "sync-" host of the endpoint: CLI v1 turns that off with
// AWS_DISABLE_HOST_PREFIX_INJECTION=true; Debian's CLI v2 2.9 bundles a
// botocore without that switch, so it reaches the edge as its HTTP proxy, which forwards by
// the SigV4 scope whatever the host name.
func TestAWSCLI(t *testing.T) {
	for _, tc := range []struct {
		name, bin, prefix string
		env               func(url string) []string
	}{
		{"v1", "aws", "aws-cli/1.", func(string) []string { return cliEnv("AWS_DISABLE_HOST_PREFIX_INJECTION=true") }},
		{"v2", "/usr/bin/aws", "aws-cli/2.", func(url string) []string {
			return cliEnv("HTTP_PROXY="+url, "http_proxy="+url, "NO_PROXY=", "no_proxy=")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			bin := findCLI(t, tc.bin, tc.prefix)
			svc, err := New(Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer svc.Close()
			// Served through the real edge, which routes by SigV4 scope.
			e := edge.New(nil)
			e.Handle(SigV4Service, svc)
			srv := httptest.NewServer(e)
			defer srv.Close()
			env := tc.env(srv.URL)
			ep := "--endpoint-url=" + srv.URL
			def := `{"StartAt":"P","States":{"P":{"Type":"Pass","Result":"cli","ResultPath":"$.p","End":true}}}`

			std := runCLI(t, env, bin, "stepfunctions", "create-state-machine", ep, "--output", "json",
				"--name", "cli-std", "--definition", def, "--role-arn", testRole)
			stdArn, _ := std["stateMachineArn"].(string)
			if stdArn != "arn:aws:states:us-east-1:000000000000:stateMachine:cli-std" {
				t.Fatalf("create-state-machine = %v", std)
			}
			// The Express machine comes from the Go API: one CLI start less.
			expArn, err := svc.CreateMachine(t.Context(), CreateStateMachineInput{Name: "cli-express", Type: TypeExpress, Definition: def, RoleArn: testRole})
			if err != nil {
				t.Fatal(err)
			}

			start := runCLI(t, env, bin, "stepfunctions", "start-execution", ep, "--output", "json",
				"--state-machine-arn", stdArn, "--name", "c1", "--input", `{"from":"cli"}`)
			execArn, _ := start["executionArn"].(string)
			if execArn != "arn:aws:states:us-east-1:000000000000:execution:cli-std:c1" {
				t.Fatalf("start-execution = %v", start)
			}
			svc.mu.RLock()
			ex := svc.executions[execArn]
			svc.mu.RUnlock()
			<-ex.done
			desc := runCLI(t, env, bin, "stepfunctions", "describe-execution", ep, "--output", "json", "--execution-arn", execArn)
			if desc["status"] != "SUCCEEDED" || desc["output"] == nil || !strings.Contains(desc["output"].(string), `"p":"cli"`) {
				t.Fatalf("describe-execution = %v", desc)
			}

			sync := runCLI(t, env, bin, "stepfunctions", "start-sync-execution", ep, "--output", "json",
				"--state-machine-arn", expArn, "--input", `{"n":2}`)
			if sync["status"] != "SUCCEEDED" || !strings.Contains(sync["output"].(string), `"p":"cli"`) || !strings.Contains(sync["executionArn"].(string), ":express:cli-express:") {
				t.Fatalf("start-sync-execution = %v", sync)
			}

			// An error comes back with its AWS name.
			cmd := exec.Command(bin, "stepfunctions", "describe-execution", ep, "--execution-arn", sync["executionArn"].(string))
			cmd.Env = env
			msg, err := cmd.CombinedOutput()
			if err == nil || !strings.Contains(string(msg), "InvalidArn") {
				t.Fatalf("describe of an Express execution: %v\n%s", err, msg)
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
	cmd := exec.Command(python, "testdata/boto3_sfn.py", srv.URL)
	cmd.Env = cliEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("boto3 script: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "boto3 sfn ok") {
		t.Fatalf("boto3 script output: %s", out)
	}
}
