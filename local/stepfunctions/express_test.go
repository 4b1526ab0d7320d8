package stepfunctions

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dragons-dev/dragons/internal/crashtest"

	"github.com/dragons-dev/dragons/local/durable"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
)

// markDef is an Express workflow with one Lambda task that reports the
// execution's name, ARN and input to the invoker.
const markDef = `{"StartAt":"Mark","States":{"Mark":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
 "Parameters":{"FunctionName":"mark","Payload":{"name.$":"$$.Execution.Name","arn.$":"$$.Execution.Id","input.$":"$"}},"End":true}}}`

// markCall is what one run of markDef reported.
type markCall struct {
	Name  string         `json:"name"`
	ARN   string         `json:"arn"`
	Input map[string]any `json:"input"`
}

// markInvoker records markDef's calls; the calls block selects wait until
// the context ends (Close cuts them short).
type markInvoker struct {
	block func(markCall) bool
	mu    sync.Mutex
	calls []markCall
	delay func() time.Duration // optional work time
	done  func(markCall)       // optional, after a call is recorded
}

func (m *markInvoker) Invoke(ctx context.Context, _ string, payload []byte, _ string) (LambdaResult, error) {
	var c markCall
	if err := json.Unmarshal(payload, &c); err != nil {
		return LambdaResult{}, err
	}
	if m.block != nil && m.block(c) {
		<-ctx.Done()
		return LambdaResult{}, ctx.Err()
	}
	if m.delay != nil {
		select {
		case <-time.After(m.delay()):
		case <-ctx.Done():
			return LambdaResult{}, ctx.Err()
		}
	}
	m.mu.Lock()
	m.calls = append(m.calls, c)
	m.mu.Unlock()
	if m.done != nil {
		m.done(c)
	}
	return LambdaResult{Payload: []byte(`{}`)}, nil
}

func (m *markInvoker) Calls() []markCall {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]markCall(nil), m.calls...)
}

func TestExpressExecutionsRunAgainAfterRestart(t *testing.T) {
	for _, level := range []durable.Level{durable.Process, durable.Disk} {
		t.Run(level.String(), func(t *testing.T) { testExpressExecutionsRunAgainAfterRestart(t, level) })
	}
}

func testExpressExecutionsRunAgainAfterRestart(t *testing.T, level durable.Level) {
	ctx := context.Background()
	dir := t.TempDir()
	first := &markInvoker{block: func(c markCall) bool { return strings.HasPrefix(c.Name, "cut-") }}
	svc, err := New(Options{DataDir: dir, Durability: level, Lambda: first})
	if err != nil {
		t.Fatal(err)
	}
	arn, err := svc.CreateMachine(ctx, CreateStateMachineInput{Name: "marks", Type: TypeExpress, Definition: markDef, RoleArn: testRole})
	if err != nil {
		t.Fatal(err)
	}
	start := func(s *Service, name, input string) string {
		t.Helper()
		out, err := s.StartExecution(ctx, &StartExecutionInput{StateMachineArn: arn, Name: name, Input: &input, TraceHeader: "Root=1-00000000-000000000000000000000001"})
		if err != nil {
			t.Fatal(err)
		}
		return out.ExecutionArn
	}
	done := start(svc, "done", `{"n":0}`)
	waitFor(t, func() bool { return len(first.Calls()) == 1 && svc.pendingExpress() == 0 })
	blocked := map[string]string{} // ARN -> input
	for i := range 3 {
		in := fmt.Sprintf(`{"n":%d}`, i+1)
		blocked[start(svc, fmt.Sprintf("cut-%d", i), in)] = in
	}
	if n := svc.pendingExpress(); n != 3 {
		t.Fatalf("%d executions journaled as running, want 3", n)
	}
	// Close cuts the three short: they stay unfinished.
	if err := svc.Close(); err != nil {
		t.Fatal(err)
	}

	// Reopen, holding the recovered work until Recover.
	second := &markInvoker{}
	svc2, err := New(Options{DataDir: dir, Durability: level, Lambda: second, HoldRecovery: true})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(second.Calls()); n != 0 {
		t.Fatalf("%d executions ran before Recover", n)
	}
	svc2.Recover()
	waitFor(t, func() bool { return len(second.Calls()) == 3 && svc2.pendingExpress() == 0 })
	for _, c := range second.Calls() {
		in, ok := blocked[c.ARN]
		if !ok {
			t.Fatalf("ran again %s, which was not cut short (done was %s)", c.ARN, done)
		}
		if !strings.HasPrefix(c.Name, "cut-") || !strings.Contains(c.ARN, ":express:marks:"+c.Name+":") {
			t.Errorf("re-run name %q for %s", c.Name, c.ARN)
		}
		if mustJSON(c.Input) != mustJSON(asJSON(t, in)) {
			t.Errorf("re-run input %s, want %s", mustJSON(c.Input), in)
		}
		delete(blocked, c.ARN)
	}
	// New executions still journal and finish.
	start(svc2, "after", `{"n":9}`)
	waitFor(t, func() bool { return len(second.Calls()) == 4 && svc2.pendingExpress() == 0 })
	if err := svc2.Close(); err != nil {
		t.Fatal(err)
	}

	// Nothing is left to run.
	third := &markInvoker{}
	svc3, err := New(Options{DataDir: dir, Durability: level, Lambda: third})
	if err != nil {
		t.Fatal(err)
	}
	defer svc3.Close()
	if n := svc3.pendingExpress(); n != 0 || len(third.Calls()) != 0 {
		t.Fatalf("after a clean run: %d journaled, %d re-run", n, len(third.Calls()))
	}
}

func TestExpressJournalCompacts(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	inv := &markInvoker{block: func(c markCall) bool { return c.Name == "kept" }}
	svc, c := newTestService(t, Options{DataDir: dir, Lambda: inv})
	arn := createMachine(t, c, "many", "EXPRESS", markDef)
	keep := `{}`
	if _, err := svc.StartExecution(ctx, &StartExecutionInput{StateMachineArn: arn, Name: "kept", Input: &keep}); err != nil {
		t.Fatal(err)
	}
	n := compactAfter + 50
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 4 {
				in := fmt.Sprintf(`{"i":%d,"pad":%q}`, i, strings.Repeat("x", 200))
				if _, err := svc.StartExecution(ctx, &StartExecutionInput{StateMachineArn: arn, Input: &in}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	waitFor(t, func() bool { return len(inv.Calls()) == n && svc.pendingExpress() == 1 })
	// Every finished execution was written (start and end, ~300 bytes),
	// but the file was rewritten once they dominated it.
	st, err := os.Stat(filepath.Join(dir, "express.journal"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, "express.journal"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lines := 0
	if err := readJournal(f, func(expressRecord) { lines++ }); err != nil {
		t.Fatal(err)
	}
	if lines >= n {
		t.Fatalf("journal holds %d records (%d bytes) after %d executions: not compacted", lines, st.Size(), n)
	}
}

func TestExpressJournalStopsAtATornTail(t *testing.T) {
	var data []byte
	var err error
	for i, op := range []string{opStart, opStart, opEnd} {
		rec := expressRecord{Op: op, ARN: fmt.Sprintf("arn:%d", i%2), Input: `{"a":"b\nc"}`}
		if data, err = appendJournalLine(data, rec); err != nil {
			t.Fatal(err)
		}
	}
	good := len(data)
	corrupt, err := appendJournalLine(nil, expressRecord{Op: opStart, ARN: "arn:corrupt"})
	if err != nil {
		t.Fatal(err)
	}
	corrupt[len(corrupt)-3] ^= 1
	after, _ := appendJournalLine(nil, expressRecord{Op: opStart, ARN: "arn:after"})
	for name, tail := range map[string][]byte{
		"zeros":   make([]byte, 64),
		"torn":    after[:len(after)-5],
		"corrupt": append(append([]byte{}, corrupt...), after...),
		"none":    nil,
	} {
		var got []string
		err := readJournal(bytes.NewReader(append(append([]byte{}, data[:good]...), tail...)), func(r expressRecord) { got = append(got, r.Op+" "+r.ARN) })
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if strings.Join(got, ",") != "start arn:0,start arn:1,end arn:0" {
			t.Errorf("%s: records %v", name, got)
		}
	}
	// Opening a journal with a torn tail keeps the unfinished executions
	// and drops the tail.
	path := filepath.Join(t.TempDir(), "j")
	if err := os.WriteFile(path, append(append([]byte{}, data...), after[:7]...), 0o644); err != nil {
		t.Fatal(err)
	}
	j, pending, err := openExpressJournal(path, durable.Disk, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer j.close()
	if len(pending) != 1 || pending[0].ARN != "arn:1" || pending[0].Input != `{"a":"b\nc"}` {
		t.Fatalf("pending = %+v", pending)
	}
}

func FuzzJournalLine(f *testing.F) {
	line, _ := appendJournalLine(nil, expressRecord{Op: opStart, ARN: "arn:x", Name: "n", Input: `{"k":1}`, Start: time.Unix(1, 0).UTC()})
	f.Add(line[:len(line)-1])
	f.Add([]byte("00000000 {}"))
	f.Add([]byte("zzzzzzzz {\"op\":\"end\",\"arn\":\"a\"}"))
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		rec, ok := parseJournalLine(b)
		if !ok {
			return
		}
		again, err := appendJournalLine(nil, rec)
		if err != nil {
			t.Fatalf("a parsed record does not encode: %v", err)
		}
		rec2, ok := parseJournalLine(again[:len(again)-1])
		if !ok || mustJSON(rec2) != mustJSON(rec) {
			t.Fatalf("round trip: %+v -> %+v", rec, rec2)
		}
	})
}

// TestExpressHelperProcess is the child of TestKillNineExpress: it serves
// the API on a data directory and starts Express executions from several
// clients until killed, printing "ACK name" for each acknowledged start and
// "DONE name" when the execution's task has run.
func TestExpressHelperProcess(t *testing.T) {
	dir := os.Getenv("SFN_EXPRESS_HELPER_DIR")
	if dir == "" {
		return // not the child: nothing to do (the os/exec helper-process pattern)
	}
	var outMu sync.Mutex
	say := func(format string, args ...any) {
		outMu.Lock()
		fmt.Printf(format+"\n", args...)
		outMu.Unlock()
	}
	inv := &markInvoker{
		delay: func() time.Duration { return time.Duration(rand.IntN(20)) * time.Millisecond },
		done:  func(c markCall) { say("DONE %s", c.Name) },
	}
	svc, err := New(Options{DataDir: dir, Lambda: inv})
	if err != nil {
		say("ERR %v", err)
		os.Exit(2)
	}
	srv := httptest.NewServer(svc)
	c := newClient(srv.URL)
	ctx := context.Background()
	arn, err := svc.CreateMachine(ctx, CreateStateMachineInput{Name: "load", Type: TypeExpress, Definition: markDef, RoleArn: testRole})
	if err != nil {
		say("ERR %v", err)
		os.Exit(2)
	}
	say("READY")
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				name := fmt.Sprintf("w%d-%d", w, i)
				_, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Name: aws.String(name), Input: aws.String(fmt.Sprintf(`{"w":%d,"i":%d}`, w, i))})
				if err != nil {
					say("ERR %v", err)
					continue
				}
				say("ACK %s", name)
			}
		}()
	}
	wg.Wait()
}

func TestKillNineExpress(t *testing.T) {
	dir := t.TempDir()
	child := crashtest.Start(t, "TestExpressHelperProcess", "SFN_EXPRESS_HELPER_DIR="+dir)
	stdout := child.Stdout
	type line struct{ kind, name string }
	lines := make(chan line, 100000)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			kind, name, _ := strings.Cut(sc.Text(), " ")
			lines <- line{kind, name}
		}
		close(lines)
	}()
	acked := map[string]bool{}
	doneBefore := map[string]bool{}
	deadline := time.After(30 * time.Second)
collect:
	for len(acked) < 200 {
		select {
		case l, ok := <-lines:
			if !ok {
				break collect
			}
			switch l.kind {
			case "ACK":
				acked[l.name] = true
			case "DONE":
				doneBefore[l.name] = true
			}
		case <-deadline:
			break collect
		}
	}
	_ = child.Kill()
	child.Wait()
	for l := range lines {
		switch l.kind {
		case "ACK":
			acked[l.name] = true
		case "DONE":
			doneBefore[l.name] = true
		}
	}
	if len(acked) < 20 {
		t.Fatalf("the child acknowledged only %d executions", len(acked))
	}

	// Restart: every acknowledged execution that had not run runs now.
	inv := &markInvoker{}
	svc, err := New(Options{DataDir: dir, Lambda: inv})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	waitFor(t, func() bool { return svc.pendingExpress() == 0 })
	rerun := map[string]bool{}
	for _, c := range inv.Calls() {
		rerun[c.Name] = true
	}
	missing := 0
	for name := range acked {
		if !doneBefore[name] && !rerun[name] {
			missing++
			t.Errorf("acknowledged execution %s neither finished before the kill nor ran after the restart", name)
		}
	}
	notDone := 0
	for name := range acked {
		if !doneBefore[name] {
			notDone++
		}
	}
	t.Logf("%d acknowledged, %d unfinished at the kill, %d run again after the restart, %d missing", len(acked), notDone, len(rerun), missing)
}

// TestExpressJournalSyncsInTheBackground checks that, at the default level,
// an accepted Express execution is synced to the disk in the background.
func TestExpressJournalSyncsInTheBackground(t *testing.T) {
	ctx := context.Background()
	svc, err := New(Options{DataDir: t.TempDir(), Lambda: &markInvoker{}})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	arn, err := svc.CreateMachine(ctx, CreateStateMachineInput{Name: "bg", Type: TypeExpress, Definition: markDef, RoleArn: testRole})
	if err != nil {
		t.Fatal(err)
	}
	before := svc.journal.bg.Syncs()
	input := `{"n":1}`
	if _, err := svc.StartExecution(ctx, &StartExecutionInput{StateMachineArn: arn, Name: "bg", Input: &input}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * durable.SyncInterval)
	for svc.journal.bg.Syncs() == before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if svc.journal.bg.Syncs() == before {
		t.Fatalf("the Express journal was not synced within %v of a start", 20*durable.SyncInterval)
	}
}
