package template

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Env supplies what intrinsic functions refer to: resource references and
// attributes. Parameters, conditions and pseudo parameters are handled by Resolver.
type Env interface {
	// Ref returns the value of !Ref for a resource (its physical id).
	Ref(logicalID string) (any, error)
	// GetAtt returns a resource attribute.
	GetAtt(logicalID, attr string) (any, error)
}

// NoValue is what Resolve returns for AWS::NoValue; map entries and list elements
// holding it are dropped.
type noValue struct{}

// Resolver evaluates intrinsic functions in template values.
type Resolver struct {
	T      *Template
	Env    Env
	Pseudo map[string]any // AWS::Region, AWS::AccountId, AWS::StackName, ...
	Params map[string]any // parameter overrides

	evaluating map[string]bool // conditions being evaluated, to catch cycles
}

// Param returns a parameter's value: an override, or its default.
func (r *Resolver) Param(name string) (any, bool) {
	if v, ok := r.Params[name]; ok {
		return v, true
	}
	p, ok := r.T.Parameters[name]
	if !ok || p.Default == nil {
		return nil, false
	}
	return p.Default, true
}

// Condition evaluates a named condition.
func (r *Resolver) Condition(name string) (bool, error) {
	c, ok := r.T.Conditions[name]
	if !ok {
		return false, fmt.Errorf("unknown condition %q", name)
	}
	if r.evaluating[name] {
		return false, fmt.Errorf("condition %s refers to itself", name)
	}
	if r.evaluating == nil {
		r.evaluating = map[string]bool{}
	}
	r.evaluating[name] = true
	defer delete(r.evaluating, name)
	v, err := r.Resolve(c)
	if err != nil {
		return false, fmt.Errorf("condition %s: %w", name, err)
	}
	b, ok := v.(bool)
	if !ok {
		return false, fmt.Errorf("condition %s is not a boolean", name)
	}
	return b, nil
}

// Resolve evaluates every intrinsic function in v and returns the plain value.
func (r *Resolver) Resolve(v any) (any, error) {
	out, err := r.resolve(v)
	if err != nil {
		return nil, err
	}
	if _, ok := out.(noValue); ok {
		return nil, nil
	}
	return out, nil
}

func (r *Resolver) resolve(v any) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		if isIntrinsic(x) {
			for k, arg := range x {
				return r.call(k, arg)
			}
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			rv, err := r.resolve(e)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			if _, ok := rv.(noValue); !ok {
				out[k] = rv
			}
		}
		return out, nil
	case []any:
		out := make([]any, 0, len(x))
		for i, e := range x {
			rv, err := r.resolve(e)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			if _, ok := rv.(noValue); !ok {
				out = append(out, rv)
			}
		}
		return out, nil
	}
	return v, nil
}

func (r *Resolver) ref(name string) (any, error) {
	if name == "AWS::NoValue" {
		return noValue{}, nil
	}
	if strings.HasPrefix(name, "AWS::") {
		if v, ok := r.Pseudo[name]; ok {
			return v, nil
		}
		return nil, fmt.Errorf("unsupported pseudo parameter %s", name)
	}
	if v, ok := r.Param(name); ok {
		return v, nil
	}
	if _, ok := r.T.Parameters[name]; ok {
		return nil, fmt.Errorf("parameter %s has no value and no default", name)
	}
	if _, ok := r.T.Resources[name]; !ok {
		return nil, fmt.Errorf("!Ref to unknown resource or parameter %q", name)
	}
	return r.Env.Ref(name)
}

func (r *Resolver) call(fn string, arg any) (any, error) {
	switch fn {
	case "Ref":
		name, ok := arg.(string)
		if !ok {
			return nil, fmt.Errorf("Ref takes a name")
		}
		return r.ref(name)
	case "Condition":
		name, ok := arg.(string)
		if !ok {
			return nil, fmt.Errorf("Condition takes a name")
		}
		return r.Condition(name)
	case "Fn::GetAtt":
		id, attr, err := getAttArgs(arg)
		if err != nil {
			return nil, err
		}
		if _, ok := r.T.Resources[id]; !ok {
			return nil, fmt.Errorf("!GetAtt to unknown resource %q", id)
		}
		return r.Env.GetAtt(id, attr)
	case "Fn::Sub":
		return r.sub(arg)
	case "Fn::Join":
		args, err := r.list(arg, 2, fn)
		if err != nil {
			return nil, err
		}
		sep, ok := args[0].(string)
		items, ok2 := args[1].([]any)
		if !ok || !ok2 {
			return nil, fmt.Errorf("Fn::Join takes [separator, [values]]")
		}
		parts := make([]string, len(items))
		for i, it := range items {
			parts[i] = toString(it)
		}
		return strings.Join(parts, sep), nil
	case "Fn::Select":
		args, err := r.list(arg, 2, fn)
		if err != nil {
			return nil, err
		}
		idx, err := toIndex(args[0])
		if err != nil {
			return nil, fmt.Errorf("Fn::Select: %w", err)
		}
		items, ok := args[1].([]any)
		if !ok || idx < 0 || idx >= len(items) {
			return nil, fmt.Errorf("Fn::Select index %d out of range", idx)
		}
		return items[idx], nil
	case "Fn::Split":
		args, err := r.list(arg, 2, fn)
		if err != nil {
			return nil, err
		}
		sep, ok1 := args[0].(string)
		s, ok2 := args[1].(string)
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("Fn::Split takes [separator, string]")
		}
		var out []any
		for _, p := range strings.Split(s, sep) {
			out = append(out, p)
		}
		return out, nil
	case "Fn::If":
		raw, ok := arg.([]any)
		if !ok || len(raw) != 3 {
			return nil, fmt.Errorf("Fn::If takes [condition, then, else]")
		}
		name, ok := raw[0].(string)
		if !ok {
			return nil, fmt.Errorf("Fn::If condition must be a name")
		}
		c, err := r.Condition(name)
		if err != nil {
			return nil, err
		}
		if c {
			return r.resolve(raw[1])
		}
		return r.resolve(raw[2])
	case "Fn::Equals":
		args, err := r.list(arg, 2, fn)
		if err != nil {
			return nil, err
		}
		return toString(args[0]) == toString(args[1]), nil
	case "Fn::And", "Fn::Or":
		args, err := r.list(arg, -1, fn)
		if err != nil {
			return nil, err
		}
		res := fn == "Fn::And"
		for _, a := range args {
			b, ok := a.(bool)
			if !ok {
				return nil, fmt.Errorf("%s takes booleans", fn)
			}
			if fn == "Fn::And" {
				res = res && b
			} else {
				res = res || b
			}
		}
		return res, nil
	case "Fn::Not":
		args, err := r.list(arg, 1, fn)
		if err != nil {
			return nil, err
		}
		b, ok := args[0].(bool)
		if !ok {
			return nil, fmt.Errorf("Fn::Not takes a boolean")
		}
		return !b, nil
	}
	return nil, fmt.Errorf("unsupported intrinsic function %s", fn)
}

// list resolves a list argument and checks its length (n < 0: any length).
func (r *Resolver) list(arg any, n int, fn string) ([]any, error) {
	raw, ok := arg.([]any)
	if !ok || (n >= 0 && len(raw) != n) {
		return nil, fmt.Errorf("%s takes a list of %d arguments", fn, n)
	}
	out := make([]any, len(raw))
	for i, a := range raw {
		v, err := r.resolve(a)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", fn, err)
		}
		out[i] = v
	}
	return out, nil
}

var subVar = regexp.MustCompile(`\$\{([^}!][^}]*)\}`)

func (r *Resolver) sub(arg any) (any, error) {
	var tmpl string
	vars := map[string]any{}
	switch a := arg.(type) {
	case string:
		tmpl = a
	case []any:
		if len(a) != 2 {
			return nil, fmt.Errorf("Fn::Sub takes a string or [string, {vars}]")
		}
		s, ok := a[0].(string)
		m, ok2 := a[1].(map[string]any)
		if !ok || !ok2 {
			return nil, fmt.Errorf("Fn::Sub takes a string or [string, {vars}]")
		}
		tmpl = s
		for k, v := range m {
			rv, err := r.resolve(v)
			if err != nil {
				return nil, fmt.Errorf("Fn::Sub variable %s: %w", k, err)
			}
			vars[k] = rv
		}
	default:
		return nil, fmt.Errorf("Fn::Sub takes a string or [string, {vars}]")
	}
	var firstErr error
	out := subVar.ReplaceAllStringFunc(tmpl, func(m string) string {
		name := m[2 : len(m)-1]
		if v, ok := vars[name]; ok {
			return toString(v)
		}
		var v any
		var err error
		if id, attr, found := strings.Cut(name, "."); found && !strings.HasPrefix(name, "AWS::") {
			if _, ok := r.T.Resources[id]; !ok {
				err = fmt.Errorf("${%s} names unknown resource %q", name, id)
			} else {
				v, err = r.Env.GetAtt(id, attr)
			}
		} else {
			v, err = r.ref(name)
		}
		if err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("Fn::Sub: %w", err)
			}
			return m
		}
		return toString(v)
	})
	if firstErr != nil {
		return nil, firstErr
	}
	// ${!Literal} escapes to ${Literal}.
	return strings.ReplaceAll(out, "${!", "${"), nil
}

func getAttArgs(arg any) (string, string, error) {
	switch a := arg.(type) {
	case []any:
		if len(a) == 2 {
			id, ok1 := a[0].(string)
			attr, ok2 := a[1].(string)
			if ok1 && ok2 {
				return id, attr, nil
			}
		}
	case string:
		if id, attr, ok := strings.Cut(a, "."); ok {
			return id, attr, nil
		}
	}
	return "", "", fmt.Errorf("Fn::GetAtt takes [resource, attribute]")
}

func toIndex(v any) (int, error) {
	switch x := v.(type) {
	case float64:
		return int(x), nil
	case string:
		return strconv.Atoi(x)
	}
	return 0, fmt.Errorf("index %v is not a number", v)
}

// Scalar renders a resolved scalar (a string, number or boolean) the way
// CloudFormation passes it on as a string: numbers without exponent or
// trailing zeros. ok is false for any other value.
func Scalar(v any) (s string, ok bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case bool:
		return strconv.FormatBool(x), true
	}
	return "", false
}

func toString(v any) string {
	if s, ok := Scalar(v); ok {
		return s
	}
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

// Dependencies returns the logical ids a resource refers to (Ref, GetAtt, Sub and
// DependsOn), sorted.
func (t *Template) Dependencies(id string) []string {
	r := t.Resources[id]
	seen := map[string]bool{}
	for _, d := range r.DependsOn {
		seen[d] = true
	}
	t.collectRefs(r.Properties, seen)
	delete(seen, id)
	var out []string
	for d := range seen {
		if _, ok := t.Resources[d]; ok {
			out = append(out, d)
		}
	}
	sort.Strings(out)
	return out
}

func (t *Template) collectRefs(v any, seen map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		if isIntrinsic(x) {
			for k, arg := range x {
				switch k {
				case "Ref":
					if s, ok := arg.(string); ok {
						seen[s] = true
					}
					return
				case "Fn::GetAtt":
					if id, _, err := getAttArgs(arg); err == nil {
						seen[id] = true
					}
					return
				case "Fn::Sub":
					s, _ := arg.(string)
					if a, ok := arg.([]any); ok && len(a) == 2 {
						s, _ = a[0].(string)
						t.collectRefs(a[1], seen)
					}
					for _, m := range subVar.FindAllStringSubmatch(s, -1) {
						id, _, _ := strings.Cut(m[1], ".")
						seen[id] = true
					}
					return
				}
			}
		}
		for _, e := range x {
			t.collectRefs(e, seen)
		}
	case []any:
		for _, e := range x {
			t.collectRefs(e, seen)
		}
	}
}

// Order returns the resource ids so that each comes after everything it depends
// on, or an error naming a dependency cycle.
func (t *Template) Order() ([]string, error) {
	const (
		unvisited = iota
		visiting
		done
	)
	state := map[string]int{}
	var out []string
	var visit func(id string, path []string) error
	visit = func(id string, path []string) error {
		switch state[id] {
		case done:
			return nil
		case visiting:
			return fmt.Errorf("dependency cycle: %s", strings.Join(append(path, id), " -> "))
		}
		state[id] = visiting
		for _, d := range t.Dependencies(id) {
			if err := visit(d, append(path, id)); err != nil {
				return err
			}
		}
		state[id] = done
		out = append(out, id)
		return nil
	}
	for _, id := range t.SortedIDs() {
		if err := visit(id, nil); err != nil {
			return nil, err
		}
	}
	return out, nil
}
