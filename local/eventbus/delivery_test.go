package eventbus

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
)

// setupRule creates a rule on the default bus with the given targets.
func setupRule(t testing.TB, c *eventbridge.Client, name, pattern string, targets ...types.Target) string {
	t.Helper()
	ctx := ctxT(t)
	out, err := c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(name), EventPattern: aws.String(pattern)})
	if err != nil {
		t.Fatal(err)
	}
	if len(targets) > 0 {
		if _, err := c.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(name), Targets: targets}); err != nil {
			t.Fatal(err)
		}
	}
	return aws.ToString(out.RuleArn)
}

func sqsTarget(id, queue string) types.Target {
	return types.Target{Id: aws.String(id), Arn: aws.String(queueArn(queue))}
}

func putOne(t testing.TB, c *eventbridge.Client, e types.PutEventsRequestEntry) string {
	t.Helper()
	out, err := c.PutEvents(ctxT(t), &eventbridge.PutEventsInput{Entries: []types.PutEventsRequestEntry{e}})
	if err != nil {
		t.Fatal(err)
	}
	if out.FailedEntryCount != 0 {
		t.Fatalf("put events failed: %s %s", aws.ToString(out.Entries[0].ErrorCode), aws.ToString(out.Entries[0].ErrorMessage))
	}
	return aws.ToString(out.Entries[0].EventId)
}

func TestDeliveryToQueue(t *testing.T) {
	h := newHarness(t, Options{})
	c := h.client
	setupRule(t, c, "added", `{"source":["dragons.app"],"detail":{"dragon":{"age":[{"numeric":[">",100]}]}}}`, sqsTarget("q", "added"))
	setupRule(t, c, "off", `{"source":["dragons.app"]}`, sqsTarget("q", "disabled"))
	if _, err := c.DisableRule(ctxT(t), &eventbridge.DisableRuleInput{Name: aws.String("off")}); err != nil {
		t.Fatal(err)
	}

	when := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	young := entry("dragons.app", "DragonAdded", `{"dragon":{"name":"Puff","age":3}}`)
	old := entry("dragons.app", "DragonAdded", `{ "dragon": {"name": "Smaug <the golden>", "age": 171} }`)
	old.Time = aws.Time(when)
	old.Resources = []string{"arn:aws:s3:::dragons"}
	putOne(t, c, young)
	id := putOne(t, c, old)
	if err := h.svc.WaitIdle(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	msgs := h.queues.messages(queueArn("added"))
	if len(msgs) != 1 {
		t.Fatalf("queue got %d messages, want 1 (only the old dragon matches)", len(msgs))
	}
	ev := decodeJSON(t, msgs[0].Body)
	want := map[string]any{"version": "0", "id": id, "detail-type": "DragonAdded", "source": "dragons.app",
		"account": "000000000000", "time": "2026-03-04T05:06:07Z", "region": "us-east-1"}
	for k, v := range want {
		if ev[k] != v {
			t.Errorf("event %s = %v, want %v", k, ev[k], v)
		}
	}
	if res, _ := ev["resources"].([]any); len(res) != 1 || res[0] != "arn:aws:s3:::dragons" {
		t.Errorf("resources = %v", ev["resources"])
	}
	if !strings.Contains(msgs[0].Body, `"detail":{"dragon":{"name":"Smaug <the golden>","age":171}}`) {
		t.Errorf("detail not compacted verbatim: %s", msgs[0].Body)
	}
	if !strings.HasPrefix(msgs[0].Body, `{"version":"0","id":`) {
		t.Errorf("field order differs from EventBridge's: %s", msgs[0].Body)
	}
	if n := len(h.queues.messages(queueArn("disabled"))); n != 0 {
		t.Fatalf("disabled rule delivered %d messages", n)
	}
}

func TestCustomBusDelivery(t *testing.T) {
	h := newHarness(t, Options{})
	c, ctx := h.client, ctxT(t)
	if _, err := c.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String("dragons")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("r"), EventBusName: aws.String("dragons"), EventPattern: aws.String(`{"source":["dragons.app"]}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("r"), EventBusName: aws.String("dragons"), Targets: []types.Target{sqsTarget("q", "custom")}}); err != nil {
		t.Fatal(err)
	}
	e := entry("dragons.app", "DragonAdded", `{}`)
	e.EventBusName = aws.String("arn:aws:events:us-east-1:000000000000:event-bus/dragons")
	putOne(t, c, e)
	putOne(t, c, entry("dragons.app", "DragonAdded", `{}`)) // default bus: no rule
	if err := h.svc.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(h.queues.messages(queueArn("custom"))); n != 1 {
		t.Fatalf("custom bus queue got %d messages, want 1", n)
	}
}

func TestTargetInputs(t *testing.T) {
	h := newHarness(t, Options{})
	c := h.client
	tr := func(id string, paths map[string]string, tpl string) types.Target {
		tg := sqsTarget(id, id)
		tg.InputTransformer = &types.InputTransformer{InputPathsMap: paths, InputTemplate: aws.String(tpl)}
		return tg
	}
	paths := map[string]string{"instance": "$.detail.instance-id", "state": "$.detail.state", "n": "$.detail.n",
		"obj": "$.detail.obj", "first": "$.resources[0]", "none": "$.detail.absent", "all": "$.detail.list[*].v"}
	constant := sqsTarget("constant", "constant")
	constant.Input = aws.String(`{"fixed": "value"}`)
	path := sqsTarget("path", "path")
	path.InputPath = aws.String("$.detail.obj")
	ruleArn := setupRule(t, c, "shape", `{"source":["ec2.local"]}`,
		constant, path,
		tr("plain", paths, `<instance> is in state <state>`),
		tr("quoted", paths, `"instance \"<instance>\" is in <state>"`),
		tr("json", paths, `{"instance": <instance>, "state": "<state>", "n": <n>, "obj": <obj>, "msg": "n=<n> obj=<obj>", "first": <first>, "none": <none>, "noneq": "[<none>]", "all": <all>, "kept": "<unknown>"}`),
	)
	if _, err := c.PutRule(ctxT(t), &eventbridge.PutRuleInput{Name: aws.String("predef"), EventPattern: aws.String(`{"source":["ec2.local"]}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutTargets(ctxT(t), &eventbridge.PutTargetsInput{Rule: aws.String("predef"), Targets: []types.Target{
		tr("predef", nil, `{"arn": <aws.events.rule-arn>, "name": "<aws.events.rule-name>", "at": <aws.events.event.ingestion-time>, "event": <aws.events.event>, "full": <aws.events.event.json>}`),
	}}); err != nil {
		t.Fatal(err)
	}
	e := entry("ec2.local", "State change", `{"instance-id":"i-0123","state":"RUNNING","n":42,"obj":{"a":[1,"x"]},"list":[{"v":1},{"v":2}]}`)
	e.Resources = []string{"arn:aws:ec2:us-east-1:000000000000:instance/i-0123"}
	id := putOne(t, c, e)
	if err := h.svc.WaitIdle(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	body := func(q string) string {
		msgs := h.queues.messages(queueArn(q))
		if len(msgs) != 1 {
			t.Fatalf("queue %s got %d messages, want 1", q, len(msgs))
		}
		return msgs[0].Body
	}
	cases := map[string]string{
		"constant": `{"fixed": "value"}`,
		"path":     `{"a":[1,"x"]}`,
		"plain":    `i-0123 is in state RUNNING`,
		"quoted":   `"instance \"i-0123\" is in RUNNING"`,
		"json": `{"instance":"i-0123","state":"RUNNING","n":42,"obj":{"a":[1,"x"]},"msg":"n=42 obj={\"a\":[1,\"x\"]}",` +
			`"first":"arn:aws:ec2:us-east-1:000000000000:instance/i-0123","none":null,"noneq":"[]","all":[1,2],"kept":"<unknown>"}`,
	}
	for q, want := range cases {
		if got := body(q); got != want {
			t.Errorf("%s target got\n%s\nwant\n%s", q, got, want)
		}
	}
	pre := decodeJSON(t, body("predef"))
	if pre["arn"] != "arn:aws:events:us-east-1:000000000000:rule/predef" || pre["name"] != "predef" {
		t.Errorf("rule variables = %v %v", pre["arn"], pre["name"])
	}
	if _, err := time.Parse(time.RFC3339, fmt.Sprint(pre["at"])); err != nil {
		t.Errorf("ingestion time %v: %v", pre["at"], err)
	}
	evNoDetail, _ := pre["event"].(map[string]any)
	full, _ := pre["full"].(map[string]any)
	if evNoDetail["id"] != id || evNoDetail["detail"] != nil || full["id"] != id || full["detail"] == nil {
		t.Errorf("event variables = %v / %v", evNoDetail, full)
	}
	_ = ruleArn
}

func TestRetryThenSuccess(t *testing.T) {
	h := newHarness(t, Options{})
	arn := queueArn("flaky")
	h.queues.fail(arn, 2, nil)
	setupRule(t, h.client, "r", `{"source":["s"]}`, sqsTarget("q", "flaky"))
	putOne(t, h.client, entry("s", "d", `{}`))
	h.queues.wait(t, arn, 1)
	if err := h.svc.WaitIdle(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if n := h.queues.callCount(arn); n != 3 {
		t.Fatalf("send attempts = %d, want 3 (two failures, one success)", n)
	}
}

func TestRetryExhaustedGoesToDLQ(t *testing.T) {
	h := newHarness(t, Options{})
	arn, dlq := queueArn("down"), queueArn("dlq")
	h.queues.fail(arn, -1, nil)
	target := sqsTarget("q", "down")
	target.RetryPolicy = &types.RetryPolicy{MaximumRetryAttempts: aws.Int32(2), MaximumEventAgeInSeconds: aws.Int32(3600)}
	target.DeadLetterConfig = &types.DeadLetterConfig{Arn: aws.String(dlq)}
	ruleArn := setupRule(t, h.client, "r", `{"source":["s"]}`, target)
	id := putOne(t, h.client, entry("s", "d", `{"k":"v"}`))
	msgs := h.queues.wait(t, dlq, 1)
	if n := h.queues.callCount(arn); n != 3 {
		t.Fatalf("attempts = %d, want 3 (1 + 2 retries)", n)
	}
	ev := decodeJSON(t, msgs[0].Body)
	if ev["id"] != id {
		t.Fatalf("dead letter body is not the event: %s", msgs[0].Body)
	}
	wantAttrs := map[string]string{"RULE_ARN": ruleArn, "TARGET_ARN": arn, "ERROR_CODE": "SDK_CLIENT_ERROR",
		"EXHAUSTED_RETRY_CONDITION": "MaximumRetryAttempts", "RETRY_ATTEMPTS": "2"}
	for k, v := range wantAttrs {
		if msgs[0].Attrs[k] != v {
			t.Errorf("attribute %s = %q, want %q", k, msgs[0].Attrs[k], v)
		}
	}
	if !strings.Contains(msgs[0].Attrs["ERROR_MESSAGE"], "temporarily unavailable") {
		t.Errorf("ERROR_MESSAGE = %q", msgs[0].Attrs["ERROR_MESSAGE"])
	}
}

func TestMissingTargetGoesToDLQWithoutRetries(t *testing.T) {
	h := newHarness(t, Options{})
	arn, dlq := queueArn("gone"), queueArn("dlq")
	h.queues.fail(arn, -1, fmt.Errorf("queue gone: %w", ErrTargetNotFound))
	target := sqsTarget("q", "gone")
	target.DeadLetterConfig = &types.DeadLetterConfig{Arn: aws.String(dlq)}
	setupRule(t, h.client, "r", `{"source":["s"]}`, target)
	putOne(t, h.client, entry("s", "d", `{}`))
	msgs := h.queues.wait(t, dlq, 1)
	if n := h.queues.callCount(arn); n != 1 {
		t.Fatalf("attempts = %d, want 1", n)
	}
	if msgs[0].Attrs["ERROR_CODE"] != "RESOURCE_NOT_FOUND" || msgs[0].Attrs["RETRY_ATTEMPTS"] != "0" {
		t.Fatalf("attributes = %v", msgs[0].Attrs)
	}
}

func TestEventAgeExhausted(t *testing.T) {
	// With retries an hour apart, the first retry would pass the 60 s age limit.
	h := newHarness(t, Options{RetryBaseDelay: time.Hour, RetryMaxDelay: time.Hour})
	arn, dlq := queueArn("down"), queueArn("dlq")
	h.queues.fail(arn, -1, nil)
	target := sqsTarget("q", "down")
	target.RetryPolicy = &types.RetryPolicy{MaximumEventAgeInSeconds: aws.Int32(60)}
	target.DeadLetterConfig = &types.DeadLetterConfig{Arn: aws.String(dlq)}
	setupRule(t, h.client, "r", `{"source":["s"]}`, target)
	putOne(t, h.client, entry("s", "d", `{}`))
	msgs := h.queues.wait(t, dlq, 1)
	if msgs[0].Attrs["EXHAUSTED_RETRY_CONDITION"] != "MaximumEventAgeInSeconds" || msgs[0].Attrs["RETRY_ATTEMPTS"] != "0" {
		t.Fatalf("attributes = %v", msgs[0].Attrs)
	}
}

func TestInvokers(t *testing.T) {
	h := newHarness(t, Options{})
	var mu sync.Mutex
	var got []string
	h.svc.SetInvoker("lambda", InvokerFunc(func(_ context.Context, arn string, payload []byte) error {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, arn+" "+string(payload))
		return nil
	}))
	fn := "arn:aws:lambda:us-east-1:000000000000:function:auditDragon"
	sm := "arn:aws:states:us-east-1:000000000000:stateMachine:nobody"
	lambda := types.Target{Id: aws.String("fn"), Arn: aws.String(fn), Input: aws.String(`{"x":1}`)}
	states := types.Target{Id: aws.String("sm"), Arn: aws.String(sm),
		RetryPolicy:      &types.RetryPolicy{MaximumRetryAttempts: aws.Int32(1)},
		DeadLetterConfig: &types.DeadLetterConfig{Arn: aws.String(queueArn("sm-dlq"))}}
	setupRule(t, h.client, "r", `{"source":["s"]}`, lambda, states)
	putOne(t, h.client, entry("s", "d", `{}`))
	msgs := h.queues.wait(t, queueArn("sm-dlq"), 1)
	if msgs[0].Attrs["ERROR_CODE"] != "CONNECTION_FAILURE" || msgs[0].Attrs["TARGET_ARN"] != sm || msgs[0].Attrs["RETRY_ATTEMPTS"] != "1" {
		t.Fatalf("target without invoker: attributes = %v", msgs[0].Attrs)
	}
	if err := h.svc.WaitIdle(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || got[0] != fn+` {"x":1}` {
		t.Fatalf("lambda invocations = %q", got)
	}
}

func TestGoAPI(t *testing.T) {
	q := newFakeQueues()
	svc, err := New(Options{Queues: q})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	ctx := ctxT(t)
	if _, err := svc.CreateEventBus(ctx, &CreateEventBusInput{Name: "dragons"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.PutRule(ctx, &PutRuleInput{Name: "r", EventBusName: "dragons", EventPattern: `{"detail-type":["DragonAdded"]}`}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.PutTargets(ctx, &PutTargetsInput{Rule: "r", EventBusName: "dragons", Targets: []Target{{Id: "q", Arn: queueArn("go")}}}); err != nil {
		t.Fatal(err)
	}
	out, err := svc.PutEvents(ctx, &PutEventsInput{Entries: []PutEventsRequestEntry{{Source: "dragons.app", DetailType: "DragonAdded", Detail: `{"a":1}`, EventBusName: "dragons"}}})
	if err != nil || out.FailedEntryCount != 0 {
		t.Fatalf("put events = %+v %v", out, err)
	}
	msgs := q.wait(t, queueArn("go"), 1)
	if ev := decodeJSON(t, msgs[0].Body); ev["id"] != out.Entries[0].EventId {
		t.Fatalf("delivered %s", msgs[0].Body)
	}
	_, err = svc.PutRule(ctx, &PutRuleInput{Name: "bad", EventPattern: `{"a":[]}`})
	if err == nil || !strings.Contains(err.Error(), "InvalidEventPatternException") {
		t.Fatalf("Go API invalid pattern error = %v", err)
	}
}

func TestArchiveAndReplay(t *testing.T) {
	h := newHarness(t, Options{})
	c, ctx := h.client, ctxT(t)
	busArn := createBus(t, c, "dragons")
	wantCode(t, ignore2(c.CreateArchive(ctx, &eventbridge.CreateArchiveInput{ArchiveName: aws.String("a"), EventSourceArn: aws.String(h.svc.BusArn("nope"))})), "ResourceNotFoundException")
	var ip *types.InvalidEventPatternException
	if _, err := c.CreateArchive(ctx, &eventbridge.CreateArchiveInput{ArchiveName: aws.String("a"), EventSourceArn: aws.String(busArn), EventPattern: aws.String(`[]`)}); !asErr(err, &ip) {
		t.Fatalf("archive with invalid pattern: %v", err)
	}
	ca, err := c.CreateArchive(ctx, &eventbridge.CreateArchiveInput{ArchiveName: aws.String("dragons-archive"), EventSourceArn: aws.String(busArn),
		EventPattern: aws.String(`{"source":["dragons.app"]}`), RetentionDays: aws.Int32(30), Description: aws.String("all app events")})
	if err != nil || ca.State != types.ArchiveStateEnabled || aws.ToString(ca.ArchiveArn) != "arn:aws:events:us-east-1:000000000000:archive/dragons-archive" {
		t.Fatalf("create archive = %+v %v", ca, err)
	}
	var exists *types.ResourceAlreadyExistsException
	if _, err := c.CreateArchive(ctx, &eventbridge.CreateArchiveInput{ArchiveName: aws.String("dragons-archive"), EventSourceArn: aws.String(busArn)}); !asErr(err, &exists) {
		t.Fatalf("duplicate archive: %v", err)
	}

	start := time.Now().Add(-time.Second)
	put := func(source string) string {
		e := entry(source, "DragonAdded", `{"n":1}`)
		e.EventBusName = aws.String("dragons")
		return putOne(t, c, e)
	}
	ids := map[string]bool{put("dragons.app"): true, put("dragons.app"): true}
	put("other.app") // not archived: the archive pattern filters it out
	if err := h.svc.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	da, err := c.DescribeArchive(ctx, &eventbridge.DescribeArchiveInput{ArchiveName: aws.String("dragons-archive")})
	if err != nil || da.EventCount != 2 || da.SizeBytes == 0 || aws.ToString(da.EventPattern) != `{"source":["dragons.app"]}` || aws.ToInt32(da.RetentionDays) != 30 {
		t.Fatalf("describe archive = %+v %v", da, err)
	}
	la, err := c.ListArchives(ctx, &eventbridge.ListArchivesInput{EventSourceArn: aws.String(busArn)})
	if err != nil || len(la.Archives) != 1 || la.Archives[0].EventCount != 2 {
		t.Fatalf("list archives = %+v %v", la, err)
	}
	wantCode(t, ignore2(c.DescribeArchive(ctx, &eventbridge.DescribeArchiveInput{ArchiveName: aws.String("nope")})), "ResourceNotFoundException")

	// Rules created after the events still receive the replay; one rule matches only replays.
	for name, pattern := range map[string]string{"all": `{"source":["dragons.app"]}`, "replays": `{"replay-name":[{"exists":true}]}`} {
		if _, err := c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(name), EventBusName: aws.String("dragons"), EventPattern: aws.String(pattern)}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(name), EventBusName: aws.String("dragons"), Targets: []types.Target{sqsTarget("q", "replay-"+name)}}); err != nil {
			t.Fatal(err)
		}
	}
	end := time.Now().Add(time.Second)
	window := func(name, dest string) *eventbridge.StartReplayInput {
		return &eventbridge.StartReplayInput{ReplayName: aws.String(name), EventSourceArn: ca.ArchiveArn,
			EventStartTime: aws.Time(start), EventEndTime: aws.Time(end), Destination: &types.ReplayDestination{Arn: aws.String(dest)}}
	}
	other := createBus(t, c, "other")
	wantCode(t, ignore2(c.StartReplay(ctx, window("cross", other))), "ValidationException")
	missing := window("m", busArn)
	missing.EventSourceArn = aws.String("arn:aws:events:us-east-1:000000000000:archive/none")
	wantCode(t, ignore2(c.StartReplay(ctx, missing)), "ResourceNotFoundException")
	backwards := window("b", busArn)
	backwards.EventStartTime, backwards.EventEndTime = backwards.EventEndTime, backwards.EventStartTime
	wantCode(t, ignore2(c.StartReplay(ctx, backwards)), "ValidationException")

	sr, err := c.StartReplay(ctx, window("r1", busArn))
	if err != nil || aws.ToString(sr.ReplayArn) != "arn:aws:events:us-east-1:000000000000:replay/r1" {
		t.Fatalf("start replay = %+v %v", sr, err)
	}
	if _, err := c.StartReplay(ctx, window("r1", busArn)); !asErr(err, &exists) {
		t.Fatalf("duplicate replay: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	var dr *eventbridge.DescribeReplayOutput
	for {
		dr, err = c.DescribeReplay(ctx, &eventbridge.DescribeReplayInput{ReplayName: aws.String("r1")})
		if err != nil {
			t.Fatal(err)
		}
		if dr.State == types.ReplayStateCompleted || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if dr.State != types.ReplayStateCompleted || dr.ReplayEndTime == nil || dr.EventLastReplayedTime == nil || aws.ToString(dr.Destination.Arn) != busArn {
		t.Fatalf("describe replay = %+v", dr)
	}
	for _, q := range []string{"replay-all", "replay-replays"} {
		msgs := h.queues.wait(t, queueArn(q), 2)
		for _, m := range msgs {
			ev := decodeJSON(t, m.Body)
			if ev["replay-name"] != "r1" || !ids[fmt.Sprint(ev["id"])] {
				t.Errorf("%s got %s", q, m.Body)
			}
		}
	}
	if err := h.svc.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	if da, _ := c.DescribeArchive(ctx, &eventbridge.DescribeArchiveInput{ArchiveName: aws.String("dragons-archive")}); da.EventCount != 2 {
		t.Fatalf("replayed events were archived again: count %d", da.EventCount)
	}
	// A replay limited to one rule reaches only that rule.
	only := window("r2", busArn)
	only.Destination.FilterArns = []string{"arn:aws:events:us-east-1:000000000000:rule/dragons/all"}
	if _, err := c.StartReplay(ctx, only); err != nil {
		t.Fatal(err)
	}
	h.queues.wait(t, queueArn("replay-all"), 4)
	for time.Now().Before(deadline) {
		if d, _ := c.DescribeReplay(ctx, &eventbridge.DescribeReplayInput{ReplayName: aws.String("r2")}); d.State == types.ReplayStateCompleted {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := h.svc.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(h.queues.messages(queueArn("replay-replays"))); n != 2 {
		t.Fatalf("filtered replay reached another rule: %d messages", n)
	}
	lr, err := c.ListReplays(ctx, &eventbridge.ListReplaysInput{})
	if err != nil || len(lr.Replays) != 2 {
		t.Fatalf("list replays = %+v %v", lr, err)
	}
}

func createBus(t testing.TB, c *eventbridge.Client, name string) string {
	t.Helper()
	out, err := c.CreateEventBus(ctxT(t), &eventbridge.CreateEventBusInput{Name: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.EventBusArn)
}

// TestFanOutLosesNothing sends many events from concurrent clients to rules that
// fan out to several queues and checks every queue got every event exactly once.
func TestFanOutLosesNothing(t *testing.T) {
	h := newHarness(t, Options{Workers: 8})
	c := h.client
	setupRule(t, c, "all", `{"source":["load"]}`, sqsTarget("a", "fan-a"), sqsTarget("b", "fan-b"))
	setupRule(t, c, "even", `{"source":["load"],"detail":{"even":[true]}}`, sqsTarget("c", "fan-even"))
	setupRule(t, c, "big", `{"source":["load"],"detail":{"n":[{"numeric":[">=",100]}]}}`, sqsTarget("d", "fan-big"))

	const writers, perWriter = 8, 25 // 8 x 25 requests x 10 entries = 2000 events
	var mu sync.Mutex
	all := map[string]int{}
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				var entries []types.PutEventsRequestEntry
				for k := range 10 {
					n := (w*perWriter+i)*10 + k
					entries = append(entries, entry("load", "tick", fmt.Sprintf(`{"n":%d,"even":%v}`, n, n%2 == 0)))
				}
				out, err := c.PutEvents(context.Background(), &eventbridge.PutEventsInput{Entries: entries})
				if err != nil {
					errs <- err
					return
				}
				if out.FailedEntryCount != 0 {
					errs <- fmt.Errorf("%d entries failed", out.FailedEntryCount)
					return
				}
				mu.Lock()
				for k, e := range out.Entries {
					n := (w*perWriter+i)*10 + k
					all[aws.ToString(e.EventId)] = n
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if err := h.svc.WaitIdle(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	total := writers * perWriter * 10
	if len(all) != total {
		t.Fatalf("%d distinct event ids, want %d", len(all), total)
	}
	check := func(queue string, want func(n int) bool) {
		seen := map[string]int{}
		for _, m := range h.queues.messages(queueArn(queue)) {
			var ev struct {
				ID string `json:"id"`
			}
			if err := json.Unmarshal([]byte(m.Body), &ev); err != nil {
				t.Fatal(err)
			}
			seen[ev.ID]++
		}
		expected := 0
		for id, n := range all {
			if !want(n) {
				continue
			}
			expected++
			if seen[id] != 1 {
				t.Errorf("queue %s got event %s (n=%d) %d times", queue, id, n, seen[id])
			}
		}
		if len(seen) != expected {
			t.Errorf("queue %s got %d distinct events, want %d", queue, len(seen), expected)
		}
	}
	check("fan-a", func(int) bool { return true })
	check("fan-b", func(int) bool { return true })
	check("fan-even", func(n int) bool { return n%2 == 0 })
	check("fan-big", func(n int) bool { return n >= 100 })
}

// TestPutEventsReturnsBeforeDelivery blocks a target and checks PutEvents still
// returns, and that the event is delivered once the target unblocks.
func TestPutEventsReturnsBeforeDelivery(t *testing.T) {
	h := newHarness(t, Options{})
	release := make(chan struct{})
	delivered := make(chan string, 1)
	h.svc.SetInvoker("lambda", InvokerFunc(func(ctx context.Context, _ string, payload []byte) error {
		select {
		case <-release:
		case <-ctx.Done():
			return ctx.Err()
		}
		delivered <- string(payload)
		return nil
	}))
	setupRule(t, h.client, "r", `{"source":["s"]}`, types.Target{Id: aws.String("fn"), Arn: aws.String("arn:aws:lambda:us-east-1:000000000000:function:slow")})
	id := putOne(t, h.client, entry("s", "d", `{}`))
	select {
	case <-delivered:
		t.Fatal("delivered before the target was released")
	default:
	}
	close(release)
	select {
	case body := <-delivered:
		if decodeJSON(t, body)["id"] != id {
			t.Fatalf("delivered %s", body)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("not delivered after release")
	}
}

// TestTraceHeaderReachesInvokers checks that the X-Ray trace header of a
// PutEvents entry is handed to the target's invoker.
func TestTraceHeaderReachesInvokers(t *testing.T) {
	h := newHarness(t, Options{})
	traces := make(chan string, 1)
	h.svc.SetInvoker("lambda", InvokerFunc(func(ctx context.Context, _ string, _ []byte) error {
		traces <- TraceHeader(ctx)
		return nil
	}))
	setupRule(t, h.client, "r", `{"source":["s"]}`, types.Target{Id: aws.String("fn"), Arn: aws.String("arn:aws:lambda:us-east-1:000000000000:function:f")})
	e := entry("s", "d", `{}`)
	e.TraceHeader = aws.String("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")
	putOne(t, h.client, e)
	select {
	case got := <-traces:
		if got != aws.ToString(e.TraceHeader) {
			t.Fatalf("trace header = %q", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("not delivered")
	}
}
