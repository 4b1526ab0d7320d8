package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/xray"

	"github.com/dragons-dev/dragons/local/lambdahost"
)

func TestConcurrentDistinctAndSameName(t *testing.T) {
	e := shared
	const distinct, same = 200, 50
	swarm, onlyOne := unique("Swarmling"), unique("Onlyone")
	ids := make([]string, distinct+same)
	var wg sync.WaitGroup
	errs := make(chan error, len(ids))
	sem := make(chan struct{}, 64)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			name := fmt.Sprintf("%s-%03d", swarm, i)
			if i >= distinct {
				name = onlyOne
			}
			r, err := e.do("POST", "/dragons", e.token, dragon(name, "swarm"), nil)
			if err != nil {
				errs <- err
				return
			}
			if r.status != 202 {
				errs <- fmt.Errorf("POST %s = %d %s", name, r.status, r.body)
				return
			}
			var m map[string]any
			_ = json.Unmarshal(r.body, &m)
			ids[i], _ = m["executionId"].(string)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		t.FailNow()
	}
	succeeded, rejected := 0, 0
	for i, id := range ids {
		st := e.waitDone(t, id)
		switch {
		case i < distinct && st["status"] != "SUCCEEDED":
			t.Fatalf("distinct add %d = %v", i, st)
		case i >= distinct && st["status"] == "SUCCEEDED":
			succeeded++
		case i >= distinct && st["status"] == "REJECTED":
			rejected++
		case i >= distinct:
			t.Fatalf("same-name add %d = %v", i, st)
		}
	}
	if succeeded != 1 || rejected != same-1 {
		t.Fatalf("same name: %d succeeded, %d rejected; want 1 and %d", succeeded, rejected, same-1)
	}
	cat := e.catalog(t)
	for i := 0; i < distinct; i++ {
		if n := countNamed(cat, fmt.Sprintf("%s-%03d", swarm, i)); n != 1 {
			t.Fatalf("%s-%03d stored %d times", swarm, i, n)
		}
	}
	if n := countNamed(cat, onlyOne); n != 1 {
		t.Fatalf("%s stored %d times", onlyOne, n)
	}
}

func TestCrashOnceIsRetried(t *testing.T) {
	e := shared
	fn := e.stackID("AddDragonFunction")
	if err := e.c.Lambda.SetFault(fn, lambdahost.Fault{CrashNext: 1}); err != nil {
		t.Fatal(err)
	}
	defer e.c.Lambda.SetFault(fn, lambdahost.Fault{})
	since := time.Now().Add(-time.Second)
	phoenixa := unique("Phoenixa")
	id, _ := e.submit(t, dragon(phoenixa, "ember"))
	if st := e.waitDone(t, id); st["status"] != "SUCCEEDED" {
		t.Fatalf("after one crash = %v", st)
	}
	if n := countNamed(e.catalog(t), phoenixa); n != 1 {
		t.Fatalf("stored %d times", n)
	}
	// The crash did happen: the host logged the process's exit (the
	// Runtime.ExitError the workflow's Retry caught).
	logs := cloudwatchlogs.NewFromConfig(e.cfg)
	out, err := logs.FilterLogEvents(context.Background(), &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("/aws/lambda/" + fn),
		FilterPattern: aws.String(`"Runtime exited with error"`), StartTime: aws.Int64(since.UnixMilli())})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Events) != 1 {
		t.Fatalf("the function's log shows %d crashes since the fault was armed, want 1", len(out.Events))
	}
}

func TestAlwaysFailingHandlerGoesToDLQAndRedriveFixesIt(t *testing.T) {
	e := shared
	ctx := context.Background()
	fn := e.stackID("AddDragonFunction")
	if err := e.c.Lambda.SetFault(fn, lambdahost.Fault{FailNext: -1, ErrorType: "CatalogUnavailable"}); err != nil {
		t.Fatal(err)
	}
	stormwing := unique("Stormwing")
	id, _ := e.submit(t, dragon(stormwing, "tempest"))
	st := e.waitDone(t, id)
	e.c.Lambda.SetFault(fn, lambdahost.Fault{})
	if st["status"] != "FAILED" {
		t.Fatalf("status = %v", st)
	}
	dlq := e.stackID("WorkflowDLQ")
	var input map[string]any
	deadline := time.Now().Add(10 * time.Second)
	for input == nil {
		out, err := e.sqs().ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(dlq), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range out.Messages {
			body := aws.ToString(m.Body)
			if !strings.Contains(body, id) {
				continue
			}
			var msg map[string]any
			if err := json.Unmarshal([]byte(body), &msg); err != nil {
				t.Fatalf("DLQ message is not JSON: %s", body)
			}
			if !strings.Contains(body, "CatalogUnavailable") {
				t.Fatalf("DLQ message lacks the error: %s", body)
			}
			input, _ = msg["input"].(map[string]any)
			if input == nil {
				t.Fatalf("DLQ message lacks the input: %s", body)
			}
			_, _ = e.sqs().DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(dlq), ReceiptHandle: m.ReceiptHandle})
		}
		if time.Now().After(deadline) {
			t.Fatal("the failed execution's input never reached the DLQ")
		}
	}
	// Redrive: run the workflow again on the input that was dead-lettered.
	raw, _ := json.Marshal(input)
	if _, err := e.states().StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(e.stackID("AddDragonStateMachine")),
		Name: aws.String(id), Input: aws.String(string(raw))}); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(30 * time.Second)
	for {
		if n := countNamed(e.catalog(t), stormwing); n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the redriven execution never stored the dragon")
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The old FAILED record stays until the redriven run records its outcome.
	for {
		st := e.waitDone(t, id)
		if st["status"] == "SUCCEEDED" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("status after redrive = %v", st)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestS3ErrorBurstIsRetried(t *testing.T) {
	e := shared
	e.c.InjectS3Faults(2, "SlowDown")
	defer e.c.InjectS3Faults(0, "")
	gravelgrin := unique("Gravelgrin")
	id, _ := e.submit(t, dragon(gravelgrin, "stone"))
	// submitDragon's first S3 writes met the burst and were retried.
	if left := e.c.S3FaultsLeft(); left != 0 {
		t.Fatalf("%d of the 2 injected S3 faults never fired", left)
	}
	if st := e.waitDone(t, id); st["status"] != "SUCCEEDED" {
		t.Fatalf("after an S3 error burst = %v", st)
	}
}

func TestFailingEventTargetLandsInRuleDLQ(t *testing.T) {
	e := shared
	ctx := context.Background()
	fn := e.stackID("AuditDragonFunction")
	if err := e.c.Lambda.SetFault(fn, lambdahost.Fault{ThrottleAsync: true}); err != nil {
		t.Fatal(err)
	}
	defer e.c.Lambda.SetFault(fn, lambdahost.Fault{})
	mistral := unique("Mistral")
	id, _ := e.submit(t, dragon(mistral, "gale"))
	if st := e.waitDone(t, id); st["status"] != "SUCCEEDED" {
		t.Fatalf("status = %v", st)
	}
	dlq := e.stackID("AuditDLQ")
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, err := e.sqs().ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(dlq), MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
			MessageAttributeNames: []string{"All"}})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range out.Messages {
			if !strings.Contains(aws.ToString(m.Body), mistral) {
				continue
			}
			attr := func(name string) string { return aws.ToString(m.MessageAttributes[name].StringValue) }
			// The rule's RetryPolicy allows 8 retries; all were spent.
			if attr("ERROR_CODE") != "THROTTLING" || attr("RETRY_ATTEMPTS") != "8" || attr("EXHAUSTED_RETRY_CONDITION") != "MaximumRetryAttempts" ||
				!strings.HasSuffix(attr("RULE_ARN"), "rule/dragons/dragons-audit-dragon-added") || !strings.HasSuffix(attr("TARGET_ARN"), ":function:"+fn) {
				t.Fatalf("DLQ message attributes = ERROR_CODE %q RETRY_ATTEMPTS %q EXHAUSTED_RETRY_CONDITION %q RULE_ARN %q TARGET_ARN %q",
					attr("ERROR_CODE"), attr("RETRY_ATTEMPTS"), attr("EXHAUSTED_RETRY_CONDITION"), attr("RULE_ARN"), attr("TARGET_ARN"))
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the undeliverable event never reached the rule's DLQ")
		}
	}
}

func TestTraceOfOnePost(t *testing.T) {
	e := shared
	ctx := context.Background()
	tracewing := unique("Tracewing")
	id, r := e.submit(t, dragon(tracewing, "lumen"))
	if st := e.waitDone(t, id); st["status"] != "SUCCEEDED" {
		t.Fatalf("status = %v", st)
	}
	root := ""
	for _, part := range strings.Split(r.header.Get("X-Amzn-Trace-Id"), ";") {
		if v, ok := strings.CutPrefix(part, "Root="); ok {
			root = v
		}
	}
	if root == "" {
		t.Fatalf("no trace id in the response headers: %v", r.header)
	}
	want := []string{"AWS::ApiGateway::Stage", "AWS::Lambda", "AWS::Lambda::Function", "AWS::StepFunctions::StateMachine"}
	deadline := time.Now().Add(20 * time.Second)
	for {
		out, err := e.xray().BatchGetTraces(ctx, &xray.BatchGetTracesInput{TraceIds: []string{root}})
		if err != nil {
			t.Fatal(err)
		}
		segs := map[string]map[string]any{}
		ids := map[string]bool{} // every segment and subsegment id
		origins := map[string]int{}
		names := map[string]bool{}
		if len(out.Traces) == 1 {
			for _, s := range out.Traces[0].Segments {
				var doc map[string]any
				_ = json.Unmarshal([]byte(aws.ToString(s.Document)), &doc)
				segs[doc["id"].(string)] = doc
				collectIDs(doc, ids)
				origin, _ := doc["origin"].(string)
				origins[origin]++
				names[fmt.Sprint(doc["name"])] = true
			}
		}
		complete := true
		for _, o := range want {
			if origins[o] == 0 {
				complete = false
			}
		}
		// gateway, submit, validate, add and the consumer's function segments.
		subNames := map[string]bool{}
		for _, doc := range segs {
			collectNames(doc, subNames)
		}
		if complete && origins["AWS::Lambda::Function"] >= 4 && names[e.stackID("AuditDragonFunction")] && subNames["S3"] {
			for sid, doc := range segs {
				if p, ok := doc["parent_id"].(string); ok {
					if !ids[p] {
						t.Fatalf("segment %s (%v) names parent %s, which is not in the trace", sid, doc["name"], p)
					}
				} else if doc["origin"] != "AWS::ApiGateway::Stage" {
					t.Fatalf("segment %s (%v) has no parent; only the gateway's may be the root", sid, doc["name"])
				}
			}
			checkTraceChain(t, segs, e.stackID("SubmitDragonFunction"), e.stackID("ValidateDragonFunction"), e.stackID("AddDragonFunction"))
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("trace %s has origins %v (names %v, all %v), want %v, 4 function segments including the consumer, and S3 calls", root, origins, names, subNames, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// checkTraceChain asserts the parent links of one POST's trace: the gateway's
// stage segment → submitDragon's AWS::Lambda segment → its
// AWS::Lambda::Function segment → (through the StartExecution call) the Step
// Functions segment → the AWS::Lambda segments of validateDragon and
// addDragon.
func checkTraceChain(t *testing.T, segs map[string]map[string]any, submit, validate, add string) {
	t.Helper()
	// parent maps every segment and subsegment id to its parent's id.
	parent := map[string]string{}
	var walk func(doc map[string]any, up string)
	walk = func(doc map[string]any, up string) {
		id, _ := doc["id"].(string)
		if up != "" {
			parent[id] = up
		}
		subs, _ := doc["subsegments"].([]any)
		for _, sub := range subs {
			if m, ok := sub.(map[string]any); ok {
				walk(m, id)
			}
		}
	}
	for _, doc := range segs {
		p, _ := doc["parent_id"].(string)
		walk(doc, p)
	}
	under := func(id, ancestor string) bool {
		for i := 0; i < 1000 && id != ""; i++ {
			id = parent[id]
			if id == ancestor {
				return true
			}
		}
		return false
	}
	find := func(origin, name string) []map[string]any {
		var out []map[string]any
		for _, doc := range segs {
			if doc["origin"] == origin && (name == "" || doc["name"] == name) {
				out = append(out, doc)
			}
		}
		return out
	}
	one := func(origin, name string) map[string]any {
		t.Helper()
		found := find(origin, name)
		if len(found) != 1 {
			t.Fatalf("the trace has %d %s segments named %q, want 1", len(found), origin, name)
		}
		return found[0]
	}
	id := func(doc map[string]any) string { s, _ := doc["id"].(string); return s }
	stage := one("AWS::ApiGateway::Stage", "")
	submitSvc := one("AWS::Lambda", submit)
	if submitSvc["parent_id"] != id(stage) {
		t.Fatalf("submitDragon's AWS::Lambda segment has parent %v, want the stage segment %s", submitSvc["parent_id"], id(stage))
	}
	submitFn := one("AWS::Lambda::Function", submit)
	if submitFn["parent_id"] != id(submitSvc) {
		t.Fatalf("submitDragon's function segment has parent %v, want its AWS::Lambda segment %s", submitFn["parent_id"], id(submitSvc))
	}
	machine := one("AWS::StepFunctions::StateMachine", "")
	if !under(id(machine), id(submitFn)) {
		t.Fatalf("the Step Functions segment (parent %v) is not under submitDragon's function segment %s", machine["parent_id"], id(submitFn))
	}
	for _, fn := range []string{validate, add} {
		calls := find("AWS::Lambda", fn)
		if len(calls) == 0 {
			t.Fatalf("the trace has no AWS::Lambda segment for %s", fn)
		}
		for _, c := range calls {
			if !under(id(c), id(machine)) {
				t.Fatalf("%s's AWS::Lambda segment (parent %v) is not under the Step Functions segment %s", fn, c["parent_id"], id(machine))
			}
		}
	}
}

// collectIDs records the ids of a segment document and all its subsegments.
func collectIDs(doc map[string]any, ids map[string]bool) {
	if id, ok := doc["id"].(string); ok {
		ids[id] = true
	}
	subs, _ := doc["subsegments"].([]any)
	for _, s := range subs {
		if m, ok := s.(map[string]any); ok {
			collectIDs(m, ids)
		}
	}
}

// collectNames records the names of a segment document and all its subsegments.
func collectNames(doc map[string]any, names map[string]bool) {
	names[fmt.Sprint(doc["name"])] = true
	subs, _ := doc["subsegments"].([]any)
	for _, s := range subs {
		if m, ok := s.(map[string]any); ok {
			collectNames(m, names)
		}
	}
}
