package stepfunctions

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dragons-dev/dragons/internal/crashtest"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

func TestRestartKeepsMachinesAndExecutions(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	svc, err := New(Options{DataDir: dir, Lambda: &markInvoker{block: func(markCall) bool { return true }}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(svc)
	c := newClient(srv.URL)
	std := createMachine(t, c, "kept", "STANDARD", passDef)
	busy := createMachine(t, c, "kept-busy", "STANDARD", markDef)
	exp := createMachine(t, c, "kept-express", "EXPRESS", passDef, loggingTo("/x", types.LogLevelOff, false))
	waiter := createMachine(t, c, "kept-waiter", "STANDARD", waitDef)
	done, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(std), Name: aws.String("done"), Input: aws.String(`{"q":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	waitDone(t, c, *done.ExecutionArn)
	running, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(waiter), Name: aws.String("running")})
	if err != nil {
		t.Fatal(err)
	}
	inTask, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(busy), Name: aws.String("in-task")})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return isParked(svc, *running.ExecutionArn) })
	srv.Close()
	if err := svc.Close(); err != nil {
		t.Fatal(err)
	}

	svc2, c2 := newTestService(t, Options{DataDir: dir})
	_ = svc2
	list, err := c2.ListStateMachines(ctx, &sfn.ListStateMachinesInput{})
	if err != nil || len(list.StateMachines) != 4 {
		t.Fatalf("machines after restart = %+v, %v", list, err)
	}
	d, err := c2.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(exp)})
	if err != nil || d.Type != types.StateMachineTypeExpress || *d.Definition != passDef {
		t.Fatalf("express machine after restart = %+v, %v", d, err)
	}
	ed, err := c2.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: done.ExecutionArn})
	if err != nil || ed.Status != types.ExecutionStatusSucceeded || *ed.Input != `{"q":1}` || ed.Output == nil {
		t.Fatalf("finished execution after restart = %+v, %v", ed, err)
	}
	h, err := c2.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: done.ExecutionArn})
	if err != nil || len(h.Events) != 6 {
		t.Fatalf("history after restart = %d events, %v", len(h.Events), err)
	}
	// Cut short in a Task state: ABORTED.
	rd, err := c2.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: inTask.ExecutionArn})
	if err != nil || rd.Status != types.ExecutionStatusAborted || *rd.Error != "States.Runtime" || rd.StopDate == nil {
		t.Fatalf("interrupted execution after restart = %+v, %v", rd, err)
	}
	// Waiting in a Wait state: still waiting, and it can be stopped.
	wd, err := c2.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: running.ExecutionArn})
	if err != nil || wd.Status != types.ExecutionStatusRunning || !isParked(svc2, *running.ExecutionArn) {
		t.Fatalf("waiting execution after restart = %+v, %v", wd, err)
	}
	if _, err := c2.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: running.ExecutionArn, Error: aws.String("Halt"), Cause: aws.String("enough")}); err != nil {
		t.Fatal(err)
	}
	wd, err = c2.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: running.ExecutionArn})
	if err != nil || wd.Status != types.ExecutionStatusAborted || *wd.Error != "Halt" || *wd.Cause != "enough" {
		t.Fatalf("stopped waiting execution = %+v, %v", wd, err)
	}
	if got := eventTypes(t, c2, *running.ExecutionArn); got != "ExecutionStarted,WaitStateEntered,WaitStateAborted,ExecutionAborted" {
		t.Fatalf("stopped waiting execution's history = %s", got)
	}
	// The name is still taken, and the machine runs again.
	_, err = c2.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(std), Name: aws.String("done")})
	wantAPIError[*types.ExecutionAlreadyExists](t, err)
	again, err := c2.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(std)})
	if err != nil {
		t.Fatal(err)
	}
	if waitDone(t, c2, *again.ExecutionArn).Status != types.ExecutionStatusSucceeded {
		t.Fatal("execution after restart did not succeed")
	}
	// A deleted machine stays deleted.
	if _, err := c2.DeleteStateMachine(ctx, &sfn.DeleteStateMachineInput{StateMachineArn: aws.String(exp)}); err != nil {
		t.Fatal(err)
	}
	_, c3 := newTestService(t, Options{DataDir: dir})
	_, err = c3.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(exp)})
	wantAPIError[*types.StateMachineDoesNotExist](t, err)
}

// TestHelperProcess is the child of TestKillNineLosesNothingAcknowledged:
// it serves the API on a data directory and starts executions until killed,
// printing each acknowledged execution ARN.
func TestHelperProcess(t *testing.T) {
	dir := os.Getenv("SFN_HELPER_DIR")
	if dir == "" {
		return // not the child: nothing to do (the os/exec helper-process pattern)
	}
	svc, err := New(Options{DataDir: dir})
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(2)
	}
	srv := httptest.NewServer(svc)
	c := newClient(srv.URL)
	ctx := context.Background()
	arn, err := svc.CreateMachine(ctx, CreateStateMachineInput{Name: "load", Definition: waitDef, RoleArn: testRole})
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(2)
	}
	quick, err := svc.CreateMachine(ctx, CreateStateMachineInput{Name: "quick", Definition: passDef, RoleArn: testRole})
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(2)
	}
	fmt.Println("READY")
	for i := 0; ; i++ {
		target := arn
		if i%2 == 1 {
			target = quick
		}
		out, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(target), Name: aws.String(fmt.Sprintf("e%d", i)), Input: aws.String(fmt.Sprintf(`{"i":%d}`, i))})
		if err != nil {
			fmt.Println("ERR", err)
			continue
		}
		fmt.Println("ACK", *out.ExecutionArn)
	}
}

func TestKillNineLosesNothingAcknowledged(t *testing.T) {
	dir := t.TempDir()
	child := crashtest.Start(t, "TestHelperProcess", "SFN_HELPER_DIR="+dir)
	stdout := child.Stdout
	acked := make(chan string, 10000)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if arn, ok := strings.CutPrefix(sc.Text(), "ACK "); ok {
				acked <- arn
			}
		}
		close(acked)
	}()
	// Let it acknowledge some executions, then kill it mid-flight.
	var got []string
	deadline := time.After(20 * time.Second)
collect:
	for len(got) < 40 {
		select {
		case a, ok := <-acked:
			if !ok {
				break collect
			}
			got = append(got, a)
		case <-deadline:
			break collect
		}
	}
	_ = child.Kill()
	child.Wait()
	for a := range acked {
		got = append(got, a)
	}
	if len(got) < 10 {
		t.Fatalf("the child acknowledged only %d executions", len(got))
	}

	// Every file parses.
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() || !strings.HasSuffix(p, ".json") {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if !json.Valid(b) {
			return fmt.Errorf("%s is not valid JSON", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Every acknowledged execution is there: ended, or parked in its Wait
	// state (then it finishes once the wait is over).
	clock := newManualClock(time.Now())
	svc, c := newTestService(t, Options{DataDir: dir, Clock: clock})
	for _, arn := range got {
		d, err := c.DescribeExecution(context.Background(), &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
		if err != nil {
			t.Fatalf("acknowledged %s lost: %v", arn, err)
		}
		if d.Status == types.ExecutionStatusRunning && !isParked(svc, arn) {
			t.Fatalf("%s is RUNNING after the restart but not waiting in its Wait state", arn)
		}
	}
	clock.Advance(2 * time.Hour)
	resumed := 0
	for _, arn := range got {
		if !strings.Contains(arn, ":load:") {
			continue
		}
		d := waitDone(t, c, arn)
		switch d.Status {
		case types.ExecutionStatusSucceeded:
			resumed++
		case types.ExecutionStatusAborted: // cut short before it reached its Wait state
		default:
			t.Fatalf("%s ended %s after the wait", arn, d.Status)
		}
	}
	if resumed == 0 {
		t.Fatal("no waiting execution resumed after the restart")
	}
}
