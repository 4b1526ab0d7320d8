package asl

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dragons-dev/dragons/local/asl/jsonpath"
)

type choiceRule struct {
	// JSONPath rules
	variable    *jsonpath.Path
	op          string // comparison operator without the "Path" suffix
	operand     any
	operandTime time.Time
	operandPath *jsonpath.Path
	and, or     []*choiceRule
	not         *choiceRule
	// JSONata rules
	condition *queryTemplate

	nextName string
	next     *state
	assign   *assignBlock
	output   *queryTemplate
}

// comparison operators and the operand type they take.
var comparators = map[string]string{
	"StringEquals": "string", "StringLessThan": "string", "StringGreaterThan": "string",
	"StringLessThanEquals": "string", "StringGreaterThanEquals": "string", "StringMatches": "string",
	"NumericEquals": "number", "NumericLessThan": "number", "NumericGreaterThan": "number",
	"NumericLessThanEquals": "number", "NumericGreaterThanEquals": "number",
	"BooleanEquals":   "boolean",
	"TimestampEquals": "timestamp", "TimestampLessThan": "timestamp", "TimestampGreaterThan": "timestamp",
	"TimestampLessThanEquals": "timestamp", "TimestampGreaterThanEquals": "timestamp",
	"IsNull": "boolean", "IsPresent": "boolean", "IsNumeric": "boolean", "IsString": "boolean",
	"IsBoolean": "boolean", "IsTimestamp": "boolean",
}

func (l *loader) loadChoice(st *state, m map[string]any, loc string) {
	arr, ok := m["Choices"].([]any)
	if !ok || len(arr) == 0 {
		l.problem(CodeSchema, "The field 'Choices' must be a non-empty array", loc+"/Choices")
	}
	for i, rv := range arr {
		rloc := fmt.Sprintf("%s/Choices/%d", loc, i)
		r := l.loadRule(st, rv, rloc, true)
		if r != nil {
			st.choices = append(st.choices, r)
		}
	}
	if v, ok := m["Default"]; ok {
		s, ok := v.(string)
		if !ok || s == "" {
			l.problem(CodeSchema, "The field 'Default' must be a non-empty string", loc+"/Default")
		}
		st.defaultName = s
	}
}

func (l *loader) loadRule(st *state, v any, loc string, top bool) *choiceRule {
	m, ok := v.(map[string]any)
	if !ok {
		l.problem(CodeSchema, "A choice rule must be an object", loc)
		return nil
	}
	r := &choiceRule{}
	if top {
		next, ok := m["Next"].(string)
		if !ok || next == "" {
			l.problem(CodeSchema, "These fields are required: [Next]", loc)
		}
		r.nextName = next
		if a, ok := m["Assign"]; ok {
			r.assign = l.compileAssign(a, st.lang, loc+"/Assign")
		}
	}
	if st.lang == JSONata {
		allowed := set("Condition", "Comment")
		if top {
			allowed["Next"], allowed["Assign"], allowed["Output"] = true, true, true
		}
		l.checkFields(m, allowed, loc, "JSONata choice rules")
		c, ok := m["Condition"]
		if !ok {
			l.problem(CodeSchema, "These fields are required: [Condition]", loc)
			return r
		}
		if b, isBool := c.(bool); isBool {
			r.condition = &queryTemplate{static: true, lit: b, field: "Condition"}
		} else if s, isStr := c.(string); isStr && isQueryString(s) {
			r.condition = l.compileQuery(s, "Condition", loc+"/Condition")
		} else {
			l.problem(CodeSchema, "The field 'Condition' must be a boolean or a JSONata expression", loc+"/Condition")
		}
		if o, ok := m["Output"]; ok && top {
			r.output = l.compileQuery(o, "Output", loc+"/Output")
		}
		return r
	}

	allowed := set("Variable", "And", "Or", "Not", "Comment")
	if top {
		allowed["Next"], allowed["Assign"] = true, true
	}
	ops := 0
	for k := range m {
		base := strings.TrimSuffix(k, "Path")
		if _, ok := comparators[k]; ok {
			allowed[k] = true
			ops++
		} else if _, ok := comparators[base]; ok && strings.HasSuffix(k, "Path") && !strings.HasPrefix(k, "Is") {
			allowed[k] = true
			ops++
		}
	}
	l.checkFields(m, allowed, loc, "choice rules")
	for _, k := range []string{"And", "Or"} {
		if v, ok := m[k]; ok {
			ops++
			arr, ok := v.([]any)
			if !ok || len(arr) == 0 {
				l.problem(CodeSchema, fmt.Sprintf("The field '%s' must be a non-empty array", k), loc+"/"+k)
				continue
			}
			for i, sub := range arr {
				sr := l.loadRule(st, sub, fmt.Sprintf("%s/%s/%d", loc, k, i), false)
				if sr == nil {
					continue
				}
				if k == "And" {
					r.and = append(r.and, sr)
				} else {
					r.or = append(r.or, sr)
				}
			}
		}
	}
	if v, ok := m["Not"]; ok {
		ops++
		r.not = l.loadRule(st, v, loc+"/Not", false)
	}
	if ops != 1 {
		l.problem(CodeSchema, "A choice rule must have exactly one comparison operator or one of 'And', 'Or', 'Not'", loc)
		return r
	}
	if r.and != nil || r.or != nil || r.not != nil {
		if _, ok := m["Variable"]; ok {
			l.problem(CodeSchema, "The field 'Variable' is not allowed with 'And', 'Or' or 'Not'", loc+"/Variable")
		}
		return r
	}
	vs, ok := m["Variable"].(string)
	if !ok {
		l.problem(CodeSchema, "These fields are required: [Variable]", loc)
		return r
	}
	p, err := jsonpath.Parse(vs)
	if err != nil {
		l.problem(CodeInvalidPath, fmt.Sprintf("The value for the field 'Variable' must be a valid JSONPath: %v", err), loc+"/Variable")
		return r
	}
	l.notePath(p)
	r.variable = p
	for k, v := range m {
		typ, isOp := comparators[k]
		if !isOp {
			if base := strings.TrimSuffix(k, "Path"); base != k {
				if _, ok := comparators[base]; ok {
					r.op = base
					op, err := l.operandPath(v, loc+"/"+k)
					if err == nil {
						r.operandPath = op
					}
				}
			}
			continue
		}
		r.op = k
		oloc := loc + "/" + k
		switch typ {
		case "string":
			s, ok := v.(string)
			if !ok {
				l.problem(CodeSchema, fmt.Sprintf("The value of '%s' must be a string", k), oloc)
			}
			r.operand = s
		case "number":
			f, ok := v.(float64)
			if !ok {
				l.problem(CodeSchema, fmt.Sprintf("The value of '%s' must be a number", k), oloc)
			}
			r.operand = f
		case "boolean":
			b, ok := v.(bool)
			if !ok {
				l.problem(CodeSchema, fmt.Sprintf("The value of '%s' must be a boolean", k), oloc)
			}
			r.operand = b
		case "timestamp":
			s, _ := v.(string)
			t, err := parseTimestamp(s)
			if err != nil {
				l.problem(CodeSchema, fmt.Sprintf("The value of '%s' must be an RFC3339 timestamp", k), oloc)
			}
			r.operandTime = t
		}
	}
	return r
}

func (l *loader) operandPath(v any, loc string) (*jsonpath.Path, error) {
	s, ok := v.(string)
	if !ok {
		l.problem(CodeSchema, "The value must be a JSONPath string", loc)
		return nil, errors.New("bad")
	}
	p, err := jsonpath.Parse(s)
	if err != nil {
		l.problem(CodeInvalidPath, fmt.Sprintf("The value must be a valid JSONPath: %v", err), loc)
		return nil, err
	}
	l.notePath(p)
	return p, nil
}

func (fr *frame) runChoice(ctx context.Context, e *evalCtx, raw any) (any, *state, map[string]any, error) {
	st := e.st
	if st.lang == JSONata {
		for _, r := range st.choices {
			v, err := r.condition.eval(ctx, e)
			if err != nil {
				return nil, nil, nil, err
			}
			b, ok := v.(bool)
			if !ok {
				return nil, nil, nil, e.failf(ErrQueryEvaluationError, "The JSONata expression '%s' specified for the field 'Condition' returned an unexpected result type. Expected 'boolean', but was '%s' for value: %s", r.condition.src, jsonpath.TypeName(v), compactJSON(v))
			}
			if !b {
				continue
			}
			var vars map[string]any
			if r.assign != nil {
				if vars, err = r.assign.eval(ctx, e, nil); err != nil {
					return nil, nil, nil, err
				}
			}
			// The state-level Assign and Output apply only when no rule
			// matches; a matching rule brings its own.
			out := raw
			if r.output != nil {
				out, err = r.output.eval(ctx, e)
			}
			if err != nil {
				return nil, nil, nil, err
			}
			return out, r.next, vars, nil
		}
		if st.defaultNext == nil {
			return nil, nil, nil, failf(ErrNoChoiceMatched, "No Matches!")
		}
		out, vars, err := fr.finishJSONata(ctx, e, raw)
		return out, st.defaultNext, vars, err
	}
	in, err := e.selectPath(st.inputPath, "InputPath", raw)
	if err != nil {
		return nil, nil, nil, err
	}
	for _, r := range st.choices {
		ok, err := fr.evalRule(e, r, in)
		if err != nil {
			return nil, nil, nil, err
		}
		if !ok {
			continue
		}
		var vars map[string]any
		if r.assign != nil {
			if vars, err = r.assign.eval(ctx, e, in); err != nil {
				return nil, nil, nil, err
			}
		}
		out, err := e.selectPath(st.outputPath, "OutputPath", in)
		return out, r.next, vars, err
	}
	if st.defaultNext == nil {
		return nil, nil, nil, failf(ErrNoChoiceMatched, "No Matches!")
	}
	out, vars, err := fr.finishJSONPath(ctx, e, raw, in, false)
	return out, st.defaultNext, vars, err
}

func (fr *frame) evalRule(e *evalCtx, r *choiceRule, in any) (bool, error) {
	switch {
	case r.and != nil:
		for _, s := range r.and {
			ok, err := fr.evalRule(e, s, in)
			if err != nil || !ok {
				return false, err
			}
		}
		return true, nil
	case r.or != nil:
		for _, s := range r.or {
			ok, err := fr.evalRule(e, s, in)
			if err != nil || ok {
				return ok, err
			}
		}
		return false, nil
	case r.not != nil:
		ok, err := fr.evalRule(e, r.not, in)
		return !ok && err == nil, err
	}
	v, err := e.resolve(r.variable, in)
	present := err == nil
	if err != nil && !errors.Is(err, jsonpath.ErrNotFound) {
		return false, err
	}
	if r.op == "IsPresent" {
		return present == r.operand.(bool), nil
	}
	if !present {
		return false, e.failf(ErrRuntime, "Invalid path '%s': The choice state's condition path references an invalid value.", r.variable)
	}
	operand := r.operand
	opTime := r.operandTime
	if r.operandPath != nil {
		ov, err := e.resolve(r.operandPath, in)
		if err != nil {
			if errors.Is(err, jsonpath.ErrNotFound) {
				return false, e.failf(ErrRuntime, "Invalid path '%s': The choice state's condition path references an invalid value.", r.operandPath)
			}
			return false, err
		}
		operand = ov
		if strings.HasPrefix(r.op, "Timestamp") {
			s, ok := ov.(string)
			if !ok {
				return false, nil
			}
			t, err := parseTimestamp(s)
			if err != nil {
				return false, nil
			}
			opTime = t
		}
	}
	return compare(r.op, v, operand, opTime), nil
}

func compare(op string, v, operand any, opTime time.Time) bool {
	switch op {
	case "IsNull":
		return (v == nil) == operand.(bool)
	case "IsNumeric":
		_, ok := v.(float64)
		return ok == operand.(bool)
	case "IsString":
		_, ok := v.(string)
		return ok == operand.(bool)
	case "IsBoolean":
		_, ok := v.(bool)
		return ok == operand.(bool)
	case "IsTimestamp":
		s, ok := v.(string)
		if ok {
			_, err := parseTimestamp(s)
			ok = err == nil
		}
		return ok == operand.(bool)
	case "BooleanEquals":
		a, ok1 := v.(bool)
		b, ok2 := operand.(bool)
		return ok1 && ok2 && a == b
	}
	switch {
	case strings.HasPrefix(op, "String"):
		a, ok1 := v.(string)
		b, ok2 := operand.(string)
		if !ok1 || !ok2 {
			return false
		}
		if op == "StringMatches" {
			return wildcardMatch(b, a)
		}
		return ordered(strings.TrimPrefix(op, "String"), a, b)
	case strings.HasPrefix(op, "Numeric"):
		a, ok1 := v.(float64)
		b, ok2 := operand.(float64)
		if !ok1 || !ok2 {
			return false
		}
		return ordered(strings.TrimPrefix(op, "Numeric"), a, b)
	case strings.HasPrefix(op, "Timestamp"):
		s, ok := v.(string)
		if !ok {
			return false
		}
		a, err := parseTimestamp(s)
		if err != nil {
			return false
		}
		// compare the instants by the sign of Compare
		return ordered(strings.TrimPrefix(op, "Timestamp"), a.Compare(opTime), 0)
	}
	return false
}

// ordered applies the relation named by a comparison operator without its
// type prefix ("Equals", "LessThan", "GreaterThan", "LessThanEquals" or
// "GreaterThanEquals") to a and b; any other name is false.
func ordered[T cmp.Ordered](rel string, a, b T) bool {
	switch rel {
	case "Equals":
		return a == b
	case "LessThan":
		return a < b
	case "GreaterThan":
		return a > b
	case "LessThanEquals":
		return a <= b
	case "GreaterThanEquals":
		return a >= b
	}
	return false
}

// wildcardMatch matches s against a StringMatches pattern: '*' matches any
// run of characters; "\*" is a literal star and "\\" a literal backslash.
func wildcardMatch(pattern, s string) bool {
	type tok struct {
		star bool
		c    rune
	}
	var toks []tok
	rs := []rune(pattern)
	for i := 0; i < len(rs); i++ {
		if rs[i] == '\\' && i+1 < len(rs) && (rs[i+1] == '*' || rs[i+1] == '\\') {
			toks = append(toks, tok{c: rs[i+1]})
			i++
			continue
		}
		if rs[i] == '*' {
			toks = append(toks, tok{star: true})
			continue
		}
		toks = append(toks, tok{c: rs[i]})
	}
	str := []rune(s)
	// Iterative matching with backtracking to the last star.
	ti, si := 0, 0
	starTi, starSi := -1, 0
	for si < len(str) {
		switch {
		case ti < len(toks) && !toks[ti].star && toks[ti].c == str[si]:
			ti++
			si++
		case ti < len(toks) && toks[ti].star:
			starTi, starSi = ti, si
			ti++
		case starTi >= 0:
			ti = starTi + 1
			starSi++
			si = starSi
		default:
			return false
		}
	}
	for ti < len(toks) && toks[ti].star {
		ti++
	}
	return ti == len(toks)
}
