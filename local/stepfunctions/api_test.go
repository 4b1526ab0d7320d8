package stepfunctions

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

const passDef = `{"StartAt":"A","States":{"A":{"Type":"Pass","Result":{"ok":true},"ResultPath":"$.a","Next":"B"},"B":{"Type":"Pass","End":true}}}`

const waitDef = `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}}`

const failDef = `{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"Custom.Error","Cause":"it broke"}}}`

func TestStateMachineLifecycle(t *testing.T) {
	ctx := context.Background()
	_, c := newTestService(t, Options{})
	arn := createMachine(t, c, "orders", "STANDARD", passDef)
	if arn != "arn:aws:states:us-east-1:000000000000:stateMachine:orders" {
		t.Fatalf("arn = %s", arn)
	}
	// Same name and definition: idempotent.
	if again := createMachine(t, c, "orders", "STANDARD", passDef); again != arn {
		t.Fatalf("idempotent create = %s", again)
	}
	// Same name, another definition: StateMachineAlreadyExists.
	_, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("orders"), Definition: aws.String(waitDef), RoleArn: aws.String(testRole)})
	wantAPIError[*types.StateMachineAlreadyExists](t, err)

	d, err := c.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	if *d.Name != "orders" || *d.Definition != passDef || d.Type != types.StateMachineTypeStandard || d.Status != types.StateMachineStatusActive ||
		*d.RoleArn != testRole || d.LoggingConfiguration.Level != types.LogLevelOff || d.CreationDate == nil {
		t.Fatalf("describe = %+v", d)
	}

	// Update swaps the definition.
	if _, err := c.UpdateStateMachine(ctx, &sfn.UpdateStateMachineInput{StateMachineArn: aws.String(arn), Definition: aws.String(waitDef)}); err != nil {
		t.Fatal(err)
	}
	d, _ = c.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(arn)})
	if *d.Definition != waitDef {
		t.Fatalf("definition after update = %s", *d.Definition)
	}
	_, err = c.UpdateStateMachine(ctx, &sfn.UpdateStateMachineInput{StateMachineArn: aws.String(arn)})
	wantAPIError[*types.MissingRequiredParameter](t, err)
	_, err = c.UpdateStateMachine(ctx, &sfn.UpdateStateMachineInput{StateMachineArn: aws.String(arn), Definition: aws.String(`{"StartAt":"X","States":{}}`)})
	wantAPIError[*types.InvalidDefinition](t, err)

	// List pages by name.
	for i := 0; i < 3; i++ {
		createMachine(t, c, fmt.Sprintf("m%d", i), "EXPRESS", passDef)
	}
	var names []string
	p := sfn.NewListStateMachinesPaginator(c, &sfn.ListStateMachinesInput{MaxResults: 2})
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, m := range out.StateMachines {
			names = append(names, *m.Name)
		}
	}
	if !reflect.DeepEqual(names, []string{"m0", "m1", "m2", "orders"}) || pages != 2 {
		t.Fatalf("list = %v in %d pages", names, pages)
	}

	// Delete, then it is gone; deleting again succeeds.
	if _, err := c.DeleteStateMachine(ctx, &sfn.DeleteStateMachineInput{StateMachineArn: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(arn)})
	wantAPIError[*types.StateMachineDoesNotExist](t, err)
	if _, err := c.DeleteStateMachine(ctx, &sfn.DeleteStateMachineInput{StateMachineArn: aws.String(arn)}); err != nil {
		t.Fatalf("second delete: %v", err)
	}
}

func TestCreateStateMachineErrors(t *testing.T) {
	ctx := context.Background()
	_, c := newTestService(t, Options{})
	create := func(name, def string, mod func(*sfn.CreateStateMachineInput)) error {
		in := &sfn.CreateStateMachineInput{Name: aws.String(name), Definition: aws.String(def), RoleArn: aws.String(testRole)}
		if mod != nil {
			mod(in)
		}
		_, err := c.CreateStateMachine(ctx, in)
		return err
	}
	// Every problem is listed with its location.
	err := create("bad", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"Nowhere"},"B":{"Type":"Succeed"}}}`, nil)
	e := wantAPIError[*types.InvalidDefinition](t, err)
	for _, want := range []string{"MISSING_TRANSITION_TARGET", "/States/A/Next", "UNREACHABLE_STATE"} {
		if !strings.Contains(e.ErrorMessage(), want) {
			t.Errorf("InvalidDefinition message %q lacks %q", e.ErrorMessage(), want)
		}
	}
	wantAPIError[*types.InvalidDefinition](t, create("notjson", `{`, nil))
	// .sync is Standard only.
	syncDef := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync","Parameters":{"StateMachineArn":"x"},"End":true}}}`
	wantAPIError[*types.InvalidDefinition](t, create("express-sync", syncDef, func(in *sfn.CreateStateMachineInput) { in.Type = types.StateMachineTypeExpress }))
	if err := create("standard-sync", syncDef, nil); err != nil {
		t.Fatalf(".sync in a Standard machine: %v", err)
	}
	wantAPIError[*types.InvalidName](t, create("bad name", passDef, nil))
	wantAPIError[*types.InvalidLoggingConfiguration](t, create("nolog", passDef, func(in *sfn.CreateStateMachineInput) {
		in.LoggingConfiguration = &types.LoggingConfiguration{Level: types.LogLevelAll}
	}))
	wantAPIError[*types.InvalidLoggingConfiguration](t, create("badlog", passDef, func(in *sfn.CreateStateMachineInput) {
		in.LoggingConfiguration = &types.LoggingConfiguration{Level: types.LogLevelAll, Destinations: []types.LogDestination{{CloudWatchLogsLogGroup: &types.CloudWatchLogsLogGroup{LogGroupArn: aws.String("not-an-arn")}}}}
	}))
	_, err = c.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String("arn:aws:states:us-east-1:000000000000:activity:x")})
	wantAPIError[*types.InvalidArn](t, err)
}

func TestStandardExecutions(t *testing.T) {
	ctx := context.Background()
	_, c := newTestService(t, Options{})
	arn := createMachine(t, c, "std", "STANDARD", passDef)
	start, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Name: aws.String("run-1"), Input: aws.String(`{"n":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	if *start.ExecutionArn != "arn:aws:states:us-east-1:000000000000:execution:std:run-1" || start.StartDate == nil {
		t.Fatalf("start = %+v", start)
	}
	d := waitDone(t, c, *start.ExecutionArn)
	if d.Status != types.ExecutionStatusSucceeded || !reflect.DeepEqual(asJSON(t, *d.Output), asJSON(t, `{"n":1,"a":{"ok":true}}`)) ||
		*d.Input != `{"n":1}` || *d.Name != "run-1" || *d.StateMachineArn != arn || d.StopDate == nil {
		t.Fatalf("describe = %+v", d)
	}

	// The name is taken once the execution has ended, whatever the input.
	_, err = c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Name: aws.String("run-1"), Input: aws.String(`{"n":1}`)})
	wantAPIError[*types.ExecutionAlreadyExists](t, err)

	// History: the engine's events, in order, with pages.
	h, err := c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: start.ExecutionArn})
	if err != nil {
		t.Fatal(err)
	}
	var typesSeen []string
	for _, e := range h.Events {
		typesSeen = append(typesSeen, string(e.Type))
	}
	want := []string{"ExecutionStarted", "PassStateEntered", "PassStateExited", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"}
	if !reflect.DeepEqual(typesSeen, want) {
		t.Fatalf("history = %v", typesSeen)
	}
	if *h.Events[0].ExecutionStartedEventDetails.Input != `{"n":1}` || h.Events[1].StateEnteredEventDetails.Name == nil || *h.Events[1].StateEnteredEventDetails.Name != "A" {
		t.Fatalf("history details = %+v", h.Events[:2])
	}
	page, err := c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: start.ExecutionArn, MaxResults: 4, ReverseOrder: true})
	if err != nil || len(page.Events) != 4 || page.Events[0].Type != types.HistoryEventTypeExecutionSucceeded || page.NextToken == nil {
		t.Fatalf("reverse page = %+v, %v", page, err)
	}
	rest, err := c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: start.ExecutionArn, MaxResults: 4, ReverseOrder: true, NextToken: page.NextToken})
	if err != nil || len(rest.Events) != 2 || rest.Events[1].Type != types.HistoryEventTypeExecutionStarted || rest.NextToken != nil {
		t.Fatalf("second page = %+v, %v", rest, err)
	}
	noData, err := c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: start.ExecutionArn, IncludeExecutionData: aws.Bool(false)})
	if err != nil || noData.Events[0].ExecutionStartedEventDetails.Input != nil {
		t.Fatalf("includeExecutionData=false kept the input: %+v, %v", noData.Events[0].ExecutionStartedEventDetails, err)
	}

	// A failing execution.
	farn := createMachine(t, c, "failing", "STANDARD", failDef)
	fs, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(farn)})
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`:execution:failing:[0-9a-f-]{36}$`).MatchString(*fs.ExecutionArn) {
		t.Fatalf("generated name: %s", *fs.ExecutionArn)
	}
	fd := waitDone(t, c, *fs.ExecutionArn)
	if fd.Status != types.ExecutionStatusFailed || *fd.Error != "Custom.Error" || *fd.Cause != "it broke" || fd.Output != nil {
		t.Fatalf("failed describe = %+v", fd)
	}

	// ListExecutions: newest first, filtered, paged.
	for i := 0; i < 3; i++ {
		s, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Name: aws.String(fmt.Sprintf("more-%d", i))})
		if err != nil {
			t.Fatal(err)
		}
		waitDone(t, c, *s.ExecutionArn)
	}
	var listed []string
	lp := sfn.NewListExecutionsPaginator(c, &sfn.ListExecutionsInput{StateMachineArn: aws.String(arn), MaxResults: 3, StatusFilter: types.ExecutionStatusSucceeded})
	for lp.HasMorePages() {
		out, err := lp.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range out.Executions {
			listed = append(listed, *e.Name)
		}
	}
	if !reflect.DeepEqual(listed, []string{"more-2", "more-1", "more-0", "run-1"}) {
		t.Fatalf("list executions = %v", listed)
	}
	none, err := c.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(arn), StatusFilter: types.ExecutionStatusFailed})
	if err != nil || len(none.Executions) != 0 {
		t.Fatalf("filtered list = %+v, %v", none, err)
	}

	// Errors.
	_, err = c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Input: aws.String(`{"broken"`)})
	wantAPIError[*types.InvalidExecutionInput](t, err)
	_, err = c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Name: aws.String("has space")})
	wantAPIError[*types.InvalidName](t, err)
	_, err = c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn + "-missing")})
	wantAPIError[*types.StateMachineDoesNotExist](t, err)
	_, err = c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String("arn:aws:states:us-east-1:000000000000:execution:std:nope")})
	wantAPIError[*types.ExecutionDoesNotExist](t, err)
	_, err = c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String("nonsense")})
	wantAPIError[*types.InvalidArn](t, err)
	_, err = c.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(arn + "-missing")})
	wantAPIError[*types.StateMachineDoesNotExist](t, err)
	_, err = c.StartSyncExecution(ctx, &sfn.StartSyncExecutionInput{StateMachineArn: aws.String(arn)})
	wantAPIError[*types.StateMachineTypeNotSupported](t, err)
}

func TestStandardNameIdempotencyAndStop(t *testing.T) {
	ctx := context.Background()
	_, c := newTestService(t, Options{})
	arn := createMachine(t, c, "waiter", "STANDARD", waitDef)
	first, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Name: aws.String("w1"), Input: aws.String(`{"x":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	// Same name and input while running: the same execution comes back.
	again, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Name: aws.String("w1"), Input: aws.String(`{"x":1}`)})
	if err != nil || *again.ExecutionArn != *first.ExecutionArn || !again.StartDate.Equal(*first.StartDate) {
		t.Fatalf("idempotent start = %+v, %v", again, err)
	}
	// Same name, other input: ExecutionAlreadyExists.
	_, err = c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Name: aws.String("w1"), Input: aws.String(`{"x":2}`)})
	wantAPIError[*types.ExecutionAlreadyExists](t, err)

	d, err := c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: first.ExecutionArn})
	if err != nil || d.Status != types.ExecutionStatusRunning || d.StopDate != nil {
		t.Fatalf("running describe = %+v, %v", d, err)
	}
	running, _ := c.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(arn), StatusFilter: types.ExecutionStatusRunning})
	if len(running.Executions) != 1 {
		t.Fatalf("running list = %+v", running.Executions)
	}

	stop, err := c.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: first.ExecutionArn, Error: aws.String("Operator.Stop"), Cause: aws.String("no longer needed")})
	if err != nil || stop.StopDate == nil {
		t.Fatalf("stop = %+v, %v", stop, err)
	}
	d, _ = c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: first.ExecutionArn})
	if d.Status != types.ExecutionStatusAborted || *d.Error != "Operator.Stop" || *d.Cause != "no longer needed" || d.StopDate == nil {
		t.Fatalf("aborted describe = %+v", d)
	}
	h, _ := c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: first.ExecutionArn, ReverseOrder: true, MaxResults: 1})
	last := h.Events[0]
	if last.Type != types.HistoryEventTypeExecutionAborted || *last.ExecutionAbortedEventDetails.Error != "Operator.Stop" {
		t.Fatalf("last event = %+v", last)
	}
	// Stopping an ended execution changes nothing.
	if _, err := c.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: first.ExecutionArn, Error: aws.String("Other")}); err != nil {
		t.Fatal(err)
	}
	d, _ = c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: first.ExecutionArn})
	if *d.Error != "Operator.Stop" {
		t.Fatalf("second stop changed the error to %s", *d.Error)
	}
}

func TestExecutionTimeout(t *testing.T) {
	_, c := newTestService(t, Options{})
	arn := createMachine(t, c, "slow", "STANDARD", `{"TimeoutSeconds":1,"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":30,"End":true}}}`)
	s, err := c.StartExecution(context.Background(), &sfn.StartExecutionInput{StateMachineArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	d := waitDone(t, c, *s.ExecutionArn)
	if d.Status != types.ExecutionStatusTimedOut || *d.Error != "States.Timeout" {
		t.Fatalf("describe = %+v", d)
	}
}

func TestExpressSemantics(t *testing.T) {
	ctx := context.Background()
	logs := &memLogs{}
	_, c := newTestService(t, Options{Logs: logs})
	group := "arn:aws:logs:us-east-1:000000000000:log-group:/aws/vendedlogs/states/fast:*"
	arn := createMachine(t, c, "fast", "EXPRESS", passDef, func(in *sfn.CreateStateMachineInput) {
		in.LoggingConfiguration = &types.LoggingConfiguration{Level: types.LogLevelAll, IncludeExecutionData: true,
			Destinations: []types.LogDestination{{CloudWatchLogsLogGroup: &types.CloudWatchLogsLogGroup{LogGroupArn: aws.String(group)}}}}
	})
	re := regexp.MustCompile(`^arn:aws:states:us-east-1:000000000000:express:fast:same:[0-9a-f-]{36}$`)
	a, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Name: aws.String("same"), Input: aws.String(`{"k":"v"}`)})
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Name: aws.String("same"), Input: aws.String(`{"k":"v"}`)})
	if err != nil {
		t.Fatalf("express names are not idempotent, the second start must succeed: %v", err)
	}
	if !re.MatchString(*a.ExecutionArn) || !re.MatchString(*b.ExecutionArn) || *a.ExecutionArn == *b.ExecutionArn {
		t.Fatalf("express ARNs %s %s", *a.ExecutionArn, *b.ExecutionArn)
	}
	// The Standard-only operations reject Express ARNs and machines.
	_, err = c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: a.ExecutionArn})
	if e := wantAPIError[*types.InvalidArn](t, err); !strings.Contains(e.ErrorMessage(), "Resource type not valid in this context: express") {
		t.Fatalf("message = %s", e.ErrorMessage())
	}
	_, err = c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: a.ExecutionArn})
	wantAPIError[*types.InvalidArn](t, err)
	_, err = c.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: a.ExecutionArn})
	wantAPIError[*types.InvalidArn](t, err)
	_, err = c.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(arn)})
	wantAPIError[*types.StateMachineTypeNotSupported](t, err)

	// Both background executions ran: each logged its own ExecutionSucceeded.
	waitFor(t, func() bool {
		n := 0
		for _, l := range logs.Lines() {
			if strings.Contains(l.Message, `"type":"ExecutionSucceeded"`) {
				n++
			}
		}
		return n == 2
	})

	// StartSyncExecution returns the result.
	out := syncRun(t, c, arn, `{"k":"sync"}`)
	if out.Status != types.SyncExecutionStatusSucceeded || !reflect.DeepEqual(asJSON(t, *out.Output), asJSON(t, `{"k":"sync","a":{"ok":true}}`)) ||
		!strings.Contains(*out.ExecutionArn, ":express:fast:") || *out.StateMachineArn != arn || *out.Input != `{"k":"sync"}` ||
		out.BillingDetails == nil || out.BillingDetails.BilledDurationInMilliseconds < 100 || out.StopDate == nil || out.Name == nil {
		t.Fatalf("sync output = %+v", out)
	}
	farn := createMachine(t, c, "fast-fail", "EXPRESS", failDef)
	fo := syncRun(t, c, farn, `{}`)
	if fo.Status != types.SyncExecutionStatusFailed || *fo.Error != "Custom.Error" || *fo.Cause != "it broke" || fo.Output != nil {
		t.Fatalf("failed sync output = %+v", fo)
	}
	tarn := createMachine(t, c, "fast-timeout", "EXPRESS", `{"TimeoutSeconds":1,"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":30,"End":true}}}`)
	if to := syncRun(t, c, tarn, `{}`); to.Status != types.SyncExecutionStatusTimedOut || *to.Error != "States.Timeout" {
		t.Fatalf("timed out sync output = %+v", to)
	}
}

func TestStartSyncExecutionDirectJSON(t *testing.T) {
	// The wire shape of StartSyncExecution, for clients that decode it by hand.
	svc, _ := newTestService(t, Options{})
	arn, err := svc.CreateMachine(context.Background(), CreateStateMachineInput{Name: "wire", Definition: passDef, RoleArn: testRole, Type: TypeExpress})
	if err != nil {
		t.Fatal(err)
	}
	in := `{}`
	out, err := svc.StartSyncExecution(context.Background(), &StartExecutionInput{StateMachineArn: arn, Input: &in})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(out)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	for _, k := range []string{"executionArn", "stateMachineArn", "name", "startDate", "stopDate", "status", "input", "inputDetails", "output", "outputDetails", "billingDetails"} {
		if _, ok := m[k]; !ok {
			t.Errorf("StartSyncExecution response lacks %q: %s", k, b)
		}
	}
	if _, ok := m["startDate"].(float64); !ok {
		t.Errorf("startDate is not epoch seconds: %s", b)
	}
}
