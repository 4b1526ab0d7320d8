package jsonata

import (
	"regexp"
)

// callable is a JSONata function value.
type callable interface{ arity() int }

type lambdaFn struct {
	node  *node
	env   *env
	input any
}

func (l *lambdaFn) arity() int { return len(l.node.params) }

// call describes one invocation of a native function.
type call struct {
	input any  // the context value at the call site
	env   *env // the environment at the call site
	at    *node
	name  string
}

type nativeFn struct {
	name string
	sig  *signature
	ar   int // the number of arguments higher-order functions pass
	impl func(ev *evaluator, c *call, args []any) (any, error)
}

func (f *nativeFn) arity() int { return f.ar }

type placeholder struct{}

type partialFn struct {
	fn    callable
	args  []any // placeholder{} marks a hole
	holes int
}

func (p *partialFn) arity() int { return p.holes }

type chainFn struct{ f, g callable }

func (*chainFn) arity() int { return 1 }

type regexFn struct {
	re  *regexp.Regexp
	src string
}

func (*regexFn) arity() int { return 1 }

type transformFn struct {
	node *node
	env  *env
}

func (*transformFn) arity() int { return 1 }

func procName(n *node) string {
	switch n.kind {
	case kVariable:
		return n.str
	case kPath:
		if len(n.steps) > 0 {
			return n.steps[0].str
		}
	}
	return ""
}

func (ev *evaluator) evalCall(n *node, input any, e *env, applyTo any, hasApplyTo bool) (any, error) {
	proc, err := ev.eval(n.lhs, input, e)
	if err != nil {
		return nil, err
	}
	name := procName(n.lhs)
	fn, ok := proc.(callable)
	if !ok {
		if n.lhs.kind == kPath {
			if _, isBuiltin := builtins[name]; isBuiltin {
				return nil, errAt(n, "T1005", name, nil, "attempted to invoke a non-function; did you mean $%s?", name)
			}
		}
		return nil, errAt(n, "T1006", name, nil, "attempted to invoke a non-function")
	}
	args := make([]any, 0, len(n.exprs)+1)
	if hasApplyTo {
		args = append(args, applyTo)
	}
	for _, a := range n.exprs {
		v, err := ev.eval(a, input, e)
		if err != nil {
			return nil, err
		}
		args = append(args, v)
	}
	return ev.apply(fn, args, input, e, n, name)
}

func (ev *evaluator) evalPartial(n *node, input any, e *env) (any, error) {
	p := &partialFn{}
	for _, a := range n.exprs {
		if a.kind == kPlaceholder {
			p.args = append(p.args, placeholder{})
			p.holes++
			continue
		}
		v, err := ev.eval(a, input, e)
		if err != nil {
			return nil, err
		}
		p.args = append(p.args, v)
	}
	proc, err := ev.eval(n.lhs, input, e)
	if err != nil {
		return nil, err
	}
	fn, ok := proc.(callable)
	if !ok {
		name := procName(n.lhs)
		if n.lhs.kind == kPath {
			if _, isBuiltin := builtins[name]; isBuiltin {
				return nil, errAt(n, "T1007", name, nil, "attempted to partially apply a non-function; did you mean $%s?", name)
			}
		}
		return nil, errAt(n, "T1008", name, nil, "attempted to partially apply a non-function")
	}
	p.fn = fn
	return p, nil
}

func (ev *evaluator) evalApply(n *node, input any, e *env) (any, error) {
	lhs, err := ev.eval(n.lhs, input, e)
	if err != nil {
		return nil, err
	}
	if n.rhs.kind == kCall {
		return ev.evalCall(n.rhs, input, e, lhs, true)
	}
	rhs, err := ev.eval(n.rhs, input, e)
	if err != nil {
		return nil, err
	}
	fn, ok := rhs.(callable)
	if !ok {
		return nil, errAt(n, "T2006", "~>", rhs, "the right side of the function application operator ~> must be a function")
	}
	if lf, ok := lhs.(callable); ok {
		return &chainFn{f: lf, g: fn}, nil
	}
	return ev.apply(fn, []any{lhs}, input, e, n, "")
}

// apply invokes a function value. at is the node of the call (for error
// positions) and may be nil.
func (ev *evaluator) apply(fn any, args []any, input any, e *env, at *node, name string) (any, error) {
	res, err := ev.applyInner(fn, args, input, e, at, name)
	// run tail calls in a loop rather than recursively
	for err == nil {
		th, ok := res.(*lambdaFn)
		if !ok || !th.node.thunk {
			break
		}
		c := th.node.body
		var proc any
		if proc, err = ev.eval(c.lhs, th.input, th.env); err != nil {
			break
		}
		targs := make([]any, 0, len(c.exprs))
		for _, a := range c.exprs {
			var v any
			if v, err = ev.eval(a, th.input, th.env); err != nil {
				break
			}
			targs = append(targs, v)
		}
		if err != nil {
			break
		}
		at, name = c, procName(c.lhs)
		fn, ok := proc.(callable)
		if !ok {
			err = errAt(c, "T1006", name, nil, "attempted to invoke a non-function")
			break
		}
		res, err = ev.applyInner(fn, targs, th.input, th.env, at, name)
	}
	if err != nil {
		if je, ok := err.(*Error); ok {
			if je.Position < 0 && at != nil {
				je.Position = at.pos
			}
			if je.Token == "" {
				je.Token = name
			}
		}
		return nil, err
	}
	return res, nil
}

func (ev *evaluator) applyInner(fn any, args []any, input any, e *env, at *node, name string) (any, error) {
	switch f := fn.(type) {
	case *lambdaFn:
		if f.node.sig != nil {
			var err error
			if args, err = f.node.sig.validate(args, input, name); err != nil {
				return nil, err
			}
		}
		frame := &env{parent: f.env, vars: make(map[string]any, len(f.node.params))}
		for i, p := range f.node.params {
			if i < len(args) {
				frame.vars[p] = args[i]
			} else {
				frame.vars[p] = Undefined
			}
		}
		return ev.eval(f.node.body, f.input, frame)
	case *nativeFn:
		if name == "" {
			name = f.name
		}
		if f.sig != nil {
			var err error
			if args, err = f.sig.validate(args, input, name); err != nil {
				return nil, err
			}
		}
		return f.impl(ev, &call{input: input, env: e, at: at, name: name}, args)
	case *partialFn:
		full := make([]any, len(f.args))
		k := 0
		for i, a := range f.args {
			if _, hole := a.(placeholder); hole {
				if k < len(args) {
					full[i] = args[k]
				} else {
					full[i] = Undefined
				}
				k++
				continue
			}
			full[i] = a
		}
		return ev.apply(f.fn, full, input, e, at, name)
	case *chainFn:
		r, err := ev.apply(f.f, args, input, e, at, name)
		if err != nil {
			return nil, err
		}
		return ev.apply(f.g, []any{r}, input, e, at, name)
	case *regexFn:
		var s any = Undefined
		if len(args) > 0 {
			s = args[0]
		}
		if s == Undefined {
			return Undefined, nil
		}
		str, ok := s.(string)
		if !ok {
			return nil, &Error{Code: "T0410", Position: -1, Token: name, Value: s, Message: "argument 1 of a regular expression must be a string"}
		}
		m := newMatcher(f.re, str)
		return matchObject(m, m.first()), nil
	case *transformFn:
		var obj any = Undefined
		if len(args) > 0 {
			obj = args[0]
		}
		return ev.applyTransform(f, obj)
	}
	return nil, &Error{Code: "T1006", Position: -1, Token: name, Message: "attempted to invoke a non-function"}
}

func (ev *evaluator) applyTransform(f *transformFn, obj any) (any, error) {
	if obj == Undefined {
		return Undefined, nil
	}
	if !isObject(obj) && !isArray(obj) {
		return nil, &Error{Code: "T0410", Position: -1, Value: obj, Message: "argument 1 of the transform expression must be an object or an array"}
	}
	result := cloneValue(obj)
	matches, err := ev.eval(f.node.pattern, result, f.env)
	if err != nil {
		return nil, err
	}
	if matches == Undefined {
		return result, nil
	}
	items, ok := arrayItems(matches)
	if !ok {
		items = []any{matches}
	}
	for _, m := range items {
		upd, err := ev.eval(f.node.update, m, f.env)
		if err != nil {
			return nil, err
		}
		if upd != Undefined {
			if !isObject(upd) {
				return nil, errAt(f.node, "T2011", "", upd, "the insert/update clause of the transform expression must evaluate to an object: %s", describe(upd))
			}
			if mo, ok := m.(*jobj); ok {
				for _, k := range objectKeys(upd) {
					v, _ := objectGet(upd, k)
					mo.set(k, v)
				}
			}
		}
		if f.node.del != nil {
			dels, err := ev.eval(f.node.del, m, f.env)
			if err != nil {
				return nil, err
			}
			if dels == Undefined {
				continue
			}
			names, ok := arrayItems(dels)
			if !ok {
				names = []any{dels}
			}
			for _, nm := range names {
				if _, ok := nm.(string); !ok {
					return nil, errAt(f.node, "T2012", "", dels, "the delete clause of the transform expression must evaluate to a string or array of strings: %s", describe(dels))
				}
			}
			if mo, ok := m.(*jobj); ok {
				for _, nm := range names {
					mo.del(nm.(string))
				}
			}
		}
	}
	return result, nil
}
