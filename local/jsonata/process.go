package jsonata

import "fmt"

// slot is a request of the parent operator % for an ancestor value: level
// counts how many steps up the ancestor is, label names the tuple binding
// that will hold it.
type slot struct {
	label string
	level int
	index int
}

// processor turns the raw parse tree into the evaluation tree: dotted
// expressions become paths of steps, predicates become stages of their
// step, focus/index bindings and parent references mark the steps that
// build tuple streams.
type processor struct {
	ancestry []*node // parent operator nodes, by slot index
}

func process(raw *node) (*node, error) {
	pr := &processor{}
	r, err := pr.process(raw)
	if err != nil {
		return nil, err
	}
	if r.kind == kParent || len(r.seeking) > 0 {
		return nil, &Error{Code: "S0217", Position: r.pos, Token: "%", Message: "the object representing the parent (%) cannot be derived from this expression"}
	}
	return r, nil
}

// tailCallOptimize wraps the calls in tail position of a lambda body in
// thunks, which apply evaluates in a loop instead of recursing.
func tailCallOptimize(n *node) *node {
	if len(n.predicates) > 0 || n.group != nil || n.keepArray {
		return n
	}
	switch n.kind {
	case kCall:
		return &node{kind: kLambda, thunk: true, pos: n.pos, body: n}
	case kCondition:
		n.then = tailCallOptimize(n.then)
		if n.els != nil {
			n.els = tailCallOptimize(n.els)
		}
	case kBlock:
		if len(n.exprs) > 0 {
			n.exprs[len(n.exprs)-1] = tailCallOptimize(n.exprs[len(n.exprs)-1])
		}
	}
	return n
}

// pushAncestry passes unresolved parent requests of value up to result.
func pushAncestry(result, value *node) {
	if len(value.seeking) == 0 && value.kind != kParent {
		return
	}
	slots := append([]*slot(nil), value.seeking...)
	if value.kind == kParent {
		slots = append(slots, value.slot)
	}
	result.seeking = append(result.seeking, slots...)
}

// seekParent walks one step of an ancestor search back through n.
func (pr *processor) seekParent(n *node, s *slot) (*slot, error) {
	switch n.kind {
	case kName, kWildcard:
		s.level--
		if s.level == 0 {
			if n.ancestor == nil {
				n.ancestor = s
			} else {
				// share the label already bound at this step
				pr.ancestry[s.index].slot.label = n.ancestor.label
				n.ancestor = s
			}
			n.tuple = true
		}
	case kParent:
		s.level++
	case kBlock:
		if len(n.exprs) > 0 {
			n.tuple = true
			return pr.seekParent(n.exprs[len(n.exprs)-1], s)
		}
	case kPath:
		n.tuple = true
		i := len(n.steps) - 1
		var err error
		if s, err = pr.seekParent(n.steps[i], s); err != nil {
			return nil, err
		}
		i--
		for s.level > 0 && i >= 0 {
			if s, err = pr.seekParent(n.steps[i], s); err != nil {
				return nil, err
			}
			i--
		}
	default:
		return nil, &Error{Code: "S0217", Position: n.pos, Token: "%", Message: "the object representing the parent (%) cannot be derived from this expression"}
	}
	return s, nil
}

// resolveAncestry resolves the parent requests of a path's last step
// against the steps before it; what cannot be resolved is passed up.
func (pr *processor) resolveAncestry(path *node) error {
	last := path.steps[len(path.steps)-1]
	slots := append([]*slot(nil), last.seeking...)
	if last.kind == kParent {
		slots = append(slots, last.slot)
	}
	for _, s := range slots {
		idx := len(path.steps) - 2
		for s.level > 0 {
			if idx < 0 {
				path.seeking = append(path.seeking, s)
				break
			}
			step := path.steps[idx]
			idx--
			// contiguous steps that bind the focus are skipped
			for idx >= 0 && step.focus != "" && path.steps[idx].focus != "" {
				step = path.steps[idx]
				idx--
			}
			var err error
			if s, err = pr.seekParent(step, s); err != nil {
				return err
			}
		}
	}
	return nil
}

func (pr *processor) process(n *node) (*node, error) {
	var r *node
	var err error
	switch n.kind {
	case kDot:
		lstep, err := pr.process(n.lhs)
		if err != nil {
			return nil, err
		}
		if lstep.kind == kPath {
			r = lstep
		} else {
			r = &node{kind: kPath, pos: lstep.pos, steps: []*node{lstep}}
		}
		if lstep.kind == kParent {
			r.seeking = []*slot{lstep.slot}
		}
		rest, err := pr.process(n.rhs)
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
		if err := pr.resolveAncestry(r); err != nil {
			return nil, err
		}
	case kFilter:
		if r, err = pr.process(n.lhs); err != nil {
			return nil, err
		}
		step, isPath := r, false
		if r.kind == kPath {
			step, isPath = r.steps[len(r.steps)-1], true
		}
		if step.group != nil {
			return nil, &Error{Code: "S0209", Position: n.pos, Message: "a predicate cannot follow a grouping expression in a step"}
		}
		pred, err := pr.process(n.rhs)
		if err != nil {
			return nil, err
		}
		if len(pred.seeking) > 0 {
			for _, s := range pred.seeking {
				if s.level == 1 {
					if _, err := pr.seekParent(step, s); err != nil {
						return nil, err
					}
				} else {
					s.level--
				}
			}
			pushAncestry(step, pred)
		}
		if isPath {
			step.stages = append(step.stages, stage{filter: pred, pos: n.pos})
		} else {
			step.predicates = append(step.predicates, pred)
		}
	case kGroup:
		if r, err = pr.process(n.lhs); err != nil {
			return nil, err
		}
		if r.group != nil {
			return nil, &Error{Code: "S0210", Position: n.pos, Message: "each step can only have one grouping expression"}
		}
		g := &groupSpec{pos: n.pos}
		for _, p := range n.pairs {
			k, err := pr.process(p.key)
			if err != nil {
				return nil, err
			}
			v, err := pr.process(p.val)
			if err != nil {
				return nil, err
			}
			g.pairs = append(g.pairs, pair{k, v})
		}
		r.group = g
	case kOrder:
		if r, err = pr.process(n.lhs); err != nil {
			return nil, err
		}
		if r.kind != kPath {
			r = &node{kind: kPath, pos: r.pos, steps: []*node{r}}
		}
		s := &node{kind: kSort, pos: n.pos}
		for _, t := range n.terms {
			e, err := pr.process(t.expr)
			if err != nil {
				return nil, err
			}
			pushAncestry(s, e)
			s.terms = append(s.terms, sortTerm{desc: t.desc, expr: e})
		}
		r.steps = append(r.steps, s)
		if err := pr.resolveAncestry(r); err != nil {
			return nil, err
		}
	case kFocus:
		if r, err = pr.process(n.lhs); err != nil {
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
		if r, err = pr.process(n.lhs); err != nil {
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
	case kBind:
		r = &node{kind: kBind, pos: n.pos, lhs: n.lhs}
		if r.rhs, err = pr.process(n.rhs); err != nil {
			return nil, err
		}
		pushAncestry(r, r.rhs)
	case kApply:
		r = &node{kind: kApply, pos: n.pos}
		if r.lhs, err = pr.process(n.lhs); err != nil {
			return nil, err
		}
		if r.rhs, err = pr.process(n.rhs); err != nil {
			return nil, err
		}
		r.keepArray = r.lhs.keepArray || r.rhs.keepArray
	case kBinary:
		r = &node{kind: kBinary, pos: n.pos, op: n.op}
		if r.lhs, err = pr.process(n.lhs); err != nil {
			return nil, err
		}
		if r.rhs, err = pr.process(n.rhs); err != nil {
			return nil, err
		}
		pushAncestry(r, r.lhs)
		pushAncestry(r, r.rhs)
	case kNeg:
		e, err := pr.process(n.expr)
		if err != nil {
			return nil, err
		}
		if e.kind == kNumber {
			e.num = -e.num
			r = e
		} else {
			r = &node{kind: kNeg, pos: n.pos, expr: e}
			pushAncestry(r, e)
		}
	case kArray, kBlock:
		r = &node{kind: n.kind, pos: n.pos}
		for _, e := range n.exprs {
			pe, err := pr.process(e)
			if err != nil {
				return nil, err
			}
			pushAncestry(r, pe)
			r.exprs = append(r.exprs, pe)
			if n.kind == kBlock && (pe.consArray || (pe.kind == kPath && pe.steps[0].consArray)) {
				r.consArray = true
			}
		}
	case kObject:
		r = &node{kind: kObject, pos: n.pos}
		for _, p := range n.pairs {
			k, err := pr.process(p.key)
			if err != nil {
				return nil, err
			}
			pushAncestry(r, k)
			v, err := pr.process(p.val)
			if err != nil {
				return nil, err
			}
			pushAncestry(r, v)
			r.pairs = append(r.pairs, pair{k, v})
		}
	case kName:
		r = &node{kind: kPath, pos: n.pos, steps: []*node{n}, keepSingleton: n.keepArray}
	case kCall, kPartial:
		r = &node{kind: n.kind, pos: n.pos}
		for _, a := range n.exprs {
			pa, err := pr.process(a)
			if err != nil {
				return nil, err
			}
			pushAncestry(r, pa)
			r.exprs = append(r.exprs, pa)
		}
		if r.lhs, err = pr.process(n.lhs); err != nil {
			return nil, err
		}
	case kLambda:
		r = &node{kind: kLambda, pos: n.pos, params: n.params, sig: n.sig}
		if r.body, err = pr.process(n.body); err != nil {
			return nil, err
		}
		r.body = tailCallOptimize(r.body)
	case kCondition:
		r = &node{kind: kCondition, pos: n.pos}
		if r.cond, err = pr.process(n.cond); err != nil {
			return nil, err
		}
		pushAncestry(r, r.cond)
		if r.then, err = pr.process(n.then); err != nil {
			return nil, err
		}
		pushAncestry(r, r.then)
		if n.els != nil {
			if r.els, err = pr.process(n.els); err != nil {
				return nil, err
			}
			pushAncestry(r, r.els)
		}
	case kTransform:
		r = &node{kind: kTransform, pos: n.pos}
		if r.pattern, err = pr.process(n.pattern); err != nil {
			return nil, err
		}
		if r.update, err = pr.process(n.update); err != nil {
			return nil, err
		}
		if n.del != nil {
			if r.del, err = pr.process(n.del); err != nil {
				return nil, err
			}
		}
	case kParent:
		r = &node{kind: kParent, pos: n.pos, slot: &slot{label: fmt.Sprintf("!%d", len(pr.ancestry)), level: 1, index: len(pr.ancestry)}}
		pr.ancestry = append(pr.ancestry, r)
	default:
		r = n
	}
	if n.keepArray {
		r.keepArray = true
	}
	return r, nil
}
