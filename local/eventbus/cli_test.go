package eventbus

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// cliEnv is the environment every external client runs with: fixed credentials
// and region, no configuration files, no pager.
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

// missingClient skips, or fails when DRAGONS_REQUIRE_CLI=1, for a client that is
// not installed.
func missingClient(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("DRAGONS_REQUIRE_CLI") == "1" {
		t.Fatalf("%s (DRAGONS_REQUIRE_CLI=1)", why)
	}
	t.Skipf("skipping: %s", why)
}

func findCLI(t *testing.T, path, prefix string) string {
	t.Helper()
	p, err := exec.LookPath(path)
	if err != nil {
		missingClient(t, "AWS CLI "+path+" is not installed")
	}
	cmd := exec.Command(p, "--version")
	cmd.Env = cliEnv()
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), prefix) {
		missingClient(t, p+" is not "+prefix+" ("+strings.TrimSpace(string(out))+")")
	}
	return p
}

func runCLI(t *testing.T, bin string, args ...string) map[string]any {
	t.Helper()
	cmd := exec.Command(bin, append(args, "--output", "json")...)
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
	if len(strings.TrimSpace(string(out))) > 0 {
		if err := json.Unmarshal(out, &v); err != nil {
			t.Fatalf("%s %s: output is not JSON: %v\n%s", bin, strings.Join(args, " "), err, out)
		}
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
			h := newHarness(t, Options{})
			ep := "--endpoint-url=" + h.url
			q := queueArn("cli-" + tc.name)

			rule := runCLI(t, bin, "events", "put-rule", ep, "--name", "cli-rule", "--event-pattern", `{"source":["cli.app"],"detail":{"k":[{"prefix":"v"}]}}`)
			if rule["RuleArn"] != "arn:aws:events:us-east-1:000000000000:rule/cli-rule" {
				t.Fatalf("put-rule = %v", rule)
			}
			targets := runCLI(t, bin, "events", "put-targets", ep, "--rule", "cli-rule", "--targets", `[{"Id":"q","Arn":"`+q+`","InputPath":"$.detail"}]`)
			if targets["FailedEntryCount"] != float64(0) {
				t.Fatalf("put-targets = %v", targets)
			}
			put := runCLI(t, bin, "events", "put-events", ep, "--entries",
				`[{"Source":"cli.app","DetailType":"t","Detail":"{\"k\":\"v1\"}"},{"Source":"cli.app","DetailType":"t"}]`)
			entries, _ := put["Entries"].([]any)
			if put["FailedEntryCount"] != float64(1) || len(entries) != 2 {
				t.Fatalf("put-events = %v", put)
			}
			if first, _ := entries[0].(map[string]any); first["EventId"] == nil {
				t.Fatalf("first entry = %v", entries[0])
			}
			if second, _ := entries[1].(map[string]any); second["ErrorCode"] != "InvalidArgument" {
				t.Fatalf("second entry = %v", entries[1])
			}
			if msgs := h.queues.wait(t, q, 1); msgs[0].Body != `{"k":"v1"}` {
				t.Fatalf("target got %s", msgs[0].Body)
			}

			event := `{"id":"1","account":"000000000000","source":"cli.app","time":"2026-01-01T00:00:00Z","region":"us-east-1","resources":[],"detail-type":"t","detail":{"k":"vx"}}`
			res := runCLI(t, bin, "events", "test-event-pattern", ep, "--event-pattern", `{"detail":{"k":[{"prefix":"v"}]}}`, "--event", event)
			if res["Result"] != true {
				t.Fatalf("test-event-pattern = %v", res)
			}
			cmd := exec.Command(bin, "events", "put-rule", ep, "--name", "bad", "--event-pattern", `{"source":"x"}`)
			cmd.Env = cliEnv()
			msg, err := cmd.CombinedOutput()
			if err == nil || !strings.Contains(string(msg), "InvalidEventPatternException") || !strings.Contains(string(msg), "must be an object or an array") {
				t.Fatalf("invalid pattern: %v\n%s", err, msg)
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
		missingClient(t, "python3 with boto3 is not available: "+err.Error())
	}
	h := newHarness(t, Options{})
	q := queueArn("boto")
	cmd := exec.Command(python, "testdata/boto3_events.py", h.url, q)
	cmd.Env = cliEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("boto3 script: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) < 2 || lines[len(lines)-1] != "boto3 events ok" {
		t.Fatalf("boto3 script output: %s", out)
	}
	id := lines[len(lines)-2]
	msgs := h.queues.wait(t, q, 1)
	got := decodeJSON(t, msgs[0].Body)
	ev, _ := got["id"].(map[string]any)
	if got["n"] != float64(2) || ev["id"] != id || ev["time"] != "2026-01-02T03:04:05Z" {
		t.Fatalf("transformed delivery = %s (event id %s)", msgs[0].Body, id)
	}
}
