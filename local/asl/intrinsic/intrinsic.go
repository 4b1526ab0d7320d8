// Package intrinsic parses and evaluates the States Language intrinsic
// functions ("States.Format(...)", "States.ArrayRange(...)", ...) used in
// JSONPath payload templates, with the behaviour AWS Step Functions shows
// (for example MathAdd rounds half up and StringSplit drops empty pieces).
//
// Calls are parsed once; arguments that are paths are resolved through a
// caller-supplied Resolver, so the package knows nothing about state input,
// the context object or variables. It does not evaluate JSONata.
package intrinsic

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/dragons-dev/dragons/local/asl/jsonpath"
)

// Expr is a parsed intrinsic function call.
type Expr struct {
	src  string
	call *call
}

// Resolver resolves a path argument to its value.
type Resolver interface {
	Resolve(p *jsonpath.Path) (any, error)
}

// ResolverFunc adapts a function to Resolver.
type ResolverFunc func(p *jsonpath.Path) (any, error)

// Resolve calls f.
func (f ResolverFunc) Resolve(p *jsonpath.Path) (any, error) { return f(p) }

// Error is a failure of an intrinsic function at run time (bad argument
// type, out of range index, ...). Step Functions reports it as
// States.IntrinsicFailure.
type Error struct {
	Func string
	Msg  string
}

func (e *Error) Error() string {
	return fmt.Sprintf("States.%s: %s", e.Func, e.Msg)
}

type argKind uint8

const (
	argLit argKind = iota
	argPath
	argCall
)

type arg struct {
	kind argKind
	lit  any    // string, float64, bool or nil
	raw  string // for string literals: the text with escapes kept (Format templates)
	path *jsonpath.Path
	call *call
}

type call struct {
	name string
	fn   *funcSpec
	args []arg
}

// IsCall reports whether s looks like an intrinsic function call, i.e.
// starts with "States." (the test AWS applies to "key.$" values).
func IsCall(s string) bool {
	return strings.HasPrefix(strings.TrimSpace(s), "States.")
}

// String returns the source text.
func (e *Expr) String() string { return e.src }

// Paths returns every path argument, in order, including those of nested calls.
func (e *Expr) Paths() []*jsonpath.Path {
	var out []*jsonpath.Path
	var walk func(c *call)
	walk = func(c *call) {
		for _, a := range c.args {
			switch a.kind {
			case argPath:
				out = append(out, a.path)
			case argCall:
				walk(a.call)
			}
		}
	}
	walk(e.call)
	return out
}

// Parse parses an intrinsic function call such as
// "States.Format('Hello {}', $.name)".
func Parse(src string) (*Expr, error) {
	p := &parser{src: src}
	p.skipSpaces()
	c, err := p.parseCall()
	if err != nil {
		return nil, fmt.Errorf("invalid intrinsic function %q: %w", src, err)
	}
	p.skipSpaces()
	if p.pos != len(p.src) {
		return nil, fmt.Errorf("invalid intrinsic function %q: unexpected %q after the call", src, p.src[p.pos:])
	}
	return &Expr{src: src, call: c}, nil
}

type parser struct {
	src string
	pos int
}

func (p *parser) errorf(format string, args ...any) error {
	return fmt.Errorf("at offset %d: %s", p.pos, fmt.Sprintf(format, args...))
}

func (p *parser) skipSpaces() {
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *parser) peek() byte {
	if p.pos < len(p.src) {
		return p.src[p.pos]
	}
	return 0
}

func (p *parser) parseCall() (*call, error) {
	if !strings.HasPrefix(p.src[p.pos:], "States.") {
		return nil, p.errorf("expected a function name starting with 'States.'")
	}
	p.pos += len("States.")
	start := p.pos
	for p.pos < len(p.src) && (isLetter(p.src[p.pos]) || (p.src[p.pos] >= '0' && p.src[p.pos] <= '9')) {
		p.pos++
	}
	name := p.src[start:p.pos]
	spec, ok := funcs[name]
	if !ok {
		return nil, p.errorf("unknown function States.%s", name)
	}
	p.skipSpaces()
	if p.peek() != '(' {
		return nil, p.errorf("expected '(' after States.%s", name)
	}
	p.pos++
	c := &call{name: name, fn: spec}
	p.skipSpaces()
	if p.peek() == ')' {
		p.pos++
	} else {
		for {
			p.skipSpaces()
			a, err := p.parseArg()
			if err != nil {
				return nil, err
			}
			c.args = append(c.args, a)
			p.skipSpaces()
			switch p.peek() {
			case ',':
				p.pos++
				continue
			case ')':
				p.pos++
			default:
				return nil, p.errorf("expected ',' or ')' in arguments of States.%s", name)
			}
			break
		}
	}
	if len(c.args) < spec.min || (spec.max >= 0 && len(c.args) > spec.max) {
		return nil, fmt.Errorf("States.%s takes %s, got %d", name, spec.arity(), len(c.args))
	}
	if err := spec.checkLiterals(c); err != nil {
		return nil, err
	}
	return c, nil
}

func isLetter(c byte) bool {
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func (p *parser) parseArg() (arg, error) {
	c := p.peek()
	switch {
	case c == '\'':
		raw, val, err := p.readString()
		if err != nil {
			return arg{}, err
		}
		return arg{kind: argLit, lit: val, raw: raw}, nil
	case c == '$':
		start := p.pos
		depth := 0
		inQuote := byte(0)
		for p.pos < len(p.src) {
			ch := p.src[p.pos]
			if inQuote != 0 {
				if ch == '\\' {
					if p.pos+1 >= len(p.src) {
						return arg{}, p.errorf("unterminated string")
					}
					p.pos += 2
					continue
				}
				if ch == inQuote {
					inQuote = 0
				}
				p.pos++
				continue
			}
			if ch == '"' || (ch == '\'' && depth > 0) {
				inQuote = ch
				p.pos++
				continue
			}
			if ch == '[' || ch == '(' {
				depth++
			} else if ch == ']' || ch == ')' {
				if depth == 0 {
					break
				}
				depth--
			} else if (ch == ',' || ch == ' ') && depth == 0 {
				break
			}
			p.pos++
		}
		if inQuote != 0 {
			return arg{}, p.errorf("unterminated string")
		}
		text := p.src[start:p.pos]
		path, err := jsonpath.Parse(text)
		if err != nil {
			return arg{}, err
		}
		return arg{kind: argPath, path: path}, nil
	case c == '-' || (c >= '0' && c <= '9'):
		start := p.pos
		p.pos++
		for p.pos < len(p.src) {
			d := p.src[p.pos]
			if (d >= '0' && d <= '9') || d == '.' || d == 'e' || d == 'E' || d == '+' || d == '-' {
				p.pos++
				continue
			}
			break
		}
		f, err := strconv.ParseFloat(p.src[start:p.pos], 64)
		if err != nil {
			return arg{}, p.errorf("bad number %q", p.src[start:p.pos])
		}
		return arg{kind: argLit, lit: f}, nil
	case strings.HasPrefix(p.src[p.pos:], "States."):
		sub, err := p.parseCall()
		if err != nil {
			return arg{}, err
		}
		return arg{kind: argCall, call: sub}, nil
	}
	for _, kw := range []struct {
		s string
		v any
	}{{"true", true}, {"false", false}, {"null", nil}} {
		if strings.HasPrefix(p.src[p.pos:], kw.s) {
			end := p.pos + len(kw.s)
			if end == len(p.src) || !isLetter(p.src[end]) {
				p.pos = end
				return arg{kind: argLit, lit: kw.v}, nil
			}
		}
	}
	return arg{}, p.errorf("unexpected %q in arguments", rest(p.src[p.pos:]))
}

func rest(s string) string {
	if len(s) > 20 {
		return s[:20] + "..."
	}
	return s
}

// readString reads a single-quoted literal. It returns the raw text between
// the quotes (escapes kept, for Format templates) and the decoded value.
// Escapes: \' \\ \{ \} (the last two stay escaped in raw only).
func (p *parser) readString() (string, string, error) {
	p.pos++ // opening quote
	start := p.pos
	var b strings.Builder
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		if c == '\\' {
			if p.pos+1 >= len(p.src) {
				return "", "", p.errorf("unterminated string")
			}
			n := p.src[p.pos+1]
			switch n {
			case '\'', '\\', '{', '}':
				b.WriteByte(n)
			default:
				b.WriteByte('\\')
				b.WriteByte(n)
			}
			p.pos += 2
			continue
		}
		if c == '\'' {
			raw := p.src[start:p.pos]
			p.pos++
			return raw, b.String(), nil
		}
		b.WriteByte(c)
		p.pos++
	}
	return "", "", p.errorf("unterminated string")
}

// Eval evaluates the call, resolving path arguments through r.
func (e *Expr) Eval(r Resolver) (any, error) {
	return e.call.eval(r)
}

func (c *call) eval(r Resolver) (any, error) {
	vals := make([]any, len(c.args))
	for i := range c.args {
		a := &c.args[i]
		switch a.kind {
		case argLit:
			vals[i] = a.lit
		case argPath:
			v, err := r.Resolve(a.path)
			if err != nil {
				return nil, err
			}
			vals[i] = v
		case argCall:
			v, err := a.call.eval(r)
			if err != nil {
				return nil, err
			}
			vals[i] = v
		}
	}
	return c.fn.eval(c, vals)
}
