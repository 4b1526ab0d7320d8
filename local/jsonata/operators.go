package jsonata

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

func (ev *evaluator) evalBinary(n *node, input any, e *env) (any, error) {
	lhs, err := ev.eval(n.lhs, input, e)
	if err != nil {
		return nil, err
	}
	switch n.op {
	case "and":
		if !toBool(lhs) {
			return false, nil
		}
		rhs, err := ev.eval(n.rhs, input, e)
		if err != nil {
			return nil, err
		}
		return toBool(rhs), nil
	case "or":
		if toBool(lhs) {
			return true, nil
		}
		rhs, err := ev.eval(n.rhs, input, e)
		if err != nil {
			return nil, err
		}
		return toBool(rhs), nil
	}
	rhs, err := ev.eval(n.rhs, input, e)
	if err != nil {
		return nil, err
	}
	switch n.op {
	case "+", "-", "*", "/", "%":
		return arithmetic(n, lhs, rhs)
	case "=", "!=":
		if lhs == Undefined || rhs == Undefined {
			return false, nil
		}
		eq := deepEqual(lhs, rhs)
		if n.op == "!=" {
			return !eq, nil
		}
		return eq, nil
	case "<", "<=", ">", ">=":
		return compare(n, lhs, rhs)
	case "&":
		var b strings.Builder
		for _, v := range []any{lhs, rhs} {
			if v == Undefined {
				continue
			}
			s, err := stringOf(v, false)
			if err != nil {
				return nil, withPos(err, n)
			}
			b.WriteString(s)
		}
		return b.String(), nil
	case "..":
		return rangeOp(n, lhs, rhs)
	case "in":
		if lhs == Undefined || rhs == Undefined {
			return false, nil
		}
		items, ok := arrayItems(rhs)
		if !ok {
			items = []any{rhs}
		}
		for _, it := range items {
			if isScalar(it) && deepEqual(it, lhs) {
				return true, nil
			}
		}
		return false, nil
	}
	return nil, errAt(n, "S0201", n.op, nil, "unknown operator %q", n.op)
}

func isScalar(v any) bool {
	switch v.(type) {
	case nil, bool, float64, string:
		return true
	}
	return false
}

func withPos(err error, n *node) error {
	if je, ok := err.(*Error); ok && je.Position < 0 {
		je.Position = n.pos
	}
	return err
}

func arithmetic(n *node, lhs, rhs any) (any, error) {
	for _, v := range []any{lhs, rhs} {
		if f, ok := v.(float64); ok && math.IsInf(f, 0) {
			return nil, errAt(n, "D1001", n.op, nil, "number out of range: %s", formatNumberJS(f))
		}
	}
	if lhs != Undefined && !isNumber(lhs) {
		return nil, errAt(n, "T2001", n.op, lhs, "the left side of the %q operator must evaluate to a number", n.op)
	}
	if rhs != Undefined && !isNumber(rhs) {
		return nil, errAt(n, "T2002", n.op, rhs, "the right side of the %q operator must evaluate to a number", n.op)
	}
	if lhs == Undefined || rhs == Undefined {
		return Undefined, nil
	}
	a, b := lhs.(float64), rhs.(float64)
	var r float64
	switch n.op {
	case "+":
		r = a + b
	case "-":
		r = a - b
	case "*":
		r = a * b
	case "/":
		r = a / b
	case "%":
		r = math.Mod(a, b)
	}
	// like JavaScript, a non-finite result is a value (rendered as null);
	// using it as an operand fails
	return r, nil
}

func compare(n *node, lhs, rhs any) (any, error) {
	comparable := func(v any) bool {
		switch v.(type) {
		case float64, string:
			return true
		}
		return v == Undefined
	}
	if !comparable(lhs) {
		return nil, errAt(n, "T2010", n.op, lhs, "the expressions either side of operator %q must evaluate to numeric or string values", n.op)
	}
	if !comparable(rhs) {
		return nil, errAt(n, "T2010", n.op, rhs, "the expressions either side of operator %q must evaluate to numeric or string values", n.op)
	}
	if lhs == Undefined || rhs == Undefined {
		return Undefined, nil
	}
	var c int
	switch a := lhs.(type) {
	case float64:
		b, ok := rhs.(float64)
		if !ok {
			return nil, errAt(n, "T2009", n.op, rhs, "the values %s and %s either side of operator %q must be of the same data type", describe(lhs), describe(rhs), n.op)
		}
		switch {
		case a < b:
			c = -1
		case a > b:
			c = 1
		}
	case string:
		b, ok := rhs.(string)
		if !ok {
			return nil, errAt(n, "T2009", n.op, rhs, "the values %s and %s either side of operator %q must be of the same data type", describe(lhs), describe(rhs), n.op)
		}
		c = compareStrings(a, b)
	}
	switch n.op {
	case "<":
		return c < 0, nil
	case "<=":
		return c <= 0, nil
	case ">":
		return c > 0, nil
	}
	return c >= 0, nil
}

// compareStrings orders strings by UTF-16 code units, as JavaScript does.
func compareStrings(a, b string) int {
	for a != "" && b != "" {
		ra, na := utf8.DecodeRuneInString(a)
		rb, nb := utf8.DecodeRuneInString(b)
		if ra != rb {
			ka, kb := utf16Key(ra), utf16Key(rb)
			if ka < kb {
				return -1
			}
			return 1
		}
		a, b = a[na:], b[nb:]
	}
	switch {
	case a == "" && b == "":
		return 0
	case a == "":
		return -1
	}
	return 1
}

func utf16Key(r rune) int {
	if r >= 0x10000 {
		hi, lo := utf16.EncodeRune(r)
		return int(hi)<<16 | int(lo)
	}
	return int(r) << 16
}

func rangeOp(n *node, lhs, rhs any) (any, error) {
	if lhs != Undefined {
		if f, ok := lhs.(float64); !ok || !isInteger(f) {
			return nil, errAt(n, "T2003", "..", lhs, "the left side of the range operator (..) must evaluate to an integer")
		}
	}
	if rhs != Undefined {
		if f, ok := rhs.(float64); !ok || !isInteger(f) {
			return nil, errAt(n, "T2004", "..", rhs, "the right side of the range operator (..) must evaluate to an integer")
		}
	}
	if lhs == Undefined || rhs == Undefined {
		return Undefined, nil
	}
	a, b := lhs.(float64), rhs.(float64)
	if a > b {
		return Undefined, nil
	}
	size := b - a + 1
	if size > 1e7 {
		return nil, errAt(n, "D2014", "..", size, "the size of the sequence allocated by the range operator (..) must not exceed 1e7; attempted to allocate %s", formatNumberJS(size))
	}
	out := &jarr{items: make([]any, int(size))}
	for i := range out.items {
		out.items[i] = a + float64(i)
	}
	return out, nil
}

// toBool is JSONata's boolean casting, with undefined read as false.
func toBool(v any) bool {
	b, _ := booleanOf(v)
	return b
}

// booleanOf is $boolean; defined is false for undefined.
func booleanOf(v any) (b bool, defined bool) {
	switch x := v.(type) {
	case nil:
		return false, true
	case bool:
		return x, true
	case string:
		return x != "", true
	case float64:
		return x != 0, true
	case *jarr, []any:
		items, _ := arrayItems(x)
		switch len(items) {
		case 0:
			return false, true
		case 1:
			b, _ := booleanOf(items[0])
			return b, true
		}
		for _, it := range items {
			if b, _ := booleanOf(it); b {
				return true, true
			}
		}
		return false, true
	case map[string]any, *jobj:
		return objectLen(x) > 0, true
	case callable:
		return false, true
	}
	return false, false
}

// stringOf is $string: strings unchanged, functions as "", everything else
// as JSON with numbers rounded to 15 significant digits.
func stringOf(v any, pretty bool) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case callable:
		return "", nil
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return "", &Error{Code: "D3001", Position: -1, Value: x, Message: "attempting to invoke string function on Infinity or NaN"}
		}
	}
	var b strings.Builder
	indent := ""
	if pretty {
		indent = "  "
	}
	writeJSON(&b, v, indent, "")
	return b.String(), nil
}

func writeJSON(b *strings.Builder, v any, indent, cur string) {
	if a, ok := v.(*jarr); ok && a.outerWrapper && len(a.items) == 1 {
		v = a.items[0]
	}
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		if x {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case float64:
		r := round15(x)
		if math.IsInf(r, 0) || math.IsNaN(r) {
			b.WriteString("null")
			return
		}
		b.WriteString(formatNumberJS(r))
	case string:
		writeJSONString(b, x)
	case callable:
		b.WriteString(`""`)
	case *jarr, []any:
		items, _ := arrayItems(x)
		if len(items) == 0 {
			b.WriteString("[]")
			return
		}
		b.WriteByte('[')
		inner := cur + indent
		for i, it := range items {
			if i > 0 {
				b.WriteByte(',')
			}
			if indent != "" {
				b.WriteByte('\n')
				b.WriteString(inner)
			}
			if it == Undefined {
				b.WriteString("null")
			} else {
				writeJSON(b, it, indent, inner)
			}
		}
		if indent != "" {
			b.WriteByte('\n')
			b.WriteString(cur)
		}
		b.WriteByte(']')
	case map[string]any, *jobj:
		keys := objectKeys(x)
		inner := cur + indent
		n := 0
		b.WriteByte('{')
		for _, k := range keys {
			val, _ := objectGet(x, k)
			if val == Undefined {
				continue
			}
			if n > 0 {
				b.WriteByte(',')
			}
			n++
			if indent != "" {
				b.WriteByte('\n')
				b.WriteString(inner)
			}
			writeJSONString(b, k)
			b.WriteByte(':')
			if indent != "" {
				b.WriteByte(' ')
			}
			writeJSON(b, val, indent, inner)
		}
		if indent != "" && n > 0 {
			b.WriteByte('\n')
			b.WriteString(cur)
		}
		b.WriteByte('}')
	case tuple:
		writeJSON(b, x["@"], indent, cur)
	default:
		b.WriteString("null")
	}
}

func writeJSONString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if r < 0x20 {
				b.WriteString(`\u00`)
				const hex = "0123456789abcdef"
				b.WriteByte(hex[r>>4])
				b.WriteByte(hex[r&0xF])
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
}

// describe renders a value for error messages.
func describe(v any) string {
	if v == Undefined {
		return "undefined"
	}
	if f, ok := v.(float64); ok {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	var b strings.Builder
	writeJSON(&b, v, "", "")
	return b.String()
}
