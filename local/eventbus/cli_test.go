package eventbus

import (
	"strings"
	"testing"

	"github.com/dragons-dev/dragons/internal/clitest"
)

func TestAWSCLI(t *testing.T) {
	for _, cli := range clitest.CLIs() {
		t.Run(cli.Name, func(t *testing.T) {
			t.Parallel()
			aws := clitest.RequireCLI(t, cli)
			h := newHarness(t, Options{})
			ep := "--endpoint-url=" + h.url
			q := queueArn("cli-" + cli.Name)

			rule := aws.JSON(t, "events", "put-rule", ep, "--output", "json", "--name", "cli-rule", "--event-pattern", `{"source":["cli.app"],"detail":{"k":[{"prefix":"v"}]}}`)
			if rule["RuleArn"] != "arn:aws:events:us-east-1:000000000000:rule/cli-rule" {
				t.Fatalf("put-rule = %v", rule)
			}
			targets := aws.JSON(t, "events", "put-targets", ep, "--output", "json", "--rule", "cli-rule", "--targets", `[{"Id":"q","Arn":"`+q+`","InputPath":"$.detail"}]`)
			if targets["FailedEntryCount"] != float64(0) {
				t.Fatalf("put-targets = %v", targets)
			}
			put := aws.JSON(t, "events", "put-events", ep, "--output", "json", "--entries",
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
			res := aws.JSON(t, "events", "test-event-pattern", ep, "--output", "json", "--event-pattern", `{"detail":{"k":[{"prefix":"v"}]}}`, "--event", event)
			if res["Result"] != true {
				t.Fatalf("test-event-pattern = %v", res)
			}
			msg, err := aws.Combined(t.Context(), "events", "put-rule", ep, "--name", "bad", "--event-pattern", `{"source":"x"}`)
			if err == nil || !strings.Contains(string(msg), "InvalidEventPatternException") || !strings.Contains(string(msg), "must be an object or an array") {
				t.Fatalf("invalid pattern: %v\n%s", err, msg)
			}
		})
	}
}

func TestBoto3(t *testing.T) {
	python := clitest.RequireBoto3(t)
	h := newHarness(t, Options{})
	q := queueArn("boto")
	out, err := python.Combined(t.Context(), "testdata/boto3_events.py", h.url, q)
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
