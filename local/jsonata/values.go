package jsonata

import (
	"encoding/json"
	"math"
	"sort"
	"strconv"
	"strings"
)

// jarr is an array produced during evaluation. Plain []any values only ever
// come from the caller's input (or $parse) and are never modified; every
// array the evaluator builds is a *jarr, which carries JSONata's hidden
// array flags.
type jarr struct {
	items         []any
	sequence      bool // a result sequence: collapses to its single item
	cons          bool // built by an array constructor step: not flattened
	keepSingleton bool // a sequence that must not collapse (the [] suffix)
	outerWrapper  bool // wraps an array given as the whole input
	tupleStream   bool // items are tuples
}

func newSeq(items ...any) *jarr { return &jarr{sequence: true, items: items} }

func (a *jarr) push(v any) { a.items = append(a.items, v) }

// jobj is an object built during evaluation; it keeps insertion order.
type jobj struct {
	keys []string
	m    map[string]any
}

func newObj(n int) *jobj { return &jobj{m: make(map[string]any, n)} }

func (o *jobj) set(k string, v any) {
	if _, ok := o.m[k]; !ok {
		o.keys = append(o.keys, k)
	}
	o.m[k] = v
}

func (o *jobj) del(k string) {
	if _, ok := o.m[k]; !ok {
		return
	}
	delete(o.m, k)
	for i, kk := range o.keys {
		if kk == k {
			o.keys = append(o.keys[:i:i], o.keys[i+1:]...)
			break
		}
	}
}

// tuple holds the variable bindings of one item of a tuple stream; the
// key "@" is the context item.
type tuple map[string]any

// arrayItems returns the items of an array value.
func arrayItems(v any) ([]any, bool) {
	switch a := v.(type) {
	case *jarr:
		return a.items, true
	case []any:
		return a, true
	}
	return nil, false
}

func isArray(v any) bool {
	switch v.(type) {
	case *jarr, []any:
		return true
	}
	return false
}

func isSequence(v any) bool {
	a, ok := v.(*jarr)
	return ok && a.sequence
}

func isObject(v any) bool {
	switch v.(type) {
	case map[string]any, *jobj:
		return true
	}
	return false
}

// objectKeys returns the keys of an object in JSONata's iteration order:
// insertion order for objects built by the expression, sorted for the
// caller's map[string]any values.
func objectKeys(v any) []string {
	switch o := v.(type) {
	case *jobj:
		return o.keys
	case map[string]any:
		keys := make([]string, 0, len(o))
		for k := range o {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return keys
	}
	return nil
}

func objectGet(v any, k string) (any, bool) {
	switch o := v.(type) {
	case *jobj:
		x, ok := o.m[k]
		return x, ok
	case map[string]any:
		x, ok := o[k]
		return canon(x), ok
	}
	return nil, false
}

func objectLen(v any) int {
	switch o := v.(type) {
	case *jobj:
		return len(o.keys)
	case map[string]any:
		return len(o)
	}
	return 0
}

// canon converts numeric kinds other than float64 (which callers may put
// into variables) to float64.
func canon(v any) any {
	switch x := v.(type) {
	case nil, string, bool, float64, map[string]any, []any:
		return v
	case int:
		return float64(x)
	case int64:
		return float64(x)
	case int32:
		return float64(x)
	case uint:
		return float64(x)
	case uint64:
		return float64(x)
	case uint32:
		return float64(x)
	case float32:
		return float64(x)
	case json.Number:
		if f, err := x.Float64(); err == nil {
			return f
		}
		return x.String()
	}
	return v
}

func isNumber(v any) bool {
	f, ok := v.(float64)
	return ok && !math.IsNaN(f)
}

func isInteger(f float64) bool { return f == math.Trunc(f) && !math.IsInf(f, 0) }

// typeSymbol is the signature symbol of a value.
func typeSymbol(v any) byte {
	switch v.(type) {
	case callable:
		return 'f'
	case string:
		return 's'
	case float64:
		return 'n'
	case bool:
		return 'b'
	case nil:
		return 'l'
	case *jarr, []any:
		return 'a'
	case map[string]any, *jobj:
		return 'o'
	}
	if v == Undefined {
		return 'm'
	}
	return 'm'
}

// deepEqual is JSONata's structural equality.
func deepEqual(a, b any) bool {
	if aa, ok := arrayItems(a); ok {
		bb, ok := arrayItems(b)
		if !ok || len(aa) != len(bb) {
			return false
		}
		for i := range aa {
			if !deepEqual(aa[i], bb[i]) {
				return false
			}
		}
		return true
	}
	if isObject(a) {
		if !isObject(b) || objectLen(a) != objectLen(b) {
			return false
		}
		for _, k := range objectKeys(a) {
			av, _ := objectGet(a, k)
			bv, ok := objectGet(b, k)
			if !ok || !deepEqual(av, bv) {
				return false
			}
		}
		return true
	}
	switch x := a.(type) {
	case float64:
		y, ok := b.(float64)
		return ok && x == y
	case string:
		y, ok := b.(string)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case nil:
		return b == nil
	case callable:
		y, ok := b.(callable)
		return ok && x == y
	}
	return a == b
}

// export converts an evaluation result to encoding/json's shape.
func export(v any) any {
	switch x := v.(type) {
	case *jarr:
		if x.outerWrapper && len(x.items) == 1 {
			return export(x.items[0])
		}
		out := make([]any, 0, len(x.items))
		for _, it := range x.items {
			e := export(it)
			if e == Undefined {
				e = nil // as JSON.stringify renders functions in arrays
			}
			out = append(out, e)
		}
		return out
	case *jobj:
		out := make(map[string]any, len(x.keys))
		for _, k := range x.keys {
			if e := export(x.m[k]); e != Undefined {
				out[k] = e
			}
		}
		return out
	case callable:
		return Undefined
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return nil // JSON has no Infinity or NaN
		}
		return x
	case tuple:
		return export(x["@"])
	}
	return v
}

// cloneValue deep-copies a value into evaluator-owned, mutable containers.
func cloneValue(v any) any {
	switch x := v.(type) {
	case *jarr:
		out := &jarr{items: make([]any, len(x.items))}
		for i, it := range x.items {
			out.items[i] = cloneValue(it)
		}
		return out
	case []any:
		out := &jarr{items: make([]any, len(x))}
		for i, it := range x {
			out.items[i] = cloneValue(it)
		}
		return out
	case *jobj, map[string]any:
		keys := objectKeys(x)
		out := newObj(len(keys))
		for _, k := range keys {
			val, _ := objectGet(x, k)
			out.set(k, cloneValue(val))
		}
		return out
	}
	return v
}

// formatNumberJS renders a number the way JavaScript's Number#toString does.
func formatNumberJS(f float64) string {
	if f == 0 {
		return "0"
	}
	if math.IsNaN(f) {
		return "NaN"
	}
	if math.IsInf(f, 1) {
		return "Infinity"
	}
	if math.IsInf(f, -1) {
		return "-Infinity"
	}
	neg := f < 0
	if neg {
		f = -f
	}
	// shortest round-trip digits and exponent
	s := strconv.FormatFloat(f, 'e', -1, 64) // d.ddde±xx
	mant, expStr, _ := strings.Cut(s, "e")
	exp, _ := strconv.Atoi(expStr)
	digits := strings.Replace(mant, ".", "", 1)
	k := len(digits)
	n := exp + 1 // position of the decimal point relative to digits
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	switch {
	case k <= n && n <= 21:
		b.WriteString(digits)
		b.WriteString(strings.Repeat("0", n-k))
	case 0 < n && n <= 21:
		b.WriteString(digits[:n])
		b.WriteByte('.')
		b.WriteString(digits[n:])
	case -6 < n && n <= 0:
		b.WriteString("0.")
		b.WriteString(strings.Repeat("0", -n))
		b.WriteString(digits)
	default:
		b.WriteByte(digits[0])
		if k > 1 {
			b.WriteByte('.')
			b.WriteString(digits[1:])
		}
		b.WriteByte('e')
		if n-1 >= 0 {
			b.WriteByte('+')
		}
		b.WriteString(strconv.Itoa(n - 1))
	}
	return b.String()
}

// round15 rounds to 15 significant digits, as $string does before
// rendering numbers.
func round15(f float64) float64 {
	if f == 0 || math.IsInf(f, 0) || math.IsNaN(f) {
		return f
	}
	// on overflow ParseFloat returns ±Inf, which renders as null like
	// JavaScript's Number(x.toPrecision(15))
	r, _ := strconv.ParseFloat(strconv.FormatFloat(f, 'g', 15, 64), 64)
	return r
}
