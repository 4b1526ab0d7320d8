package workflows

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/dragons-dev/dragons/events"
	"github.com/dragons-dev/dragons/schemas"
)

const (
	definitionFile = "add_dragon.asl.json"
	templateFile   = "../template.yaml"
	// definitionURI is how template.yaml refers to the definition.
	definitionURI = "workflows/" + definitionFile
)

// transientLambdaErrors are the Lambda service errors every Lambda task must
// retry, as AWS recommends for the lambda:invoke integration.
var transientLambdaErrors = []string{
	"Lambda.ServiceException",
	"Lambda.AWSLambdaException",
	"Lambda.SdkClientException",
	"Lambda.TooManyRequestsException",
	"Lambda.Unknown",
}

// definition is the part of the ASL document the tests look at. States stay
// generic so that a test can inspect any field.
type definition struct {
	StartAt       string                    `json:"StartAt"`
	QueryLanguage string                    `json:"QueryLanguage"`
	States        map[string]map[string]any `json:"States"`
}

func loadDefinition(t *testing.T) ([]byte, definition) {
	t.Helper()
	raw, err := os.ReadFile(definitionFile)
	if err != nil {
		t.Fatalf("read %s: %v", definitionFile, err)
	}
	var d definition
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("parse %s: %v", definitionFile, err)
	}
	if dec.More() {
		t.Fatalf("%s: trailing data after the JSON document", definitionFile)
	}
	return raw, d
}

// successors lists every state a state can move to: Next, a Choice's rules
// and Default, and every Catcher's Next.
func successors(state map[string]any) []string {
	var out []string
	if next, ok := state["Next"].(string); ok {
		out = append(out, next)
	}
	if def, ok := state["Default"].(string); ok {
		out = append(out, def)
	}
	for _, key := range []string{"Choices", "Catch"} {
		list, _ := state[key].([]any)
		for _, item := range list {
			if m, ok := item.(map[string]any); ok {
				if next, ok := m["Next"].(string); ok {
					out = append(out, next)
				}
			}
		}
	}
	return out
}

func TestDefinitionIsValidJSONWithKnownStateTypes(t *testing.T) {
	_, d := loadDefinition(t)
	if d.QueryLanguage != "JSONPath" {
		t.Errorf("QueryLanguage = %q, want JSONPath", d.QueryLanguage)
	}
	if d.StartAt == "" || len(d.States) == 0 {
		t.Fatalf("StartAt = %q with %d states; want a start state and states", d.StartAt, len(d.States))
	}
	known := []string{"Task", "Pass", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map"}
	for name, st := range d.States {
		typ, _ := st["Type"].(string)
		if !slices.Contains(known, typ) {
			t.Errorf("state %s: Type %q is not an ASL state type", name, typ)
		}
	}
}

func TestTransitionsTargetExistingStates(t *testing.T) {
	_, d := loadDefinition(t)
	if _, ok := d.States[d.StartAt]; !ok {
		t.Fatalf("StartAt %q is not a state", d.StartAt)
	}
	for name, st := range d.States {
		for _, next := range successors(st) {
			if _, ok := d.States[next]; !ok {
				t.Errorf("state %s moves to %q, which does not exist", name, next)
			}
		}
	}
}

func TestEveryStateEndsOrMovesOn(t *testing.T) {
	_, d := loadDefinition(t)
	for name, st := range d.States {
		typ := st["Type"].(string)
		_, hasNext := st["Next"]
		end, _ := st["End"].(bool)
		switch typ {
		case "Succeed", "Fail":
			if hasNext || st["End"] != nil {
				t.Errorf("terminal state %s must have neither Next nor End", name)
			}
		case "Choice":
			if hasNext || st["End"] != nil {
				t.Errorf("choice state %s must have neither Next nor End", name)
			}
		default:
			if hasNext == end {
				t.Errorf("state %s must have exactly one of Next and End:true", name)
			}
		}
	}
}

func TestEveryStateIsReachable(t *testing.T) {
	_, d := loadDefinition(t)
	seen := map[string]bool{d.StartAt: true}
	queue := []string{d.StartAt}
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		for _, next := range successors(d.States[name]) {
			if !seen[next] {
				seen[next] = true
				queue = append(queue, next)
			}
		}
	}
	for name := range d.States {
		if !seen[name] {
			t.Errorf("state %s is unreachable from %s", name, d.StartAt)
		}
	}
}

func TestHappyPathRunsTheStepsInOrder(t *testing.T) {
	_, d := loadDefinition(t)
	want := []string{"ValidateDragon", "AddDragon", "PublishDragonAdded", "RecordSucceeded"}
	var got []string
	name := d.StartAt
	for range len(d.States) {
		st := d.States[name]
		if st["Type"] == "Succeed" {
			break
		}
		got = append(got, name)
		next, ok := st["Next"].(string)
		if !ok {
			t.Fatalf("happy path stops at %s without reaching a Succeed state", name)
		}
		name = next
	}
	if !slices.Equal(got, want) {
		t.Errorf("happy path = %v, want %v then a Succeed state", got, want)
	}
	if d.States[name]["Type"] != "Succeed" {
		t.Errorf("happy path ends at %s (%v), want a Succeed state", name, d.States[name]["Type"])
	}
}

func TestTasksRetryWithBackoffJitterAndCatchEverything(t *testing.T) {
	_, d := loadDefinition(t)
	tasks := 0
	for name, st := range d.States {
		if st["Type"] != "Task" {
			continue
		}
		tasks++
		retriers, _ := st["Retry"].([]any)
		if len(retriers) == 0 {
			t.Errorf("task %s has no Retry", name)
		}
		var retried []string
		for i, r := range retriers {
			rm := r.(map[string]any)
			for _, e := range rm["ErrorEquals"].([]any) {
				retried = append(retried, e.(string))
			}
			num := func(key string) float64 { f, _ := rm[key].(float64); return f }
			if num("IntervalSeconds") < 1 || num("BackoffRate") <= 1 || num("MaxAttempts") < 1 || num("MaxDelaySeconds") < num("IntervalSeconds") {
				t.Errorf("task %s retrier %d: want IntervalSeconds>=1, BackoffRate>1, MaxAttempts>=1, MaxDelaySeconds>=IntervalSeconds; got %v", name, i, rm)
			}
			if rm["JitterStrategy"] != "FULL" {
				t.Errorf("task %s retrier %d: JitterStrategy = %v, want FULL", name, i, rm["JitterStrategy"])
			}
		}
		if st["Resource"] == "arn:aws:states:::lambda:invoke" {
			for _, e := range transientLambdaErrors {
				if !slices.Contains(retried, e) {
					t.Errorf("Lambda task %s does not retry %s", name, e)
				}
			}
		}
		catchers, _ := st["Catch"].([]any)
		if len(catchers) == 0 {
			t.Errorf("task %s has no Catch", name)
			continue
		}
		last := catchers[len(catchers)-1].(map[string]any)
		if errs := last["ErrorEquals"].([]any); len(errs) != 1 || errs[0] != "States.ALL" {
			t.Errorf("task %s: last catcher catches %v, want [States.ALL]", name, errs)
		}
	}
	if tasks == 0 {
		t.Fatal("no Task states found")
	}
}

// builtinErrorPrefixes are error names that come from AWS, not from our Go code.
var builtinErrorPrefixes = []string{"States.", "Lambda.", "Runtime.", "Sandbox."}

func TestCaughtErrorNamesMatchGoErrorTypes(t *testing.T) {
	_, d := loadDefinition(t)
	goNames := events.CaughtErrorNames()
	if len(goNames) == 0 {
		t.Fatal("events.CaughtErrorNames() is empty")
	}
	used := map[string]bool{}
	for name, st := range d.States {
		for _, key := range []string{"Retry", "Catch"} {
			list, _ := st[key].([]any)
			for _, item := range list {
				for _, e := range item.(map[string]any)["ErrorEquals"].([]any) {
					errName := e.(string)
					if slices.ContainsFunc(builtinErrorPrefixes, func(p string) bool { return strings.HasPrefix(errName, p) }) {
						continue
					}
					used[errName] = true
					if !slices.Contains(goNames, errName) {
						t.Errorf("state %s %s names %q, which is not a Go error type in package events", name, key, errName)
					}
				}
			}
		}
	}
	handled := make([]string, 0, len(goErrorHandling))
	for name := range goErrorHandling {
		handled = append(handled, name)
	}
	sort.Strings(handled)
	sorted := slices.Sorted(slices.Values(goNames))
	if !slices.Equal(handled, sorted) {
		t.Fatalf("events.CaughtErrorNames() = %v, but this test knows how the workflow treats %v; decide for each name", sorted, handled)
	}
	for _, lambdaTask := range []string{"ValidateDragon", "AddDragon"} {
		st := d.States[lambdaTask]
		for _, goName := range goNames {
			want := goErrorHandling[goName]
			r := retrierFor(st, goName)
			switch {
			case want.retried && r == nil:
				t.Errorf("%s does not retry %s", lambdaTask, goName)
			case want.retried && r["MaxAttempts"] != nil && r["MaxAttempts"].(float64) < 1:
				t.Errorf("%s retries %s with MaxAttempts %v", lambdaTask, goName, r["MaxAttempts"])
			case !want.retried && r != nil:
				t.Errorf("%s retries %s (retrier %v); it must never be retried", lambdaTask, goName, r["ErrorEquals"])
			}
			if target := catchTarget(st, goName); target != want.caughtInto {
				t.Errorf("%s sends %s to %q, want %q", lambdaTask, goName, target, want.caughtInto)
			}
		}
	}
	for _, goName := range goNames {
		if !used[goName] {
			t.Errorf("Go error type %s is never caught by the workflow", goName)
		}
	}
	rejected := d.States["RecordRejected"]
	if next, _ := rejected["Next"].(string); d.States[next]["Type"] != "Fail" {
		t.Errorf("RecordRejected moves to %q, want a Fail state", next)
	}
}

// goErrorHandling is how both Lambda tasks must treat each error type of
// package events: whether a Retry rule applies to it, and the state its
// Catch rule leads to once retries (if any) are exhausted.
var goErrorHandling = map[string]struct {
	retried    bool
	caughtInto string
}{
	"DragonValidationException":     {retried: false, caughtInto: "RecordRejected"},
	"DragonStorageException":        {retried: true, caughtInto: "SendToDLQ"},
	"DragonCatalogCorruptException": {retried: false, caughtInto: "SendToDLQ"},
}

// retrierFor returns the Retry rule that applies to an error name: the first
// one naming it, States.ALL or States.TaskFailed (which matches every error
// a task raises except States.Timeout), or nil.
func retrierFor(state map[string]any, errName string) map[string]any {
	list, _ := state["Retry"].([]any)
	for _, item := range list {
		m := item.(map[string]any)
		for _, e := range m["ErrorEquals"].([]any) {
			if e == errName || e == "States.ALL" || (e == "States.TaskFailed" && errName != "States.Timeout") {
				return m
			}
		}
	}
	return nil
}

// catchTarget returns the state that a task's catchers send the error name
// to: the Next of the first catcher naming it or States.ALL, or "".
func catchTarget(state map[string]any, errName string) string {
	list, _ := state["Catch"].([]any)
	for _, item := range list {
		m := item.(map[string]any)
		for _, e := range m["ErrorEquals"].([]any) {
			if e == errName || e == "States.ALL" {
				next, _ := m["Next"].(string)
				return next
			}
		}
	}
	return ""
}

func TestFailuresGoThroughTheDLQAndRecordFailed(t *testing.T) {
	_, d := loadDefinition(t)
	for _, name := range []string{"ValidateDragon", "AddDragon", "PublishDragonAdded", "RecordSucceeded", "RecordRejected"} {
		if got := catchTarget(d.States[name], "States.ALL"); got != "SendToDLQ" {
			t.Errorf("%s catches States.ALL into %q, want SendToDLQ", name, got)
		}
	}
	// Whatever leads to the DLQ puts its own error at $.error, so that the
	// DLQ message and the FAILED record report the failure that got there
	// (a failed REJECTED write, not the rejection before it).
	for name, st := range d.States {
		list, _ := st["Catch"].([]any)
		for _, item := range list {
			m := item.(map[string]any)
			if m["Next"] == "SendToDLQ" && m["ResultPath"] != "$.error" {
				t.Errorf("%s catches %v into SendToDLQ with ResultPath %v, want $.error", name, m["ErrorEquals"], m["ResultPath"])
			}
		}
	}
	dlq := d.States["SendToDLQ"]
	if dlq["Resource"] != "arn:aws:states:::sqs:sendMessage" {
		t.Errorf("SendToDLQ Resource = %v", dlq["Resource"])
	}
	params := dlq["Parameters"].(map[string]any)
	body := params["MessageBody"].(map[string]any)
	if body["input.$"] != "$$.Execution.Input" || body["error.$"] != "$.error" {
		t.Errorf("DLQ message must carry the execution input and the error, got %v", body)
	}
	if dlq["Next"] != "RecordFailed" || catchTarget(dlq, "States.ALL") != "RecordFailed" {
		t.Errorf("SendToDLQ must move on (and fall back) to RecordFailed: %v", dlq)
	}
	failed := d.States["RecordFailed"]
	if next, _ := failed["Next"].(string); d.States[next]["Type"] != "Fail" {
		t.Errorf("RecordFailed moves to %q, want a Fail state", next)
	}
	if got := catchTarget(failed, "States.ALL"); d.States[got]["Type"] != "Fail" {
		t.Errorf("RecordFailed catches into %q, want a Fail state (no loop back)", got)
	}
}

// ---------------------------------------------------------------- template

func loadTemplate(t *testing.T) *yaml.Node {
	t.Helper()
	raw, err := os.ReadFile(templateFile)
	if err != nil {
		t.Fatalf("read %s: %v", templateFile, err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("parse %s: %v", templateFile, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		t.Fatalf("%s: not a single YAML document", templateFile)
	}
	return doc.Content[0]
}

// field returns the value node of key in a mapping node, or nil.
func field(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// stateMachineResource finds the resource whose DefinitionUri is this
// package's definition and returns its logical id and node.
func stateMachineResource(t *testing.T, root *yaml.Node) (string, *yaml.Node) {
	t.Helper()
	resources := field(root, "Resources")
	if resources == nil {
		t.Fatal("template has no Resources")
	}
	for i := 0; i+1 < len(resources.Content); i += 2 {
		res := resources.Content[i+1]
		if uri := field(field(res, "Properties"), "DefinitionUri"); uri != nil && uri.Value == definitionURI {
			return resources.Content[i].Value, res
		}
	}
	t.Fatalf("no resource in %s has DefinitionUri %s", templateFile, definitionURI)
	return "", nil
}

var substitutionPattern = regexp.MustCompile(`\$\{([A-Za-z0-9_]+)\}`)

func TestSubstitutionsAreDefinedInTemplate(t *testing.T) {
	raw, _ := loadDefinition(t)
	used := map[string]bool{}
	for _, m := range substitutionPattern.FindAllSubmatch(raw, -1) {
		used[string(m[1])] = true
	}
	if len(used) == 0 {
		t.Fatal("the definition uses no ${...} substitutions; ARNs must come from the template")
	}
	_, sm := stateMachineResource(t, loadTemplate(t))
	subs := field(field(sm, "Properties"), "DefinitionSubstitutions")
	if subs == nil || subs.Kind != yaml.MappingNode {
		t.Fatal("state machine has no DefinitionSubstitutions mapping")
	}
	defined := map[string]bool{}
	for i := 0; i+1 < len(subs.Content); i += 2 {
		defined[subs.Content[i].Value] = true
	}
	for name := range used {
		if !defined[name] {
			t.Errorf("${%s} is used in %s but not defined in DefinitionSubstitutions", name, definitionFile)
		}
	}
	for name := range defined {
		if !used[name] {
			t.Errorf("DefinitionSubstitutions defines %s, which %s never uses", name, definitionFile)
		}
	}
}

func TestTemplateWiresTheWorkflow(t *testing.T) {
	root := loadTemplate(t)
	id, sm := stateMachineResource(t, root)
	if typ := field(sm, "Type"); typ == nil || typ.Value != "AWS::Serverless::StateMachine" {
		t.Errorf("%s Type = %v, want AWS::Serverless::StateMachine", id, show(typ))
	}
	props := field(sm, "Properties")
	if typ := field(props, "Type"); typ == nil || typ.Value != "EXPRESS" {
		t.Errorf("%s is not an EXPRESS state machine", id)
	}
	subs := field(props, "DefinitionSubstitutions")
	want := map[string][2]string{ // substitution -> {tag, value}
		"ValidateDragonFunctionArn": {"!GetAtt", "ValidateDragonFunction.Arn"},
		"AddDragonFunctionArn":      {"!GetAtt", "AddDragonFunction.Arn"},
		"EventBusName":              {"!Ref", "DragonsEventBus"},
		"BucketName":                {"!Ref", "DragonsBucket"},
		"WorkflowDLQUrl":            {"!Ref", "WorkflowDLQ"},
	}
	for name, w := range want {
		n := field(subs, name)
		if n == nil {
			t.Errorf("DefinitionSubstitutions has no %s", name)
			continue
		}
		if n.Tag != w[0] || n.Value != w[1] {
			t.Errorf("DefinitionSubstitutions.%s = %s %s, want %s %s", name, n.Tag, n.Value, w[0], w[1])
		}
	}
	resources := field(root, "Resources")
	bus := field(field(field(resources, "DragonsEventBus"), "Properties"), "Name")
	if bus == nil || bus.Value != events.BusName {
		t.Errorf("DragonsEventBus Name = %v, want %q", show(bus), events.BusName)
	}
	dlq := field(field(field(resources, "WorkflowDLQ"), "Properties"), "QueueName")
	if dlq == nil || dlq.Value != "dragons-workflow-dlq" {
		t.Errorf("WorkflowDLQ QueueName = %v, want dragons-workflow-dlq", show(dlq))
	}
}

// ---------------------------------------------------------------- rendering

// sample data for rendering the workflow's payload templates.
const (
	sampleID      = "0f8fad5b-d9cb-469f-a165-70867728950e"
	sampleArn     = "arn:aws:states:us-east-1:000000000000:express:dragons-add-dragon:" + sampleID + ":6c1f3f0e-3e5b-4d63-9a4e-1d8f4c5a9b21"
	sampleStart   = "2026-01-02T03:04:05.678Z"
	sampleEntered = "2026-01-02T03:04:06.001Z"
	// sampleCause has every character that breaks naive JSON templating.
	sampleCause = "{\"errorMessage\":\"dragon \\\"Émber\\\" exists\\nC:\\\\lair {}\",\"errorType\":\"DragonValidationException\"}\n\t'quoted'"
)

func sampleRecord() map[string]any {
	return map[string]any{
		"dragon_name_str":           "Émber \"the\" {Bold}",
		"family_str":                "red",
		"description_str":           "Sleeps on a hoard of \\ backslashes.",
		"location_city_str":         "anchorage",
		"location_state_str":        "alaska",
		"location_country_str":      "usa",
		"location_neighborhood_str": "w fireweed ln",
	}
}

func sampleData() (input, ctx map[string]any) {
	original := map[string]any{
		"executionId": sampleID,
		"submittedAt": sampleStart,
		"dragon":      map[string]any{"dragonName": "Émber \"the\" {Bold}", "family": "red"},
	}
	input = map[string]any{
		"executionId": sampleID,
		"submittedAt": sampleStart,
		"dragon":      original["dragon"],
		"added":       map[string]any{"record": sampleRecord(), "version": float64(3)},
		"error":       map[string]any{"Error": "DragonValidationException", "Cause": sampleCause},
	}
	ctx = map[string]any{
		"Execution": map[string]any{"Id": sampleArn, "Name": sampleID, "StartTime": sampleStart, "Input": original},
		"State":     map[string]any{"EnteredTime": sampleEntered},
	}
	return input, ctx
}

// resolve evaluates the simple reference paths the workflow uses: "$",
// "$.a.b" on the state input and "$$.A.B" on the context object.
func resolve(path string, input, ctx any) (any, error) {
	var cur any
	var rest string
	switch {
	case strings.HasPrefix(path, "$$"):
		cur, rest = ctx, path[2:]
	case strings.HasPrefix(path, "$"):
		cur, rest = input, path[1:]
	default:
		return nil, fmt.Errorf("%q is not a path", path)
	}
	if rest == "" {
		return cur, nil
	}
	if !strings.HasPrefix(rest, ".") {
		return nil, fmt.Errorf("path %q: only dotted field access is supported here", path)
	}
	for _, part := range strings.Split(rest[1:], ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("path %q: %q is not inside an object", path, part)
		}
		if cur, ok = m[part]; !ok {
			return nil, fmt.Errorf("path %q: no field %q", path, part)
		}
	}
	return cur, nil
}

// renderParameters applies a JSONPath payload template whose dynamic fields
// are plain paths (no intrinsic functions).
func renderParameters(tmpl any, input, ctx any) (any, error) {
	switch v := tmpl.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, val := range v {
			if name, ok := strings.CutSuffix(k, ".$"); ok {
				path, _ := val.(string)
				if strings.HasPrefix(path, "States.") {
					return nil, fmt.Errorf("field %s: intrinsic functions are not rendered here", k)
				}
				r, err := resolve(path, input, ctx)
				if err != nil {
					return nil, fmt.Errorf("field %s: %w", k, err)
				}
				out[name] = r
				continue
			}
			r, err := renderParameters(val, input, ctx)
			if err != nil {
				return nil, err
			}
			out[k] = r
		}
		return out, nil
	case []any:
		out := make([]any, len(v))
		for i, item := range v {
			r, err := renderParameters(item, input, ctx)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	default:
		return v, nil
	}
}

// compactJSON renders v the way States.JsonToString does: compact, no HTML escaping.
func compactJSON(v any) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(buf.String(), "\n"), nil
}

var jsonToStringArg = regexp.MustCompile(`^States\.JsonToString\((\$[A-Za-z0-9_.$]*)\)$`)

// renderStatusBody evaluates the one intrinsic shape the status records use:
// States.Format('<template>', States.JsonToString(<path>), ...). It follows
// the intrinsic escaping rules: \{ \} \' \\ are literal characters and {} is
// a placeholder.
func renderStatusBody(expr string, input, ctx any) (string, error) {
	const prefix = "States.Format('"
	if !strings.HasPrefix(expr, prefix) || !strings.HasSuffix(expr, ")") {
		return "", fmt.Errorf("%q is not a States.Format call", expr)
	}
	src := expr[len(prefix):]
	var pieces []string // literal text between placeholders
	var cur strings.Builder
	end := -1
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case c == '\\':
			if i+1 >= len(src) {
				return "", fmt.Errorf("dangling backslash in %q", expr)
			}
			i++
			cur.WriteByte(src[i])
		case c == '{':
			if i+1 >= len(src) || src[i+1] != '}' {
				return "", fmt.Errorf("unescaped { at %d in %q", i, expr)
			}
			pieces = append(pieces, cur.String())
			cur.Reset()
			i++
		case c == '}':
			return "", fmt.Errorf("unescaped } at %d in %q", i, expr)
		case c == '\'':
			end = i
		default:
			cur.WriteByte(c)
		}
		if end >= 0 {
			break
		}
	}
	if end < 0 {
		return "", fmt.Errorf("unterminated template in %q", expr)
	}
	pieces = append(pieces, cur.String())
	argText := strings.TrimSuffix(src[end+1:], ")")
	argText, ok := strings.CutPrefix(argText, ",")
	if !ok {
		return "", fmt.Errorf("no arguments after the template in %q", expr)
	}
	var args []string
	for _, a := range strings.Split(argText, ", ") {
		m := jsonToStringArg.FindStringSubmatch(strings.TrimSpace(a))
		if m == nil {
			return "", fmt.Errorf("argument %q: want States.JsonToString(<path>) so every value is JSON-escaped", a)
		}
		v, err := resolve(m[1], input, ctx)
		if err != nil {
			return "", err
		}
		s, err := compactJSON(v)
		if err != nil {
			return "", err
		}
		args = append(args, s)
	}
	if len(args) != len(pieces)-1 {
		return "", fmt.Errorf("%d placeholders but %d arguments in %q", len(pieces)-1, len(args), expr)
	}
	var out strings.Builder
	for i, p := range pieces {
		out.WriteString(p)
		if i < len(args) {
			out.WriteString(args[i])
		}
	}
	return out.String(), nil
}

func TestStatusRecordsMatchTheSchema(t *testing.T) {
	_, d := loadDefinition(t)
	schema, err := schemas.Compile(schemas.ExecutionStatus)
	if err != nil {
		t.Fatalf("compile %s: %v", schemas.ExecutionStatus, err)
	}
	input, ctx := sampleData()
	wantStatus := map[string]string{
		"RecordSucceeded": "SUCCEEDED",
		"RecordRejected":  "REJECTED",
		"RecordFailed":    "FAILED",
	}
	for state, status := range wantStatus {
		t.Run(state, func(t *testing.T) {
			st := d.States[state]
			if st["Resource"] != "arn:aws:states:::aws-sdk:s3:putObject" {
				t.Fatalf("Resource = %v, want the aws-sdk s3:putObject integration", st["Resource"])
			}
			params := st["Parameters"].(map[string]any)
			if params["Bucket"] != "${BucketName}" {
				t.Errorf("Bucket = %v", params["Bucket"])
			}
			if params["Key.$"] != "States.Format('executions/{}.json', $.executionId)" {
				t.Errorf("Key.$ = %v, want executions/{executionId}.json", params["Key.$"])
			}
			body, err := renderStatusBody(params["Body.$"].(string), input, ctx)
			if err != nil {
				t.Fatalf("render Body: %v", err)
			}
			if vs, err := schema.ValidateJSON([]byte(body)); err != nil || len(vs) > 0 {
				t.Fatalf("status record %s does not match the schema: %v %v", body, err, vs)
			}
			var rec map[string]any
			if err := json.Unmarshal([]byte(body), &rec); err != nil {
				t.Fatalf("status record is not JSON: %v\n%s", err, body)
			}
			want := map[string]any{
				"executionId":  sampleID,
				"executionArn": sampleArn,
				"status":       status,
				"startDate":    sampleStart,
				"updatedAt":    sampleEntered,
			}
			if status == "SUCCEEDED" {
				want["dragon"] = sampleRecord()
			} else {
				want["error"] = "DragonValidationException"
				want["cause"] = sampleCause
			}
			gotJSON, _ := compactJSON(rec)
			wantJSON, _ := compactJSON(want)
			if gotJSON != wantJSON {
				t.Errorf("status record\n got %s\nwant %s", gotJSON, wantJSON)
			}
		})
	}
}

func TestRenderStatusBodyRejectsUnsafeTemplates(t *testing.T) {
	input, ctx := sampleData()
	bad := map[string]string{
		"raw path argument":   `States.Format('\{"cause":"{}"\}', $.error.Cause)`,
		"unescaped brace":     `States.Format('{"a":{}}', States.JsonToString($.executionId))`,
		"too few arguments":   `States.Format('\{"a":{},"b":{}\}', States.JsonToString($.executionId))`,
		"unknown path":        `States.Format('\{"a":{}\}', States.JsonToString($.nope))`,
		"not a format call":   `States.JsonToString($)`,
		"unterminated string": `States.Format('\{"a":{}\}, States.JsonToString($))`,
	}
	for name, expr := range bad {
		if out, err := renderStatusBody(expr, input, ctx); err == nil {
			t.Errorf("%s: renderStatusBody(%s) = %q, want an error", name, expr, out)
		}
	}
}

func TestDragonAddedEventMatchesGoTypeAndSchema(t *testing.T) {
	_, d := loadDefinition(t)
	st := d.States["PublishDragonAdded"]
	if st["Resource"] != "arn:aws:states:::events:putEvents" {
		t.Fatalf("PublishDragonAdded Resource = %v", st["Resource"])
	}
	input, ctx := sampleData()
	rendered, err := renderParameters(st["Parameters"], input, ctx)
	if err != nil {
		t.Fatalf("render Parameters: %v", err)
	}
	entries := rendered.(map[string]any)["Entries"].([]any)
	if len(entries) != 1 {
		t.Fatalf("want exactly one entry, got %d", len(entries))
	}
	entry := entries[0].(map[string]any)
	if entry["Source"] != events.Source || entry["DetailType"] != events.DetailTypeDragonAdded {
		t.Errorf("Source/DetailType = %v/%v, want %s/%s", entry["Source"], entry["DetailType"], events.Source, events.DetailTypeDragonAdded)
	}
	if entry["EventBusName"] != "${EventBusName}" {
		t.Errorf("EventBusName = %v, want the ${EventBusName} substitution", entry["EventBusName"])
	}
	detailJSON, err := compactJSON(entry["Detail"])
	if err != nil {
		t.Fatal(err)
	}
	var detail events.DragonAdded
	dec := json.NewDecoder(strings.NewReader(detailJSON))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&detail); err != nil {
		t.Fatalf("Detail %s does not decode into events.DragonAdded: %v", detailJSON, err)
	}
	if err := detail.Check(); err != nil {
		t.Errorf("Detail fails events.DragonAdded.Check: %v", err)
	}
	if detail.EventID != sampleID || detail.ExecutionArn != sampleArn || detail.Version != events.DragonAddedVersion {
		t.Errorf("Detail = %+v, want eventId=execution id, executionArn, version %d", detail, events.DragonAddedVersion)
	}
	if detail.Dragon.DragonName != sampleRecord()["dragon_name_str"] {
		t.Errorf("Detail dragon = %+v, want the stored record", detail.Dragon)
	}

	// The envelope EventBridge would deliver for this entry.
	envelope := map[string]any{
		"version":     "0",
		"id":          "8f6a1f62-1a0e-4b6f-9a53-0d5b1e0d7c11",
		"detail-type": entry["DetailType"],
		"source":      entry["Source"],
		"account":     "000000000000",
		"time":        "2026-01-02T03:04:06Z",
		"region":      "us-east-1",
		"resources":   []any{sampleArn},
		"detail":      entry["Detail"],
	}
	schema, err := schemas.Compile(schemas.DragonAddedEvent)
	if err != nil {
		t.Fatalf("compile %s: %v", schemas.DragonAddedEvent, err)
	}
	if vs := schema.Validate(envelope); len(vs) > 0 {
		t.Errorf("DragonAdded event does not match its registry schema: %v", vs)
	}
}

func TestResolveRejectsUnsupportedPaths(t *testing.T) {
	input, ctx := sampleData()
	for _, p := range []string{"executionId", "$[0]", "$.added.record.missing", "$.executionId.x"} {
		if v, err := resolve(p, input, ctx); err == nil {
			t.Errorf("resolve(%q) = %v, want an error", p, v)
		}
	}
	got, err := resolve("$$.Execution.Id", input, ctx)
	if err != nil || got != sampleArn {
		t.Errorf("resolve($$.Execution.Id) = %v, %v", got, err)
	}
}

// TestDefinitionHasExactlyTheseStates pins the set of states, so that a state
// added or renamed is a deliberate change that the other tests then cover.
func TestDefinitionHasExactlyTheseStates(t *testing.T) {
	raw, _ := loadDefinition(t)
	var generic map[string]any
	if err := json.Unmarshal(raw, &generic); err != nil {
		t.Fatal(err)
	}
	states := generic["States"].(map[string]any)
	names := make([]string, 0, len(states))
	for n := range states {
		names = append(names, n)
	}
	sort.Strings(names)
	want := []string{"AddDragon", "Done", "Failed", "PublishDragonAdded", "RecordFailed", "RecordRejected", "RecordSucceeded", "Rejected", "SendToDLQ", "ValidateDragon"}
	if !slices.Equal(names, want) {
		t.Errorf("states = %v, want %v", names, want)
	}
}
