package process

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/xray"

	"github.com/dragons-dev/dragons/internal/clitest"
)

// clientSuite is what the AWS CLIs and boto3 are checked against: one running
// `dragons up` with one dragon posted through its API.
type clientSuite struct {
	Edge                string   `json:"edge"`
	Bucket              string   `json:"bucket"`
	WorkflowDLQ         string   `json:"workflowDLQ"`
	ClientID            string   `json:"clientId"`
	Username            string   `json:"username"`
	Password            string   `json:"password"`
	StateMachineARN     string   `json:"stateMachineArn"`
	ValidateFunctionARN string   `json:"validateFunctionArn"`
	Functions           []string `json:"functions"`
	ListFunction        string   `json:"listFunction"`
	SubmitFunction      string   `json:"submitFunction"`
	EventFile           string   `json:"eventFile"`
	DragonName          string   `json:"dragonName"`
	TraceID             string   `json:"traceId"`
	Since               int64    `json:"since"`
	Tag                 string   `json:"tag"`

	api string
}

// withLocalCredentials makes c sign with the credentials the rest of this
// package's clients use.
func withLocalCredentials(c clitest.Client) clitest.Client {
	c.Env = clitest.Env("AWS_ACCESS_KEY_ID=local", "AWS_SECRET_ACCESS_KEY=local")
	return c
}

// setUpClientSuite starts dragons up, posts a dragon through the API and waits
// until its execution succeeded, its trace is collected and the submit
// function's log lines are stored.
func setUpClientSuite(t *testing.T) clientSuite {
	t.Helper()
	since := time.Now().Add(-time.Minute).Unix()
	p := startUp(t, newDataDir(t))
	st := p.stack(t)
	details := p.details(t)
	user, _ := details["LocalUser"].(map[string]any)
	s := clientSuite{
		Edge: p.edgeURL, api: p.apiURL, Since: since,
		Bucket:          stackRef(t, st, "DragonsBucket"),
		WorkflowDLQ:     stackRef(t, st, "WorkflowDLQ"),
		ClientID:        stackRef(t, st, "UserPoolClient"),
		StateMachineARN: stackRef(t, st, "AddDragonStateMachine"),
		ListFunction:    stackRef(t, st, "ListDragonsFunction"),
		SubmitFunction:  stackRef(t, st, "SubmitDragonFunction"),
		DragonName:      "Clientwing",
	}
	s.Username, _ = user["username"].(string)
	s.Password, _ = user["password"].(string)
	if s.Username == "" || s.Password == "" {
		t.Fatalf("stack details LocalUser = %v", details["LocalUser"])
	}
	resources, _ := details["Resources"].(map[string]any)
	validate, _ := resources["ValidateDragonFunction"].(map[string]any)
	s.ValidateFunctionARN, _ = validate["Arn"].(string)
	for id, v := range resources {
		if e, ok := v.(map[string]any); ok && e["type"] == "AWS::Serverless::Function" {
			s.Functions = append(s.Functions, stackRef(t, st, id))
		}
	}
	if len(s.Functions) != 6 || s.ValidateFunctionARN == "" {
		t.Fatalf("stack functions %v, validate ARN %q", s.Functions, s.ValidateFunctionARN)
	}
	abs, err := filepath.Abs(filepath.Join("testdata", "list-dragons-event.json"))
	if err != nil {
		t.Fatal(err)
	}
	s.EventFile = abs

	// One dragon through the API, to the end of its workflow.
	tok := p.token(t)
	req, _ := http.NewRequest(http.MethodPost, p.apiURL+"/dragons", bytes.NewReader(dragonBody(s.DragonName)))
	req.Header.Set("Authorization", tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var accepted struct{ ExecutionID string }
	if resp.StatusCode != http.StatusAccepted || json.Unmarshal(body, &accepted) != nil {
		t.Fatalf("POST /dragons = %d %s", resp.StatusCode, body)
	}
	for _, part := range strings.Split(resp.Header.Get("X-Amzn-Trace-Id"), ";") {
		if v, ok := strings.CutPrefix(part, "Root="); ok {
			s.TraceID = v
		}
	}
	if s.TraceID == "" {
		t.Fatalf("POST /dragons answered without a trace id: %v", resp.Header)
	}
	c := s3Client(p.edgeURL)
	ctx := context.Background()
	waitFor(t, 30*time.Second, "the posted dragon's execution to succeed", func() (bool, string) {
		rec, found, err := readStatus(ctx, c, s.Bucket, accepted.ExecutionID)
		if err != nil {
			t.Fatal(err)
		}
		if found && rec["status"] != "ACCEPTED" && rec["status"] != "SUCCEEDED" {
			t.Fatalf("execution %s ended %v", accepted.ExecutionID, rec)
		}
		return found && rec["status"] == "SUCCEEDED", fmt.Sprint(rec)
	})
	cfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(p.edgeURL),
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")}
	xr := xray.NewFromConfig(cfg)
	waitFor(t, 20*time.Second, "the POST's trace in GetTraceSummaries", func() (bool, string) {
		out, err := xr.GetTraceSummaries(ctx, &xray.GetTraceSummariesInput{StartTime: aws.Time(time.Unix(since, 0)), EndTime: aws.Time(time.Now().Add(time.Minute))})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, ts := range out.TraceSummaries {
			ids = append(ids, aws.ToString(ts.Id))
		}
		return slices.Contains(ids, s.TraceID), fmt.Sprint(ids)
	})
	lg := cloudwatchlogs.NewFromConfig(cfg)
	waitFor(t, 20*time.Second, "a REPORT line of the submit function", func() (bool, string) {
		out, err := lg.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("/aws/lambda/" + s.SubmitFunction)})
		if err != nil {
			return false, err.Error()
		}
		for _, e := range out.Events {
			if strings.HasPrefix(aws.ToString(e.Message), "REPORT RequestId:") {
				return true, ""
			}
		}
		return false, fmt.Sprintf("%d events", len(out.Events))
	})
	return s
}

func waitFor(t *testing.T, timeout time.Duration, what string, f func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, last := f()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s; last: %s", timeout, what, last)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// checkToken calls GET /dragons with an ID token a client obtained.
func (s clientSuite) checkToken(tok string) error {
	req, _ := http.NewRequest(http.MethodGet, s.api+"/dragons?dragonName="+s.DragonName, nil)
	req.Header.Set("Authorization", tok)
	resp, err := httpClient.Do(req)
	if err != nil {
		return err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var list []map[string]any
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &list) != nil || len(list) != 1 {
		return fmt.Errorf("GET /dragons?dragonName=%s with the client's ID token = %d %.300s", s.DragonName, resp.StatusCode, body)
	}
	return nil
}

// client is one AWS client program checked against the suite.
type client struct {
	name string
	// find locates the program; an error says why it is missing.
	find func() (clitest.Client, error)
	// check runs the checks and returns every failure; it runs a program
	// only while holding one of slots.
	check func(c clitest.Client, s clientSuite, slots chan struct{}) []error
}

// TestAWSClientsAgainstUp drives a running `dragons up` with the AWS CLI v1,
// Debian's AWS CLI v2 and boto3 over the services the app uses. The clients
// run at once (each CLI command costs a Python start), and each reports in
// its own subtest.
func TestAWSClientsAgainstUp(t *testing.T) {
	s := setUpClientSuite(t)
	// A few client processes at a time: each is a Python start, and the
	// machine is shared.
	slots := make(chan struct{}, 6)
	clients := []client{
		{name: "aws-cli-v1", find: findCLI(clitest.CLIv1()), check: func(c clitest.Client, s clientSuite, slots chan struct{}) []error {
			return cliScenario(cli{aws: c, edge: s.Edge, slots: slots}, s, "v1")
		}},
		{name: "aws-cli-v2", find: findCLI(clitest.CLIv2()), check: func(c clitest.Client, s clientSuite, slots chan struct{}) []error {
			return cliScenario(cli{aws: c, edge: s.Edge, slots: slots}, s, "v2")
		}},
		{name: "boto3", find: clitest.FindBoto3, check: boto3Scenario},
	}
	type result struct {
		client  clitest.Client
		missing error
		errs    []error
		took    time.Duration
		done    chan struct{}
	}
	results := make([]*result, len(clients))
	for i, c := range clients {
		r := &result{done: make(chan struct{})}
		results[i] = r
		r.client, r.missing = c.find()
		if r.missing != nil {
			close(r.done)
			continue
		}
		go func() {
			defer close(r.done)
			began := time.Now()
			r.errs = c.check(withLocalCredentials(r.client), s, slots)
			r.took = time.Since(began)
		}()
	}
	for i, c := range clients {
		r := results[i]
		t.Run(c.name, func(t *testing.T) {
			if r.missing != nil {
				clitest.Missing(t, r.missing.Error())
			}
			<-r.done
			t.Logf("%s: all checks ran in %s", r.client.Bin, r.took.Round(time.Millisecond))
			for _, err := range r.errs {
				t.Error(err)
			}
		})
	}
}

// findCLI finds one AWS CLI when called.
func findCLI(c clitest.CLI) func() (clitest.Client, error) {
	return func() (clitest.Client, error) { return clitest.FindCLI(c) }
}

// boto3Scenario runs testdata/boto3_suite.py, which makes the same checks as
// cliScenario, and checks the ID token it obtained.
func boto3Scenario(py clitest.Client, s clientSuite, slots chan struct{}) []error {
	s.Tag = "boto3"
	raw, _ := json.Marshal(s)
	dir, err := os.MkdirTemp("", "dragons-boto3")
	if err != nil {
		return []error{err}
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "suite.json")
	if err := os.WriteFile(file, raw, 0o644); err != nil {
		return []error{err}
	}
	slots <- struct{}{}
	stdout, stderr, err := py.Run(context.Background(), filepath.Join("testdata", "boto3_suite.py"), file)
	<-slots
	if err != nil {
		return []error{fmt.Errorf("boto3 suite: %w\n%s%s", err, stdout, stderr)}
	}
	var res struct{ IDToken string }
	if err := json.Unmarshal(stdout, &res); err != nil || res.IDToken == "" {
		return []error{fmt.Errorf("boto3 suite printed %q", stdout)}
	}
	if err := s.checkToken(res.IDToken); err != nil {
		return []error{err}
	}
	return nil
}

// cli runs one AWS CLI against the edge.
type cli struct {
	aws  clitest.Client
	edge string
	// slots bounds the client processes running at once across the suite.
	slots chan struct{}
}

// run runs a command with --output json and decodes its output (an empty
// output decodes to an empty map).
func (c cli) run(args ...string) (map[string]any, error) {
	args = append(args, "--endpoint-url", c.edge, "--output", "json")
	c.slots <- struct{}{}
	stdout, stderr, err := c.aws.Run(context.Background(), args...)
	<-c.slots
	if err != nil {
		return nil, fmt.Errorf("%w\n%s", err, stderr)
	}
	if b := bytes.TrimSpace(stdout); len(b) > 0 && b[0] != '{' {
		// s3 cp prints what it copied, as text.
		return map[string]any{}, nil
	}
	out, err := clitest.DecodeObject(stdout)
	if err != nil {
		return nil, fmt.Errorf("aws %s: %w", strings.Join(args, " "), err)
	}
	return out, nil
}

// cliScenario runs the app's services through one AWS CLI: independent
// chains of commands run at once, and every failure is returned.
func cliScenario(c cli, s clientSuite, tag string) []error {
	dir, err := os.MkdirTemp("", "dragons-cli-"+tag)
	if err != nil {
		return []error{err}
	}
	defer os.RemoveAll(dir)
	chains := []func() error{
		func() error { return cliS3(c, s, dir) },
		func() error { return cliSSM(c, s) },
		func() error { return cliDLQ(c, s) },
		func() error { return cliEvents(c, tag) },
		func() error { return cliCognito(c, s) },
		func() error { return cliStateMachines(c, s) },
		func() error { return cliDescribeStateMachine(c, s) },
		func() error { return cliListFunctions(c, s) },
		func() error { return cliInvoke(c, s, dir) },
		func() error { return cliLogGroups(c, s) },
		func() error { return cliFilterLogs(c, s) },
		func() error { return cliTraces(c, s) },
	}
	errs := make([]error, len(chains))
	var wg sync.WaitGroup
	for i, chain := range chains {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = chain()
		}()
	}
	wg.Wait()
	var failed []error
	for _, err := range errs {
		if err != nil {
			failed = append(failed, err)
		}
	}
	return failed
}

// cliS3 copies the catalog down with s3 cp.
func cliS3(c cli, s clientSuite, dir string) error {
	file := filepath.Join(dir, "Dragons.json")
	if _, err := c.run("s3", "cp", "s3://"+s.Bucket+"/Dragons.json", file); err != nil {
		return err
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var catalog []map[string]any
	if err := json.Unmarshal(raw, &catalog); err != nil {
		return fmt.Errorf("s3 cp Dragons.json: not a JSON array: %w", err)
	}
	if n := nameCounts(catalog)[strings.ToLower(s.DragonName)]; n != 1 {
		return fmt.Errorf("s3 cp Dragons.json: %s is in it %d times, want once", s.DragonName, n)
	}
	return nil
}

func cliSSM(c cli, s clientSuite) error {
	out, err := c.run("ssm", "get-parameter", "--name", "/dragons/bucket")
	if err != nil {
		return err
	}
	if p, _ := out["Parameter"].(map[string]any); p["Value"] != s.Bucket {
		return fmt.Errorf("ssm get-parameter /dragons/bucket = %v", out)
	}
	return nil
}

// cliDLQ finds the workflow DLQ by name and finds it empty.
func cliDLQ(c cli, s clientSuite) error {
	out, err := c.run("sqs", "get-queue-url", "--queue-name", "dragons-workflow-dlq")
	if err != nil {
		return err
	}
	if out["QueueUrl"] != s.WorkflowDLQ {
		return fmt.Errorf("sqs get-queue-url dragons-workflow-dlq = %v, want %s", out, s.WorkflowDLQ)
	}
	out, err = c.run("sqs", "receive-message", "--queue-url", s.WorkflowDLQ, "--max-number-of-messages", "10",
		"--wait-time-seconds", "0", "--visibility-timeout", "0")
	if err != nil {
		return err
	}
	if msgs, _ := out["Messages"].([]any); len(msgs) != 0 {
		return fmt.Errorf("the workflow DLQ holds %d messages: %v", len(msgs), msgs)
	}
	return nil
}

// cliEvents subscribes a new queue to the dragons bus with a rule, puts an
// event and receives it.
func cliEvents(c cli, tag string) error {
	queue := "client-" + tag + "-events"
	out, err := c.run("sqs", "create-queue", "--queue-name", queue)
	if err != nil {
		return err
	}
	qurl, _ := out["QueueUrl"].(string)
	if !strings.HasSuffix(qurl, "/"+queue) {
		return fmt.Errorf("sqs create-queue = %v", out)
	}
	pattern := fmt.Sprintf(`{"source":["dragons.clients"],"detail-type":["check-%s"]}`, tag)
	if _, err := c.run("events", "put-rule", "--name", "client-"+tag, "--event-bus-name", "dragons", "--event-pattern", pattern); err != nil {
		return err
	}
	out, err = c.run("events", "put-targets", "--rule", "client-"+tag, "--event-bus-name", "dragons",
		"--targets", "Id=q,Arn=arn:aws:sqs:us-east-1:000000000000:"+queue)
	if err != nil {
		return err
	}
	if n, _ := out["FailedEntryCount"].(float64); n != 0 {
		return fmt.Errorf("events put-targets = %v", out)
	}
	entries := fmt.Sprintf(`[{"EventBusName":"dragons","Source":"dragons.clients","DetailType":"check-%s","Detail":"{\"client\":\"%s\"}"}]`, tag, tag)
	out, err = c.run("events", "put-events", "--entries", entries)
	if err != nil {
		return err
	}
	put := asList(out["Entries"])
	if n, _ := out["FailedEntryCount"].(float64); n != 0 || len(put) != 1 {
		return fmt.Errorf("events put-events = %v", out)
	}
	eventID, _ := put[0]["EventId"].(string)
	out, err = c.run("sqs", "receive-message", "--queue-url", qurl, "--max-number-of-messages", "10", "--wait-time-seconds", "10")
	if err != nil {
		return err
	}
	msgs := asList(out["Messages"])
	if len(msgs) != 1 {
		return fmt.Errorf("the rule's queue received %d messages, want 1: %v", len(msgs), out)
	}
	var event map[string]any
	body, _ := msgs[0]["Body"].(string)
	if err := json.Unmarshal([]byte(body), &event); err != nil {
		return fmt.Errorf("delivered event is not JSON: %s", body)
	}
	detail, _ := event["detail"].(map[string]any)
	if event["source"] != "dragons.clients" || event["detail-type"] != "check-"+tag || detail["client"] != tag || event["id"] != eventID {
		return fmt.Errorf("delivered event = %s (put event id %s)", body, eventID)
	}
	return nil
}

// cliCognito signs the local user in; the ID token opens the API.
func cliCognito(c cli, s clientSuite) error {
	out, err := c.run("cognito-idp", "initiate-auth", "--auth-flow", "USER_PASSWORD_AUTH", "--client-id", s.ClientID,
		"--auth-parameters", "USERNAME="+s.Username+",PASSWORD="+s.Password)
	if err != nil {
		return err
	}
	res, _ := out["AuthenticationResult"].(map[string]any)
	idToken, _ := res["IdToken"].(string)
	if idToken == "" || res["AccessToken"] == nil {
		return fmt.Errorf("cognito-idp initiate-auth = %v", out)
	}
	return s.checkToken(idToken)
}

func cliStateMachines(c cli, s clientSuite) error {
	out, err := c.run("stepfunctions", "list-state-machines")
	if err != nil {
		return err
	}
	for _, m := range asList(out["stateMachines"]) {
		if m["stateMachineArn"] == s.StateMachineARN && m["type"] == "EXPRESS" {
			return nil
		}
	}
	return fmt.Errorf("stepfunctions list-state-machines = %v, want %s (EXPRESS)", out, s.StateMachineARN)
}

func cliDescribeStateMachine(c cli, s clientSuite) error {
	out, err := c.run("stepfunctions", "describe-state-machine", "--state-machine-arn", s.StateMachineARN)
	if err != nil {
		return err
	}
	def, _ := out["definition"].(string)
	var asl map[string]any
	if json.Unmarshal([]byte(def), &asl) != nil || asl["StartAt"] != "ValidateDragon" || strings.Contains(def, "${") ||
		!strings.Contains(def, s.ValidateFunctionARN) || out["type"] != "EXPRESS" {
		return fmt.Errorf("stepfunctions describe-state-machine = %.500v", out)
	}
	return nil
}

func cliListFunctions(c cli, s clientSuite) error {
	out, err := c.run("lambda", "list-functions")
	if err != nil {
		return err
	}
	var names []string
	for _, f := range asList(out["Functions"]) {
		n, _ := f["FunctionName"].(string)
		names = append(names, n)
	}
	for _, fn := range s.Functions {
		if !slices.Contains(names, fn) {
			return fmt.Errorf("lambda list-functions = %v, missing %s", names, fn)
		}
	}
	return nil
}

// cliInvoke invokes ListDragons with an API Gateway proxy event for family=red.
func cliInvoke(c cli, s clientSuite, dir string) error {
	result := filepath.Join(dir, "invoke.json")
	out, err := c.run("lambda", "invoke", "--function-name", s.ListFunction, "--payload", "fileb://"+s.EventFile, result)
	if err != nil {
		return err
	}
	if code, _ := out["StatusCode"].(float64); code != 200 || out["FunctionError"] != nil {
		return fmt.Errorf("lambda invoke %s = %v", s.ListFunction, out)
	}
	raw, err := os.ReadFile(result)
	if err != nil {
		return err
	}
	var apiResp struct {
		StatusCode int    `json:"statusCode"`
		Body       string `json:"body"`
	}
	var listed []map[string]any
	if json.Unmarshal(raw, &apiResp) != nil || apiResp.StatusCode != 200 || json.Unmarshal([]byte(apiResp.Body), &listed) != nil || len(listed) == 0 {
		return fmt.Errorf("lambda invoke %s answered %.300s", s.ListFunction, raw)
	}
	for _, d := range listed {
		if d["family_str"] != "red" {
			return fmt.Errorf("ListDragons with family=red listed %v", d)
		}
	}
	return nil
}

func cliLogGroups(c cli, s clientSuite) error {
	group := "/aws/lambda/" + s.SubmitFunction
	out, err := c.run("logs", "describe-log-groups", "--log-group-name-prefix", "/aws/lambda/")
	if err != nil {
		return err
	}
	for _, g := range asList(out["logGroups"]) {
		if g["logGroupName"] == group {
			return nil
		}
	}
	return fmt.Errorf("logs describe-log-groups = %v, missing %s", out, group)
}

// cliFilterLogs finds the Lambda platform lines of the submit function.
func cliFilterLogs(c cli, s clientSuite) error {
	group := "/aws/lambda/" + s.SubmitFunction
	out, err := c.run("logs", "filter-log-events", "--log-group-name", group)
	if err != nil {
		return err
	}
	var messages []string
	for _, e := range asList(out["events"]) {
		m, _ := e["message"].(string)
		messages = append(messages, m)
	}
	for _, prefix := range []string{"START RequestId:", "END RequestId:", "REPORT RequestId:"} {
		if !slices.ContainsFunc(messages, func(m string) bool { return strings.HasPrefix(m, prefix) }) {
			return fmt.Errorf("logs filter-log-events %s has no %q line: %q", group, prefix, messages)
		}
	}
	return nil
}

func cliTraces(c cli, s clientSuite) error {
	out, err := c.run("xray", "get-trace-summaries", "--start-time", strconv.FormatInt(s.Since, 10),
		"--end-time", strconv.FormatInt(time.Now().Add(time.Minute).Unix(), 10))
	if err != nil {
		return err
	}
	var ids []string
	for _, ts := range asList(out["TraceSummaries"]) {
		id, _ := ts["Id"].(string)
		ids = append(ids, id)
	}
	if !slices.Contains(ids, s.TraceID) {
		return fmt.Errorf("xray get-trace-summaries = %v, missing the POST's trace %s", ids, s.TraceID)
	}
	return nil
}

// asList returns a JSON array of objects.
func asList(v any) []map[string]any {
	items, _ := v.([]any)
	var out []map[string]any
	for _, it := range items {
		if m, ok := it.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}
