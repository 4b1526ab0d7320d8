// Package jsonpath parses and evaluates the JSONPath dialect that Amazon
// States Language uses for InputPath, OutputPath, ItemsPath, ResultPath,
// payload templates ("key.$") and Choice rules.
//
// A path starts at one of three roots: "$" (the state's data), "$$" (the
// context object) or "$name" (a workflow variable). Paths are parsed once and
// evaluated many times against values in encoding/json's shape (nil, bool,
// float64, string, []any, map[string]any). Evaluation never mutates its input;
// Set returns a copy-on-write update.
//
// It does not implement JSONata, intrinsic functions, or script expressions
// other than simple filter predicates ("[?(@.x > 1)]").
package jsonpath

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Root names what a path starts from.
type Root uint8

// The roots a path can start from.
const (
	RootData     Root = iota // $   the state's input or result
	RootContext              // $$  the context object
	RootVariable             // $name  a workflow variable
)

// Path is a parsed JSONPath expression.
type Path struct {
	src      string
	root     Root
	varName  string
	segs     []segment
	definite bool     // at most one result; Get returns the value itself
	simple   bool     // only names and indexes: usable as a reference path
	names    []string // the member names when every segment is a name
}

// ErrNotFound is wrapped by errors returned when a definite path selects nothing.
var ErrNotFound = errors.New("path not found")

// NotFoundError reports a path that selected nothing.
type NotFoundError struct {
	Path string
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("no results for path %s", e.Path)
}

// Unwrap lets errors.Is(err, ErrNotFound) work.
func (e *NotFoundError) Unwrap() error { return ErrNotFound }

// String returns the source text of the path.
func (p *Path) String() string { return p.src }

// Root returns which value the path starts from.
func (p *Path) Root() Root { return p.root }

// Variable returns the variable name for RootVariable paths.
func (p *Path) Variable() string { return p.varName }

// IsDefinite reports whether the path selects at most one value.
func (p *Path) IsDefinite() bool { return p.definite }

// IsReference reports whether the path is a Reference Path in the States
// Language sense: only field names and array indexes, so it can be written to.
func (p *Path) IsReference() bool { return p.simple }

// Names returns the member names of a path made only of names (such as
// "$$.Execution.Id"); ok is false for paths with indexes, wildcards or
// filters. The slice must not be modified.
func (p *Path) Names() (names []string, ok bool) { return p.names, p.names != nil }

// IsRoot reports whether the path is just its root ("$", "$$" or "$name").
func (p *Path) IsRoot() bool { return len(p.segs) == 0 }

type segKind uint8

const (
	segName segKind = iota
	segIndex
	segWildcard
	segSlice
	segNames   // ['a','b']
	segIndexes // [0,1]
	segDeep    // ..name or ..*  (name == "" means *)
	segFilter
)

type segment struct {
	kind    segKind
	name    string
	index   int
	names   []string
	indexes []int
	slice   [3]*int
	filter  expr
}

// Parse parses a JSONPath expression.
func Parse(src string) (*Path, error) {
	p := &parser{src: src}
	path, err := p.parsePath()
	if err != nil {
		return nil, fmt.Errorf("invalid JSONPath %q: %w", src, err)
	}
	return path, nil
}

// MustParse is Parse that panics on error, for constants in tests.
func MustParse(src string) *Path {
	p, err := Parse(src)
	if err != nil {
		panic(err)
	}
	return p
}

type parser struct {
	src string
	pos int
}

func (p *parser) errorf(format string, args ...any) error {
	return fmt.Errorf("at offset %d: %s", p.pos, fmt.Sprintf(format, args...))
}

func (p *parser) peek() byte {
	if p.pos < len(p.src) {
		return p.src[p.pos]
	}
	return 0
}

func (p *parser) parsePath() (*Path, error) {
	path := &Path{src: p.src, definite: true, simple: true}
	if p.peek() != '$' {
		return nil, p.errorf("path must start with '$'")
	}
	p.pos++
	switch c := p.peek(); {
	case c == '$':
		p.pos++
		path.root = RootContext
	case isIdentStart(c):
		start := p.pos
		for p.pos < len(p.src) && isIdentPart(p.src[p.pos]) {
			p.pos++
		}
		path.root = RootVariable
		path.varName = p.src[start:p.pos]
	default:
		path.root = RootData
	}
	segs, err := p.parseSegments(false)
	if err != nil {
		return nil, err
	}
	if p.pos != len(p.src) {
		return nil, p.errorf("unexpected %q", p.src[p.pos:])
	}
	path.segs = segs
	allNames := true
	for _, s := range segs {
		switch s.kind {
		case segName:
		case segIndex:
			allNames = false
		default:
			allNames = false
			path.simple = false
			path.definite = false
		}
	}
	if allNames {
		path.names = make([]string, len(segs))
		for i, s := range segs {
			path.names[i] = s.name
		}
	}
	return path, nil
}

// parseSegments reads segments until the end of input, or, when inFilter is
// set, until a character that cannot continue a path.
func (p *parser) parseSegments(inFilter bool) ([]segment, error) {
	var segs []segment
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		switch c {
		case '.':
			p.pos++
			if p.peek() == '.' {
				p.pos++
				if p.peek() == '*' {
					p.pos++
					segs = append(segs, segment{kind: segDeep})
					continue
				}
				if p.peek() == '[' {
					// "..[...]" : deep scan followed by a bracket selector.
					seg, err := p.parseBracket()
					if err != nil {
						return nil, err
					}
					if seg.kind == segName {
						segs = append(segs, segment{kind: segDeep, name: seg.name})
					} else {
						segs = append(segs, segment{kind: segDeep}, seg)
					}
					continue
				}
				name := p.readName()
				if name == "" {
					return nil, p.errorf("expected a name after '..'")
				}
				segs = append(segs, segment{kind: segDeep, name: name})
				continue
			}
			if p.peek() == '*' {
				p.pos++
				segs = append(segs, segment{kind: segWildcard})
				continue
			}
			name := p.readName()
			if name == "" {
				return nil, p.errorf("expected a name after '.'")
			}
			segs = append(segs, segment{kind: segName, name: name})
		case '[':
			seg, err := p.parseBracket()
			if err != nil {
				return nil, err
			}
			segs = append(segs, seg)
		default:
			if inFilter {
				return segs, nil
			}
			return nil, p.errorf("unexpected character %q", c)
		}
	}
	return segs, nil
}

// readName reads a dot-notation member name. Step Functions accepts most
// characters in names; it stops at structural characters.
func (p *parser) readName() string {
	start := p.pos
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		if c == '.' || c == '[' || c == ']' || c == ' ' || c == ')' || c == '(' ||
			c == '=' || c == '!' || c == '<' || c == '>' || c == '&' || c == '|' || c == ',' || c == '\'' || c == '"' {
			break
		}
		p.pos++
	}
	return p.src[start:p.pos]
}

func (p *parser) skipSpaces() {
	for p.pos < len(p.src) && p.src[p.pos] == ' ' {
		p.pos++
	}
}

func (p *parser) parseBracket() (segment, error) {
	p.pos++ // '['
	p.skipSpaces()
	var seg segment
	switch c := p.peek(); {
	case c == '*':
		p.pos++
		seg = segment{kind: segWildcard}
	case c == '\'' || c == '"':
		var names []string
		for {
			p.skipSpaces()
			s, err := p.readQuoted()
			if err != nil {
				return seg, err
			}
			names = append(names, s)
			p.skipSpaces()
			if p.peek() != ',' {
				break
			}
			p.pos++
		}
		if len(names) == 1 {
			seg = segment{kind: segName, name: names[0]}
		} else {
			seg = segment{kind: segNames, names: names}
		}
	case c == '?':
		p.pos++
		p.skipSpaces()
		if p.peek() != '(' {
			return seg, p.errorf("expected '(' after '?'")
		}
		p.pos++
		e, err := p.parseOr()
		if err != nil {
			return seg, err
		}
		p.skipSpaces()
		if p.peek() != ')' {
			return seg, p.errorf("expected ')' to close filter")
		}
		p.pos++
		seg = segment{kind: segFilter, filter: e}
	case c == '-' || c == ':' || (c >= '0' && c <= '9'):
		var err error
		seg, err = p.parseIndexOrSlice()
		if err != nil {
			return seg, err
		}
	default:
		return seg, p.errorf("unexpected %q in brackets", c)
	}
	p.skipSpaces()
	if p.peek() != ']' {
		return seg, p.errorf("expected ']'")
	}
	p.pos++
	return seg, nil
}

func (p *parser) readInt() (int, bool, error) {
	start := p.pos
	if p.peek() == '-' {
		p.pos++
	}
	for p.pos < len(p.src) && p.src[p.pos] >= '0' && p.src[p.pos] <= '9' {
		p.pos++
	}
	if p.pos == start {
		return 0, false, nil
	}
	n, err := strconv.Atoi(p.src[start:p.pos])
	if err != nil {
		return 0, false, p.errorf("bad integer %q", p.src[start:p.pos])
	}
	return n, true, nil
}

func (p *parser) parseIndexOrSlice() (segment, error) {
	var parts [3]*int
	part := 0
	var list []int
	for {
		p.skipSpaces()
		n, ok, err := p.readInt()
		if err != nil {
			return segment{}, err
		}
		if ok {
			v := n
			parts[part] = &v
		}
		p.skipSpaces()
		switch p.peek() {
		case ':':
			if list != nil || part == 2 {
				return segment{}, p.errorf("bad slice")
			}
			part++
			p.pos++
			continue
		case ',':
			if part != 0 || !ok {
				return segment{}, p.errorf("bad index list")
			}
			list = append(list, n)
			p.pos++
			continue
		}
		if list != nil {
			if !ok {
				return segment{}, p.errorf("bad index list")
			}
			list = append(list, n)
			return segment{kind: segIndexes, indexes: list}, nil
		}
		if part == 0 {
			if !ok {
				return segment{}, p.errorf("expected an index")
			}
			return segment{kind: segIndex, index: n}, nil
		}
		if parts[2] != nil && *parts[2] == 0 {
			return segment{}, p.errorf("slice step cannot be zero")
		}
		return segment{kind: segSlice, slice: parts}, nil
	}
}

func (p *parser) readQuoted() (string, error) {
	q := p.peek()
	if q != '\'' && q != '"' {
		return "", p.errorf("expected a quoted name")
	}
	p.pos++
	var b strings.Builder
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		if c == '\\' && p.pos+1 < len(p.src) {
			b.WriteByte(p.src[p.pos+1])
			p.pos += 2
			continue
		}
		if c == q {
			p.pos++
			return b.String(), nil
		}
		b.WriteByte(c)
		p.pos++
	}
	return "", p.errorf("unterminated string")
}

func isIdentStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isIdentPart(c byte) bool {
	return isIdentStart(c) || (c >= '0' && c <= '9')
}

// Get evaluates the path against doc (the value of the path's root). For a
// definite path it returns the selected value or a *NotFoundError; for an
// indefinite path it returns a []any of every match (possibly empty).
func (p *Path) Get(doc any) (any, error) {
	if p.definite {
		cur := doc
		for i := range p.segs {
			s := &p.segs[i]
			switch s.kind {
			case segName:
				m, ok := cur.(map[string]any)
				if !ok {
					return nil, &NotFoundError{Path: p.src}
				}
				v, ok := m[s.name]
				if !ok {
					return nil, &NotFoundError{Path: p.src}
				}
				cur = v
			case segIndex:
				a, ok := cur.([]any)
				if !ok {
					return nil, &NotFoundError{Path: p.src}
				}
				idx := s.index
				if idx < 0 {
					idx += len(a)
				}
				if idx < 0 || idx >= len(a) {
					return nil, &NotFoundError{Path: p.src}
				}
				cur = a[idx]
			}
		}
		return cur, nil
	}
	out := []any{}
	collect(p.segs, doc, doc, &out)
	return out, nil
}

func collect(segs []segment, cur, root any, out *[]any) {
	if len(segs) == 0 {
		*out = append(*out, cur)
		return
	}
	s := &segs[0]
	rest := segs[1:]
	switch s.kind {
	case segName:
		if m, ok := cur.(map[string]any); ok {
			if v, ok := m[s.name]; ok {
				collect(rest, v, root, out)
			}
		}
	case segIndex:
		if a, ok := cur.([]any); ok {
			idx := s.index
			if idx < 0 {
				idx += len(a)
			}
			if idx >= 0 && idx < len(a) {
				collect(rest, a[idx], root, out)
			}
		}
	case segNames:
		if m, ok := cur.(map[string]any); ok {
			for _, n := range s.names {
				if v, ok := m[n]; ok {
					collect(rest, v, root, out)
				}
			}
		}
	case segIndexes:
		if a, ok := cur.([]any); ok {
			for _, idx := range s.indexes {
				if idx < 0 {
					idx += len(a)
				}
				if idx >= 0 && idx < len(a) {
					collect(rest, a[idx], root, out)
				}
			}
		}
	case segWildcard:
		forEachChild(cur, func(v any) { collect(rest, v, root, out) })
	case segSlice:
		if a, ok := cur.([]any); ok {
			for _, idx := range sliceIndexes(len(a), s.slice) {
				collect(rest, a[idx], root, out)
			}
		}
	case segDeep:
		deepScan(s.name, rest, cur, root, out)
	case segFilter:
		forEachChild(cur, func(v any) {
			if truthy(s.filter.eval(v, root)) {
				collect(rest, v, root, out)
			}
		})
	}
}

func deepScan(name string, rest []segment, cur, root any, out *[]any) {
	if name == "" {
		// ..* : every descendant.
		forEachChild(cur, func(v any) {
			collect(rest, v, root, out)
			deepScan(name, rest, v, root, out)
		})
		return
	}
	if m, ok := cur.(map[string]any); ok {
		if v, ok := m[name]; ok {
			collect(rest, v, root, out)
		}
	}
	forEachChild(cur, func(v any) { deepScan(name, rest, v, root, out) })
}

// forEachChild visits array elements in order and object members in key
// order (Go maps have no order; sorting keeps results deterministic).
func forEachChild(v any, fn func(any)) {
	switch t := v.(type) {
	case []any:
		for _, e := range t {
			fn(e)
		}
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fn(t[k])
		}
	}
}

func sliceIndexes(n int, parts [3]*int) []int {
	step := 1
	if parts[2] != nil {
		step = *parts[2]
	}
	norm := func(v, def int) int {
		if v < 0 {
			v += n
			if v < 0 {
				if step < 0 {
					return -1
				}
				return 0
			}
		}
		if v > n {
			if step < 0 {
				return n - 1
			}
			return n
		}
		return v
	}
	var out []int
	if step > 0 {
		start, end := 0, n
		if parts[0] != nil {
			start = norm(*parts[0], 0)
		}
		if parts[1] != nil {
			end = norm(*parts[1], n)
		}
		for i := start; i < end && i < n; i += step {
			out = append(out, i)
		}
		return out
	}
	start, end := n-1, -1
	if parts[0] != nil {
		start = norm(*parts[0], n-1)
		if start >= n {
			start = n - 1
		}
	}
	if parts[1] != nil {
		end = norm(*parts[1], -1)
	}
	for i := start; i > end && i >= 0; i += step {
		out = append(out, i)
	}
	return out
}

// SetError reports a reference path that cannot be applied to a value.
type SetError struct {
	Path   string
	Reason string
}

func (e *SetError) Error() string {
	return fmt.Sprintf("unable to apply path %s: %s", e.Path, e.Reason)
}

// Set returns a copy of doc with the value at the path replaced by v,
// creating missing intermediate objects. Only reference paths (names and
// indexes) can be set; doc itself is never modified, unchanged branches are
// shared with the result.
func (p *Path) Set(doc any, v any) (any, error) {
	if !p.simple {
		return nil, &SetError{Path: p.src, Reason: "not a reference path"}
	}
	return p.setAt(0, doc, v, true)
}

func (p *Path) setAt(i int, cur any, v any, exists bool) (any, error) {
	if i == len(p.segs) {
		return v, nil
	}
	s := &p.segs[i]
	switch s.kind {
	case segName:
		var m map[string]any
		if exists {
			var ok bool
			m, ok = cur.(map[string]any)
			if !ok {
				return nil, &SetError{Path: p.src, Reason: fmt.Sprintf("%s is not an object", describe(cur))}
			}
		}
		child, childExists := m[s.name]
		nv, err := p.setAt(i+1, child, v, childExists)
		if err != nil {
			return nil, err
		}
		out := make(map[string]any, len(m)+1)
		for k, e := range m {
			out[k] = e
		}
		out[s.name] = nv
		return out, nil
	case segIndex:
		a, ok := cur.([]any)
		if !exists || !ok {
			return nil, &SetError{Path: p.src, Reason: fmt.Sprintf("%s is not an array", describe(cur))}
		}
		idx := s.index
		if idx < 0 {
			idx += len(a)
		}
		if idx < 0 || idx >= len(a) {
			return nil, &SetError{Path: p.src, Reason: fmt.Sprintf("index %d out of range", s.index)}
		}
		nv, err := p.setAt(i+1, a[idx], v, true)
		if err != nil {
			return nil, err
		}
		out := make([]any, len(a))
		copy(out, a)
		out[idx] = nv
		return out, nil
	}
	return nil, &SetError{Path: p.src, Reason: "not a reference path"}
}

func describe(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	}
	return fmt.Sprintf("%T", v)
}

// --- filter expressions ---

type expr interface {
	eval(cur, root any) any
}

type exprPath struct {
	fromRoot bool
	segs     []segment
	definite bool
	length   bool // trailing .length on an array/string
}

type exprLit struct{ v any }
type exprNot struct{ e expr }
type exprBin struct {
	op   string
	l, r expr
}

// missing marks a filter operand path that selected nothing.
type missingT struct{}

var missing = missingT{}

func (e exprLit) eval(cur, root any) any { return e.v }
func (e exprNot) eval(cur, root any) any { return !truthy(e.e.eval(cur, root)) }

func (e exprPath) eval(cur, root any) any {
	start := cur
	if e.fromRoot {
		start = root
	}
	var out []any
	collect(e.segs, start, root, &out)
	if e.length {
		if len(out) == 1 {
			switch t := out[0].(type) {
			case []any:
				return float64(len(t))
			case string:
				return float64(len(t))
			case map[string]any:
				if v, ok := t["length"]; ok {
					return v
				}
			}
		}
		return missing
	}
	if e.definite {
		if len(out) == 0 {
			return missing
		}
		return out[0]
	}
	return out
}

func (e exprBin) eval(cur, root any) any {
	switch e.op {
	case "&&":
		return truthy(e.l.eval(cur, root)) && truthy(e.r.eval(cur, root))
	case "||":
		return truthy(e.l.eval(cur, root)) || truthy(e.r.eval(cur, root))
	}
	l, r := e.l.eval(cur, root), e.r.eval(cur, root)
	if l == missing || r == missing {
		return e.op == "!=" && !(l == missing && r == missing)
	}
	switch e.op {
	case "==":
		return Equal(l, r)
	case "!=":
		return !Equal(l, r)
	}
	if lf, ok := l.(float64); ok {
		if rf, ok := r.(float64); ok {
			switch e.op {
			case "<":
				return lf < rf
			case "<=":
				return lf <= rf
			case ">":
				return lf > rf
			case ">=":
				return lf >= rf
			}
		}
	}
	if ls, ok := l.(string); ok {
		if rs, ok := r.(string); ok {
			switch e.op {
			case "<":
				return ls < rs
			case "<=":
				return ls <= rs
			case ">":
				return ls > rs
			case ">=":
				return ls >= rs
			}
		}
	}
	return false
}

func truthy(v any) bool {
	switch t := v.(type) {
	case bool:
		return t
	case missingT:
		return false
	case nil:
		return false
	}
	return true
}

func (p *parser) parseOr() (expr, error) { return p.parseLeftAssoc("||", p.parseAnd) }

func (p *parser) parseAnd() (expr, error) { return p.parseLeftAssoc("&&", p.parseCmp) }

// parseLeftAssoc parses operands read by operand, joined by the two-character
// operator op, grouping from the left.
func (p *parser) parseLeftAssoc(op string, operand func() (expr, error)) (expr, error) {
	l, err := operand()
	if err != nil {
		return nil, err
	}
	for {
		p.skipSpaces()
		if !strings.HasPrefix(p.src[p.pos:], op) {
			return l, nil
		}
		p.pos += len(op)
		r, err := operand()
		if err != nil {
			return nil, err
		}
		l = exprBin{op: op, l: l, r: r}
	}
}

func (p *parser) parseCmp() (expr, error) {
	l, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	p.skipSpaces()
	for _, op := range []string{"==", "!=", "<=", ">=", "<", ">"} {
		if strings.HasPrefix(p.src[p.pos:], op) {
			p.pos += len(op)
			r, err := p.parseUnary()
			if err != nil {
				return nil, err
			}
			return exprBin{op: op, l: l, r: r}, nil
		}
	}
	return l, nil
}

func (p *parser) parseUnary() (expr, error) {
	p.skipSpaces()
	c := p.peek()
	switch {
	case c == '!':
		p.pos++
		e, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		return exprNot{e: e}, nil
	case c == '(':
		p.pos++
		e, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		p.skipSpaces()
		if p.peek() != ')' {
			return nil, p.errorf("expected ')'")
		}
		p.pos++
		return e, nil
	case c == '@' || c == '$':
		p.pos++
		segs, err := p.parseSegments(true)
		if err != nil {
			return nil, err
		}
		e := exprPath{fromRoot: c == '$', segs: segs, definite: true}
		if n := len(segs); n > 0 && segs[n-1].kind == segName && segs[n-1].name == "length" {
			e.segs = segs[:n-1]
			e.length = true
		}
		for _, s := range e.segs {
			if s.kind != segName && s.kind != segIndex {
				e.definite = false
			}
		}
		return e, nil
	case c == '\'' || c == '"':
		s, err := p.readQuoted()
		if err != nil {
			return nil, err
		}
		return exprLit{v: s}, nil
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
		if err != nil || math.IsInf(f, 0) {
			return nil, p.errorf("bad number %q", p.src[start:p.pos])
		}
		return exprLit{v: f}, nil
	}
	for _, kw := range []struct {
		s string
		v any
	}{{"true", true}, {"false", false}, {"null", nil}} {
		if strings.HasPrefix(p.src[p.pos:], kw.s) {
			p.pos += len(kw.s)
			return exprLit{v: kw.v}, nil
		}
	}
	return nil, p.errorf("unexpected %q in filter", p.src[p.pos:])
}

// Equal reports deep equality of two JSON values.
func Equal(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case float64:
		y, ok := b.(float64)
		return ok && x == y
	case string:
		y, ok := b.(string)
		return ok && x == y
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !Equal(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !Equal(v, w) {
				return false
			}
		}
		return true
	}
	return false
}

// TypeName names the JSON type of v: "null", "boolean", "number", "string",
// "array" or "object"; any other Go value is named by its Go type.
func TypeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case float64:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}
