package jsonata

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// builtins holds the standard library and the Step Functions functions. It
// is filled once by init and only read afterwards.
var builtins map[string]*nativeFn

func define(name, sig string, impl func(ev *evaluator, c *call, args []any) (any, error)) {
	var s *signature
	if sig != "" {
		var err error
		if s, err = parseSignature(sig); err != nil {
			panic(fmt.Sprintf("jsonata: bad signature for $%s: %v", name, err))
		}
	}
	ar := 1
	if s != nil {
		ar = len(s.params)
	}
	if n, ok := hofArity[name]; ok {
		ar = n
	}
	builtins[name] = &nativeFn{name: name, sig: s, ar: ar, impl: impl}
}

// hofArity lists the built-in functions whose callback arity (how many of
// value, index and array $map and friends pass to them) differs from their
// parameter count: JSONata counts only the parameters before the first one
// with a default value.
var hofArity = map[string]int{
	"string": 1, "zip": 0, "random": 0, "millis": 0, "uuid": 0,
}

func init() {
	builtins = map[string]*nativeFn{}
	defineStringFunctions()
	defineNumericFunctions()
	defineArrayFunctions()
	defineObjectFunctions()
	defineDateTimeFunctions()
	defineIntegerFunctions()
	defineAWSFunctions()
}

// missingArg reports an argument that the function needs but that
// evaluated to undefined.
func missingArg(i int, name string) *Error {
	return fnErr("T0410", Undefined, "argument %d of function %q is undefined", i, name)
}

func fnErr(code string, value any, format string, args ...any) *Error {
	return &Error{Code: code, Position: -1, Value: value, Message: fmt.Sprintf(format, args...)}
}

// callback calls fn from inside the built-in function call c.
func (ev *evaluator) callback(c *call, fn any, args []any) (any, error) {
	return ev.apply(fn, args, c.input, c.env, c.at, "")
}

// hofCall calls fn the way a higher-order function calls its callback for
// one member of coll: with as many of (value, key, coll) as fn declares.
func (ev *evaluator) hofCall(c *call, fn, value, key, coll any) (any, error) {
	return ev.callback(c, fn, hofArgs(fn, value, key, coll))
}

// hofArgs builds the arguments a higher-order function passes to its
// callback: as many of (value, index, array) as the callback declares.
func hofArgs(fn any, vals ...any) []any {
	n := 1
	if c, ok := fn.(callable); ok {
		n = c.arity()
	}
	if n < 1 {
		n = 1
	}
	if n > len(vals) {
		n = len(vals)
	}
	return vals[:n]
}

func (ev *evaluator) random() float64 {
	if ev.opts.Random != nil {
		return ev.opts.Random()
	}
	return rand.Float64()
}

func defineArrayFunctions() {
	define("count", "<a:n>", func(ev *evaluator, c *call, a []any) (any, error) {
		if a[0] == Undefined {
			return 0.0, nil
		}
		items, _ := arrayItems(a[0])
		return float64(len(items)), nil
	})
	define("sum", "<a<n>:n>", func(ev *evaluator, c *call, a []any) (any, error) {
		if a[0] == Undefined {
			return Undefined, nil
		}
		items, _ := arrayItems(a[0])
		total := 0.0
		for _, it := range items {
			total += it.(float64)
		}
		return total, nil
	})
	minmax := func(isMax bool) func(ev *evaluator, c *call, a []any) (any, error) {
		return func(ev *evaluator, c *call, a []any) (any, error) {
			items, _ := arrayItems(a[0])
			if a[0] == Undefined || len(items) == 0 {
				return Undefined, nil
			}
			best := items[0].(float64)
			for _, it := range items[1:] {
				f := it.(float64)
				if (isMax && f > best) || (!isMax && f < best) {
					best = f
				}
			}
			return best, nil
		}
	}
	define("max", "<a<n>:n>", minmax(true))
	define("min", "<a<n>:n>", minmax(false))
	define("average", "<a<n>:n>", func(ev *evaluator, c *call, a []any) (any, error) {
		items, _ := arrayItems(a[0])
		if a[0] == Undefined || len(items) == 0 {
			return Undefined, nil
		}
		total := 0.0
		for _, it := range items {
			total += it.(float64)
		}
		return total / float64(len(items)), nil
	})
	define("append", "<xx:a>", func(ev *evaluator, c *call, a []any) (any, error) {
		return appendValues(a[0], a[1]), nil
	})
	define("exists", "<x:b>", func(ev *evaluator, c *call, a []any) (any, error) {
		return a[0] != Undefined, nil
	})
	define("reverse", "<a:a>", func(ev *evaluator, c *call, a []any) (any, error) {
		if a[0] == Undefined {
			return Undefined, nil
		}
		items, _ := arrayItems(a[0])
		if len(items) <= 1 {
			return a[0], nil
		}
		out := &jarr{items: make([]any, len(items))}
		for i, it := range items {
			out.items[len(items)-1-i] = it
		}
		return out, nil
	})
	define("shuffle", "<a:a>", func(ev *evaluator, c *call, a []any) (any, error) {
		if a[0] == Undefined {
			return Undefined, nil
		}
		items, _ := arrayItems(a[0])
		if len(items) <= 1 {
			return a[0], nil
		}
		out := &jarr{items: append([]any(nil), items...)}
		for i := len(out.items) - 1; i > 0; i-- {
			j := int(math.Floor(ev.random() * float64(i+1)))
			out.items[i], out.items[j] = out.items[j], out.items[i]
		}
		return out, nil
	})
	define("distinct", "<x:x>", func(ev *evaluator, c *call, a []any) (any, error) {
		items, ok := arrayItems(a[0])
		if !ok || len(items) <= 1 {
			return a[0], nil
		}
		out := &jarr{sequence: isSequence(a[0])}
		for _, it := range items {
			dup := false
			for _, seen := range out.items {
				if deepEqual(it, seen) {
					dup = true
					break
				}
			}
			if !dup {
				out.push(it)
			}
		}
		return out, nil
	})
	define("zip", "<a+>", func(ev *evaluator, c *call, a []any) (any, error) {
		out := &jarr{}
		if len(a) == 0 {
			return out, nil
		}
		minLen := math.MaxInt
		lists := make([][]any, len(a))
		for i, arg := range a {
			items, _ := arrayItems(arg)
			if arg == Undefined {
				items = nil
			}
			lists[i] = items
			minLen = min(minLen, len(items))
		}
		for i := 0; i < minLen; i++ {
			tup := &jarr{}
			for _, l := range lists {
				tup.push(l[i])
			}
			out.push(tup)
		}
		return out, nil
	})
	define("sort", "<af?:a>", func(ev *evaluator, c *call, a []any) (any, error) {
		if a[0] == Undefined {
			return Undefined, nil
		}
		items, _ := arrayItems(a[0])
		if len(items) <= 1 {
			return a[0], nil
		}
		var greater func(x, y any) (bool, error)
		if fn := a[1]; fn != Undefined {
			greater = func(x, y any) (bool, error) {
				r, err := ev.callback(c, fn, []any{x, y})
				if err != nil {
					return false, err
				}
				return toBool(r), nil
			}
		} else {
			allNum, allStr := true, true
			for _, it := range items {
				_, n := it.(float64)
				_, s := it.(string)
				allNum = allNum && n
				allStr = allStr && s
			}
			if !allNum && !allStr {
				return nil, fnErr("D3070", a[0], "the single argument form of the sort function can only be applied to an array of strings or an array of numbers; use the second argument to specify a comparison function")
			}
			greater = func(x, y any) (bool, error) {
				if allNum {
					return x.(float64) > y.(float64), nil
				}
				return compareStrings(x.(string), y.(string)) > 0, nil
			}
		}
		sorted, err := mergeSort(items, greater)
		if err != nil {
			return nil, err
		}
		return &jarr{items: sorted}, nil
	})
	define("map", "<af>", func(ev *evaluator, c *call, a []any) (any, error) {
		if a[0] == Undefined {
			return Undefined, nil
		}
		items, _ := arrayItems(a[0])
		out := newSeq()
		for i, it := range items {
			r, err := ev.hofCall(c, a[1], it, float64(i), a[0])
			if err != nil {
				return nil, err
			}
			if r != Undefined {
				out.push(r)
			}
		}
		return out, nil
	})
	define("filter", "<af>", func(ev *evaluator, c *call, a []any) (any, error) {
		if a[0] == Undefined {
			return Undefined, nil
		}
		items, _ := arrayItems(a[0])
		out := newSeq()
		for i, it := range items {
			r, err := ev.hofCall(c, a[1], it, float64(i), a[0])
			if err != nil {
				return nil, err
			}
			if toBool(r) {
				out.push(it)
			}
		}
		return out, nil
	})
	define("single", "<af?>", func(ev *evaluator, c *call, a []any) (any, error) {
		if a[0] == Undefined {
			return Undefined, nil
		}
		items, _ := arrayItems(a[0])
		found := false
		var result any = Undefined
		for i, it := range items {
			ok := true
			if a[1] != Undefined {
				r, err := ev.hofCall(c, a[1], it, float64(i), a[0])
				if err != nil {
					return nil, err
				}
				ok = toBool(r)
			}
			if ok {
				if found {
					return nil, fnErr("D3138", nil, "the $single() function expected exactly 1 matching result; instead it matched more")
				}
				result, found = it, true
			}
		}
		if !found {
			return nil, fnErr("D3139", nil, "the $single() function expected exactly 1 matching result; instead it matched 0")
		}
		return result, nil
	})
	define("reduce", "<afj?:j>", func(ev *evaluator, c *call, a []any) (any, error) {
		if a[0] == Undefined {
			return Undefined, nil
		}
		fn, ok := a[1].(callable)
		if !ok || fn.arity() < 2 {
			return nil, fnErr("D3050", nil, "the second argument of reduce must be a function with at least two arguments")
		}
		items, _ := arrayItems(a[0])
		acc := a[2]
		start := 0
		if acc == Undefined && len(items) > 0 {
			acc = items[0]
			start = 1
		}
		for i := start; i < len(items); i++ {
			args := []any{acc, items[i]}
			if fn.arity() >= 3 {
				args = append(args, float64(i))
			}
			if fn.arity() >= 4 {
				args = append(args, a[0])
			}
			r, err := ev.callback(c, fn, args)
			if err != nil {
				return nil, err
			}
			acc = r
		}
		return acc, nil
	})
}

func defineObjectFunctions() {
	define("keys", "<x-:a<s>>", func(ev *evaluator, c *call, a []any) (any, error) {
		return keysOf(a[0]), nil
	})
	define("lookup", "<x-s:x>", func(ev *evaluator, c *call, a []any) (any, error) {
		if a[0] == Undefined || a[1] == Undefined {
			return Undefined, nil
		}
		return lookupField(a[0], a[1].(string)), nil
	})
	define("spread", "<x-:a<o>>", func(ev *evaluator, c *call, a []any) (any, error) {
		return spread(a[0]), nil
	})
	define("merge", "<a<o>:o>", func(ev *evaluator, c *call, a []any) (any, error) {
		if a[0] == Undefined {
			return Undefined, nil
		}
		items, _ := arrayItems(a[0])
		out := newObj(0)
		for _, it := range items {
			for _, k := range objectKeys(it) {
				v, _ := objectGet(it, k)
				out.set(k, v)
			}
		}
		return out, nil
	})
	define("each", "<o-f:a>", func(ev *evaluator, c *call, a []any) (any, error) {
		if a[0] == Undefined {
			return Undefined, nil
		}
		out := newSeq()
		for _, k := range objectKeys(a[0]) {
			v, _ := objectGet(a[0], k)
			r, err := ev.hofCall(c, a[1], v, k, a[0])
			if err != nil {
				return nil, err
			}
			if r != Undefined {
				out.push(r)
			}
		}
		return out, nil
	})
	define("sift", "<o-f?:o>", func(ev *evaluator, c *call, a []any) (any, error) {
		if a[0] == Undefined {
			return Undefined, nil
		}
		out := newObj(0)
		for _, k := range objectKeys(a[0]) {
			v, _ := objectGet(a[0], k)
			r, err := ev.hofCall(c, a[1], v, k, a[0])
			if err != nil {
				return nil, err
			}
			if toBool(r) {
				out.set(k, v)
			}
		}
		if len(out.keys) == 0 {
			return Undefined, nil
		}
		return out, nil
	})
	define("type", "<x:s>", func(ev *evaluator, c *call, a []any) (any, error) {
		switch a[0].(type) {
		case nil:
			return "null", nil
		case float64:
			return "number", nil
		case string:
			return "string", nil
		case bool:
			return "boolean", nil
		case *jarr, []any:
			return "array", nil
		case callable:
			return "function", nil
		case map[string]any, *jobj:
			return "object", nil
		}
		return Undefined, nil
	})
	define("boolean", "<x-:b>", func(ev *evaluator, c *call, a []any) (any, error) {
		b, ok := booleanOf(a[0])
		if !ok {
			return Undefined, nil
		}
		return b, nil
	})
	define("not", "<x-:b>", func(ev *evaluator, c *call, a []any) (any, error) {
		b, ok := booleanOf(a[0])
		if !ok {
			return Undefined, nil
		}
		return !b, nil
	})
	define("error", "<s?:x>", func(ev *evaluator, c *call, a []any) (any, error) {
		msg := "$error() function evaluated"
		if s, ok := a[0].(string); ok {
			msg = s
		}
		return nil, fnErr("D3137", nil, "%s", msg)
	})
	define("assert", "<bs?:x>", func(ev *evaluator, c *call, a []any) (any, error) {
		if b, _ := a[0].(bool); !b {
			msg := "$assert() statement failed"
			if s, ok := a[1].(string); ok {
				msg = s
			}
			return nil, fnErr("D3141", nil, "%s", msg)
		}
		return Undefined, nil
	})
	define("clone", "<(oa)-:o>", func(ev *evaluator, c *call, a []any) (any, error) {
		if a[0] == Undefined {
			return Undefined, nil
		}
		return cloneValue(a[0]), nil
	})
}

func keysOf(v any) any {
	out := newSeq()
	if items, ok := arrayItems(v); ok {
		seen := map[string]bool{}
		for _, it := range items {
			for _, k := range objectKeys(it) {
				if !seen[k] {
					seen[k] = true
					out.push(k)
				}
			}
		}
		return out
	}
	for _, k := range objectKeys(v) {
		out.push(k)
	}
	return out
}

func spread(v any) any {
	if items, ok := arrayItems(v); ok {
		var acc any = newSeq()
		for _, it := range items {
			acc = appendValues(acc, spread(it))
		}
		return acc
	}
	if isObject(v) {
		out := newSeq()
		for _, k := range objectKeys(v) {
			val, _ := objectGet(v, k)
			o := newObj(1)
			o.set(k, val)
			out.push(o)
		}
		return out
	}
	return v
}
