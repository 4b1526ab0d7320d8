package queue

import (
	"bufio"
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dragons-dev/dragons/internal/crashtest"

	"github.com/dragons-dev/dragons/local/durable"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// openEnv opens a service on dir; the returned function closes it.
func openEnv(t *testing.T, opts Options) (*testEnv, func()) {
	t.Helper()
	svc, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	srv := httptest.NewServer(svc)
	return &testEnv{svc: svc, srv: srv, c: newClient(srv.URL)}, func() {
		srv.Close()
		if err := svc.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}
}

func TestRestartServesSameState(t *testing.T) {
	for _, level := range []durable.Level{durable.Process, durable.Disk} {
		t.Run(level.String(), func(t *testing.T) { testRestartServesSameState(t, level) })
	}
}

func testRestartServesSameState(t *testing.T, level durable.Level) {
	dir := t.TempDir()
	ctx := testCtx(t)
	e, closeFn := openEnv(t, Options{DataDir: dir, Durability: level})
	c := e.c
	std := e.createQueue(t, "std", map[string]string{"VisibilityTimeout": "120"})
	c.TagQueue(ctx, &sqs.TagQueueInput{QueueUrl: &std, Tags: map[string]string{"team": "dragons"}})
	e.createQueue(t, "dlq", nil)
	e.createQueue(t, "src", map[string]string{"RedrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq","maxReceiveCount":4}`})
	fifo := e.createQueue(t, "f.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"})
	purged := e.createQueue(t, "purged", nil)
	gone := e.createQueue(t, "gone", nil)

	for i := 0; i < 10; i++ {
		if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &std, MessageBody: aws.String(fmt.Sprint("std-", i)),
			MessageAttributes: map[string]types.MessageAttributeValue{"n": {DataType: aws.String("Number"), StringValue: aws.String(fmt.Sprint(i))}}}); err != nil {
			t.Fatal(err)
		}
	}
	c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &std, MessageBody: aws.String("delayed"), DelaySeconds: 900})
	recv, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &std, MaxNumberOfMessages: 3})
	if err != nil || len(recv.Messages) != 3 {
		t.Fatalf("receive: %v %v", recv, err)
	}
	received := map[string]bool{}
	for _, m := range recv.Messages {
		received[aws.ToString(m.Body)] = true
	}
	for _, m := range recv.Messages[:2] {
		if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &std, ReceiptHandle: m.ReceiptHandle}); err != nil {
			t.Fatal(err)
		}
	}
	inflight := recv.Messages[2]
	fsent, _ := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &fifo, MessageBody: aws.String("once"), MessageGroupId: aws.String("g")})
	for i := 0; i < 3; i++ {
		c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &purged, MessageBody: aws.String("p")})
	}
	c.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: &purged})
	c.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: &gone})
	closeFn()

	e2, closeFn2 := openEnv(t, Options{DataDir: dir, Durability: level})
	defer closeFn2()
	c = e2.c
	std = e2.srv.URL + "/000000000000/std"
	list, _ := c.ListQueues(ctx, &sqs.ListQueuesInput{})
	var names []string
	for _, u := range list.QueueUrls {
		names = append(names, u[strings.LastIndex(u, "/")+1:])
	}
	if fmt.Sprint(names) != "[dlq f.fifo purged src std]" {
		t.Fatalf("queues after restart = %v", names)
	}
	qa, _ := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &std, AttributeNames: []types.QueueAttributeName{"All"}})
	if qa.Attributes["VisibilityTimeout"] != "120" || qa.Attributes["ApproximateNumberOfMessages"] != "7" ||
		qa.Attributes["ApproximateNumberOfMessagesNotVisible"] != "1" || qa.Attributes["ApproximateNumberOfMessagesDelayed"] != "1" {
		t.Fatalf("std attributes after restart = %v", qa.Attributes)
	}
	tags, _ := c.ListQueueTags(ctx, &sqs.ListQueueTagsInput{QueueUrl: &std})
	if tags.Tags["team"] != "dragons" {
		t.Fatalf("tags after restart = %v", tags.Tags)
	}
	src := e2.srv.URL + "/000000000000/src"
	qa, _ = c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &src, AttributeNames: []types.QueueAttributeName{"RedrivePolicy"}})
	if !strings.Contains(qa.Attributes["RedrivePolicy"], `"maxReceiveCount":4`) {
		t.Fatalf("RedrivePolicy after restart = %v", qa.Attributes)
	}
	// The receipt handle from before the restart still deletes its message.
	if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &std, ReceiptHandle: inflight.ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	if n := approx(t, e2, std, "ApproximateNumberOfMessagesNotVisible"); n != 0 {
		t.Fatalf("in-flight message not deleted by its old handle: %d not visible", n)
	}
	var bodies []string
	for {
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &std, MaxNumberOfMessages: 10, MessageAttributeNames: []string{"All"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			break
		}
		for _, m := range out.Messages {
			b := aws.ToString(m.Body)
			if aws.ToString(m.MessageAttributes["n"].StringValue) != strings.TrimPrefix(b, "std-") {
				t.Errorf("%s lost its attribute: %+v", b, m.MessageAttributes)
			}
			bodies = append(bodies, b)
		}
	}
	sort.Strings(bodies)
	for _, b := range bodies {
		if received[b] {
			t.Errorf("%s was received before the restart and is visible again before its timeout", b)
		}
	}
	if len(bodies) != 7 {
		t.Fatalf("visible after restart = %v", bodies)
	}
	// FIFO deduplication survives the restart.
	fifo = e2.srv.URL + "/000000000000/f.fifo"
	again, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &fifo, MessageBody: aws.String("once"), MessageGroupId: aws.String("g")})
	if err != nil || aws.ToString(again.MessageId) != aws.ToString(fsent.MessageId) {
		t.Fatalf("dedup after restart: %v %v", again, err)
	}
	if n := approx(t, e2, e2.srv.URL+"/000000000000/purged", "ApproximateNumberOfMessages"); n != 0 {
		t.Fatalf("purged queue has %d messages after restart", n)
	}
}

func TestCompactionKeepsState(t *testing.T) {
	dir := t.TempDir()
	ctx := testCtx(t)
	opts := Options{DataDir: dir, CompactAfterBytes: 4096}
	e, closeFn := openEnv(t, opts)
	u := e.createQueue(t, "churn", nil)
	body := strings.Repeat("b", 1000)
	kept := map[string]bool{}
	for i := 0; i < 200; i++ {
		out, err := e.c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &u, MessageBody: aws.String(fmt.Sprint(i, body))})
		if err != nil {
			t.Fatal(err)
		}
		kept[aws.ToString(out.MessageId)] = true
		if i%2 == 1 {
			r, err := e.c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &u})
			if err != nil || len(r.Messages) != 1 {
				t.Fatalf("receive: %v %v", r, err)
			}
			e.c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &u, ReceiptHandle: r.Messages[0].ReceiptHandle})
			delete(kept, aws.ToString(r.Messages[0].MessageId))
		}
	}
	// Snapshots ran and replaced the older files.
	var highest uint64
	eventually(t, "old journals removed", func() bool {
		entries, _ := os.ReadDir(dir)
		n := 0
		for _, en := range entries {
			if _, k, ok := parseFileName(en.Name()); ok {
				n++
				highest = max(highest, k)
			}
		}
		return n <= 3
	})
	// How many generations there are depends on how long each background
	// snapshot takes (no rotation starts while one runs); it is at least a
	// few, and the files before the newest snapshot are gone.
	if highest < 3 {
		t.Fatalf("only %d journal generations after ~300 KB with a 4 KB limit", highest)
	}
	closeFn()
	e2, closeFn2 := openEnv(t, opts)
	defer closeFn2()
	q, err := e2.svc.resolve("churn")
	if err != nil {
		t.Fatal(err)
	}
	q.mu.Lock()
	got := map[string]bool{}
	for _, m := range q.msgs {
		got[m.id] = true
	}
	q.mu.Unlock()
	if len(got) != len(kept) {
		t.Fatalf("after compaction and restart: %d messages, want %d", len(got), len(kept))
	}
	for id := range kept {
		if !got[id] {
			t.Fatalf("message %s lost", id)
		}
	}
}

// TestHelperProcess is the child of TestKillNineLosesNothingAcknowledged: it
// serves a queue from QUEUE_HELPER_DIR and drives load through the SDK,
// printing each send ("S body") and delete ("D body") once acknowledged and each
// receive ("R body") before its delete starts, until it is killed.
func TestHelperProcess(t *testing.T) {
	dir := os.Getenv("QUEUE_HELPER_DIR")
	if dir == "" {
		t.Skip("helper process for TestKillNineLosesNothingAcknowledged; runs only as its child")
	}
	svc, err := New(Options{DataDir: dir, CompactAfterBytes: 32 << 10})
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(2)
	}
	srv := httptest.NewServer(svc)
	c := newClient(srv.URL)
	ctx := context.Background()
	out, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("load"), Attributes: map[string]string{"VisibilityTimeout": "600"}})
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(2)
	}
	u := out.QueueUrl
	round := os.Getenv("QUEUE_HELPER_ROUND")
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				body := fmt.Sprintf("r%s-w%d-%d", round, w, i)
				if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: u, MessageBody: &body}); err != nil {
					fmt.Println("ERR", err)
					return
				}
				fmt.Println("S", body)
				if i%3 == 2 {
					r, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: u, MaxNumberOfMessages: 2})
					if err != nil {
						fmt.Println("ERR", err)
						return
					}
					for _, m := range r.Messages {
						fmt.Println("R", aws.ToString(m.Body))
						if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: u, ReceiptHandle: m.ReceiptHandle}); err != nil {
							fmt.Println("ERR", err)
							return
						}
						fmt.Println("D", aws.ToString(m.Body))
					}
				}
			}
		}(w)
	}
	wg.Wait()
	os.Exit(3)
}

func TestKillNineLosesNothingAcknowledged(t *testing.T) {
	dir := t.TempDir()
	// A message that was received may be gone even without an acknowledged
	// delete (the delete was durable but its answer never arrived); one that was
	// never received must be there.
	sent, received, deleted := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for round := 0; round < 3; round++ {
		child := crashtest.Start(t, "TestHelperProcess", "QUEUE_HELPER_DIR="+dir, fmt.Sprint("QUEUE_HELPER_ROUND=", round))
		stdout := child.Stdout
		sc := bufio.NewScanner(stdout)
		lines := 0
		killed := false
		for sc.Scan() {
			line := sc.Text()
			kind, body, _ := strings.Cut(line, " ")
			switch kind {
			case "S":
				sent[body] = true
			case "R":
				received[body] = true
			case "D":
				deleted[body] = true
			case "ERR":
				if !killed {
					t.Fatalf("helper failed: %s", body)
				}
			}
			lines++
			if lines == 1500+round*500 && !killed {
				if err := child.Kill(); err != nil {
					t.Fatal(err)
				}
				killed = true
			}
		}
		child.Wait()
		if !killed {
			t.Fatalf("helper exited early after %d lines", lines)
		}

		svc, err := New(Options{DataDir: dir})
		if err != nil {
			t.Fatalf("reopen after kill -9 (round %d): %v", round, err)
		}
		q, err := svc.resolve("load")
		if err != nil {
			t.Fatal(err)
		}
		present := map[string]bool{}
		q.mu.Lock()
		for _, m := range q.msgs {
			present[m.body] = true
		}
		q.mu.Unlock()
		for b := range sent {
			if !received[b] && !present[b] {
				t.Errorf("round %d: acknowledged message %s lost", round, b)
			}
		}
		for b := range deleted {
			if present[b] {
				t.Errorf("round %d: acknowledged delete of %s undone", round, b)
			}
		}
		if err := svc.Close(); err != nil {
			t.Fatal(err)
		}
		checkFilesParse(t, dir)
		t.Logf("round %d: %d acknowledged sends, %d deletes, %d stored", round, len(sent), len(deleted), len(present))
	}
}

// checkFilesParse reads every snapshot and journal frame by frame.
func checkFilesParse(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, en := range entries {
		kind, _, ok := parseFileName(en.Name())
		if !ok {
			continue
		}
		if _, err := replayFile(filepath.Join(dir, en.Name()), func(rec []byte) error {
			d := &dec{b: rec}
			if k := d.byte1(); k < recQueue || k > recSeq {
				return fmt.Errorf("bad record kind %d", k)
			}
			return nil
		}, kind == "journal"); err != nil {
			t.Errorf("%s: %v", en.Name(), err)
		}
	}
}

// TestSeqsNotReusedAfterCompaction: a receipt handle of a deleted message must not
// name a message sent after a restart.
func TestSeqsNotReusedAfterCompaction(t *testing.T) {
	dir := t.TempDir()
	ctx := testCtx(t)
	e, closeFn := openEnv(t, Options{DataDir: dir})
	u := e.createQueue(t, "seq", map[string]string{"VisibilityTimeout": "0"})
	e.c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &u, MessageBody: aws.String("old")})
	r, err := e.c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &u})
	if err != nil || len(r.Messages) != 1 {
		t.Fatalf("receive: %v %v", r, err)
	}
	old := r.Messages[0].ReceiptHandle
	if _, err := e.c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &u, ReceiptHandle: old}); err != nil {
		t.Fatal(err)
	}
	closeFn()
	// Reopening compacts, so after a second reopen the deleted message is in no
	// file any more.
	_, closeFn1 := openEnv(t, Options{DataDir: dir})
	closeFn1()
	e2, closeFn2 := openEnv(t, Options{DataDir: dir})
	defer closeFn2()
	u = e2.srv.URL + "/000000000000/seq"
	e2.c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &u, MessageBody: aws.String("new")})
	if _, err := e2.c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &u, ReceiptHandle: old}); err != nil {
		t.Fatal(err)
	}
	if n := approx(t, e2, u, "ApproximateNumberOfMessages"); n != 1 {
		t.Fatalf("a stale receipt handle deleted a new message (%d left)", n)
	}
}

// TestProcessLevelSyncsInTheBackground checks that the default level syncs
// the journal in the background after a send, and the Disk level does not
// need to.
func TestProcessLevelSyncsInTheBackground(t *testing.T) {
	ctx := testCtx(t)
	s, err := New(Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	q, err := s.CreateQueue(ctx, "bg", nil)
	if err != nil {
		t.Fatal(err)
	}
	before := s.j.bg.Syncs()
	if _, err := s.SendMessage(ctx, q.URL, "synced soon", nil); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * durable.SyncInterval)
	for s.j.bg.Syncs() == before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if s.j.bg.Syncs() == before {
		t.Fatalf("the queue journal was not synced within %v of a send", 20*durable.SyncInterval)
	}
	d, err := New(Options{DataDir: t.TempDir(), Durability: durable.Disk})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if d.j.bg != nil {
		t.Fatal("the Disk level runs a background sync")
	}
}
