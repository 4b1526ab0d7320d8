package jsonata

import (
	"encoding/base64"
	"math"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

func defineStringFunctions() {
	define("string", "<x-b?:s>", func(ev *evaluator, c *call, a []any) (any, error) {
		if a[0] == Undefined {
			return Undefined, nil
		}
		pretty, _ := a[1].(bool)
		return stringOf(a[0], pretty)
	})
	define("length", "<s-:n>", func(ev *evaluator, c *call, a []any) (any, error) {
		if a[0] == Undefined {
			return Undefined, nil
		}
		return float64(utf8.RuneCountInString(a[0].(string))), nil
	})
	define("substring", "<s-nn?:s>", func(ev *evaluator, c *call, a []any) (any, error) {
		if a[0] == Undefined {
			return Undefined, nil
		}
		rs := []rune(a[0].(string))
		if a[1] == Undefined {
			return Undefined, nil
		}
		start := a[1].(float64)
		n := float64(len(rs))
		if n+start < 0 {
			start = 0
		}
		if a[2] != Undefined {
			length := a[2].(float64)
			if length <= 0 {
				return "", nil
			}
			end := start + length
			if start < 0 {
				end = n + start + length
			}
			return sliceRunes(rs, start, end), nil
		}
		return sliceRunes(rs, start, n), nil
	})
	define("substringBefore", "<s-s:s>", func(ev *evaluator, c *call, a []any) (any, error) {
		if a[0] == Undefined {
			return Undefined, nil
		}
		s := a[0].(string)
		if a[1] == Undefined {
			return s, nil
		}
		if i := strings.Index(s, a[1].(string)); i >= 0 {
			return s[:i], nil
		}
		return s, nil
	})
	define("substringAfter", "<s-s:s>", func(ev *evaluator, c *call, a []any) (any, error) {
		if a[0] == Undefined {
			return Undefined, nil
		}
		s := a[0].(string)
		if a[1] == Undefined {
			return s, nil
		}
		sub := a[1].(string)
		if i := strings.Index(s, sub); i >= 0 {
			return s[i+len(sub):], nil
		}
		return s, nil
	})
	define("uppercase", "<s-:s>", func(ev *evaluator, c *call, a []any) (any, error) {
		if a[0] == Undefined {
			return Undefined, nil
		}
		return upperJS(a[0].(string)), nil
	})
	define("lowercase", "<s-:s>", func(ev *evaluator, c *call, a []any) (any, error) {
		if a[0] == Undefined {
			return Undefined, nil
		}
		return lowerJS(a[0].(string)), nil
	})
	define("trim", "<s-:s>", func(ev *evaluator, c *call, a []any) (any, error) {
		if a[0] == Undefined {
			return Undefined, nil
		}
		return trimJSONata(a[0].(string)), nil
	})
	define("pad", "<s-ns?:s>", func(ev *evaluator, c *call, a []any) (any, error) {
		if a[0] == Undefined || a[1] == Undefined {
			return a[0], nil
		}
		s := a[0].(string)
		width := a[1].(float64)
		ch := " "
		if p, ok := a[2].(string); ok && p != "" {
			ch = p
		}
		padLen := int(math.Abs(math.Trunc(width))) - utf8.RuneCountInString(s)
		if padLen <= 0 {
			return s, nil
		}
		padding := []rune(strings.Repeat(ch, padLen))[:padLen]
		if width > 0 {
			return s + string(padding), nil
		}
		return string(padding) + s, nil
	})
	define("contains", "<s-(sf):b>", func(ev *evaluator, c *call, a []any) (any, error) {
		if a[0] == Undefined {
			return Undefined, nil
		}
		s := a[0].(string)
		switch p := a[1].(type) {
		case string:
			return strings.Contains(s, p), nil
		case *regexFn:
			return newMatcher(p.re, s).first() != nil, nil
		}
		if a[1] == Undefined {
			return Undefined, nil
		}
		m, err := ev.callback(c, a[1], []any{s})
		if err != nil {
			return nil, err
		}
		return m != Undefined, nil
	})
	define("split", "<s-(sf)n?:a<s>>", func(ev *evaluator, c *call, a []any) (any, error) {
		if a[0] == Undefined {
			return Undefined, nil
		}
		s := a[0].(string)
		limit, err := matchLimit(a[2], "D3020", "third argument of split function must evaluate to a positive number")
		if err != nil {
			return nil, err
		}
		var parts []string
		switch p := a[1].(type) {
		case string:
			if p == "" {
				for _, r := range s {
					parts = append(parts, string(r))
				}
			} else {
				parts = strings.Split(s, p)
			}
		case *regexFn:
			out := &jarr{}
			if limit == 0 {
				return out, nil
			}
			start, count := 0, 0
			m := newMatcher(p.re, s)
			err = m.each(limit, func(r *reMatch) error {
				out.push(s[start:r.byteStart])
				start = r.byteEnd
				count++
				return nil
			})
			if err != nil {
				return nil, err
			}
			if limit < 0 || count < limit {
				out.push(s[start:])
			}
			return out, nil
		default:
			return nil, fnErr("T0410", a[1], "argument 2 of function \"split\" does not match function signature")
		}
		out := &jarr{}
		for _, part := range parts {
			if limit >= 0 && len(out.items) >= limit {
				break
			}
			out.push(part)
		}
		return out, nil
	})
	define("join", "<a<s>s?:s>", func(ev *evaluator, c *call, a []any) (any, error) {
		if a[0] == Undefined {
			return Undefined, nil
		}
		items, _ := arrayItems(a[0])
		sep := ""
		if s, ok := a[1].(string); ok {
			sep = s
		}
		strs := make([]string, len(items))
		for i, it := range items {
			strs[i] = it.(string)
		}
		return strings.Join(strs, sep), nil
	})
	define("match", "<s-f<s:o>n?:a<o>>", func(ev *evaluator, c *call, a []any) (any, error) {
		if a[0] == Undefined {
			return Undefined, nil
		}
		s := a[0].(string)
		limit, err := matchLimit(a[2], "D3040", "third argument of match function must evaluate to a positive number")
		if err != nil {
			return nil, err
		}
		re, ok := a[1].(*regexFn)
		if !ok {
			return nil, fnErr("T0410", a[1], "argument 2 of function \"match\" must be a regular expression")
		}
		out := newSeq()
		err = newMatcher(re.re, s).each(limit, func(m *reMatch) error {
			out.push(matchRecord(m))
			return nil
		})
		if err != nil {
			return nil, err
		}
		return out, nil
	})
	define("replace", "<s-(sf)(sf)n?:s>", func(ev *evaluator, c *call, a []any) (any, error) {
		if a[0] == Undefined {
			return Undefined, nil
		}
		s := a[0].(string)
		limit, err := matchLimit(a[3], "D3011", "fourth argument of replace function must evaluate to a positive number")
		if err != nil {
			return nil, err
		}
		switch p := a[1].(type) {
		case string:
			if p == "" {
				return nil, fnErr("D3010", p, "second argument of replace function cannot be an empty string")
			}
			repl, ok := a[2].(string)
			if !ok {
				return nil, fnErr("D3012", a[2], "attempted to replace a matched string with a non-string value")
			}
			return strings.Replace(s, p, repl, limit), nil
		case *regexFn:
			var b strings.Builder
			pos := 0
			err = newMatcher(p.re, s).each(limit, func(m *reMatch) error {
				b.WriteString(s[pos:m.byteStart])
				switch r := a[2].(type) {
				case string:
					b.WriteString(expandReplacement(r, m))
				default:
					res, err := ev.callback(c, a[2], []any{matchRecord(m)})
					if err != nil {
						return err
					}
					rs, ok := res.(string)
					if !ok {
						return fnErr("D3012", res, "attempted to replace a matched string with a non-string value")
					}
					b.WriteString(rs)
				}
				pos = m.byteEnd
				return nil
			})
			if err != nil {
				return nil, err
			}
			b.WriteString(s[pos:])
			return b.String(), nil
		}
		return nil, fnErr("T0410", a[1], "argument 2 of function \"replace\" does not match function signature")
	})
	define("base64encode", "<s-:s>", func(ev *evaluator, c *call, a []any) (any, error) {
		if a[0] == Undefined {
			return Undefined, nil
		}
		// JSONata encodes each UTF-16 code unit's low byte (Latin-1)
		units := utf16.Encode([]rune(a[0].(string)))
		b := make([]byte, len(units))
		for i, u := range units {
			b[i] = byte(u)
		}
		return base64.StdEncoding.EncodeToString(b), nil
	})
	define("base64decode", "<s-:s>", func(ev *evaluator, c *call, a []any) (any, error) {
		if a[0] == Undefined {
			return Undefined, nil
		}
		return decodeBase64Latin1(a[0].(string)), nil
	})
	define("encodeUrlComponent", "<s-:s>", func(ev *evaluator, c *call, a []any) (any, error) {
		if a[0] == Undefined {
			return Undefined, nil
		}
		return encodeURI(a[0].(string), "-_.!~*'()"), nil
	})
	define("encodeUrl", "<s-:s>", func(ev *evaluator, c *call, a []any) (any, error) {
		if a[0] == Undefined {
			return Undefined, nil
		}
		return encodeURI(a[0].(string), "-_.!~*'();,/?:@&=+$#"), nil
	})
	decode := func(component bool) func(ev *evaluator, c *call, a []any) (any, error) {
		return func(ev *evaluator, c *call, a []any) (any, error) {
			if a[0] == Undefined {
				return Undefined, nil
			}
			s := a[0].(string)
			var out string
			var err error
			if component {
				out, err = url.PathUnescape(s)
			} else {
				out, err = decodeURIKeepReserved(s)
			}
			if err != nil || !utf8.ValidString(out) {
				return nil, fnErr("D3140", s, "malformed URL passed to $decodeUrl(): %q", s)
			}
			return out, nil
		}
	}
	define("decodeUrlComponent", "<s-:s>", decode(true))
	define("decodeUrl", "<s-:s>", decode(false))
}

func sliceRunes(rs []rune, start, end float64) string {
	n := float64(len(rs))
	norm := func(x float64) int {
		x = math.Trunc(x)
		if x < 0 {
			x += n
			if x < 0 {
				x = 0
			}
		}
		if x > n {
			x = n
		}
		return int(x)
	}
	s, e := norm(start), norm(end)
	if s >= e {
		return ""
	}
	return string(rs[s:e])
}

var jsonataSpace = regexp.MustCompile(`[ \t\n\r]+`)

func trimJSONata(s string) string {
	s = jsonataSpace.ReplaceAllString(s, " ")
	s = strings.TrimPrefix(s, " ")
	return strings.TrimSuffix(s, " ")
}

// expandReplacement substitutes $0, $1.. and $$ in a $replace replacement
// string.
func expandReplacement(repl string, m *reMatch) string {
	var b strings.Builder
	pos := 0
	for pos < len(repl) {
		i := strings.IndexByte(repl[pos:], '$')
		if i < 0 {
			break
		}
		b.WriteString(repl[pos : pos+i])
		pos += i + 1
		if pos >= len(repl) {
			b.WriteByte('$')
			break
		}
		switch c := repl[pos]; {
		case c == '$':
			b.WriteByte('$')
			pos++
		case c == '0':
			b.WriteString(m.match)
			pos++
		default:
			maxDigits := 1
			if len(m.groups) > 0 {
				maxDigits = int(math.Floor(math.Log10(float64(len(m.groups))))) + 1
			}
			digits := leadingDigits(repl[pos:], maxDigits)
			idx, err := strconv.Atoi(digits)
			if maxDigits > 1 && err == nil && idx > len(m.groups) && len(digits) > 1 {
				digits = digits[:len(digits)-1]
				idx, err = strconv.Atoi(digits)
			}
			if err != nil {
				b.WriteByte('$')
				continue
			}
			if idx >= 1 && idx <= len(m.groups) {
				if g, ok := m.groups[idx-1].(string); ok {
					b.WriteString(g)
				}
			}
			pos += len(strconv.Itoa(idx))
		}
	}
	if pos < len(repl) {
		b.WriteString(repl[pos:])
	}
	return b.String()
}

func leadingDigits(s string, max int) string {
	n := 0
	for n < len(s) && n < max && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return s[:n]
}

// encodeURI percent-encodes s as JavaScript's encodeURI/encodeURIComponent
// do, leaving ASCII letters, digits and the characters in keep unescaped.
func encodeURI(s, keep string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x80 && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(keep, c) >= 0) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&0xF])
	}
	return b.String()
}

// decodeURIKeepReserved is JavaScript's decodeURI: escapes of reserved
// characters stay encoded.
func decodeURIKeepReserved(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if i+2 >= len(s) {
			return "", fnErr("D3140", s, "malformed URL")
		}
		v, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
		if err != nil {
			return "", fnErr("D3140", s, "malformed URL")
		}
		if v < 0x80 && strings.IndexByte(";/?:@&=+$,#", byte(v)) >= 0 {
			b.WriteString(s[i : i+3])
		} else {
			b.WriteByte(byte(v))
		}
		i += 2
	}
	return b.String(), nil
}

// decodeBase64Latin1 decodes leniently (characters outside the alphabet are
// skipped, padding is optional) and maps each byte to the character with
// that code, as JSONata does.
func decodeBase64Latin1(s string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	var bits, n uint
	var out []rune
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '=' {
			break
		}
		v := strings.IndexByte(alphabet, c)
		if v < 0 {
			if c == '-' {
				v = 62
			} else if c == '_' {
				v = 63
			} else {
				continue
			}
		}
		bits = bits<<6 | uint(v)
		n += 6
		if n >= 8 {
			n -= 8
			out = append(out, rune(byte(bits>>n)))
			bits &= 1<<n - 1
		}
	}
	return string(out)
}

// upperJS applies the full (not one-to-one) upper-case mappings that
// JavaScript's toUpperCase uses for the common cases.
func upperJS(s string) string {
	u := strings.ToUpper(s)
	if !strings.ContainsAny(u, "ßŉǰΐΰևẖẗẘẙẚﬀﬁﬂﬃﬄﬅﬆ") {
		return u
	}
	return strings.NewReplacer("ß", "SS", "ŉ", "ʼN", "ǰ", "J̌", "ﬀ", "FF", "ﬁ", "FI", "ﬂ", "FL", "ﬃ", "FFI", "ﬄ", "FFL", "ﬅ", "ST", "ﬆ", "ST", "և", "ԵՒ", "ẖ", "H̱", "ẗ", "T̈", "ẘ", "W̊", "ẙ", "Y̊", "ẚ", "Aʾ").Replace(u)
}

// lowerJS is strings.ToLower plus the final-sigma rule of JavaScript's
// toLowerCase.
func lowerJS(s string) string {
	if !strings.ContainsRune(s, 'Σ') {
		return strings.ToLower(s)
	}
	rs := []rune(s)
	out := []rune(strings.ToLower(s))
	if len(out) != len(rs) {
		return string(out)
	}
	for i, r := range rs {
		if r != 'Σ' {
			continue
		}
		before := i > 0 && unicode.IsLetter(rs[i-1])
		after := i+1 < len(rs) && unicode.IsLetter(rs[i+1])
		if before && !after {
			out[i] = 'ς'
		}
	}
	return string(out)
}
