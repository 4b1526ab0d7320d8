package jsonata

import (
	"context"
	"fmt"
	"math"
	"time"
)

const (
	defaultMaxDepth = 15000
	defaultMaxSteps = 10_000_000
)

type env struct {
	vars   map[string]any
	parent *env
}

func (e *env) child() *env { return &env{parent: e} }

func (e *env) bind(name string, v any) {
	if e.vars == nil {
		e.vars = make(map[string]any, 4)
	}
	e.vars[name] = v
}

type evaluator struct {
	ctx      context.Context
	opts     EvalOptions
	root     any
	depth    int
	steps    int
	now      time.Time
	nowSet   bool
	maxDepth int
	maxSteps int
	// the caller's variables and the frame for top-level bindings, kept
	// here to save allocations
	top, frame env
}

func evaluateRoot(ctx context.Context, e *Expr, input any, vars map[string]any, opts EvalOptions) (res any, err error) {
	if ctx == nil {
		ctx = context.Background()
	}
	ev := &evaluator{ctx: ctx, opts: opts, maxDepth: opts.MaxDepth, maxSteps: opts.MaxSteps}
	if ev.maxDepth <= 0 {
		ev.maxDepth = defaultMaxDepth
	}
	if ev.maxSteps <= 0 {
		ev.maxSteps = defaultMaxSteps
	}
	input = canon(input)
	ev.root = input
	if a, ok := input.([]any); ok {
		input = &jarr{sequence: true, outerWrapper: true, items: []any{a}}
	}
	ev.top.vars = vars
	ev.frame.parent = &ev.top
	v, err := ev.eval(e.root, input, &ev.frame)
	if err != nil {
		return nil, err
	}
	return export(v), nil
}

func (ev *evaluator) clock() time.Time {
	if !ev.nowSet {
		if ev.opts.Now != nil {
			ev.now = ev.opts.Now()
		} else {
			ev.now = time.Now()
		}
		ev.nowSet = true
	}
	return ev.now
}

func errAt(n *node, code, token string, value any, format string, args ...any) *Error {
	pos := -1
	if n != nil {
		pos = n.pos
	}
	return &Error{Code: code, Position: pos, Token: token, Value: value, Message: fmt.Sprintf(format, args...)}
}

func (ev *evaluator) eval(n *node, input any, e *env) (any, error) {
	ev.steps++
	if ev.steps > ev.maxSteps {
		return nil, errAt(n, "U1002", "", nil, "evaluation exceeded %d steps", ev.maxSteps)
	}
	if ev.steps&1023 == 0 {
		if err := ev.ctx.Err(); err != nil {
			return nil, &Error{Code: "U1003", Position: n.pos, Message: "evaluation cancelled", Err: err}
		}
	}
	ev.depth++
	defer func() { ev.depth-- }()
	if ev.depth > ev.maxDepth {
		return nil, errAt(n, "U1001", "", nil, "stack overflow: evaluation nested deeper than %d", ev.maxDepth)
	}

	var res any
	var err error
	switch n.kind {
	case kPath:
		res, err = ev.evalPath(n, input, e)
	case kBinary:
		res, err = ev.evalBinary(n, input, e)
	case kNeg:
		res, err = ev.eval(n.expr, input, e)
		if err == nil && res != Undefined {
			f, ok := res.(float64)
			if !ok {
				return nil, errAt(n, "D1002", "-", res, "cannot negate a non-numeric value")
			}
			res = -f
		}
	case kArray:
		res, err = ev.evalArray(n, input, e)
	case kObject:
		res, err = ev.evalGroup(n.pairs, n, input, e)
	case kName:
		res = lookupField(input, n.str)
	case kString:
		res = n.str
	case kNumber:
		res = n.num
	case kValue:
		res = n.val
	case kWildcard:
		res = evalWildcard(input)
	case kDescendant:
		res = evalDescendants(input)
	case kCondition:
		var c any
		if c, err = ev.eval(n.cond, input, e); err != nil {
			return nil, err
		}
		if toBool(c) {
			res, err = ev.eval(n.then, input, e)
		} else if n.els != nil {
			res, err = ev.eval(n.els, input, e)
		} else {
			res = Undefined
		}
	case kBlock:
		frame := e.child()
		res = Undefined
		for _, x := range n.exprs {
			if res, err = ev.eval(x, input, frame); err != nil {
				return nil, err
			}
		}
	case kBind:
		if res, err = ev.eval(n.rhs, input, e); err != nil {
			return nil, err
		}
		e.bind(n.lhs.str, res)
	case kRegex:
		res = &regexFn{re: n.re, src: n.reSrc}
	case kCall:
		res, err = ev.evalCall(n, input, e, Undefined, false)
	case kPartial:
		res, err = ev.evalPartial(n, input, e)
	case kVariable:
		res = ev.lookupVar(n.str, input, e)
	case kParent:
		res = ev.lookupVar(n.slot.label, input, e)
	case kLambda:
		res = &lambdaFn{node: n, env: e, input: input}
	case kApply:
		res, err = ev.evalApply(n, input, e)
	case kTransform:
		res = &transformFn{node: n, env: e}
	case kSort:
		res, err = ev.evalSort(n, input, e)
	default:
		return nil, errAt(n, "S0201", "", nil, "unsupported expression")
	}
	if err != nil {
		return nil, err
	}
	for _, p := range n.predicates {
		if res, err = ev.evalFilter(p, res, e); err != nil {
			return nil, err
		}
	}
	if n.kind != kPath && n.group != nil {
		if res, err = ev.evalGroup(n.group.pairs, n, res, e); err != nil {
			return nil, err
		}
	}
	if a, ok := res.(*jarr); ok && a.sequence && !a.tupleStream {
		if n.keepArray {
			a.keepSingleton = true
		}
		switch len(a.items) {
		case 0:
			res = Undefined
		case 1:
			if !a.keepSingleton {
				res = a.items[0]
			}
		}
	}
	return res, nil
}

func (ev *evaluator) lookupVar(name string, input any, e *env) any {
	if name == "" {
		if a, ok := input.(*jarr); ok && a.outerWrapper && len(a.items) > 0 {
			return a.items[0]
		}
		return input
	}
	if name == "$" {
		return ev.root
	}
	for f := e; f != nil; f = f.parent {
		if v, ok := f.vars[name]; ok {
			return canon(v)
		}
	}
	if fn, ok := builtins[name]; ok {
		return fn
	}
	return Undefined
}

// lookupField is JSONata's field lookup, which maps over arrays and
// flattens the results.
func lookupField(input any, key string) any {
	switch x := input.(type) {
	case map[string]any:
		v, ok := x[key]
		if !ok {
			return Undefined
		}
		return canon(v)
	case *jobj:
		v, ok := x.m[key]
		if !ok {
			return Undefined
		}
		return v
	case *jarr, []any:
		items, _ := arrayItems(x)
		res := newSeq()
		for _, it := range items {
			v := lookupField(it, key)
			if v == Undefined {
				continue
			}
			if sub, ok := arrayItems(v); ok {
				res.items = append(res.items, sub...)
			} else {
				res.push(v)
			}
		}
		return res
	}
	return Undefined
}

func (ev *evaluator) evalPath(n *node, input any, e *env) (any, error) {
	// inputSeq is the sequence the next step maps over; while single is
	// set it is the one item input, which saves allocating a sequence.
	inputSeq, single := input, true
	if isArray(input) && n.steps[0].kind != kVariable {
		single = false
	}
	var result any = Undefined
	isTuple := false
	var tuples *jarr
	for i, step := range n.steps {
		if step.tuple {
			isTuple = true
		}
		var err error
		seq := func() any {
			if single {
				return newSeq(inputSeq)
			}
			return inputSeq
		}
		switch {
		case i == 0 && step.consArray:
			result, err = ev.eval(step, seq(), e)
		case isTuple:
			tuples, err = ev.evalTupleStep(step, seq(), tuples, e)
		case step.kind == kSort:
			result, err = ev.evalStep(step, seq(), false, e, i == len(n.steps)-1)
		default:
			result, err = ev.evalStep(step, inputSeq, single, e, i == len(n.steps)-1)
		}
		if err != nil {
			return nil, err
		}
		if !isTuple {
			if result == Undefined {
				break
			}
			if items, ok := arrayItems(result); ok && len(items) == 0 {
				break
			}
		}
		if step.focus == "" {
			inputSeq, single = result, !isArray(result)
		}
	}
	if isTuple {
		if n.tuple {
			result = tuples
		} else {
			seq := newSeq()
			if tuples != nil {
				for _, t := range tuples.items {
					seq.push(asTuple(t)["@"])
				}
			}
			result = seq
		}
	}
	if n.keepSingleton {
		switch r := result.(type) {
		case *jarr:
			if r.cons && !r.sequence {
				result = &jarr{sequence: true, items: r.items, keepSingleton: true}
			} else {
				r.keepSingleton = true
			}
		case []any:
			// a plain input array: leave as is
		default:
			if r != Undefined {
				result = &jarr{sequence: true, items: []any{r}, keepSingleton: true}
			}
		}
	}
	if n.group != nil {
		var src any = result
		if isTuple {
			src = tuples
			if tuples == nil {
				src = &jarr{sequence: true, tupleStream: true}
			}
		}
		return ev.evalGroup(n.group.pairs, n, src, e)
	}
	return result, nil
}

// evalStep maps a path step over input (the single item input when single
// is set) and flattens the results into a sequence. A single non-array
// result is returned as it is: it stands for a sequence of one.
func (ev *evaluator) evalStep(step *node, input any, single bool, e *env, last bool) (any, error) {
	if step.kind == kSort {
		res, err := ev.evalSort(step, input, e)
		if err != nil {
			return nil, err
		}
		return ev.evalStages(step.stages, res, e)
	}
	var one [1]any
	var items []any
	if single {
		one[0] = input
		items = one[:]
	} else if items, single = arrayItems(input); !single {
		one[0] = input
		items = one[:]
	}
	var buf [1]any
	results := buf[:0]
	if len(items) > 1 {
		results = make([]any, 0, len(items))
	}
	for _, it := range items {
		res, err := ev.eval(step, it, e)
		if err != nil {
			return nil, err
		}
		for _, st := range step.stages {
			if st.filter != nil {
				if res, err = ev.evalFilter(st.filter, res, e); err != nil {
					return nil, err
				}
			}
		}
		if res != Undefined {
			results = append(results, res)
		}
	}
	if len(results) == 1 {
		switch a := results[0].(type) {
		case []any:
			if last {
				return a, nil
			}
		case *jarr:
			if last && !a.sequence {
				return a, nil
			}
		default:
			return a, nil
		}
	}
	out := &jarr{sequence: true, items: make([]any, 0, len(results))}
	for _, r := range results {
		if a, ok := r.(*jarr); ok && a.cons {
			out.push(r)
			continue
		}
		if sub, ok := arrayItems(r); ok {
			out.items = append(out.items, sub...)
			continue
		}
		out.push(r)
	}
	return out, nil
}

func (ev *evaluator) evalStages(stages []stage, input any, e *env) (any, error) {
	res := input
	for _, st := range stages {
		if st.filter != nil {
			var err error
			if res, err = ev.evalFilter(st.filter, res, e); err != nil {
				return nil, err
			}
			continue
		}
		if a, ok := res.(*jarr); ok {
			for i, it := range a.items {
				if t, ok := it.(tuple); ok {
					t[st.index] = float64(i)
				}
			}
		}
	}
	return res, nil
}

// asTuple returns v as a tuple; a value that is not one becomes the
// context item of a new tuple.
func asTuple(v any) tuple {
	if t, ok := v.(tuple); ok {
		return t
	}
	return tuple{"@": v}
}

func tupleEnv(e *env, t tuple) *env {
	f := &env{parent: e, vars: make(map[string]any, len(t))}
	for k, v := range t {
		f.vars[k] = v
	}
	return f
}

func (ev *evaluator) evalTupleStep(step *node, input any, tuples *jarr, e *env) (*jarr, error) {
	if step.kind == kSort {
		var result *jarr
		if tuples != nil {
			r, err := ev.evalSort(step, tuples, e)
			if err != nil {
				return nil, err
			}
			result = toJarr(r)
			result.tupleStream = true
		} else {
			sorted, err := ev.evalSort(step, input, e)
			if err != nil {
				return nil, err
			}
			items, _ := arrayItems(sorted)
			result = &jarr{sequence: true, tupleStream: true}
			for i, it := range items {
				t := tuple{"@": it}
				if step.index != "" {
					t[step.index] = float64(i)
				}
				result.push(t)
			}
		}
		r, err := ev.evalStages(step.stages, result, e)
		if err != nil {
			return nil, err
		}
		return toJarr(r), nil
	}
	result := &jarr{sequence: true, tupleStream: true}
	if tuples == nil {
		items, ok := arrayItems(input)
		if !ok {
			items = []any{input}
		}
		tuples = &jarr{sequence: true, tupleStream: true}
		for _, it := range items {
			tuples.push(tuple{"@": it})
		}
	}
	for _, tv := range tuples.items {
		tb := asTuple(tv)
		res, err := ev.eval(step, tb["@"], tupleEnv(e, tb))
		if err != nil {
			return nil, err
		}
		if res == Undefined {
			continue
		}
		resItems, isArr := arrayItems(res)
		resIsTuples := false
		if ra, ok := res.(*jarr); ok && ra.tupleStream {
			resIsTuples = true
		}
		if !isArr {
			resItems = []any{res}
		}
		for bb, rv := range resItems {
			t := make(tuple, len(tb)+2)
			for k, v := range tb {
				t[k] = v
			}
			if resIsTuples {
				for k, v := range asTuple(rv) {
					t[k] = v
				}
			} else {
				if step.focus != "" {
					t[step.focus] = rv
					t["@"] = tb["@"]
				} else {
					t["@"] = rv
				}
				if step.index != "" {
					t[step.index] = float64(bb)
				}
				if step.ancestor != nil {
					t[step.ancestor.label] = tb["@"]
				}
			}
			result.push(t)
		}
	}
	r, err := ev.evalStages(step.stages, result, e)
	if err != nil {
		return nil, err
	}
	return toJarr(r), nil
}

func toJarr(v any) *jarr {
	switch a := v.(type) {
	case *jarr:
		return a
	case []any:
		return &jarr{items: a}
	}
	if v == Undefined {
		return &jarr{sequence: true}
	}
	return newSeq(v)
}

func (ev *evaluator) evalFilter(pred *node, input any, e *env) (any, error) {
	results := &jarr{sequence: true}
	if a, ok := input.(*jarr); ok && a.tupleStream {
		results.tupleStream = true
	}
	items, ok := arrayItems(input)
	if !ok {
		if input == Undefined {
			items = []any{Undefined}
		} else {
			items = []any{input}
		}
	}
	if pred.kind == kNumber {
		idx := int(math.Floor(pred.num))
		if idx < 0 {
			idx += len(items)
		}
		if idx >= 0 && idx < len(items) {
			item := items[idx]
			if item != Undefined {
				if isArray(item) {
					return item, nil
				}
				results.push(item)
			}
		}
		return results, nil
	}
	for index, item := range items {
		ctxItem, fenv := item, e
		if results.tupleStream {
			t := asTuple(item)
			ctxItem, fenv = t["@"], tupleEnv(e, t)
		}
		res, err := ev.eval(pred, ctxItem, fenv)
		if err != nil {
			return nil, err
		}
		if isNumber(res) {
			res = []any{res}
		}
		if nums, ok := arrayOfNumbers(res); ok {
			for _, f := range nums {
				ii := int(math.Floor(f))
				if ii < 0 {
					ii += len(items)
				}
				if ii == index {
					results.push(item)
				}
			}
		} else if toBool(res) {
			results.push(item)
		}
	}
	return results, nil
}

func arrayOfNumbers(v any) ([]float64, bool) {
	items, ok := arrayItems(v)
	if !ok {
		return nil, false
	}
	out := make([]float64, 0, len(items))
	for _, it := range items {
		f, ok := it.(float64)
		if !ok {
			return nil, false
		}
		out = append(out, f)
	}
	return out, true
}

func evalWildcard(input any) any {
	res := newSeq()
	if a, ok := input.(*jarr); ok && a.outerWrapper && len(a.items) > 0 {
		input = a.items[0]
	}
	if items, ok := arrayItems(input); ok {
		for _, it := range items {
			if sub, ok := arrayItems(it); ok {
				res.items = append(res.items, flatten(sub, nil)...)
			} else {
				res.push(it)
			}
		}
		return res
	}
	if isObject(input) {
		for _, k := range objectKeys(input) {
			v, _ := objectGet(input, k)
			if sub, ok := arrayItems(v); ok {
				res.items = append(res.items, flatten(sub, nil)...)
			} else {
				res.push(v)
			}
		}
	}
	return res
}

func flatten(items []any, acc []any) []any {
	for _, it := range items {
		if sub, ok := arrayItems(it); ok {
			acc = flatten(sub, acc)
		} else {
			acc = append(acc, it)
		}
	}
	return acc
}

func evalDescendants(input any) any {
	if input == Undefined {
		return Undefined
	}
	res := newSeq()
	recurseDescendants(input, res)
	if len(res.items) == 1 {
		return res.items[0]
	}
	return res
}

func recurseDescendants(input any, res *jarr) {
	if items, ok := arrayItems(input); ok {
		for _, it := range items {
			recurseDescendants(it, res)
		}
		return
	}
	res.push(input)
	if isObject(input) {
		for _, k := range objectKeys(input) {
			v, _ := objectGet(input, k)
			recurseDescendants(v, res)
		}
	}
}

func (ev *evaluator) evalArray(n *node, input any, e *env) (any, error) {
	res := &jarr{cons: n.consArray, items: make([]any, 0, len(n.exprs))}
	for _, x := range n.exprs {
		v, err := ev.eval(x, input, e)
		if err != nil {
			return nil, err
		}
		if v == Undefined {
			continue
		}
		if x.kind == kArray {
			res.push(v)
			continue
		}
		if sub, ok := arrayItems(v); ok {
			res.items = append(res.items, sub...)
		} else {
			res.push(v)
		}
	}
	return res, nil
}

// evalGroup implements object constructors, both stand-alone and as a
// group-by clause applied to the result of an expression.
func (ev *evaluator) evalGroup(pairs []pair, n *node, input any, e *env) (any, error) {
	result := newObj(len(pairs))
	type group struct {
		data      any
		exprIndex int
	}
	groups := map[string]*group{}
	var order []string
	reduce := false
	if a, ok := input.(*jarr); ok && a.tupleStream {
		reduce = true
	}
	items, ok := arrayItems(input)
	if !ok {
		items = []any{input}
	}
	if len(items) == 0 {
		items = []any{Undefined}
	}
	for _, item := range items {
		ctxItem, genv := item, e
		if reduce {
			t := asTuple(item)
			ctxItem, genv = t["@"], tupleEnv(e, t)
		}
		for pi, p := range pairs {
			k, err := ev.eval(p.key, ctxItem, genv)
			if err != nil {
				return nil, err
			}
			if k == Undefined {
				continue
			}
			ks, ok := k.(string)
			if !ok {
				return nil, errAt(n, "T1003", "", k, "key in object structure must evaluate to a string; got: %s", describe(k))
			}
			if g, ok := groups[ks]; ok {
				if g.exprIndex != pi {
					return nil, errAt(n, "D1009", "", ks, "multiple key definitions evaluate to same key: %q", ks)
				}
				g.data = appendValues(g.data, item)
			} else {
				groups[ks] = &group{data: item, exprIndex: pi}
				order = append(order, ks)
			}
		}
	}
	for _, k := range order {
		g := groups[k]
		ctxItem, genv := g.data, e
		if reduce {
			t := reduceTuples(g.data)
			ctxItem = t["@"]
			delete(t, "@")
			genv = tupleEnv(e, t)
		}
		v, err := ev.eval(pairs[g.exprIndex].val, ctxItem, genv)
		if err != nil {
			return nil, err
		}
		if v != Undefined {
			result.set(k, v)
		}
	}
	return result, nil
}

// reduceTuples merges a group of tuples: each binding becomes the
// sequence of its values.
func reduceTuples(data any) tuple {
	items, ok := arrayItems(data)
	if !ok {
		t := asTuple(data)
		out := make(tuple, len(t))
		for k, v := range t {
			out[k] = v
		}
		return out
	}
	out := tuple{}
	first := asTuple(items[0])
	for k, v := range first {
		out[k] = v
	}
	for _, it := range items[1:] {
		for k, v := range asTuple(it) {
			out[k] = appendValues(out[k], v)
		}
	}
	return out
}

// appendValues is $append: it concatenates values, treating non-arrays as
// arrays of one.
func appendValues(a, b any) any {
	if a == Undefined {
		return b
	}
	if b == Undefined {
		return a
	}
	out := &jarr{}
	if items, ok := arrayItems(a); ok {
		out.items = append(out.items, items...)
	} else {
		out.push(a)
	}
	if items, ok := arrayItems(b); ok {
		out.items = append(out.items, items...)
	} else {
		out.push(b)
	}
	return out
}

func (ev *evaluator) evalSort(n *node, input any, e *env) (any, error) {
	items, ok := arrayItems(input)
	if !ok {
		if input == Undefined {
			return Undefined, nil
		}
		items = []any{input}
	}
	isTuple := false
	if a, ok := input.(*jarr); ok && a.tupleStream {
		isTuple = true
	}
	cmp := func(a, b any) (bool, error) {
		comp := 0
		for _, term := range n.terms {
			ca, ea := a, e
			cb, eb := b, e
			if isTuple {
				ca, ea = asTuple(a)["@"], tupleEnv(e, asTuple(a))
				cb, eb = asTuple(b)["@"], tupleEnv(e, asTuple(b))
			}
			av, err := ev.eval(term.expr, ca, ea)
			if err != nil {
				return false, err
			}
			bv, err := ev.eval(term.expr, cb, eb)
			if err != nil {
				return false, err
			}
			if av == Undefined {
				if bv == Undefined {
					comp = 0
				} else {
					comp = 1
				}
				if comp != 0 {
					break
				}
				continue
			}
			if bv == Undefined {
				comp = -1
				break
			}
			c, err := compareSortable(n, av, bv)
			if err != nil {
				return false, err
			}
			if term.desc {
				c = -c
			}
			comp = c
			if comp != 0 {
				break
			}
		}
		return comp == 1, nil
	}
	sorted, err := mergeSort(items, cmp)
	if err != nil {
		return nil, err
	}
	return &jarr{sequence: true, tupleStream: isTuple, items: sorted}, nil
}

func compareSortable(n *node, a, b any) (int, error) {
	const notSortable = "the expressions within an order-by clause must evaluate to numeric or string values"
	switch x := a.(type) {
	case float64:
		if y, ok := b.(float64); ok {
			switch {
			case x < y:
				return -1, nil
			case x > y:
				return 1, nil
			}
			return 0, nil
		}
	case string:
		if y, ok := b.(string); ok {
			return compareStrings(x, y), nil
		}
	default:
		return 0, errAt(n, "T2008", "", a, notSortable)
	}
	// a is a number or a string and b is not of the same type
	switch b.(type) {
	case float64, string:
		return 0, errAt(n, "T2007", "", b, "type mismatch when comparing values %s and %s in order-by clause", describe(a), describe(b))
	}
	return 0, errAt(n, "T2008", "", b, notSortable)
}

// mergeSort is a stable sort driven by a "greater than" predicate that may
// fail.
func mergeSort(items []any, greater func(a, b any) (bool, error)) ([]any, error) {
	if len(items) <= 1 {
		return append([]any(nil), items...), nil
	}
	mid := len(items) / 2
	l, err := mergeSort(items[:mid], greater)
	if err != nil {
		return nil, err
	}
	r, err := mergeSort(items[mid:], greater)
	if err != nil {
		return nil, err
	}
	out := make([]any, 0, len(items))
	i, j := 0, 0
	for i < len(l) && j < len(r) {
		g, err := greater(l[i], r[j])
		if err != nil {
			return nil, err
		}
		if g {
			out = append(out, r[j])
			j++
		} else {
			out = append(out, l[i])
			i++
		}
	}
	out = append(out, l[i:]...)
	return append(out, r[j:]...), nil
}
