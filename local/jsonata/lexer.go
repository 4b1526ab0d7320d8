package jsonata

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

type tokKind uint8

const (
	tkEnd tokKind = iota
	tkOp
	tkName     // field name (plain or back-quoted)
	tkVariable // $name
	tkString
	tkNumber
	tkValue // true, false, null
	tkRegex
)

type token struct {
	kind  tokKind
	text  string  // operator, name, variable name, string value, regex pattern
	num   float64 // number value
	val   any     // value token: true, false or nil
	flags string  // regex flags
	pos   int     // rune offset of the token start
	end   int     // byte offset just after the token
	start int     // byte offset of the token start
}

// singleOps are the one-character operators; they also end a plain name.
const singleOps = ".[]{}(),@#;:?+-*/%|=<>^&!~"

var doubleOps = []string{"..", ":=", "!=", ">=", "<=", "**", "~>"}

type lexer struct {
	src     string
	i       int // byte offset
	cb, cr  int // a byte offset and its rune offset, to count runes incrementally
	prev    token
	hasPrev bool
}

func (l *lexer) runePos(byteOff int) int {
	if byteOff < l.cb {
		l.cb, l.cr = 0, 0
	}
	l.cr += utf8.RuneCountInString(l.src[l.cb:byteOff])
	l.cb = byteOff
	return l.cr
}

func (l *lexer) errAt(code string, byteOff int, tokText string, msg string) *Error {
	return &Error{Code: code, Position: l.runePos(byteOff), Token: tokText, Message: msg}
}

// operandExpected reports whether the previous token leaves the parser
// expecting an operand, which is where "/" starts a regular expression.
func (l *lexer) operandExpected() bool {
	if !l.hasPrev {
		return true
	}
	p := l.prev
	switch p.kind {
	case tkOp:
		switch p.text {
		case ")", "]", "}":
			return false
		}
		return true
	case tkName:
		// the keyword operators are lexed as operators already
		return false
	}
	return false
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v'
}

func (l *lexer) next() (token, error) {
	src := l.src
	for {
		for l.i < len(src) && isSpace(src[l.i]) {
			l.i++
		}
		if l.i+1 < len(src) && src[l.i] == '/' && src[l.i+1] == '*' {
			end := strings.Index(src[l.i+2:], "*/")
			if end < 0 {
				return token{}, l.errAt("S0106", len(src), "", "comment has no closing tag")
			}
			l.i += 2 + end + 2
			continue
		}
		break
	}
	start := l.i
	t := token{start: start}
	if l.i >= len(src) {
		t.kind = tkEnd
		t.end = l.i
		t.pos = l.runePos(l.i)
		return t, nil
	}
	c := src[l.i]
	switch {
	case c == '/' && l.operandExpected():
		return l.regex(t)
	case c == '"' || c == '\'':
		s, err := l.str(c)
		if err != nil {
			return token{}, err
		}
		t.kind, t.text = tkString, s
	case c == '`':
		end := strings.IndexByte(src[l.i+1:], '`')
		if end < 0 {
			return token{}, l.errAt("S0105", len(src), "", "quoted property name has no closing backtick")
		}
		t.kind, t.text = tkName, src[l.i+1:l.i+1+end]
		l.i += end + 2
	case c >= '0' && c <= '9':
		n := scanNumber(src[l.i:])
		f, err := strconv.ParseFloat(src[l.i:l.i+n], 64)
		if err != nil || math.IsInf(f, 0) {
			return token{}, l.errAt("S0102", l.i+n, src[l.i:l.i+n], "number out of range: "+src[l.i:l.i+n])
		}
		t.kind, t.num, t.text = tkNumber, f, src[l.i:l.i+n]
		l.i += n
	default:
		for _, op := range doubleOps {
			if strings.HasPrefix(src[l.i:], op) {
				t.kind, t.text = tkOp, op
				l.i += 2
				t.end = l.i
				t.pos = l.runePos(l.i)
				return t, nil
			}
		}
		if strings.IndexByte(singleOps, c) >= 0 {
			t.kind, t.text = tkOp, string(c)
			l.i++
			break
		}
		isVar := c == '$'
		if isVar {
			l.i++
		}
		j := l.i
		for j < len(src) && !isSpace(src[j]) && strings.IndexByte(singleOps, src[j]) < 0 {
			j++
		}
		name := src[l.i:j]
		l.i = j
		if isVar {
			t.kind, t.text = tkVariable, name
			break
		}
		switch name {
		case "and", "or", "in":
			t.kind, t.text = tkOp, name
		case "true":
			t.kind, t.val, t.text = tkValue, true, name
		case "false":
			t.kind, t.val, t.text = tkValue, false, name
		case "null":
			t.kind, t.val, t.text = tkValue, nil, name
		default:
			t.kind, t.text = tkName, name
		}
	}
	t.end = l.i
	t.pos = l.runePos(l.i)
	return t, nil
}

// scanNumber returns the length of the JSON-style unsigned number at the
// start of s (s starts with a digit).
func scanNumber(s string) int {
	i := 0
	if s[0] == '0' {
		i = 1
	} else {
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	if i+1 < len(s) && s[i] == '.' && s[i+1] >= '0' && s[i+1] <= '9' {
		i += 2
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if j < len(s) && s[j] >= '0' && s[j] <= '9' {
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			i = j
		}
	}
	return i
}

func (l *lexer) str(quote byte) (string, error) {
	src := l.src
	l.i++
	var b strings.Builder
	for l.i < len(src) {
		c := src[l.i]
		if c == quote {
			l.i++
			return b.String(), nil
		}
		if c != '\\' {
			b.WriteByte(c)
			l.i++
			continue
		}
		l.i++
		if l.i >= len(src) {
			break
		}
		e := src[l.i]
		switch e {
		case '"', '\\', '/':
			b.WriteByte(e)
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			r, ok := hex4(src, l.i+1)
			if !ok {
				return "", l.errAt("S0104", l.i-1, "", "the escape sequence \\u must be followed by 4 hex digits")
			}
			l.i += 4
			// combine a UTF-16 surrogate pair
			if r >= 0xD800 && r < 0xDC00 && l.i+6 < len(src) && strings.HasPrefix(src[l.i+1:], "\\u") {
				if r2, ok := hex4(src, l.i+3); ok && r2 >= 0xDC00 && r2 < 0xE000 {
					r = 0x10000 + (r-0xD800)<<10 + (r2 - 0xDC00)
					l.i += 6
				}
			}
			b.WriteRune(r)
		default:
			return "", l.errAt("S0103", l.i+1, string(e), "unsupported escape sequence: \\"+string(e))
		}
		l.i++
	}
	return "", l.errAt("S0101", len(src), "", "string literal must be terminated by a matching quote")
}

func hex4(s string, i int) (rune, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	v, err := strconv.ParseUint(s[i:i+4], 16, 32)
	if err != nil {
		return 0, false
	}
	return rune(v), true
}

func (l *lexer) regex(t token) (token, error) {
	src := l.src
	start := l.i
	l.i++
	depth := 0 // inside [...]
	for l.i < len(src) {
		c := src[l.i]
		if c == '\\' {
			l.i += 2
			continue
		}
		if c == '[' {
			depth++
		} else if c == ']' && depth > 0 {
			depth--
		} else if c == '/' && depth == 0 {
			pattern := src[start+1 : l.i]
			if pattern == "" {
				return token{}, l.errAt("S0301", l.i+1, "", "empty regular expressions are not allowed")
			}
			l.i++
			fs := l.i
			for l.i < len(src) && (src[l.i] == 'i' || src[l.i] == 'm') {
				l.i++
			}
			t.kind, t.text, t.flags = tkRegex, pattern, src[fs:l.i]
			t.end = l.i
			t.pos = l.runePos(l.i)
			return t, nil
		}
		l.i++
	}
	return token{}, l.errAt("S0302", len(src), "", "regular expression has no closing slash")
}

func tokenize(src string) ([]token, error) {
	l := &lexer{src: src}
	var toks []token
	for {
		t, err := l.next()
		if err != nil {
			return nil, err
		}
		toks = append(toks, t)
		if t.kind == tkEnd {
			return toks, nil
		}
		l.prev, l.hasPrev = t, true
	}
}
