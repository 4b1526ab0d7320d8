package stepfunctions

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/dragons-dev/dragons/internal/clitest"
	"github.com/dragons-dev/dragons/local/edge"
)

// TestAWSCLI drives the service with both AWS CLIs. StartSyncExecution goes
// to the "sync-" host of the endpoint: CLI v1 turns that off with
// AWS_DISABLE_HOST_PREFIX_INJECTION=true; Debian's CLI v2 2.9 bundles a
// botocore without that switch, so it reaches the edge as its HTTP proxy, which forwards by
// the SigV4 scope whatever the host name.
func TestAWSCLI(t *testing.T) {
	envs := map[string]func(url string) []string{
		"v1": func(string) []string { return clitest.Env("AWS_DISABLE_HOST_PREFIX_INJECTION=true") },
		"v2": func(url string) []string {
			return clitest.Env("HTTP_PROXY="+url, "http_proxy="+url, "NO_PROXY=", "no_proxy=")
		},
	}
	for _, cli := range clitest.CLIs() {
		t.Run(cli.Name, func(t *testing.T) {
			t.Parallel()
			aws := clitest.RequireCLI(t, cli)
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
			aws.Env = envs[cli.Name](srv.URL)
			ep := "--endpoint-url=" + srv.URL
			def := `{"StartAt":"P","States":{"P":{"Type":"Pass","Result":"cli","ResultPath":"$.p","End":true}}}`

			std := aws.JSON(t, "stepfunctions", "create-state-machine", ep, "--output", "json",
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

			start := aws.JSON(t, "stepfunctions", "start-execution", ep, "--output", "json",
				"--state-machine-arn", stdArn, "--name", "c1", "--input", `{"from":"cli"}`)
			execArn, _ := start["executionArn"].(string)
			if execArn != "arn:aws:states:us-east-1:000000000000:execution:cli-std:c1" {
				t.Fatalf("start-execution = %v", start)
			}
			svc.mu.RLock()
			ex := svc.executions[execArn]
			svc.mu.RUnlock()
			<-ex.done
			desc := aws.JSON(t, "stepfunctions", "describe-execution", ep, "--output", "json", "--execution-arn", execArn)
			if desc["status"] != "SUCCEEDED" || desc["output"] == nil || !strings.Contains(desc["output"].(string), `"p":"cli"`) {
				t.Fatalf("describe-execution = %v", desc)
			}

			sync := aws.JSON(t, "stepfunctions", "start-sync-execution", ep, "--output", "json",
				"--state-machine-arn", expArn, "--input", `{"n":2}`)
			if sync["status"] != "SUCCEEDED" || !strings.Contains(sync["output"].(string), `"p":"cli"`) || !strings.Contains(sync["executionArn"].(string), ":express:cli-express:") {
				t.Fatalf("start-sync-execution = %v", sync)
			}

			// An error comes back with its AWS name.
			msg, err := aws.Combined(t.Context(), "stepfunctions", "describe-execution", ep, "--execution-arn", sync["executionArn"].(string))
			if err == nil || !strings.Contains(string(msg), "InvalidArn") {
				t.Fatalf("describe of an Express execution: %v\n%s", err, msg)
			}
		})
	}
}

func TestBoto3(t *testing.T) {
	python := clitest.RequireBoto3(t)
	svc, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	srv := httptest.NewServer(svc)
	defer srv.Close()
	out, err := python.Combined(t.Context(), "testdata/boto3_sfn.py", srv.URL)
	if err != nil {
		t.Fatalf("boto3 script: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "boto3 sfn ok") {
		t.Fatalf("boto3 script output: %s", out)
	}
}
