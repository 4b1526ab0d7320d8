package eventpattern

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/netip"
	"strings"
)

// Error reports why a pattern is invalid. Its message has the shape EventBridge
// uses in InvalidEventPatternException: "Event pattern is not valid. Reason: ...".
type Error struct {
	// Reason says what is wrong.
	Reason string
	// Path names the field where the problem is ("" for the whole pattern).
	Path string
}

// Error implements error.
func (e *Error) Error() string {
	if e.Path == "" {
		return "Event pattern is not valid. Reason: " + e.Reason
	}
	return fmt.Sprintf("Event pattern is not valid. Reason: %s (at %q)", e.Reason, e.Path)
}

// Pattern is a compiled event pattern. It is immutable and safe for concurrent use.
type Pattern struct {
	root *objNode
	src  string
}

// String returns the pattern's source text.
func (p *Pattern) String() string { return p.src }

// Operator names, as they appear in patterns.
const (
	opPrefix      = "prefix"
	opSuffix      = "suffix"
	opIgnoreCase  = "equals-ignore-case"
	opWildcard    = "wildcard"
	opAnythingBut = "anything-but"
	opNumeric     = "numeric"
	opExists      = "exists"
	opCIDR        = "cidr"
	keyOr         = "$or"
)

// reservedInOr lists names that cannot be used as field names inside $or, because
// they would be ambiguous with match expressions.
var reservedInOr = map[string]bool{
	opPrefix: true, opSuffix: true, opIgnoreCase: true, opWildcard: true,
	opAnythingBut: true, opNumeric: true, opExists: true, opCIDR: true,
}

// numericLimit bounds the numbers numeric matching works with, as EventBridge does.
const numericLimit = 5e9

// Compile parses and validates an event pattern.
func Compile(src []byte) (*Pattern, error) {
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, &Error{Reason: fmt.Sprintf("invalid JSON: %v", err)}
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &Error{Reason: "invalid JSON: unexpected data after the pattern object"}
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, &Error{Reason: "Filter is not an object"}
	}
	c := compiler{}
	root, err := c.object(obj, "", false)
	if err != nil {
		return nil, err
	}
	return &Pattern{root: root, src: string(src)}, nil
}

// MustCompile is Compile for patterns known to be valid; it panics on error.
func MustCompile(src string) *Pattern {
	p, err := Compile([]byte(src))
	if err != nil {
		panic(err)
	}
	return p
}

type compiler struct{}

func fail(path, format string, args ...any) error {
	return &Error{Reason: fmt.Sprintf(format, args...), Path: path}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func (c compiler) object(obj map[string]any, path string, inOr bool) (*objNode, error) {
	if len(obj) == 0 {
		return nil, fail(path, "Empty objects are not allowed")
	}
	n := &objNode{}
	for _, key := range sortedKeys(obj) {
		val := obj[key]
		if key == keyOr {
			group, err := c.or(val, path)
			if err != nil {
				return nil, err
			}
			n.ors = append(n.ors, group)
			continue
		}
		if inOr && reservedInOr[key] {
			return nil, fail(path, "%s is Ruler reserved fieldName which cannot be used inside %s.", key, keyOr)
		}
		p := join(path, key)
		switch t := val.(type) {
		case map[string]any:
			child, err := c.object(t, p, inOr)
			if err != nil {
				return nil, err
			}
			n.fields = append(n.fields, field{key: key, obj: child})
		case []any:
			l, err := c.leaf(t, p)
			if err != nil {
				return nil, err
			}
			n.fields = append(n.fields, field{key: key, leaf: l})
		default:
			return nil, fail(path, "%q must be an object or an array", key)
		}
	}
	return n, nil
}

func (c compiler) or(val any, path string) ([]*objNode, error) {
	arr, ok := val.([]any)
	if !ok {
		return nil, fail(path, "It must be an Array followed with %s.", keyOr)
	}
	var group []*objNode
	for _, e := range arr {
		obj, ok := e.(map[string]any)
		if !ok {
			return nil, fail(path, "Only JSON object is allowed in array of %s relationship.", keyOr)
		}
		n, err := c.object(obj, path, true)
		if err != nil {
			return nil, err
		}
		group = append(group, n)
	}
	if len(group) < 2 {
		return nil, fail(path, "There must have at least 2 Objects in %s relationship.", keyOr)
	}
	return group, nil
}

func (c compiler) leaf(arr []any, path string) (*leaf, error) {
	if len(arr) == 0 {
		return nil, fail(path, "Empty arrays are not allowed")
	}
	l := &leaf{}
	for _, e := range arr {
		switch t := e.(type) {
		case string:
			if l.strings == nil {
				l.strings = map[string]struct{}{}
			}
			l.strings[t] = struct{}{}
			if ip, err := netip.ParseAddr(t); err == nil {
				l.others = append(l.others, ipEquals{ip.Unmap()})
			}
		case json.Number:
			l.others = append(l.others, newNumberEquals(t))
		case bool:
			if t {
				l.trueOK = true
			} else {
				l.falseOK = true
			}
		case nil:
			l.nullOK = true
		case map[string]any:
			if err := c.expression(t, path, l); err != nil {
				return nil, err
			}
		default:
			return nil, fail(path, "Match value must be String, number, true, false, or null")
		}
	}
	return l, nil
}

// singleKey returns the only key of obj and its value.
func singleKey(obj map[string]any, path, what string) (string, any, error) {
	if len(obj) == 0 {
		return "", nil, fail(path, "%s name not found", what)
	}
	if len(obj) > 1 {
		return "", nil, fail(path, "Only one key allowed in match expression")
	}
	for k, v := range obj {
		return k, v, nil
	}
	panic("unreachable")
}

func (c compiler) expression(obj map[string]any, path string, l *leaf) error {
	op, val, err := singleKey(obj, path, "Match expression")
	if err != nil {
		return err
	}
	switch op {
	case opPrefix, opSuffix:
		m, err := prefixOrSuffix(op, val, path)
		if err != nil {
			return err
		}
		l.others = append(l.others, m)
	case opIgnoreCase:
		s, ok := val.(string)
		if !ok {
			return fail(path, "equals-ignore-case match pattern must be a string")
		}
		l.others = append(l.others, equalsFold{s})
	case opWildcard:
		s, ok := val.(string)
		if !ok {
			return fail(path, "wildcard match pattern must be a string")
		}
		w, err := compileWildcard(s, path)
		if err != nil {
			return err
		}
		l.others = append(l.others, w)
	case opNumeric:
		arr, ok := val.([]any)
		if !ok {
			return fail(path, "Value of numeric must be an array.")
		}
		r, err := numericRange(arr, path)
		if err != nil {
			return err
		}
		l.others = append(l.others, r)
	case opExists:
		b, ok := val.(bool)
		if !ok {
			return fail(path, "exists match pattern must be either true or false.")
		}
		if b {
			l.existsTrue = true
		} else {
			l.existsFalse = true
		}
	case opCIDR:
		s, ok := val.(string)
		if !ok {
			return fail(path, "cidr match pattern must be a string")
		}
		pfx, err := parseCIDR(s)
		if err != nil {
			return fail(path, "Nonsensical CIDR: %s", s)
		}
		l.others = append(l.others, cidr{pfx})
	case opAnythingBut:
		m, err := anythingBut(val, path)
		if err != nil {
			return err
		}
		l.others = append(l.others, m)
	default:
		return fail(path, "Unrecognized match type %s", op)
	}
	return nil
}

func prefixOrSuffix(op string, val any, path string) (matcher, error) {
	fold := false
	if obj, ok := val.(map[string]any); ok {
		inner, v, err := singleKey(obj, path, op+" expression")
		if err != nil {
			return nil, err
		}
		if inner != opIgnoreCase {
			return nil, fail(path, "Unsupported %s pattern: %s", op, inner)
		}
		fold, val = true, v
	}
	s, ok := val.(string)
	if !ok {
		return nil, fail(path, "%s match pattern must be a string", op)
	}
	if op == opPrefix {
		return prefix{s, fold}, nil
	}
	return suffix{s, fold}, nil
}

func parseCIDR(s string) (netip.Prefix, error) {
	pfx, err := netip.ParsePrefix(strings.TrimSpace(s))
	if err != nil {
		return netip.Prefix{}, err
	}
	if pfx.Addr().Is4In6() {
		return netip.Prefix{}, errors.New("IPv4-mapped prefixes are not supported")
	}
	return pfx.Masked(), nil
}

// numberValue turns a JSON number into a float64, reporting whether numeric
// matching can use it (it lies within EventBridge's range).
func numberValue(n json.Number) (float64, bool) {
	f, err := n.Float64()
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, f >= -numericLimit && f <= numericLimit
}

// quantize maps a number in range to the integer EventBridge compares: six
// digits to the right of the decimal point.
func quantize(f float64) int64 {
	return int64(1e6 * (numericLimit + f))
}

func numericOperand(v any, op, path string) (int64, error) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, fail(path, "Value of %s must be numeric", op)
	}
	f, ok := numberValue(n)
	if !ok {
		return 0, fail(path, "Value must be between %g and %g, inclusive", -numericLimit, numericLimit)
	}
	return quantize(f), nil
}

func numericRange(arr []any, path string) (matcher, error) {
	if len(arr) == 0 {
		return nil, fail(path, "Invalid member in numeric match: empty")
	}
	op, ok := arr[0].(string)
	if !ok {
		return nil, fail(path, "Invalid member in numeric match: %v", arr[0])
	}
	if len(arr) < 2 {
		return nil, fail(path, "Value of %s must be numeric", op)
	}
	v, err := numericOperand(arr[1], op, path)
	if err != nil {
		return nil, err
	}
	r := numeric{}
	switch op {
	case "=":
		if len(arr) > 2 {
			return nil, fail(path, "Too many elements in numeric expression")
		}
		return numeric{hasLow: true, low: v, hasHigh: true, high: v}, nil
	case "<", "<=":
		if len(arr) > 2 {
			return nil, fail(path, "Too many elements in numeric expression")
		}
		return numeric{hasHigh: true, high: v, openHigh: op == "<"}, nil
	case ">", ">=":
		r = numeric{hasLow: true, low: v, openLow: op == ">"}
	default:
		return nil, fail(path, "Unrecognized numeric range operator: %s", op)
	}
	if len(arr) == 2 {
		return r, nil
	}
	top, ok := arr[2].(string)
	if !ok {
		return nil, fail(path, "Bad value in numeric range: %v", arr[2])
	}
	if top != "<" && top != "<=" {
		return nil, fail(path, "Bad numeric range operator: %s", top)
	}
	if len(arr) < 4 {
		return nil, fail(path, "Value of %s must be numeric", top)
	}
	hv, err := numericOperand(arr[3], top, path)
	if err != nil {
		return nil, err
	}
	if len(arr) > 4 {
		return nil, fail(path, "Too many terms in numeric range expression")
	}
	if hv <= r.low {
		return nil, fail(path, "Bottom must be less than top")
	}
	r.hasHigh, r.high, r.openHigh = true, hv, top == "<"
	return r, nil
}

func anythingBut(val any, path string) (matcher, error) {
	switch t := val.(type) {
	case string:
		return notIn{strs: map[string]struct{}{t: {}}}, nil
	case json.Number:
		return notInNumbers(path, []any{t})
	case []any:
		if len(t) == 0 {
			return nil, fail(path, "Inside anything but list, either all values are number or string, mixed type is not supported")
		}
		if _, isNum := t[0].(json.Number); isNum {
			return notInNumbers(path, t)
		}
		strs := map[string]struct{}{}
		for _, e := range t {
			s, ok := e.(string)
			if !ok {
				if _, isNum := e.(json.Number); isNum {
					return nil, fail(path, "Inside anything but list, either all values are number or string, mixed type is not supported")
				}
				return nil, fail(path, "Inside anything but list, start|null|boolean is not supported.")
			}
			strs[s] = struct{}{}
		}
		return notIn{strs: strs}, nil
	case map[string]any:
		op, inner, err := singleKey(t, path, "Anything-But expression")
		if err != nil {
			return nil, err
		}
		switch op {
		case opPrefix, opSuffix, opIgnoreCase, opWildcard:
		default:
			return nil, fail(path, "Unsupported anything-but pattern: %s", op)
		}
		values, err := stringList(inner, path, op)
		if err != nil {
			return nil, err
		}
		m := notLike{}
		switch op {
		case opPrefix, opSuffix:
			for _, s := range values {
				if s == "" {
					return nil, fail(path, "Null prefix/suffix not allowed")
				}
				if op == opPrefix {
					m.any = append(m.any, prefix{s: s})
				} else {
					m.any = append(m.any, suffix{s: s})
				}
			}
		case opIgnoreCase:
			for _, s := range values {
				m.any = append(m.any, equalsFold{s})
			}
		case opWildcard:
			for _, s := range values {
				w, err := compileWildcard(s, path)
				if err != nil {
					return nil, err
				}
				m.any = append(m.any, w)
			}
		}
		return m, nil
	default:
		return nil, fail(path, "Value of anything-but must be an array or single string/number value.")
	}
}

// stringList accepts a string or a non-empty array of strings.
func stringList(v any, path, op string) ([]string, error) {
	switch t := v.(type) {
	case string:
		return []string{t}, nil
	case []any:
		if len(t) == 0 {
			return nil, fail(path, "Empty arrays are not allowed")
		}
		out := make([]string, 0, len(t))
		for _, e := range t {
			s, ok := e.(string)
			if !ok {
				return nil, fail(path, "Inside anything-but/%s list, number|start|null|boolean is not supported.", op)
			}
			out = append(out, s)
		}
		return out, nil
	default:
		return nil, fail(path, "anything-but/%s match pattern must be a string or an array of strings", op)
	}
}

func notInNumbers(path string, values []any) (matcher, error) {
	m := notIn{nums: map[int64]struct{}{}}
	for _, e := range values {
		n, ok := e.(json.Number)
		if !ok {
			if _, isStr := e.(string); isStr {
				return nil, fail(path, "Inside anything but list, either all values are number or string, mixed type is not supported")
			}
			return nil, fail(path, "Inside anything but list, start|null|boolean is not supported.")
		}
		f, ok := numberValue(n)
		if !ok {
			return nil, fail(path, "Value must be between %g and %g, inclusive", -numericLimit, numericLimit)
		}
		m.nums[quantize(f)] = struct{}{}
	}
	return m, nil
}

// compileWildcard splits a wildcard pattern into the literal runs between its
// unescaped '*' characters. "\*" is a literal star and "\\" a literal backslash.
func compileWildcard(s, path string) (wildcard, error) {
	w := wildcard{src: s}
	var cur strings.Builder
	prevStar := false
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch ch {
		case '*':
			if prevStar {
				return wildcard{}, fail(path, "Consecutive wildcard characters at pos %d", i)
			}
			w.parts = append(w.parts, cur.String())
			cur.Reset()
			prevStar = true
			continue
		case '\\':
			if i+1 >= len(s) || (s[i+1] != '*' && s[i+1] != '\\') {
				return wildcard{}, fail(path, "Invalid escape character at pos %d", i)
			}
			i++
			cur.WriteByte(s[i])
		default:
			cur.WriteByte(ch)
		}
		prevStar = false
	}
	w.parts = append(w.parts, cur.String())
	return w, nil
}
