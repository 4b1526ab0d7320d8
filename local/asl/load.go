package asl

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/dragons-dev/dragons/local/asl/jsonpath"
)

// Option configures Parse.
type Option func(*config)

type config struct {
	typ     MachineType
	compile QueryCompiler
}

// WithType sets the state machine type the definition is validated for
// (default Standard). Express machines may not use ".sync" or
// ".waitForTaskToken" integrations or activities.
func WithType(t MachineType) Option { return func(c *config) { c.typ = t } }

// WithQueryCompiler replaces the JSONata evaluator.
func WithQueryCompiler(qc QueryCompiler) Option { return func(c *config) { c.compile = qc } }

// StateMachine is a parsed, validated definition. It is immutable and safe
// to run concurrently.
type StateMachine struct {
	typ     MachineType
	comment string
	lang    QueryLanguage
	timeout float64 // 0 = none
	top     *graph
}

// Type returns the machine type the definition was validated for.
func (sm *StateMachine) Type() MachineType { return sm.typ }

// Comment returns the top-level Comment.
func (sm *StateMachine) Comment() string { return sm.comment }

// QueryLanguage returns the top-level query language.
func (sm *StateMachine) QueryLanguage() QueryLanguage { return sm.lang }

// StartAt returns the name of the first state.
func (sm *StateMachine) StartAt() string { return sm.top.startAt }

// StateNames returns the top-level state names in definition order.
func (sm *StateMachine) StateNames() []string {
	out := make([]string, len(sm.top.order))
	for i, s := range sm.top.order {
		out[i] = s.name
	}
	return out
}

// Parse parses and validates a state machine definition. It returns a
// *DefinitionError listing every problem found.
func Parse(def []byte, opts ...Option) (*StateMachine, error) {
	cfg := config{typ: Standard}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.typ != Standard && cfg.typ != Express {
		return nil, &DefinitionError{Problems: []Problem{{Code: CodeSchema, Message: fmt.Sprintf("unknown state machine type %q", cfg.typ)}}}
	}
	var raw any
	dec := json.NewDecoder(bytes.NewReader(def))
	if err := dec.Decode(&raw); err != nil {
		return nil, &DefinitionError{Problems: []Problem{{Code: CodeInvalidJSON, Message: fmt.Sprintf("Unable to parse the definition as JSON: %v", err)}}}
	}
	if dec.More() {
		return nil, &DefinitionError{Problems: []Problem{{Code: CodeInvalidJSON, Message: "Unexpected content after the definition"}}}
	}
	l := &loader{typ: cfg.typ, compile: cfg.compile}
	if l.compile == nil {
		l.compile = defaultQueryCompiler
	}
	sm := l.loadMachine(raw)
	if len(l.problems) > 0 {
		return nil, &DefinitionError{Problems: l.problems}
	}
	return sm, nil
}

type loader struct {
	topLang  QueryLanguage // the machine's QueryLanguage: states inherit it
	lenient  bool          // TestState: transition targets and reachability are not checked
	typ      MachineType
	compile  QueryCompiler
	problems []Problem
	cur      *state
	// names are the state names seen so far in the whole machine: a name
	// must be unique across the top level, branches and item processors.
	names map[string]bool
}

func (l *loader) problem(code, msg, loc string) {
	l.problems = append(l.problems, Problem{Code: code, Message: msg, Location: loc})
}

func (l *loader) jsonata(src string) (queryExpr, error) {
	f, err := l.compile(src)
	if err != nil {
		return nil, err
	}
	return funcExpr{f: f}, nil
}

func (l *loader) notePath(p *jsonpath.Path) {
	if p.Root() == jsonpath.RootContext && l.cur != nil {
		l.cur.usesContext = true
	}
}

// target resolves a transition. In lenient mode (TestState) an unknown
// target becomes a placeholder state that is never run.
func (l *loader) target(g *graph, name string) *state {
	if st := g.states[name]; st != nil || !l.lenient || name == "" {
		return st
	}
	return &state{name: name}
}

// checkFields reports fields of m that are not in allowed, at the location
// of m itself, with Step Functions' wording.
func (l *loader) checkFields(m map[string]any, allowed map[string]bool, loc, what string) {
	for _, k := range sortedKeys(m) {
		if !allowed[k] {
			l.problem(CodeSchema, fmt.Sprintf("Field '%s' is not supported", k), loc)
		}
	}
}

// checkStateFields is checkFields for a state: a field that belongs to the
// other query language gets the message Step Functions gives for it.
func (l *loader) checkStateFields(m map[string]any, kind stateKind, lang QueryLanguage, loc string) {
	allowed := l.allowedFields(kind, lang)
	other := JSONata
	if lang == JSONata {
		other = JSONPath
	}
	otherAllowed := l.allowedFields(kind, other)
	for _, k := range sortedKeys(m) {
		switch {
		case allowed[k]:
		case otherAllowed[k]:
			l.problem(CodeSchema, fmt.Sprintf("The QueryLanguage is set to '%s', but field '%s' is only supported for the '%s' QueryLanguage", lang, k, other), loc)
		default:
			l.problem(CodeSchema, fmt.Sprintf("Field '%s' is not supported", k), loc)
		}
	}
}

func set(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

func (l *loader) loadMachine(raw any) *StateMachine {
	m, ok := raw.(map[string]any)
	if !ok {
		l.problem(CodeSchema, "The definition must be a JSON object", "")
		return nil
	}
	l.checkFields(m, set("Comment", "StartAt", "States", "TimeoutSeconds", "Version", "QueryLanguage"), "", "the state machine")
	sm := &StateMachine{typ: l.typ, lang: JSONPath}
	if c, ok := m["Comment"]; ok {
		s, ok := c.(string)
		if !ok {
			l.problem(CodeSchema, "The field 'Comment' must be a string", "/Comment")
		}
		sm.comment = s
	}
	if v, ok := m["Version"]; ok {
		if s, ok := v.(string); !ok || s != "1.0" {
			l.problem(CodeSchema, "The field 'Version' must be \"1.0\"", "/Version")
		}
	}
	if v, ok := m["QueryLanguage"]; ok {
		sm.lang = l.queryLanguage(v, "/QueryLanguage")
	}
	l.topLang = sm.lang
	if n, ok := l.intField(m, "TimeoutSeconds", "", 1, 99999999); ok {
		sm.timeout = float64(n)
	}
	sm.top = l.loadGraph(m, "", sm.lang, false)
	return sm
}

func (l *loader) queryLanguage(v any, loc string) QueryLanguage {
	s, _ := v.(string)
	switch QueryLanguage(s) {
	case JSONPath, JSONata:
		return QueryLanguage(s)
	}
	l.problem(CodeSchema, "The field 'QueryLanguage' must be \"JSONPath\" or \"JSONata\"", loc)
	return JSONPath
}

func (l *loader) intValue(v any, loc, field string) (int, bool) {
	f, ok := v.(float64)
	if !ok || f != math.Trunc(f) || math.Abs(f) > 1e15 {
		l.problem(CodeSchema, fmt.Sprintf("The field '%s' must be an integer", field), loc)
		return 0, false
	}
	return int(f), true
}

// intField reads the optional integer field name of m (at loc), reporting a
// problem when it is not an integer or lies outside [lo, hi]. ok is false when
// the field is absent or not an integer.
func (l *loader) intField(m map[string]any, name, loc string, lo, hi int) (int, bool) {
	v, ok := m[name]
	if !ok {
		return 0, false
	}
	floc := loc + "/" + name
	n, ok := l.intValue(v, floc, name)
	if !ok {
		return 0, false
	}
	if n < lo || n > hi {
		l.problem(CodeSchema, fmt.Sprintf("The field '%s' must be between %d and %d", name, lo, hi), floc)
	}
	return n, true
}

// loadGraph loads StartAt/States of m (the machine, a branch or an item
// processor) at loc.
func (l *loader) loadGraph(m map[string]any, loc string, lang QueryLanguage, nested bool) *graph {
	g := &graph{states: map[string]*state{}}
	startV, has := m["StartAt"]
	start, ok := startV.(string)
	switch {
	case !has:
		l.problem(CodeSchema, "These fields are required: [StartAt]", loc)
	case !ok || start == "":
		// An empty StartAt names no state: without this check the
		// machine would load with no start state.
		l.problem(CodeSchema, "The field 'StartAt' must be a non-empty string", loc+"/StartAt")
	}
	g.startAt = start
	statesRaw, ok := m["States"].(map[string]any)
	if !ok {
		l.problem(CodeSchema, "These fields are required: [States] (an object)", loc)
		return g
	}
	if len(statesRaw) == 0 {
		l.problem(CodeSchema, "The field 'States' must contain at least one state", loc+"/States")
	}
	names := sortedKeys(statesRaw)
	// Keep definition order when possible: encoding/json loses it, so the
	// order is the sorted one.
	for _, name := range names {
		sloc := loc + "/States/" + escapePointer(name)
		if len(name) > 80 || name == "" {
			l.problem(CodeSchema, fmt.Sprintf("The state name '%s' must be 1 to 80 characters long", name), sloc)
		}
		l.uniqueName(name, sloc)
		sm, ok := statesRaw[name].(map[string]any)
		if !ok {
			l.problem(CodeSchema, "A state must be a JSON object", sloc)
			continue
		}
		st := l.loadState(name, sm, sloc, lang)
		if st == nil {
			continue
		}
		st.graph = g
		g.states[name] = st
		g.order = append(g.order, st)
	}
	if start != "" {
		g.start = g.states[start]
		if g.start == nil && len(g.states) > 0 {
			l.problem(CodeMissingTarget, fmt.Sprintf("Missing 'StartAt' target: %s", start), loc+"/StartAt")
		}
	}
	// Resolve transitions.
	for _, st := range g.order {
		sloc := loc + "/States/" + escapePointer(st.name)
		if st.nextName != "" {
			st.next = l.target(g, st.nextName)
			if st.next == nil {
				l.problem(CodeMissingTarget, fmt.Sprintf("Missing 'Next' target: %s", st.nextName), sloc+"/Next")
			}
		}
		if st.defaultName != "" {
			st.defaultNext = l.target(g, st.defaultName)
			if st.defaultNext == nil {
				l.problem(CodeMissingTarget, fmt.Sprintf("Missing 'Default' target: %s", st.defaultName), sloc+"/Default")
			}
		}
		for i, r := range st.choices {
			r.next = l.target(g, r.nextName)
			if r.next == nil {
				l.problem(CodeMissingTarget, fmt.Sprintf("Missing 'Next' target: %s", r.nextName), fmt.Sprintf("%s/Choices/%d/Next", sloc, i))
			}
		}
		for i, c := range st.catch {
			c.next = l.target(g, c.nextName)
			if c.next == nil && c.nextName != "" {
				l.problem(CodeMissingTarget, fmt.Sprintf("Missing 'Next' target: %s", c.nextName), fmt.Sprintf("%s/Catch/%d/Next", sloc, i))
			}
		}
		if st.kind == kindTask || st.kind == kindWait || st.kind == kindMap || st.kind == kindParallel {
			g.blocking = true
		}
	}
	// A workflow needs a way to end.
	terminal := false
	for _, st := range g.order {
		if st.end || st.kind == kindSucceed || st.kind == kindFail {
			terminal = true
		}
	}
	if !terminal && len(g.order) > 0 && !l.lenient {
		l.problem(CodeNoTerminalState, "Workflow has no terminal state", loc)
	}
	// Reachability.
	if g.start != nil && !l.lenient {
		seen := map[*state]bool{}
		var walk func(s *state)
		walk = func(s *state) {
			if s == nil || seen[s] {
				return
			}
			seen[s] = true
			walk(s.next)
			walk(s.defaultNext)
			for _, r := range s.choices {
				walk(r.next)
			}
			for _, c := range s.catch {
				walk(c.next)
			}
		}
		walk(g.start)
		for _, st := range g.order {
			if !seen[st] {
				l.problem(CodeUnreachable, fmt.Sprintf("State \"%s\" is not reachable.", st.name), loc+"/States/"+escapePointer(st.name))
			}
		}
	}
	return g
}

// uniqueName reports a state name already used elsewhere in the machine.
// TestState's loader skips the check: it tests one state, named by the
// caller.
func (l *loader) uniqueName(name, loc string) {
	if l.lenient {
		return
	}
	if l.names == nil {
		l.names = map[string]bool{}
	}
	if l.names[name] {
		l.problem(CodeDuplicateState, "Duplicate State name: "+name, loc)
		return
	}
	l.names[name] = true
}

var (
	commonFields   = []string{"Type", "Comment", "QueryLanguage"}
	flowFields     = []string{"Next", "End"}
	jsonPathIO     = []string{"InputPath", "OutputPath"}
	errorHandling  = []string{"Retry", "Catch"}
	allowedByState = map[stateKind]map[QueryLanguage][]string{
		kindPass: {
			JSONPath: {"Parameters", "Result", "ResultPath", "Assign"},
			JSONata:  {"Output", "Assign"},
		},
		kindTask: {
			JSONPath: {"Resource", "Parameters", "ResultSelector", "ResultPath", "TimeoutSeconds", "TimeoutSecondsPath", "HeartbeatSeconds", "HeartbeatSecondsPath", "Credentials", "Assign"},
			JSONata:  {"Resource", "Arguments", "Output", "TimeoutSeconds", "HeartbeatSeconds", "Credentials", "Assign"},
		},
		kindChoice: {
			JSONPath: {"Choices", "Default", "Assign"},
			JSONata:  {"Choices", "Default", "Output", "Assign"},
		},
		kindWait: {
			JSONPath: {"Seconds", "Timestamp", "SecondsPath", "TimestampPath", "Assign"},
			JSONata:  {"Seconds", "Timestamp", "Output", "Assign"},
		},
		kindSucceed: {
			JSONPath: {},
			JSONata:  {"Output"},
		},
		kindFail: {
			JSONPath: {"Error", "Cause", "ErrorPath", "CausePath"},
			JSONata:  {"Error", "Cause"},
		},
		kindParallel: {
			JSONPath: {"Branches", "Parameters", "ResultSelector", "ResultPath", "Assign"},
			JSONata:  {"Branches", "Arguments", "Output", "Assign"},
		},
		kindMap: {
			JSONPath: {"ItemProcessor", "Iterator", "ItemsPath", "ItemSelector", "Parameters", "MaxConcurrency", "MaxConcurrencyPath",
				"ToleratedFailureCount", "ToleratedFailureCountPath", "ToleratedFailurePercentage", "ToleratedFailurePercentagePath",
				"ItemReader", "ItemBatcher", "ResultWriter", "Label", "ResultSelector", "ResultPath", "Assign"},
			JSONata: {"ItemProcessor", "Items", "ItemSelector", "MaxConcurrency", "ToleratedFailureCount", "ToleratedFailurePercentage",
				"ItemReader", "ItemBatcher", "ResultWriter", "Label", "Output", "Assign"},
		},
	}
)

func (l *loader) allowedFields(k stateKind, lang QueryLanguage) map[string]bool {
	names := append([]string{}, commonFields...)
	names = append(names, allowedByState[k][lang]...)
	if k != kindChoice && k != kindSucceed && k != kindFail {
		names = append(names, flowFields...)
	}
	if lang == JSONPath && k != kindFail {
		names = append(names, jsonPathIO...)
	}
	if k == kindTask || k == kindParallel || k == kindMap {
		names = append(names, errorHandling...)
	}
	return set(names...)
}

func (l *loader) loadState(name string, m map[string]any, loc string, parentLang QueryLanguage) *state {
	typ, ok := m["Type"].(string)
	if !ok {
		l.problem(CodeSchema, "These fields are required: [Type]", loc)
		return nil
	}
	kind, ok := kindNames[typ]
	if !ok {
		l.problem(CodeSchema, fmt.Sprintf("The value '%s' of the field 'Type' is not a valid state type", typ), loc+"/Type")
		return nil
	}
	st := &state{name: name, kind: kind, lang: parentLang}
	prev := l.cur
	l.cur = st
	defer func() { l.cur = prev }()
	if v, ok := m["QueryLanguage"]; ok {
		st.lang = l.queryLanguage(v, loc+"/QueryLanguage")
		if l.topLang == JSONata && st.lang == JSONPath {
			l.problem(CodeSchema, "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine", loc)
		}
	}
	l.checkStateFields(m, kind, st.lang, loc)
	if c, ok := m["Comment"]; ok {
		if _, ok := c.(string); !ok {
			l.problem(CodeSchema, "The field 'Comment' must be a string", loc+"/Comment")
		}
	}

	// Transitions.
	_, hasNext := m["Next"]
	endV, hasEnd := m["End"]
	switch kind {
	case kindChoice, kindSucceed, kindFail:
	default:
		if hasNext {
			s, ok := m["Next"].(string)
			if !ok || s == "" {
				l.problem(CodeSchema, "The field 'Next' must be a non-empty string", loc+"/Next")
			}
			st.nextName = s
		}
		if hasEnd {
			b, ok := endV.(bool)
			if !ok {
				l.problem(CodeSchema, "The field 'End' must be a boolean", loc+"/End")
			}
			st.end = b
		}
		switch {
		case hasNext && st.end:
			l.problem(CodeSchema, "Only one of the fields 'Next' and 'End' may be set", loc)
		case !hasNext && !st.end:
			l.problem(CodeSchema, "A state of type "+typ+" must have either 'Next' or 'End': true", loc)
		}
	}

	if st.lang == JSONPath {
		st.inputPath = l.optPath(m, "InputPath", loc, false)
		st.outputPath = l.optPath(m, "OutputPath", loc, false)
		if v, ok := m["Parameters"]; ok {
			st.parameters = l.compilePayloadObj(v, "Parameters", loc)
		}
		if v, ok := m["ResultSelector"]; ok {
			// AWS accepts a non-object ResultSelector and uses it as a
			// literal result.
			st.resultSelector = l.compilePayload(v, loc+"/ResultSelector")
		}
		st.resultPath = l.optPath(m, "ResultPath", loc, true)
	} else {
		if v, ok := m["Arguments"]; ok {
			if s, isStr := v.(string); isStr && !isQueryString(s) {
				l.problem(CodeSchema, "The field 'Arguments' must be an object or a JSONata expression", loc+"/Arguments")
			}
			st.arguments = l.compileQuery(v, "Arguments", loc+"/Arguments")
		}
		if v, ok := m["Output"]; ok {
			st.output = l.compileQuery(v, "Output", loc+"/Output")
		}
	}
	if v, ok := m["Assign"]; ok {
		st.assign = l.compileAssign(v, st.lang, loc+"/Assign")
	}

	switch kind {
	case kindPass:
		if v, ok := m["Result"]; ok {
			st.result = v
			st.hasResult = true
		}
	case kindTask:
		l.loadTask(st, m, loc)
	case kindChoice:
		l.loadChoice(st, m, loc)
	case kindWait:
		l.loadWait(st, m, loc)
	case kindFail:
		l.loadFail(st, m, loc)
	case kindParallel:
		l.loadParallel(st, m, loc)
	case kindMap:
		l.loadMap(st, m, loc)
	}
	if st.kind == kindTask || st.kind == kindParallel || st.kind == kindMap {
		l.loadRetryCatch(st, m, loc)
	}
	return st
}

func (l *loader) compilePayloadObj(v any, field, loc string) *payloadTemplate {
	if _, ok := v.(map[string]any); !ok {
		l.problem(CodeSchema, fmt.Sprintf("The field '%s' must be an object", field), loc+"/"+field)
		return nil
	}
	return l.compilePayload(v, loc+"/"+field)
}

// optPath loads a path field that may be null.
func (l *loader) optPath(m map[string]any, field, loc string, reference bool) optPath {
	v, ok := m[field]
	if !ok {
		return optPath{}
	}
	if v == nil {
		return optPath{null: true}
	}
	s, ok := v.(string)
	if !ok {
		l.problem(CodeSchema, fmt.Sprintf("The field '%s' must be a string or null", field), loc+"/"+field)
		return optPath{}
	}
	p, err := jsonpath.Parse(s)
	if err != nil {
		l.problem(CodeInvalidPath, fmt.Sprintf("The value for the field '%s' must be a valid JSONPath: %v", field, err), loc+"/"+field)
		return optPath{}
	}
	if reference {
		if !p.IsReference() {
			l.problem(CodeInvalidPath, fmt.Sprintf("The value for the field '%s' must be a valid Reference Path (names and indexes only)", field), loc+"/"+field)
			return optPath{}
		}
		if p.Root() != jsonpath.RootData {
			l.problem(CodeInvalidPath, fmt.Sprintf("The value for the field '%s' must start with '$'", field), loc+"/"+field)
			return optPath{}
		}
	}
	l.notePath(p)
	if p.Root() == jsonpath.RootData && p.IsRoot() {
		return optPath{}
	}
	return optPath{path: p}
}

// refPath loads a "...Path" field that must be a reference path string.
func (l *loader) refPath(v any, field, loc string) *jsonpath.Path {
	s, ok := v.(string)
	if !ok {
		l.problem(CodeSchema, fmt.Sprintf("The field '%s' must be a string", field), loc)
		return nil
	}
	p, err := jsonpath.Parse(s)
	if err != nil {
		l.problem(CodeInvalidPath, fmt.Sprintf("The value for the field '%s' must be a valid JSONPath: %v", field, err), loc)
		return nil
	}
	if !p.IsDefinite() {
		l.problem(CodeInvalidPath, fmt.Sprintf("The value for the field '%s' must be a valid Reference Path", field), loc)
		return nil
	}
	l.notePath(p)
	return p
}

// numberField loads Field / FieldPath (JSONPath) or Field as a number or
// JSONata expression (JSONata).
func (l *loader) numberField(st *state, m map[string]any, field, loc string, minV, maxV float64, integer bool) numField {
	nf := numField{field: field}
	v, has := m[field]
	pv, hasPath := m[field+"Path"]
	if has && hasPath {
		l.problem(CodeSchema, fmt.Sprintf("Only one of the fields '%s' and '%sPath' may be set", field, field), loc)
	}
	if hasPath {
		nf.field = field + "Path"
		nf.path = l.refPath(pv, field+"Path", loc+"/"+field+"Path")
		nf.set = nf.path != nil
		return nf
	}
	if !has {
		return nf
	}
	if s, ok := v.(string); ok && st.lang == JSONata && isQueryString(s) {
		nf.expr = l.compileQuery(s, field, loc+"/"+field)
		nf.set = true
		return nf
	}
	f, ok := v.(float64)
	if !ok || (integer && f != math.Trunc(f)) {
		l.problem(CodeSchema, fmt.Sprintf("The field '%s' must be a number", field), loc+"/"+field)
		return nf
	}
	if f < minV || f > maxV {
		l.problem(CodeSchema, fmt.Sprintf("The value of the field '%s' must be between %v and %v", field, minV, maxV), loc+"/"+field)
	}
	nf.value = f
	nf.set = true
	return nf
}

func (l *loader) loadTask(st *state, m map[string]any, loc string) {
	res, ok := m["Resource"].(string)
	if !ok {
		l.problem(CodeSchema, "These fields are required: [Resource] (a string)", loc)
		return
	}
	st.resource = res
	rloc := loc + "/Resource"
	switch {
	case strings.HasPrefix(res, "arn:aws:states:::"):
		st.resourceKind = resourceService
		rest := strings.TrimPrefix(res, "arn:aws:states:::")
		if strings.Count(rest, ":") < 1 {
			l.problem(CodeInvalidResource, fmt.Sprintf("Resource '%s' is not a valid service integration ARN", res), rloc)
		}
		if strings.HasSuffix(rest, ".waitForTaskToken") {
			st.waitForToken = true
		}
		if strings.HasSuffix(rest, ".sync") || strings.Contains(rest, ".sync:") {
			st.sync = true
		}
	case strings.HasPrefix(res, "arn:aws:lambda:") && strings.Contains(res, ":function:"):
		st.resourceKind = resourceLambda
	case strings.HasPrefix(res, "arn:aws:states:") && strings.Contains(res, ":activity:"):
		st.resourceKind = resourceActivity
	case strings.HasPrefix(res, "arn:"):
		st.resourceKind = resourceOther
	default:
		l.problem(CodeInvalidResource, fmt.Sprintf("Resource '%s' is not a valid ARN", res), rloc)
	}
	if l.typ == Express {
		if st.sync {
			l.problem(CodeSchema, "Express state machine does not support '.sync' service integration", rloc)
		}
		if st.waitForToken {
			l.problem(CodeSchema, "Express state machine does not support '.waitForTaskToken' service integration", rloc)
		}
		if st.resourceKind == resourceActivity {
			l.problem(CodeSchema, "Express state machine does not support Activity ARN", rloc)
		}
	}
	st.timeout = l.numberField(st, m, "TimeoutSeconds", loc, 1, 99999999, true)
	st.heartbeat = l.numberField(st, m, "HeartbeatSeconds", loc, 1, 99999999, true)
	if st.timeout.set && st.heartbeat.set && st.timeout.path == nil && st.heartbeat.path == nil &&
		st.timeout.expr == nil && st.heartbeat.expr == nil && st.heartbeat.value >= st.timeout.value {
		l.problem(CodeSchema, "The field 'HeartbeatSeconds' must be smaller than 'TimeoutSeconds'", loc+"/HeartbeatSeconds")
	}
	if v, ok := m["Credentials"]; ok {
		if _, ok := v.(map[string]any); !ok {
			l.problem(CodeSchema, "The field 'Credentials' must be an object", loc+"/Credentials")
		} else if st.lang == JSONPath {
			st.credentials = l.compilePayload(v, loc+"/Credentials")
		} else {
			st.credentialsQ = l.compileQuery(v, "Credentials", loc+"/Credentials")
		}
	}
}

func (l *loader) loadWait(st *state, m map[string]any, loc string) {
	count := 0
	for _, f := range []string{"Seconds", "Timestamp", "SecondsPath", "TimestampPath"} {
		if _, ok := m[f]; ok {
			count++
		}
	}
	if count != 1 {
		l.problem(CodeSchema, "A Wait state must have exactly one of 'Seconds', 'Timestamp', 'SecondsPath' or 'TimestampPath'", loc)
	}
	if _, ok := m["Seconds"]; ok || m["SecondsPath"] != nil {
		st.waitSeconds = l.numberField(st, m, "Seconds", loc, 0, 99999999, true)
	}
	if v, ok := m["Timestamp"]; ok {
		s, _ := v.(string)
		if st.lang == JSONata && isQueryString(s) {
			st.waitTimestamp = &timeField{expr: l.compileQuery(s, "Timestamp", loc+"/Timestamp")}
		} else if t, err := parseTimestamp(s); err != nil {
			l.problem(CodeSchema, "The field 'Timestamp' must be an RFC3339 timestamp", loc+"/Timestamp")
		} else {
			st.waitTimestamp = &timeField{value: t}
		}
	}
	if v, ok := m["TimestampPath"]; ok {
		if p := l.refPath(v, "TimestampPath", loc+"/TimestampPath"); p != nil {
			st.waitTimestamp = &timeField{path: p}
		}
	}
}

func parseTimestamp(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not an RFC3339 timestamp", s)
	}
	return t, nil
}

func (l *loader) strField(st *state, m map[string]any, field, loc string) strField {
	sf := strField{}
	v, has := m[field]
	pv, hasPath := m[field+"Path"]
	if has && hasPath {
		l.problem(CodeSchema, fmt.Sprintf("Only one of the fields '%s' and '%sPath' may be set", field, field), loc)
	}
	if hasPath {
		s, ok := pv.(string)
		if !ok {
			l.problem(CodeSchema, fmt.Sprintf("The field '%sPath' must be a string", field), loc+"/"+field+"Path")
			return sf
		}
		// A path or an intrinsic function.
		sf.tmpl = l.compileDynamic(s, field, loc+"/"+field+"Path")
		sf.set = sf.tmpl != nil
		return sf
	}
	if !has {
		return sf
	}
	s, ok := v.(string)
	if !ok {
		l.problem(CodeSchema, fmt.Sprintf("The field '%s' must be a string", field), loc+"/"+field)
		return sf
	}
	sf.set = true
	if st.lang == JSONata && isQueryString(s) {
		sf.expr = l.compileQuery(s, field, loc+"/"+field)
		return sf
	}
	sf.value = s
	return sf
}

func (l *loader) loadFail(st *state, m map[string]any, loc string) {
	st.errorName = l.strField(st, m, "Error", loc)
	st.errorCause = l.strField(st, m, "Cause", loc)
}

func (l *loader) loadParallel(st *state, m map[string]any, loc string) {
	branches, ok := m["Branches"].([]any)
	if !ok || len(branches) == 0 {
		l.problem(CodeSchema, "The field 'Branches' must be a non-empty array", loc+"/Branches")
		return
	}
	for i, b := range branches {
		bloc := fmt.Sprintf("%s/Branches/%d", loc, i)
		bm, ok := b.(map[string]any)
		if !ok {
			l.problem(CodeSchema, "A branch must be an object", bloc)
			continue
		}
		l.checkFields(bm, set("StartAt", "States", "Comment"), bloc, "a Parallel branch")
		// Branch states inherit the machine's language, not the Parallel state's.
		g := l.loadGraph(bm, bloc, l.topLang, true)
		st.branches = append(st.branches, g)
	}
}

func (l *loader) loadMap(st *state, m map[string]any, loc string) {
	proc, hasProc := m["ItemProcessor"]
	iter, hasIter := m["Iterator"]
	if hasProc && hasIter {
		l.problem(CodeSchema, "Only one of the fields 'ItemProcessor' and 'Iterator' may be set", loc)
	}
	var pm map[string]any
	ploc := loc + "/ItemProcessor"
	switch {
	case hasProc:
		pm, _ = proc.(map[string]any)
	case hasIter:
		pm, _ = iter.(map[string]any)
		ploc = loc + "/Iterator"
	default:
		l.problem(CodeSchema, "These fields are required: [ItemProcessor]", loc)
		return
	}
	if pm == nil {
		l.problem(CodeSchema, "The item processor must be an object", ploc)
		return
	}
	l.checkFields(pm, set("StartAt", "States", "Comment", "ProcessorConfig"), ploc, "a Map item processor")
	if pc, ok := pm["ProcessorConfig"]; ok {
		pcm, ok := pc.(map[string]any)
		if !ok {
			l.problem(CodeSchema, "The field 'ProcessorConfig' must be an object", ploc+"/ProcessorConfig")
		} else {
			l.checkFields(pcm, set("Mode", "ExecutionType"), ploc+"/ProcessorConfig", "ProcessorConfig")
			switch pcm["Mode"] {
			case nil, "INLINE":
			case "DISTRIBUTED":
				st.distributed = true
			default:
				l.problem(CodeSchema, "The field 'Mode' must be INLINE or DISTRIBUTED", ploc+"/ProcessorConfig/Mode")
			}
			switch pcm["ExecutionType"] {
			case nil, "STANDARD", "EXPRESS":
			default:
				l.problem(CodeSchema, "The field 'ExecutionType' must be STANDARD or EXPRESS", ploc+"/ProcessorConfig/ExecutionType")
			}
		}
	}
	// Item processor states inherit the machine's language, not the Map's.
	prev := l.cur
	st.processor = l.loadGraph(pm, ploc, l.topLang, true)
	l.cur = prev

	if st.lang == JSONPath {
		st.itemsPath = l.optPath(m, "ItemsPath", loc, false)
		if st.itemsPath.null {
			l.problem(CodeSchema, "The field 'ItemsPath' must not be null", loc+"/ItemsPath")
		}
		if v, ok := m["ItemSelector"]; ok {
			st.itemSelector = l.compilePayloadObj(v, "ItemSelector", loc)
			if st.parameters != nil {
				l.problem(CodeSchema, "Only one of the fields 'ItemSelector' and 'Parameters' may be set", loc)
			}
		} else if st.parameters != nil {
			// Legacy: Parameters on a Map state select each item.
			st.itemSelector = st.parameters
			st.parameters = nil
		}
	} else {
		if v, ok := m["Items"]; ok {
			if _, isArr := v.([]any); !isArr {
				if s, isStr := v.(string); !isStr || !isQueryString(s) {
					l.problem(CodeSchema, "The field 'Items' must be an array or a JSONata expression", loc+"/Items")
				}
			}
			st.items = l.compileQuery(v, "Items", loc+"/Items")
		}
		if v, ok := m["ItemSelector"]; ok {
			st.itemSelectorQL = l.compileQuery(v, "ItemSelector", loc+"/ItemSelector")
		}
	}
	st.maxConcurrency = l.numberField(st, m, "MaxConcurrency", loc, 0, math.MaxInt32, true)
	st.toleratedCount = l.numberField(st, m, "ToleratedFailureCount", loc, 0, math.MaxInt32, true)
	st.toleratedPct = l.numberField(st, m, "ToleratedFailurePercentage", loc, 0, 100, false)
	if v, ok := m["ItemReader"]; ok {
		st.itemReader = l.loadItemReader(st, v, loc+"/ItemReader")
	}
	if v, ok := m["ItemBatcher"]; ok {
		st.itemBatcher = l.loadItemBatcher(st, v, loc+"/ItemBatcher")
	}
	if v, ok := m["ResultWriter"]; ok {
		if _, ok := v.(map[string]any); !ok {
			l.problem(CodeSchema, "The field 'ResultWriter' must be an object", loc+"/ResultWriter")
		}
	}
	if v, ok := m["Label"]; ok {
		if s, ok := v.(string); !ok || len(s) > 40 {
			l.problem(CodeSchema, "The field 'Label' must be a string of at most 40 characters", loc+"/Label")
		}
	}
}

func (l *loader) loadItemReader(st *state, v any, loc string) *itemReader {
	m, ok := v.(map[string]any)
	if !ok {
		l.problem(CodeSchema, "The field 'ItemReader' must be an object", loc)
		return nil
	}
	allowed := set("Resource", "ReaderConfig", "Parameters", "Arguments")
	l.checkFields(m, allowed, loc, "ItemReader")
	r := &itemReader{inputType: "JSON", csvHeaderFirstRow: true}
	res, ok := m["Resource"].(string)
	if !ok {
		l.problem(CodeSchema, "These fields are required: [Resource]", loc)
	}
	r.resource = res
	if p, ok := m["Parameters"]; ok {
		r.parameters = l.compilePayloadObj(p, "Parameters", loc)
	}
	if a, ok := m["Arguments"]; ok {
		r.arguments = l.compileQuery(a, "Arguments", loc+"/Arguments")
	}
	if rc, ok := m["ReaderConfig"].(map[string]any); ok {
		l.checkFields(rc, set("InputType", "CSVHeaderLocation", "CSVHeaders", "MaxItems", "MaxItemsPath", "CSVDelimiter", "ManifestType", "Transformation"), loc+"/ReaderConfig", "ReaderConfig")
		if s, ok := rc["InputType"].(string); ok {
			r.inputType = s
		}
		if s, ok := rc["CSVHeaderLocation"].(string); ok {
			r.csvHeaderFirstRow = s != "GIVEN"
		}
		if hs, ok := rc["CSVHeaders"].([]any); ok {
			for _, h := range hs {
				s, _ := h.(string)
				r.csvHeaders = append(r.csvHeaders, s)
			}
		}
		r.maxItems = l.numberField(st, rc, "MaxItems", loc+"/ReaderConfig", 0, 100000000, true)
	}
	return r
}

func (l *loader) loadItemBatcher(st *state, v any, loc string) *itemBatcher {
	m, ok := v.(map[string]any)
	if !ok {
		l.problem(CodeSchema, "The field 'ItemBatcher' must be an object", loc)
		return nil
	}
	l.checkFields(m, set("MaxItemsPerBatch", "MaxItemsPerBatchPath", "MaxInputBytesPerBatch", "MaxInputBytesPerBatchPath", "BatchInput"), loc, "ItemBatcher")
	b := &itemBatcher{}
	b.maxItems = l.numberField(st, m, "MaxItemsPerBatch", loc, 1, math.MaxInt32, true)
	b.maxBytes = l.numberField(st, m, "MaxInputBytesPerBatch", loc, 1, 262144, true)
	if bi, ok := m["BatchInput"]; ok {
		if st.lang == JSONPath {
			b.batchInput = l.compilePayloadObj(bi, "BatchInput", loc)
		} else {
			b.batchInputQL = l.compileQuery(bi, "BatchInput", loc+"/BatchInput")
		}
	}
	return b
}

func (l *loader) loadRetryCatch(st *state, m map[string]any, loc string) {
	if v, ok := m["Retry"]; ok {
		arr, ok := v.([]any)
		if !ok {
			l.problem(CodeSchema, "The field 'Retry' must be an array", loc+"/Retry")
		}
		for i, rv := range arr {
			rloc := fmt.Sprintf("%s/Retry/%d", loc, i)
			rm, ok := rv.(map[string]any)
			if !ok {
				l.problem(CodeSchema, "A retrier must be an object", rloc)
				continue
			}
			l.checkFields(rm, set("ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate", "MaxDelaySeconds", "JitterStrategy", "Comment"), rloc, "Retry")
			r := &retrier{interval: 1, maxAttempts: 3, backoffRate: 2}
			r.errorEquals = l.errorEquals(rm, rloc, i == len(arr)-1)
			if n, ok := l.intField(rm, "IntervalSeconds", rloc, 1, 99999999); ok {
				r.interval = float64(n)
			}
			if n, ok := l.intField(rm, "MaxAttempts", rloc, 0, 99999999); ok {
				r.maxAttempts = n
			}
			if v, ok := rm["BackoffRate"]; ok {
				f, ok := v.(float64)
				if !ok || f < 1 {
					l.problem(CodeSchema, "The field 'BackoffRate' must be a number greater than or equal to 1.0", rloc+"/BackoffRate")
				}
				r.backoffRate = f
			}
			if n, ok := l.intField(rm, "MaxDelaySeconds", rloc, 1, 31622400); ok {
				r.maxDelay = float64(n)
			}
			if v, ok := rm["JitterStrategy"]; ok {
				switch v {
				case "FULL":
					r.jitterFull = true
				case "NONE":
				default:
					l.problem(CodeSchema, "The field 'JitterStrategy' must be FULL or NONE", rloc+"/JitterStrategy")
				}
			}
			st.retry = append(st.retry, r)
		}
	}
	if v, ok := m["Catch"]; ok {
		arr, ok := v.([]any)
		if !ok {
			l.problem(CodeSchema, "The field 'Catch' must be an array", loc+"/Catch")
		}
		for i, cv := range arr {
			cloc := fmt.Sprintf("%s/Catch/%d", loc, i)
			cm, ok := cv.(map[string]any)
			if !ok {
				l.problem(CodeSchema, "A catcher must be an object", cloc)
				continue
			}
			allowed := set("ErrorEquals", "Next", "Comment", "Assign")
			if st.lang == JSONPath {
				allowed["ResultPath"] = true
			} else {
				allowed["Output"] = true
			}
			l.checkFields(cm, allowed, cloc, "Catch")
			c := &catcher{}
			c.errorEquals = l.errorEquals(cm, cloc, i == len(arr)-1)
			next, ok := cm["Next"].(string)
			if !ok || next == "" {
				l.problem(CodeSchema, "These fields are required: [Next]", cloc)
			}
			c.nextName = next
			if st.lang == JSONPath {
				c.resultPath = l.optPath(cm, "ResultPath", cloc, true)
			} else if o, ok := cm["Output"]; ok {
				c.output = l.compileQuery(o, "Output", cloc+"/Output")
			}
			if a, ok := cm["Assign"]; ok {
				c.assign = l.compileAssign(a, st.lang, cloc+"/Assign")
			}
			st.catch = append(st.catch, c)
		}
	}
}

func (l *loader) errorEquals(m map[string]any, loc string, last bool) []string {
	arr, ok := m["ErrorEquals"].([]any)
	if !ok || len(arr) == 0 {
		l.problem(CodeSchema, "The field 'ErrorEquals' must be a non-empty array of strings", loc)
		return nil
	}
	out := make([]string, 0, len(arr))
	for i, v := range arr {
		s, ok := v.(string)
		if !ok {
			l.problem(CodeSchema, "The field 'ErrorEquals' must contain strings", fmt.Sprintf("%s/ErrorEquals/%d", loc, i))
			continue
		}
		if strings.HasPrefix(s, "States.") && !knownStatesErrors[s] {
			l.problem(CodeSchema, fmt.Sprintf("The error name '%s' is not a valid Step Functions error name", s), fmt.Sprintf("%s/ErrorEquals/%d", loc, i))
		}
		if s == ErrALL && (len(arr) > 1 || !last) {
			l.problem(CodeSchema, "States.ALL must appear alone in ErrorEquals and only in the last retrier or catcher", fmt.Sprintf("%s/ErrorEquals/%d", loc, i))
		}
		out = append(out, s)
	}
	return out
}
