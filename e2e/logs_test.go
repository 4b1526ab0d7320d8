package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
)

// TestFunctionAndExecutionLogs checks that a POST leaves the function's output
// with START/END/REPORT lines under /aws/lambda/<fn>, and the execution's log
// records (with execution data) in the state machine's log group.
func TestFunctionAndExecutionLogs(t *testing.T) {
	e := shared
	ctx := context.Background()
	name := unique("Logmoss")
	id, _ := e.submit(t, dragon(name, "fern"))
	if st := e.waitDone(t, id); st["status"] != "SUCCEEDED" {
		t.Fatalf("status = %v", st)
	}
	logs := cloudwatchlogs.NewFromConfig(e.cfg)
	find := func(group, pattern string) []string {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			out, err := logs.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String(group), FilterPattern: aws.String(pattern)})
			if err != nil {
				t.Fatalf("filter %s: %v", group, err)
			}
			if len(out.Events) > 0 {
				var msgs []string
				for _, ev := range out.Events {
					msgs = append(msgs, aws.ToString(ev.Message))
				}
				return msgs
			}
			if time.Now().After(deadline) {
				t.Fatalf("no %q events in %s", pattern, group)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	group := "/aws/lambda/" + e.stackID("AddDragonFunction")
	for _, p := range []string{`"START RequestId"`, `"END RequestId"`, `"REPORT RequestId"`, name} {
		find(group, p)
	}
	execLogs := find("/aws/vendedlogs/states/dragons-add-dragon", id)
	joined := strings.Join(execLogs, "\n")
	for _, want := range []string{"ExecutionStarted", "ExecutionSucceeded", name} {
		if !strings.Contains(joined, want) {
			t.Fatalf("execution log records lack %q:\n%s", want, joined)
		}
	}
}
