package jsonata

import (
	"fmt"
	"regexp"
	"strings"
)

// binding powers of the infix operators
var bindingPower = map[string]int{
	".": 75, "[": 80, "{": 70, "(": 80, "@": 80, "#": 80,
	"?": 20, "+": 50, "-": 50, "*": 60, "/": 60, "%": 60,
	"=": 40, "<": 40, ">": 40, "^": 40, "**": 60, ":=": 10,
	"!=": 40, "<=": 40, ">=": 40, "~>": 40,
	"and": 30, "or": 25, "in": 40, "&": 50,
}

type parser struct {
	src     string
	toks    []token
	i       int
	depth   int
	closers []string // closing tokens of the brackets being parsed
}

func (p *parser) open(closer string) { p.closers = append(p.closers, closer) }
func (p *parser) close()             { p.closers = p.closers[:len(p.closers)-1] }

// maxParseDepth bounds the nesting of the source so that hostile input
// cannot exhaust the stack.
const maxParseDepth = 500

func parse(src string) (*node, error) {
	toks, err := tokenize(src)
	if err != nil {
		return nil, err
	}
	p := &parser{src: src, toks: toks}
	raw, err := p.expression(0)
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tkEnd {
		return nil, &Error{Code: "S0201", Position: t.pos, Token: t.text, Message: fmt.Sprintf("syntax error: unexpected %q", t.text)}
	}
	return process(raw)
}

func (p *parser) peek() *token { return &p.toks[p.i] }

func (p *parser) advance() token {
	t := p.toks[p.i]
	if t.kind != tkEnd {
		p.i++
	}
	return t
}

func (p *parser) isOp(op string) bool {
	t := p.peek()
	return t.kind == tkOp && t.text == op
}

func (p *parser) expect(op string) error {
	t := p.peek()
	if t.kind == tkOp && t.text == op {
		p.i++
		return nil
	}
	if t.kind == tkEnd {
		return &Error{Code: "S0203", Position: t.pos, Token: op, Message: fmt.Sprintf("expected %q before end of expression", op)}
	}
	return &Error{Code: "S0202", Position: t.pos, Token: t.text, Message: fmt.Sprintf("expected %q, got %q", op, t.text)}
}

func lbp(t *token) int {
	if t.kind != tkOp {
		return 0
	}
	return bindingPower[t.text]
}

func (p *parser) expression(rbp int) (*node, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxParseDepth {
		return nil, &Error{Code: "S0208", Position: p.peek().pos, Message: "expression is nested too deeply"}
	}
	t := p.advance()
	left, err := p.nud(t)
	if err != nil {
		return nil, err
	}
	for rbp < lbp(p.peek()) {
		t = p.advance()
		left, err = p.led(t, left)
		if err != nil {
			return nil, err
		}
	}
	return left, nil
}

func (p *parser) nud(t token) (*node, error) {
	n := &node{pos: t.pos}
	switch t.kind {
	case tkEnd:
		if len(p.closers) > 0 {
			c := p.closers[len(p.closers)-1]
			return nil, &Error{Code: "S0203", Position: t.pos, Token: c, Message: fmt.Sprintf("expected %q before end of expression", c)}
		}
		return nil, &Error{Code: "S0207", Position: t.pos, Message: "unexpected end of expression"}
	case tkNumber:
		n.kind, n.num = kNumber, t.num
		return n, nil
	case tkString:
		n.kind, n.str = kString, t.text
		return n, nil
	case tkValue:
		n.kind, n.val = kValue, t.val
		return n, nil
	case tkVariable:
		n.kind, n.str = kVariable, t.text
		return n, nil
	case tkName:
		n.kind, n.str = kName, t.text
		return n, nil
	case tkRegex:
		re, err := compileRegex(t.text, t.flags)
		if err != nil {
			return nil, &Error{Code: "S0303", Position: t.pos, Token: t.text, Message: fmt.Sprintf("invalid regular expression /%s/: %v", t.text, err)}
		}
		n.kind, n.re, n.reSrc = kRegex, re, t.text
		return n, nil
	}
	switch t.text {
	case "and", "or", "in":
		n.kind, n.str = kName, t.text
		return n, nil
	case "-":
		e, err := p.expression(70)
		if err != nil {
			return nil, err
		}
		n.kind, n.expr = kNeg, e
		return n, nil
	case "*":
		n.kind = kWildcard
		return n, nil
	case "**":
		n.kind = kDescendant
		return n, nil
	case "%":
		n.kind = kParent
		return n, nil
	case "(":
		p.open(")")
		defer p.close()
		n.kind = kBlock
		for !p.isOp(")") {
			e, err := p.expression(0)
			if err != nil {
				return nil, err
			}
			n.exprs = append(n.exprs, e)
			if !p.isOp(";") {
				break
			}
			p.advance()
		}
		return n, p.expect(")")
	case "[":
		p.open("]")
		defer p.close()
		n.kind = kArray
		err := p.commaList("]", func() error {
			item, err := p.expression(0)
			if err != nil {
				return err
			}
			if p.isOp("..") {
				r := &node{kind: kBinary, op: "..", pos: p.peek().pos, lhs: item}
				p.advance()
				if r.rhs, err = p.expression(0); err != nil {
					return err
				}
				item = r
			}
			n.exprs = append(n.exprs, item)
			return nil
		})
		if err != nil {
			return nil, err
		}
		return n, p.expect("]")
	case "{":
		pairs, err := p.pairs()
		if err != nil {
			return nil, err
		}
		n.kind, n.pairs = kObject, pairs
		return n, nil
	case "!", "~":
		return nil, &Error{Code: "S0204", Position: t.pos, Token: t.text, Message: fmt.Sprintf("unknown operator: %q", t.text)}
	case "|":
		p.open("|")
		defer p.close()
		var err error
		n.kind = kTransform
		if n.pattern, err = p.expression(0); err != nil {
			return nil, err
		}
		if err = p.expect("|"); err != nil {
			return nil, err
		}
		if n.update, err = p.expression(0); err != nil {
			return nil, err
		}
		if p.isOp(",") {
			p.advance()
			if n.del, err = p.expression(0); err != nil {
				return nil, err
			}
		}
		return n, p.expect("|")
	}
	return nil, &Error{Code: "S0211", Position: t.pos, Token: t.text, Message: fmt.Sprintf("the symbol %q cannot be used as a unary operator", t.text)}
}

// pairs parses "key: value, ..." up to and including the closing brace.
func (p *parser) pairs() ([]pair, error) {
	p.open("}")
	defer p.close()
	var out []pair
	err := p.commaList("}", func() error {
		k, err := p.expression(0)
		if err != nil {
			return err
		}
		if err := p.expect(":"); err != nil {
			return err
		}
		v, err := p.expression(0)
		if err != nil {
			return err
		}
		out = append(out, pair{k, v})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, p.expect("}")
}

// commaList parses a comma-separated list of items, each read by item, up to
// but not including closer; the list may be empty.
func (p *parser) commaList(closer string, item func() error) error {
	if p.isOp(closer) {
		return nil
	}
	for {
		if err := item(); err != nil {
			return err
		}
		if !p.isOp(",") {
			return nil
		}
		p.advance()
	}
}

func (p *parser) led(t token, left *node) (*node, error) {
	n := &node{pos: t.pos, lhs: left}
	var err error
	switch t.text {
	case ".":
		n.kind = kDot
		n.rhs, err = p.expression(bindingPower["."])
		return n, err
	case "(":
		return p.call(t, left)
	case "[":
		p.open("]")
		defer p.close()
		if p.isOp("]") {
			p.advance()
			step := left
			for step.kind == kFilter {
				step = step.lhs
			}
			step.keepArray = true
			return left, nil
		}
		n.kind = kFilter
		if n.rhs, err = p.expression(0); err != nil {
			return nil, err
		}
		return n, p.expect("]")
	case "{":
		n.kind = kGroup
		n.pairs, err = p.pairs()
		return n, err
	case "^":
		n.kind = kOrder
		if err := p.expect("("); err != nil {
			return nil, err
		}
		p.open(")")
		defer p.close()
		for {
			desc := false
			if p.isOp("<") {
				p.advance()
			} else if p.isOp(">") {
				p.advance()
				desc = true
			}
			e, err := p.expression(0)
			if err != nil {
				return nil, err
			}
			n.terms = append(n.terms, sortTerm{desc: desc, expr: e})
			if !p.isOp(",") {
				break
			}
			p.advance()
		}
		return n, p.expect(")")
	case "@", "#":
		n.kind = kFocus
		if t.text == "#" {
			n.kind = kIndex
		}
		if n.rhs, err = p.expression(bindingPower[t.text]); err != nil {
			return nil, err
		}
		if n.rhs.kind != kVariable {
			return nil, &Error{Code: "S0214", Position: n.rhs.pos, Token: t.text, Message: fmt.Sprintf("the right side of %s must be a variable name (starting with $)", t.text)}
		}
		return n, nil
	case "?":
		n.kind, n.cond, n.lhs = kCondition, left, nil
		if n.then, err = p.expression(0); err != nil {
			return nil, err
		}
		if p.isOp(":") {
			p.advance()
			if n.els, err = p.expression(0); err != nil {
				return nil, err
			}
		}
		return n, nil
	case ":=":
		if left.kind != kVariable {
			return nil, &Error{Code: "S0212", Position: left.pos, Token: ":=", Message: "the left side of := must be a variable name (starting with $)"}
		}
		n.kind = kBind
		n.rhs, err = p.expression(bindingPower[":="] - 1)
		return n, err
	case "~>":
		n.kind = kApply
		n.rhs, err = p.expression(bindingPower["~>"])
		return n, err
	case "+", "-", "*", "/", "%", "=", "!=", "<", "<=", ">", ">=", "&", "and", "or", "in":
		n.kind, n.op = kBinary, t.text
		n.rhs, err = p.expression(bindingPower[t.text])
		return n, err
	}
	if t.text == "!" || t.text == "~" {
		return nil, &Error{Code: "S0204", Position: t.pos, Token: t.text, Message: fmt.Sprintf("unknown operator: %q", t.text)}
	}
	return nil, &Error{Code: "S0201", Position: t.pos, Token: t.text, Message: fmt.Sprintf("syntax error: unexpected %q", t.text)}
}

func (p *parser) call(t token, left *node) (*node, error) {
	if left.kind == kName && (left.str == "function" || left.str == "λ") {
		return p.lambda(t, left)
	}
	p.open(")")
	defer p.close()
	n := &node{kind: kCall, pos: t.pos, lhs: left}
	err := p.commaList(")", func() error {
		if p.isOp("?") {
			pt := p.advance()
			n.kind = kPartial
			n.exprs = append(n.exprs, &node{kind: kPlaceholder, pos: pt.pos})
			return nil
		}
		a, err := p.expression(0)
		if err != nil {
			return err
		}
		n.exprs = append(n.exprs, a)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return n, p.expect(")")
}

func (p *parser) lambda(t token, left *node) (*node, error) {
	n := &node{kind: kLambda, pos: left.pos}
	err := p.commaList(")", func() error {
		a := p.advance()
		if a.kind != tkVariable {
			return &Error{Code: "S0208", Position: a.pos, Token: a.text, Message: fmt.Sprintf("parameter %q of a function definition must be a variable name (starting with $)", a.text)}
		}
		n.params = append(n.params, a.text)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := p.expect(")"); err != nil {
		return nil, err
	}
	if p.isOp("<") {
		open := p.advance()
		depth := 1
		var closeTok token
		for depth > 0 {
			tk := p.advance()
			if tk.kind == tkEnd || (tk.kind == tkOp && tk.text == "{") {
				return nil, &Error{Code: "S0202", Position: tk.pos, Token: tk.text, Message: "expected \">\" to close the function signature"}
			}
			if tk.kind == tkOp {
				switch tk.text {
				case "<":
					depth++
				case ">":
					depth--
				}
			}
			closeTok = tk
		}
		sig, err := parseSignature(p.src[open.start:closeTok.end])
		if err != nil {
			if e, ok := err.(*Error); ok && e.Position >= 0 {
				e.Position += open.pos
			}
			return nil, err
		}
		n.sig = sig
	}
	if err := p.expect("{"); err != nil {
		return nil, err
	}
	p.open("}")
	defer p.close()
	body, err := p.expression(0)
	if err != nil {
		return nil, err
	}
	n.body = body
	return n, p.expect("}")
}

// compileRegex translates a JavaScript-style regular expression as JSONata
// writes it into Go's RE2 syntax.
func compileRegex(pattern, flags string) (*regexp.Regexp, error) {
	var prefix strings.Builder
	if strings.ContainsAny(flags, "im") {
		prefix.WriteString("(?")
		if strings.Contains(flags, "i") {
			prefix.WriteString("i")
		}
		if strings.Contains(flags, "m") {
			prefix.WriteString("m")
		}
		prefix.WriteString(")")
	}
	return regexp.Compile(prefix.String() + pattern)
}
