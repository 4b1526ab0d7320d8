package jsonata

import "fmt"

// process turns the raw parse tree into the evaluation tree: dotted
// expressions become paths of steps, predicates become stages of their step,
// and focus/index bindings mark the steps that build tuple streams.
func process(n *node) (*node, error) {
	var r *node
	var err error
	switch n.kind {
	case kDot:
		lstep, err := process(n.lhs)
		if err != nil {
			return nil, err
		}
		if lstep.kind == kPath {
			r = lstep
		} else {
			r = &node{kind: kPath, pos: lstep.pos, steps: []*node{lstep}}
		}
		rest, err := process(n.rhs)
		if err != nil {
			return nil, err
		}
		if rest.kind == kPath {
			r.steps = append(r.steps, rest.steps...)
		} else {
			if rest.predicates != nil {
				for _, p := range rest.predicates {
					rest.stages = append(rest.stages, stage{filter: p, pos: p.pos})
				}
				rest.predicates = nil
			}
			r.steps = append(r.steps, rest)
		}
		for _, s := range r.steps {
			switch s.kind {
			case kNumber, kValue:
				return nil, &Error{Code: "S0213", Position: s.pos, Message: "a literal value cannot be used as a step within a path expression"}
			case kString:
				s.kind = kName
			}
			if s.keepArray {
				r.keepSingleton = true
			}
		}
		if first := r.steps[0]; first.kind == kArray {
			first.consArray = true
		}
		if last := r.steps[len(r.steps)-1]; last.kind == kArray {
			last.consArray = true
		}
	case kFilter:
		if r, err = process(n.lhs); err != nil {
			return nil, err
		}
		step, isPath := r, false
		if r.kind == kPath {
			step, isPath = r.steps[len(r.steps)-1], true
		}
		if step.group != nil {
			return nil, &Error{Code: "S0209", Position: n.pos, Message: "a predicate cannot follow a grouping expression in a step"}
		}
		pred, err := process(n.rhs)
		if err != nil {
			return nil, err
		}
		if isPath {
			step.stages = append(step.stages, stage{filter: pred, pos: n.pos})
		} else {
			step.predicates = append(step.predicates, pred)
		}
	case kGroup:
		if r, err = process(n.lhs); err != nil {
			return nil, err
		}
		if r.group != nil {
			return nil, &Error{Code: "S0210", Position: n.pos, Message: "each step can only have one grouping expression"}
		}
		g := &groupSpec{pos: n.pos}
		if g.pairs, err = processPairs(n.pairs); err != nil {
			return nil, err
		}
		r.group = g
	case kOrder:
		if r, err = process(n.lhs); err != nil {
			return nil, err
		}
		if r.kind != kPath {
			r = &node{kind: kPath, pos: r.pos, steps: []*node{r}}
		}
		s := &node{kind: kSort, pos: n.pos}
		for _, t := range n.terms {
			e, err := process(t.expr)
			if err != nil {
				return nil, err
			}
			s.terms = append(s.terms, sortTerm{desc: t.desc, expr: e})
		}
		r.steps = append(r.steps, s)
	case kFocus:
		if r, err = process(n.lhs); err != nil {
			return nil, err
		}
		step := r
		if r.kind == kPath {
			step = r.steps[len(r.steps)-1]
		}
		if step.stages != nil || step.predicates != nil {
			return nil, &Error{Code: "S0215", Position: n.pos, Message: "a context variable binding must precede any predicates on a step"}
		}
		if step.kind == kSort {
			return nil, &Error{Code: "S0216", Position: n.pos, Message: "a context variable binding must precede the 'order-by' clause on a step"}
		}
		if n.keepArray {
			step.keepArray = true
		}
		step.focus, step.tuple = n.rhs.str, true
	case kIndex:
		if r, err = process(n.lhs); err != nil {
			return nil, err
		}
		step := r
		if r.kind == kPath {
			step = r.steps[len(r.steps)-1]
		} else {
			r = &node{kind: kPath, pos: r.pos, steps: []*node{r}}
			for _, p := range step.predicates {
				step.stages = append(step.stages, stage{filter: p, pos: p.pos})
			}
			step.predicates = nil
		}
		if step.stages == nil {
			step.index = n.rhs.str
		} else {
			step.stages = append(step.stages, stage{index: n.rhs.str, pos: n.pos})
		}
		step.tuple = true
	case kBinary, kApply, kBind:
		r = &node{kind: n.kind, pos: n.pos, op: n.op}
		if n.kind == kBind {
			r.lhs = n.lhs
		} else if r.lhs, err = process(n.lhs); err != nil {
			return nil, err
		}
		if r.rhs, err = process(n.rhs); err != nil {
			return nil, err
		}
	case kNeg:
		e, err := process(n.expr)
		if err != nil {
			return nil, err
		}
		if e.kind == kNumber {
			e.num = -e.num
			r = e
		} else {
			r = &node{kind: kNeg, pos: n.pos, expr: e}
		}
	case kArray, kBlock:
		r = &node{kind: n.kind, pos: n.pos}
		for _, e := range n.exprs {
			pe, err := process(e)
			if err != nil {
				return nil, err
			}
			r.exprs = append(r.exprs, pe)
			if n.kind == kBlock && (pe.consArray || (pe.kind == kPath && pe.steps[0].consArray)) {
				r.consArray = true
			}
		}
	case kObject:
		r = &node{kind: kObject, pos: n.pos}
		if r.pairs, err = processPairs(n.pairs); err != nil {
			return nil, err
		}
	case kName:
		r = &node{kind: kPath, pos: n.pos, steps: []*node{n}, keepSingleton: n.keepArray}
	case kCall, kPartial:
		r = &node{kind: n.kind, pos: n.pos}
		if r.lhs, err = process(n.lhs); err != nil {
			return nil, err
		}
		for _, a := range n.exprs {
			pa, err := process(a)
			if err != nil {
				return nil, err
			}
			r.exprs = append(r.exprs, pa)
		}
	case kLambda:
		r = &node{kind: kLambda, pos: n.pos, params: n.params, sig: n.sig}
		if r.body, err = process(n.body); err != nil {
			return nil, err
		}
	case kCondition:
		r = &node{kind: kCondition, pos: n.pos}
		if r.cond, err = process(n.cond); err != nil {
			return nil, err
		}
		if r.then, err = process(n.then); err != nil {
			return nil, err
		}
		if n.els != nil {
			if r.els, err = process(n.els); err != nil {
				return nil, err
			}
		}
	case kTransform:
		r = &node{kind: kTransform, pos: n.pos}
		if r.pattern, err = process(n.pattern); err != nil {
			return nil, err
		}
		if r.update, err = process(n.update); err != nil {
			return nil, err
		}
		if n.del != nil {
			if r.del, err = process(n.del); err != nil {
				return nil, err
			}
		}
	case kParent:
		return nil, &Error{Code: "S0217", Position: n.pos, Token: "%", Message: "the parent operator % is not supported by this evaluator"}
	default:
		r = n
	}
	if n.keepArray {
		r.keepArray = true
	}
	return r, nil
}

func processPairs(in []pair) ([]pair, error) {
	out := make([]pair, 0, len(in))
	for _, p := range in {
		k, err := process(p.key)
		if err != nil {
			return nil, err
		}
		v, err := process(p.val)
		if err != nil {
			return nil, err
		}
		out = append(out, pair{k, v})
	}
	return out, nil
}

var _ = fmt.Sprintf
