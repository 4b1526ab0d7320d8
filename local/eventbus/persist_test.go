package eventbus

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dragons-dev/dragons/internal/crashtest"

	"github.com/dragons-dev/dragons/local/durable"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
)

func TestRestartKeepsState(t *testing.T) {
	for _, level := range []durable.Level{durable.Process, durable.Disk} {
		t.Run(level.String(), func(t *testing.T) { testRestartKeepsState(t, level) })
	}
}

func testRestartKeepsState(t *testing.T, level durable.Level) {
	dir := t.TempDir()
	q := newFakeQueues()
	svc, err := New(Options{DataDir: dir, Durability: level, Queues: q})
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t)
	if _, err := svc.CreateEventBus(ctx, &CreateEventBusInput{Name: "dragons", Description: "app"}); err != nil {
		t.Fatal(err)
	}
	pattern := `{"source":["dragons.app"]}`
	if _, err := svc.PutRule(ctx, &PutRuleInput{Name: "audit", EventBusName: "dragons", EventPattern: pattern, Description: "d"}); err != nil {
		t.Fatal(err)
	}
	retries, age := 8, 3600
	target := Target{Id: "q", Arn: queueArn("audit"), InputPath: "$.detail",
		RetryPolicy: &RetryPolicy{MaximumRetryAttempts: &retries, MaximumEventAgeInSeconds: &age}, DeadLetterConfig: &DeadLetterConfig{Arn: queueArn("dlq")}}
	if _, err := svc.PutTargets(ctx, &PutTargetsInput{Rule: "audit", EventBusName: "dragons", Targets: []Target{target}}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.DisableRule(ctx, &RuleRef{Name: "audit", EventBusName: "dragons"}); err != nil {
		t.Fatal(err)
	}
	busArn := svc.BusArn("dragons")
	if _, err := svc.CreateArchive(ctx, &CreateArchiveInput{ArchiveName: "arch", EventSourceArn: busArn, EventPattern: pattern}); err != nil {
		t.Fatal(err)
	}
	start := time.Now().Add(-time.Second)
	for i := range 3 {
		putGo(t, svc, "dragons", fmt.Sprintf(`{"i":%d}`, i))
	}
	if err := svc.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	if err := svc.Close(); err != nil {
		t.Fatal(err)
	}

	svc2, err := New(Options{DataDir: dir, Durability: level, Queues: q})
	if err != nil {
		t.Fatal(err)
	}
	defer svc2.Close()
	d, err := svc2.DescribeEventBus(ctx, &DescribeEventBusInput{Name: "dragons"})
	if err != nil || d.Description != "app" {
		t.Fatalf("bus after restart = %+v %v", d, err)
	}
	r, err := svc2.DescribeRule(ctx, &RuleRef{Name: "audit", EventBusName: "dragons"})
	if err != nil || r.EventPattern != pattern || r.State != StateDisabled || r.Description != "d" {
		t.Fatalf("rule after restart = %+v %v", r, err)
	}
	lt, err := svc2.ListTargetsByRule(ctx, &ListTargetsByRuleInput{Rule: "audit", EventBusName: "dragons"})
	if err != nil || len(lt.Targets) != 1 {
		t.Fatalf("targets after restart = %+v %v", lt, err)
	}
	got, _ := json.Marshal(lt.Targets[0])
	want, _ := json.Marshal(target)
	if string(got) != string(want) {
		t.Fatalf("target after restart = %s, want %s", got, want)
	}
	a, err := svc2.DescribeArchive(ctx, &ArchiveRef{ArchiveName: "arch"})
	if err != nil || a.EventCount != 3 {
		t.Fatalf("archive after restart = %+v %v", a, err)
	}
	// The restored rule still matches and the archive still replays.
	if _, err := svc2.EnableRule(ctx, &RuleRef{Name: "audit", EventBusName: "dragons"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc2.StartReplay(ctx, &StartReplayInput{ReplayName: "again", EventSourceArn: a.ArchiveArn,
		EventStartTime: NewTimestamp(start), EventEndTime: NewTimestamp(time.Now().Add(time.Second)), Destination: &ReplayDestination{Arn: busArn}}); err != nil {
		t.Fatal(err)
	}
	msgs := q.wait(t, queueArn("audit"), 3)
	seen := map[string]bool{}
	for _, m := range msgs {
		seen[m.Body] = true
	}
	for i := range 3 {
		if !seen[fmt.Sprintf(`{"i":%d}`, i)] {
			t.Errorf("replay after restart did not deliver event %d: %v", i, msgs)
		}
	}
}

func putGo(t testing.TB, svc *Service, bus, detail string) string {
	t.Helper()
	out, err := svc.PutEvents(context.Background(), &PutEventsInput{Entries: []PutEventsRequestEntry{
		{Source: "dragons.app", DetailType: "DragonAdded", Detail: detail, EventBusName: bus}}})
	if err != nil {
		t.Fatal(err)
	}
	if out.FailedEntryCount != 0 {
		t.Fatalf("put events: %+v", out.Entries)
	}
	return out.Entries[0].EventId
}

func TestRestartResumesUndeliveredEvents(t *testing.T) {
	dir := t.TempDir()
	down := newFakeQueues()
	down.fail(queueArn("target"), -1, nil)
	// Retries an hour apart: the events are still waiting when the service stops.
	svc, err := New(Options{DataDir: dir, Queues: down, RetryBaseDelay: time.Hour, RetryMaxDelay: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t)
	if _, err := svc.PutRule(ctx, &PutRuleInput{Name: "r", EventPattern: `{"source":["dragons.app"]}`}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.PutTargets(ctx, &PutTargetsInput{Rule: "r", Targets: []Target{{Id: "q", Arn: queueArn("target")}}}); err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for i := range 5 {
		ids[putGo(t, svc, "", fmt.Sprintf(`{"i":%d}`, i))] = true
	}
	deadline := time.Now().Add(10 * time.Second)
	for down.callCount(queueArn("target")) < 5 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if err := svc.Close(); err != nil {
		t.Fatal(err)
	}

	up := newFakeQueues()
	svc2, err := New(Options{DataDir: dir, Queues: up})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc2.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	msgs := up.messages(queueArn("target"))
	for _, m := range msgs {
		delete(ids, decodeJSON(t, m.Body)["id"].(string))
	}
	if len(ids) != 0 || len(msgs) != 5 {
		t.Fatalf("after restart %d messages delivered, missing %v", len(msgs), ids)
	}
	if err := svc2.Close(); err != nil {
		t.Fatal(err)
	}
	// Delivered events are not delivered again by the next start.
	again := newFakeQueues()
	svc3, err := New(Options{DataDir: dir, Queues: again})
	if err != nil {
		t.Fatal(err)
	}
	defer svc3.Close()
	if err := svc3.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(again.messages(queueArn("target"))); n != 0 {
		t.Fatalf("third start redelivered %d events", n)
	}
}

// TestHelperProcess is the child of TestKillNineLosesNothing: it accepts events
// as fast as it can and prints the id of each acknowledged one.
func TestHelperProcess(t *testing.T) {
	dir := os.Getenv("EVENTBUS_HELPER_DIR")
	if dir == "" {
		t.Skip("helper process for TestKillNineLosesNothing; runs only as its child")
	}
	down := newFakeQueues()
	down.fail(queueArn("target"), -1, nil)
	svc, err := New(Options{DataDir: dir, Queues: down, RetryBaseDelay: time.Hour, RetryMaxDelay: time.Hour})
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(1)
	}
	ctx := context.Background()
	if _, err := svc.CreateEventBus(ctx, &CreateEventBusInput{Name: "load"}); err != nil {
		fmt.Println("ERR", err)
		os.Exit(1)
	}
	if _, err := svc.CreateArchive(ctx, &CreateArchiveInput{ArchiveName: "all", EventSourceArn: svc.BusArn("load")}); err != nil {
		fmt.Println("ERR", err)
		os.Exit(1)
	}
	if _, err := svc.PutRule(ctx, &PutRuleInput{Name: "r", EventBusName: "load", EventPattern: `{"source":["dragons.app"]}`}); err != nil {
		fmt.Println("ERR", err)
		os.Exit(1)
	}
	if _, err := svc.PutTargets(ctx, &PutTargetsInput{Rule: "r", EventBusName: "load", Targets: []Target{{Id: "q", Arn: queueArn("target")}}}); err != nil {
		fmt.Println("ERR", err)
		os.Exit(1)
	}
	w := bufio.NewWriter(os.Stdout)
	for i := 0; ; i++ {
		entries := make([]PutEventsRequestEntry, 5)
		for k := range entries {
			entries[k] = PutEventsRequestEntry{Source: "dragons.app", DetailType: "t", Detail: fmt.Sprintf(`{"i":%d}`, i*5+k), EventBusName: "load"}
		}
		out, err := svc.PutEvents(ctx, &PutEventsInput{Entries: entries})
		if err != nil {
			fmt.Fprintln(w, "ERR", err)
			w.Flush()
			os.Exit(1)
		}
		for _, e := range out.Entries {
			fmt.Fprintln(w, "ACK", e.EventId)
		}
		w.Flush()
	}
}

// TestKillNineLosesNothing kills a process that is accepting events and checks
// that every acknowledged event is archived and still delivered after a restart.
func TestKillNineLosesNothing(t *testing.T) {
	dir := t.TempDir()
	child := crashtest.Start(t, "TestHelperProcess", "EVENTBUS_HELPER_DIR="+dir)
	stdout := child.Stdout
	acked := map[string]bool{}
	sc := bufio.NewScanner(stdout)
	for sc.Scan() && len(acked) < 1000 {
		line := sc.Text()
		if strings.HasPrefix(line, "ERR") {
			t.Fatalf("helper: %s", line)
		}
		if id, ok := strings.CutPrefix(line, "ACK "); ok {
			acked[id] = true
		}
	}
	if err := child.Kill(); err != nil {
		t.Fatal(err)
	}
	child.Wait()
	if len(acked) < 1000 {
		t.Fatalf("helper acknowledged only %d events", len(acked))
	}

	st, err := os.ReadFile(filepath.Join(dir, "state.json"))
	if err != nil || !json.Valid(st) {
		t.Fatalf("state.json after kill: %v (valid JSON: %v)", err, json.Valid(st))
	}
	q := newFakeQueues()
	svc, err := New(Options{DataDir: dir, Queues: q})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	ctx := ctxT(t)
	a, err := svc.DescribeArchive(ctx, &ArchiveRef{ArchiveName: "all"})
	if err != nil {
		t.Fatal(err)
	}
	if a.EventCount < int64(len(acked)) {
		t.Fatalf("archive holds %d events, %d were acknowledged", a.EventCount, len(acked))
	}
	if err := svc.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	delivered := map[string]bool{}
	for _, m := range q.messages(queueArn("target")) {
		delivered[decodeJSON(t, m.Body)["id"].(string)] = true
	}
	for id := range acked {
		if !delivered[id] {
			t.Fatalf("acknowledged event %s was not delivered after the restart (%d of %d delivered)", id, len(delivered), len(acked))
		}
	}
}

// TestReplayOfRestoredArchiveViaSDK checks the restored service through the SDK.
func TestRestartThroughSDK(t *testing.T) {
	dir := t.TempDir()
	h := newHarness(t, Options{DataDir: dir})
	if _, err := h.client.CreateEventBus(ctxT(t), &eventbridge.CreateEventBusInput{Name: aws.String("dragons")}); err != nil {
		t.Fatal(err)
	}
	setupRule(t, h.client, "r", `{"source":["s"]}`, types.Target{Id: aws.String("q"), Arn: aws.String(queueArn("q"))})
	h.svc.Close()
	h2 := newHarness(t, Options{DataDir: dir})
	l, err := h2.client.ListEventBuses(ctxT(t), &eventbridge.ListEventBusesInput{})
	if err != nil || busNames(l.EventBuses) != "default,dragons" {
		t.Fatalf("buses after restart = %+v %v", l, err)
	}
	lr, err := h2.client.ListRules(ctxT(t), &eventbridge.ListRulesInput{})
	if err != nil || len(lr.Rules) != 1 || aws.ToString(lr.Rules[0].EventPattern) != `{"source":["s"]}` {
		t.Fatalf("rules after restart = %+v %v", lr, err)
	}
}

// TestJournalsSyncInTheBackground: at the default level the undelivered-
// events journal is synced in the background after PutEvents; at the Disk
// level every append syncs and no background sync runs.
func TestJournalsSyncInTheBackground(t *testing.T) {
	ctx := ctxT(t)
	svc, err := New(Options{DataDir: t.TempDir(), Queues: newFakeQueues()})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	before := svc.pending.j.bg.Syncs()
	if _, err := svc.PutEvents(ctx, &PutEventsInput{Entries: []PutEventsRequestEntry{{Source: "dragons.app", DetailType: "T", Detail: `{}`}}}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * durable.SyncInterval)
	for svc.pending.j.bg.Syncs() == before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if svc.pending.j.bg.Syncs() == before {
		t.Fatalf("the event journal was not synced within %v of PutEvents", 20*durable.SyncInterval)
	}
	disk, err := New(Options{DataDir: t.TempDir(), Queues: newFakeQueues(), Durability: durable.Disk})
	if err != nil {
		t.Fatal(err)
	}
	defer disk.Close()
	if disk.pending.j.bg != nil {
		t.Fatal("the Disk level runs a background sync")
	}
}
