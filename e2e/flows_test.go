package e2e

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/golang-jwt/jwt/v5"

	"github.com/dragons-dev/dragons/local/cloud"
	"github.com/dragons-dev/dragons/schemas"
)

func TestHealthAndStack(t *testing.T) {
	e := shared
	for _, path := range []string{"/_local/health", "/_local/stack"} {
		resp, err := http.Get(e.c.EdgeURL + path)
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s = %d", path, resp.StatusCode)
		}
		if path == "/_local/health" && (body["ready"] != true || body["api"] != e.c.APIURL) {
			t.Fatalf("health = %v", body)
		}
		if path == "/_local/stack" {
			for _, id := range []string{"DragonsBucket", "AddDragonStateMachine", "UserPool", "UserPoolClient", "WorkflowDLQ", "DragonsEventBus", "DragonsApi"} {
				if _, ok := body[id]; !ok {
					t.Errorf("stack lacks %s", id)
				}
			}
		}
	}
}

// subscribe creates a queue that receives every DragonAdded event.
func subscribe(t *testing.T, name string) string {
	t.Helper()
	e := shared
	ctx := context.Background()
	q, err := e.sqs().CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	attrs, err := e.sqs().GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{"QueueArn"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.events().PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(name), EventBusName: aws.String("dragons"),
		EventPattern: aws.String(`{"source":["dragons.app"],"detail-type":["DragonAdded"]}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.events().PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(name), EventBusName: aws.String("dragons"),
		Targets: []types.Target{{Id: aws.String("q"), Arn: aws.String(attrs.Attributes["QueueArn"])}}}); err != nil {
		t.Fatal(err)
	}
	return *q.QueueUrl
}

// drain receives until the queue has been quiet for a while.
func drain(t *testing.T, url string, quiet time.Duration) []string {
	t.Helper()
	var bodies []string
	last := time.Now()
	for time.Since(last) < quiet {
		out, err := shared.sqs().ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range out.Messages {
			bodies = append(bodies, aws.ToString(m.Body))
			last = time.Now()
			_, _ = shared.sqs().DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle})
		}
	}
	return bodies
}

func TestAddPollListAndEvent(t *testing.T) {
	e := shared
	queueURL := subscribe(t, "e2e-dragon-added")
	name, family := unique("Cindermaw"), unique("obsidian")
	id, _ := e.submit(t, dragon(name, family))
	st := e.waitDone(t, id)
	if st["status"] != "SUCCEEDED" {
		t.Fatalf("status = %v", st)
	}
	rec, _ := st["dragon"].(map[string]any)
	if rec["dragon_name_str"] != name || rec["family_str"] != family {
		t.Fatalf("stored dragon in the status record = %v", st["dragon"])
	}
	list := e.listDragons(t, "?family="+family)
	if len(list) != 1 || list[0]["dragon_name_str"] != name || list[0]["location_city_str"] != "reno" {
		t.Fatalf("GET /dragons?family=%s = %v", family, list)
	}
	if l := e.listDragons(t, "?dragonName="+name+"&family=green"); len(l) != 0 {
		t.Fatalf("both filters must combine, got %v", l)
	}

	bodies := drain(t, queueURL, 2*time.Second)
	var matching []map[string]any
	for _, b := range bodies {
		var ev map[string]any
		if err := json.Unmarshal([]byte(b), &ev); err != nil {
			t.Fatalf("event body %q: %v", b, err)
		}
		detail, _ := ev["detail"].(map[string]any)
		if d, _ := detail["dragon"].(map[string]any); d["dragon_name_str"] == name {
			matching = append(matching, ev)
		}
	}
	if len(matching) != 1 {
		t.Fatalf("the subscribed queue got %d DragonAdded events for the dragon, want exactly 1 (all: %v)", len(matching), bodies)
	}
	ev := matching[0]
	// The event is what the schema registry document says it is.
	if violations := schemas.MustCompile(schemas.DragonAddedEvent).Validate(ev); len(violations) > 0 {
		t.Fatalf("the DragonAdded event breaks %s: %v\n%v", schemas.DragonAddedEvent, violations, ev)
	}
	detail := ev["detail"].(map[string]any)
	if ev["source"] != "dragons.app" || ev["detail-type"] != "DragonAdded" || detail["eventId"] != id || detail["version"] != float64(1) ||
		!strings.Contains(detail["executionArn"].(string), id) {
		t.Fatalf("event = %v", ev)
	}

	// The sample consumer writes one audit record per event id.
	deadline := time.Now().Add(20 * time.Second)
	for {
		out, err := e.s3().GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(e.bucket), Key: aws.String("audit/" + id + ".json")})
		if err == nil {
			out.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no audit record for %s: %v", id, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestDuplicateIsRejected(t *testing.T) {
	e := shared
	name := unique("Thornwhistle")
	id, _ := e.submit(t, dragon(name, "briar"))
	if st := e.waitDone(t, id); st["status"] != "SUCCEEDED" {
		t.Fatalf("first add = %v", st)
	}
	id2, _ := e.submit(t, dragon("  "+strings.ToLower(name)+" ", "briar"))
	st := e.waitDone(t, id2)
	if st["status"] != "REJECTED" || !strings.Contains(strings.ToLower(st["error"].(string)+" "+st["cause"].(string)), "validation") {
		t.Fatalf("duplicate = %v", st)
	}
	if n := countNamed(e.catalog(t), name); n != 1 {
		t.Fatalf("catalog holds %d of %s", n, name)
	}
}

func TestBadInputAndAuth(t *testing.T) {
	e := shared
	r := e.call(t, "POST", "/dragons", e.token, `{"dragonName": 7, "colour": "red"}`, nil)
	if r.status != http.StatusBadRequest {
		t.Fatalf("invalid body = %d %s", r.status, r.body)
	}
	if !strings.Contains(string(r.body), "family") || !strings.Contains(string(r.body), "colour") {
		t.Fatalf("the 400 must list every problem: %s", r.body)
	}
	if r := e.call(t, "POST", "/dragons", e.token, "not json", nil); r.status != http.StatusBadRequest {
		t.Fatalf("non-JSON body = %d", r.status)
	}
	if r := e.call(t, "GET", "/dragons/executions/does-not-exist", e.token, nil, nil); r.status != http.StatusNotFound && r.status != http.StatusBadRequest {
		t.Fatalf("unknown execution = %d %s", r.status, r.body)
	}

	unauthorized := func(name, token string) {
		t.Helper()
		r := e.call(t, "GET", "/dragons", token, nil, nil)
		if r.status != http.StatusUnauthorized || string(r.body) != `{"message":"Unauthorized"}` {
			t.Errorf("%s: %d %s", name, r.status, r.body)
		}
	}
	unauthorized("no token", "")
	// A token signed with a key the pool never had.
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	var claims jwt.MapClaims
	parts := strings.Split(e.token, ".")
	if _, _, err := jwt.NewParser().ParseUnverified(e.token, &claims); err != nil || len(parts) != 3 {
		t.Fatalf("parse the real token: %v", err)
	}
	forged := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	hdr, _, _ := jwt.NewParser().ParseUnverified(e.token, jwt.MapClaims{})
	forged.Header["kid"] = hdr.Header["kid"]
	signed, _ := forged.SignedString(key)
	unauthorized("forged", signed)
	// An unsigned token.
	none := jwt.NewWithClaims(jwt.SigningMethodNone, claims)
	unsigned, _ := none.SignedString(jwt.UnsafeAllowNoneSignatureType)
	unauthorized("alg none", unsigned)
	// A genuine token the pool issued two hours ago, so expired an hour ago.
	cognitoOffset.Store(int64(-2 * time.Hour))
	expired, err := cloud.FetchToken(context.Background(), e.c.EdgeURL)
	cognitoOffset.Store(0)
	if err != nil {
		t.Fatal(err)
	}
	unauthorized("expired", expired)
	if r := e.call(t, "GET", "/dragons", e.token, nil, nil); r.status != http.StatusOK {
		t.Fatalf("the current token stopped working: %d", r.status)
	}
}

func TestCacheTTLAndInvalidation(t *testing.T) {
	e := shared
	var warning string
	get := func(hdr map[string]string) string {
		r := e.call(t, "GET", "/dragons?family=cachetest", e.token, nil, hdr)
		if r.status != 200 {
			t.Fatalf("GET = %d %s", r.status, r.body)
		}
		warning = r.header.Get("Warning")
		return r.header.Get("X-Local-Cache")
	}
	if got := get(nil); got != "miss" {
		t.Fatalf("first GET cache = %q", got)
	}
	if got := get(nil); got != "hit" {
		t.Fatalf("repeat GET cache = %q", got)
	}
	// The template cannot lift API Gateway's default that invalidating needs
	// IAM authorization, so a Cognito user's max-age=0 is answered from the
	// cache with a warning (SUCCEED_WITH_RESPONSE_HEADER).
	if got := get(map[string]string{"Cache-Control": "max-age=0"}); got != "hit" || warning == "" {
		t.Fatalf("a Cognito user's max-age=0 GET: cache %q, Warning %q", got, warning)
	}
	e.c.FlushAPICaches()
	if got := get(nil); got != "miss" {
		t.Fatalf("GET after flushing the stage cache = %q", got)
	}
	if got := get(nil); got != "hit" {
		t.Fatalf("GET after refresh = %q", got)
	}
	time.Sleep(2100 * time.Millisecond) // the stage TTL is 2 s in these tests
	if got := get(nil); got != "miss" {
		t.Fatalf("GET after the TTL = %q", got)
	}
}
