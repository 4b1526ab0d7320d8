package eventbus

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
)

func TestEventBuses(t *testing.T) {
	h := newHarness(t, Options{})
	c, ctx := h.client, ctxT(t)

	def, err := c.DescribeEventBus(ctx, &eventbridge.DescribeEventBusInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(def.Name) != "default" || aws.ToString(def.Arn) != "arn:aws:events:us-east-1:000000000000:event-bus/default" {
		t.Fatalf("default bus = %s %s", aws.ToString(def.Name), aws.ToString(def.Arn))
	}
	out, err := c.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String("dragons"), Description: aws.String("app bus")})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(out.EventBusArn); got != "arn:aws:events:us-east-1:000000000000:event-bus/dragons" {
		t.Fatalf("arn = %s", got)
	}
	_, err = c.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String("dragons")})
	var exists *types.ResourceAlreadyExistsException
	if !asErr(err, &exists) {
		t.Fatalf("duplicate bus error = %v", err)
	}
	wantCode(t, ignore2(c.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String("bad name!")})), "ValidationException")

	d, err := c.DescribeEventBus(ctx, &eventbridge.DescribeEventBusInput{Name: out.EventBusArn})
	if err != nil || aws.ToString(d.Name) != "dragons" || aws.ToString(d.Description) != "app bus" || d.CreationTime == nil {
		t.Fatalf("describe by ARN = %+v, %v", d, err)
	}
	_, err = c.DescribeEventBus(ctx, &eventbridge.DescribeEventBusInput{Name: aws.String("nope")})
	var nf *types.ResourceNotFoundException
	if !asErr(err, &nf) || !strings.Contains(aws.ToString(nf.Message), "nope") {
		t.Fatalf("missing bus error = %v", err)
	}
	for _, n := range []string{"dragons-a", "dragons-b", "other"} {
		if _, err := c.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(n)}); err != nil {
			t.Fatal(err)
		}
	}
	l, err := c.ListEventBuses(ctx, &eventbridge.ListEventBusesInput{NamePrefix: aws.String("dragons")})
	if err != nil {
		t.Fatal(err)
	}
	if names := busNames(l.EventBuses); names != "dragons,dragons-a,dragons-b" {
		t.Fatalf("prefix listing = %s", names)
	}
	p1, err := c.ListEventBuses(ctx, &eventbridge.ListEventBusesInput{Limit: aws.Int32(2)})
	if err != nil || len(p1.EventBuses) != 2 || p1.NextToken == nil {
		t.Fatalf("page 1 = %+v %v", p1, err)
	}
	p2, err := c.ListEventBuses(ctx, &eventbridge.ListEventBusesInput{Limit: aws.Int32(10), NextToken: p1.NextToken})
	if err != nil || len(p2.EventBuses) != 3 || p2.NextToken != nil {
		t.Fatalf("page 2 = %+v %v", p2, err)
	}

	wantCode(t, ignore2(c.DeleteEventBus(ctx, &eventbridge.DeleteEventBusInput{Name: aws.String("default")})), "ValidationException")
	if _, err := c.DeleteEventBus(ctx, &eventbridge.DeleteEventBusInput{Name: aws.String("other")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DescribeEventBus(ctx, &eventbridge.DescribeEventBusInput{Name: aws.String("other")}); !asErr(err, &nf) {
		t.Fatalf("deleted bus still described: %v", err)
	}
	if _, err := c.DeleteEventBus(ctx, &eventbridge.DeleteEventBusInput{Name: aws.String("other")}); err != nil {
		t.Fatalf("deleting a missing bus: %v", err)
	}
}

func busNames(bs []types.EventBus) string {
	var n []string
	for _, b := range bs {
		n = append(n, aws.ToString(b.Name))
	}
	return strings.Join(n, ",")
}

func TestRulesAndTargets(t *testing.T) {
	h := newHarness(t, Options{})
	c, ctx := h.client, ctxT(t)
	if _, err := c.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String("dragons")}); err != nil {
		t.Fatal(err)
	}
	pattern := `{"source":["dragons.app"],"detail-type":["DragonAdded"]}`

	_, err := c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("bad"), EventPattern: aws.String(`{"source":[{"prefix":5}]}`)})
	var ip *types.InvalidEventPatternException
	if !asErr(err, &ip) || !strings.Contains(aws.ToString(ip.Message), "Event pattern is not valid. Reason: prefix match pattern must be a string") {
		t.Fatalf("invalid pattern error = %v", err)
	}
	wantCode(t, ignore2(c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("empty")})), "ValidationException")
	wantCode(t, ignore2(c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("x"), EventPattern: aws.String(pattern), EventBusName: aws.String("nope")})), "ResourceNotFoundException")
	wantCode(t, ignore2(c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("s"), ScheduleExpression: aws.String("rate(5 minutes)"), EventBusName: aws.String("dragons")})), "ValidationException")
	wantCode(t, ignore2(c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("s"), ScheduleExpression: aws.String("every 5 minutes")})), "ValidationException")

	sched, err := c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("nightly"), ScheduleExpression: aws.String("cron(0 2 * * ? *)")})
	if err != nil || aws.ToString(sched.RuleArn) != "arn:aws:events:us-east-1:000000000000:rule/nightly" {
		t.Fatalf("schedule rule = %+v %v", sched, err)
	}
	out, err := c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("audit"), EventPattern: aws.String(pattern),
		EventBusName: aws.String("dragons"), Description: aws.String("audit added dragons")})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(out.RuleArn); got != "arn:aws:events:us-east-1:000000000000:rule/dragons/audit" {
		t.Fatalf("rule arn = %s", got)
	}
	d, err := c.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("audit"), EventBusName: aws.String("dragons")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(d.EventPattern) != pattern || d.State != types.RuleStateEnabled || aws.ToString(d.EventBusName) != "dragons" || aws.ToString(d.Description) != "audit added dragons" || aws.ToString(d.CreatedBy) != "000000000000" {
		t.Fatalf("describe = %+v", d)
	}
	ds, err := c.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("nightly")})
	if err != nil || aws.ToString(ds.ScheduleExpression) != "cron(0 2 * * ? *)" {
		t.Fatalf("scheduled rule = %+v %v", ds, err)
	}
	wantCode(t, ignore2(c.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("audit")})), "ResourceNotFoundException")

	for _, n := range []string{"audit-2", "audit-3", "zzz"} {
		if _, err := c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(n), EventPattern: aws.String(pattern), EventBusName: aws.String("dragons")}); err != nil {
			t.Fatal(err)
		}
	}
	lr, err := c.ListRules(ctx, &eventbridge.ListRulesInput{EventBusName: aws.String("dragons"), NamePrefix: aws.String("audit"), Limit: aws.Int32(2)})
	if err != nil || len(lr.Rules) != 2 || lr.NextToken == nil || aws.ToString(lr.Rules[0].Name) != "audit" {
		t.Fatalf("list rules page 1 = %+v %v", lr, err)
	}
	lr2, err := c.ListRules(ctx, &eventbridge.ListRulesInput{EventBusName: aws.String("dragons"), NamePrefix: aws.String("audit"), NextToken: lr.NextToken})
	if err != nil || len(lr2.Rules) != 1 || aws.ToString(lr2.Rules[0].Name) != "audit-3" {
		t.Fatalf("list rules page 2 = %+v %v", lr2, err)
	}

	if _, err := c.DisableRule(ctx, &eventbridge.DisableRuleInput{Name: aws.String("audit"), EventBusName: aws.String("dragons")}); err != nil {
		t.Fatal(err)
	}
	if d, _ := c.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("audit"), EventBusName: aws.String("dragons")}); d.State != types.RuleStateDisabled {
		t.Fatalf("state after disable = %s", d.State)
	}
	if _, err := c.EnableRule(ctx, &eventbridge.EnableRuleInput{Name: aws.String("audit"), EventBusName: aws.String("dragons")}); err != nil {
		t.Fatal(err)
	}
	if d, _ := c.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("audit"), EventBusName: aws.String("dragons")}); d.State != types.RuleStateEnabled {
		t.Fatalf("state after enable = %s", d.State)
	}
	wantCode(t, ignore2(c.EnableRule(ctx, &eventbridge.EnableRuleInput{Name: aws.String("missing")})), "ResourceNotFoundException")

	target := types.Target{Id: aws.String("q1"), Arn: aws.String(queueArn("audit")),
		RetryPolicy:      &types.RetryPolicy{MaximumRetryAttempts: aws.Int32(3), MaximumEventAgeInSeconds: aws.Int32(600)},
		DeadLetterConfig: &types.DeadLetterConfig{Arn: aws.String(queueArn("audit-dlq"))}}
	pt, err := c.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("audit"), EventBusName: aws.String("dragons"), Targets: []types.Target{target}})
	if err != nil || pt.FailedEntryCount != 0 {
		t.Fatalf("put targets = %+v %v", pt, err)
	}
	lt, err := c.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String("audit"), EventBusName: aws.String("dragons")})
	if err != nil || len(lt.Targets) != 1 {
		t.Fatalf("list targets = %+v %v", lt, err)
	}
	got := lt.Targets[0]
	if aws.ToString(got.Arn) != queueArn("audit") || aws.ToInt32(got.RetryPolicy.MaximumRetryAttempts) != 3 ||
		aws.ToInt32(got.RetryPolicy.MaximumEventAgeInSeconds) != 600 || aws.ToString(got.DeadLetterConfig.Arn) != queueArn("audit-dlq") {
		t.Fatalf("stored target = %+v", got)
	}
	// Updating by Id replaces, not adds.
	target.Input = aws.String(`{"fixed":true}`)
	if _, err := c.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("audit"), EventBusName: aws.String("dragons"), Targets: []types.Target{target}}); err != nil {
		t.Fatal(err)
	}
	lt, _ = c.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String("audit"), EventBusName: aws.String("dragons")})
	if len(lt.Targets) != 1 || aws.ToString(lt.Targets[0].Input) != `{"fixed":true}` {
		t.Fatalf("targets after update = %+v", lt.Targets)
	}

	both := types.Target{Id: aws.String("b"), Arn: aws.String(queueArn("x")), Input: aws.String(`{}`), InputPath: aws.String("$.detail")}
	wantCode(t, ignore2(c.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("audit"), EventBusName: aws.String("dragons"), Targets: []types.Target{both}})), "ValidationException")
	badRetry := types.Target{Id: aws.String("r"), Arn: aws.String(queueArn("x")), RetryPolicy: &types.RetryPolicy{MaximumEventAgeInSeconds: aws.Int32(10)}}
	wantCode(t, ignore2(c.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("audit"), EventBusName: aws.String("dragons"), Targets: []types.Target{badRetry}})), "ValidationException")
	reserved := types.Target{Id: aws.String("t"), Arn: aws.String(queueArn("x")), InputTransformer: &types.InputTransformer{
		InputPathsMap: map[string]string{"aws.events.thing": "$.id"}, InputTemplate: aws.String(`"<aws.events.thing>"`)}}
	wantCode(t, ignore2(c.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("audit"), EventBusName: aws.String("dragons"), Targets: []types.Target{reserved}})), "ValidationException")
	wantCode(t, ignore2(c.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("missing"), Targets: []types.Target{target}})), "ResourceNotFoundException")

	var many []types.Target
	for _, id := range []string{"a", "b", "c", "d", "e"} {
		many = append(many, types.Target{Id: aws.String(id), Arn: aws.String(queueArn(id))})
	}
	var le *types.LimitExceededException
	if _, err := c.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("audit"), EventBusName: aws.String("dragons"), Targets: many}, noRetry); !asErr(err, &le) {
		t.Fatalf("sixth target error = %v, want LimitExceededException", err)
	}

	wantCode(t, ignore2(c.DeleteRule(ctx, &eventbridge.DeleteRuleInput{Name: aws.String("audit"), EventBusName: aws.String("dragons")})), "ValidationException")
	rt, err := c.RemoveTargets(ctx, &eventbridge.RemoveTargetsInput{Rule: aws.String("audit"), EventBusName: aws.String("dragons"), Ids: []string{"q1"}})
	if err != nil || rt.FailedEntryCount != 0 {
		t.Fatalf("remove targets = %+v %v", rt, err)
	}
	if _, err := c.DeleteRule(ctx, &eventbridge.DeleteRuleInput{Name: aws.String("audit"), EventBusName: aws.String("dragons")}); err != nil {
		t.Fatal(err)
	}
	wantCode(t, ignore2(c.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("audit"), EventBusName: aws.String("dragons")})), "ResourceNotFoundException")
}

func TestTestEventPattern(t *testing.T) {
	h := newHarness(t, Options{})
	c, ctx := h.client, ctxT(t)
	ev := `{"id":"1","account":"000000000000","source":"dragons.app","time":"2026-01-01T00:00:00Z","region":"us-east-1","resources":[],"detail-type":"DragonAdded","detail":{"age":300}}`
	for pattern, want := range map[string]bool{
		`{"source":["dragons.app"],"detail":{"age":[{"numeric":[">",100]}]}}`: true,
		`{"source":["dragons.app"],"detail":{"age":[{"numeric":["<",100]}]}}`: false,
		`{"detail-type":[{"equals-ignore-case":"dragonadded"}]}`:              true,
	} {
		out, err := c.TestEventPattern(ctx, &eventbridge.TestEventPatternInput{EventPattern: aws.String(pattern), Event: aws.String(ev)})
		if err != nil {
			t.Fatal(err)
		}
		if out.Result != want {
			t.Errorf("TestEventPattern(%s) = %v, want %v", pattern, out.Result, want)
		}
	}
	var ip *types.InvalidEventPatternException
	if _, err := c.TestEventPattern(ctx, &eventbridge.TestEventPatternInput{EventPattern: aws.String(`{"a":"b"}`), Event: aws.String(ev)}); !asErr(err, &ip) {
		t.Fatalf("invalid pattern error = %v", err)
	}
	api := wantCode(t, ignore2(c.TestEventPattern(ctx, &eventbridge.TestEventPatternInput{EventPattern: aws.String(`{"a":["b"]}`), Event: aws.String(`{"source":"x"}`)})), "ValidationException")
	if !strings.Contains(api.ErrorMessage(), "detail-type") {
		t.Fatalf("message %q does not name the missing fields", api.ErrorMessage())
	}
}

func TestPutEventsValidation(t *testing.T) {
	h := newHarness(t, Options{})
	c, ctx := h.client, ctxT(t)
	wantCode(t, ignore2(c.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []types.PutEventsRequestEntry{}})), "ValidationException")
	var eleven []types.PutEventsRequestEntry
	for range 11 {
		eleven = append(eleven, entry("a", "b", `{}`))
	}
	wantCode(t, ignore2(c.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: eleven})), "ValidationException")

	// The size limit counts Source, DetailType, Detail, Resources and 14 bytes for Time.
	fill := func(n int) string { return `{"x":"` + strings.Repeat("a", n-8) + `"}` }
	exact := entry("s", "d", fill(maxPutEventsSize-2-14))
	exact.Time = aws.Time(time.Now())
	out, err := c.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []types.PutEventsRequestEntry{exact}})
	if err != nil || out.FailedEntryCount != 0 {
		t.Fatalf("entry of exactly 1 MB: %+v %v", out, err)
	}
	over := entry("s", "d", fill(maxPutEventsSize-2-14))
	over.Time = aws.Time(time.Now())
	over.Resources = []string{"r"}
	api := wantCode(t, ignore2(c.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []types.PutEventsRequestEntry{over}})), "ValidationException")
	if !strings.Contains(api.ErrorMessage(), "Total size of the entries in the request is over the limit") {
		t.Fatalf("size message = %q", api.ErrorMessage())
	}

	out, err = c.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []types.PutEventsRequestEntry{
		entry("dragons.app", "DragonAdded", `{"ok":1}`),
		{DetailType: aws.String("d"), Detail: aws.String(`{}`)},
		{Source: aws.String("s"), Detail: aws.String(`{}`)},
		{Source: aws.String("s"), DetailType: aws.String("d")},
		entry("s", "d", `{"broken":`),
		entry("s", "d", `[1,2]`),
		entry("aws.ec2", "d", `{}`),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if out.FailedEntryCount != 6 || len(out.Entries) != 7 {
		t.Fatalf("results = %+v", out)
	}
	if aws.ToString(out.Entries[0].EventId) == "" || out.Entries[0].ErrorCode != nil {
		t.Fatalf("valid entry result = %+v", out.Entries[0])
	}
	wantErrs := []struct{ code, msg string }{
		{"InvalidArgument", "Parameter Source is not valid. Reason: Source is a required argument."},
		{"InvalidArgument", "Parameter DetailType is not valid. Reason: DetailType is a required argument."},
		{"InvalidArgument", "Parameter Detail is not valid. Reason: Detail is a required argument."},
		{"MalformedDetail", "Detail is malformed."},
		{"MalformedDetail", "Detail is malformed."},
		{"NotAuthorizedForSourceException", "Not authorized for the source."},
	}
	for i, w := range wantErrs {
		e := out.Entries[i+1]
		if aws.ToString(e.ErrorCode) != w.code || aws.ToString(e.ErrorMessage) != w.msg || e.EventId != nil {
			t.Errorf("entry %d = %s %q, want %s %q", i+1, aws.ToString(e.ErrorCode), aws.ToString(e.ErrorMessage), w.code, w.msg)
		}
	}

	// As on AWS, an unknown bus is not an error: the event is dropped.
	out, err = c.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []types.PutEventsRequestEntry{{
		Source: aws.String("s"), DetailType: aws.String("d"), Detail: aws.String(`{}`), EventBusName: aws.String("nope")}}})
	if err != nil || out.FailedEntryCount != 0 || aws.ToString(out.Entries[0].EventId) == "" {
		t.Fatalf("unknown bus = %+v %v", out, err)
	}
}

func entry(source, detailType, detail string) types.PutEventsRequestEntry {
	return types.PutEventsRequestEntry{Source: aws.String(source), DetailType: aws.String(detailType), Detail: aws.String(detail)}
}

func ignore2[T any](_ T, err error) error { return err }

// noRetry stops the SDK from retrying errors it treats as throttling
// (LimitExceededException among them).
func noRetry(o *eventbridge.Options) { o.RetryMaxAttempts = 1 }
