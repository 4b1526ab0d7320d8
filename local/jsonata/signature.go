package jsonata

import (
	"fmt"
	"strings"
)

// sigParam is one parameter of a function signature such as "<s-n?:s>".
type sigParam struct {
	types    string // allowed type symbols, always including 'm' (undefined)
	array    bool   // declared as 'a': single values are wrapped into arrays
	subtype  string // element type of an array parameter, e.g. "n" in a<n>
	optional bool   // '?'
	variadic bool   // '+'
	context  bool   // '-': the context value is used when the argument is missing
	display  string
}

type signature struct {
	src    string
	params []sigParam
}

const allSymbols = "asnblfom"

func parseSignature(src string) (*signature, error) {
	s := strings.Join(strings.Fields(src), "")
	if len(s) < 2 || s[0] != '<' || s[len(s)-1] != '>' {
		return nil, &Error{Code: "S0401", Position: 0, Message: fmt.Sprintf("malformed function signature %q", src)}
	}
	body := s[1 : len(s)-1]
	sig := &signature{src: s}
	i := 0
	for i < len(body) {
		c := body[i]
		if c == ':' {
			break // the return type is not checked
		}
		var p sigParam
		start := i
		switch c {
		case 'b', 'n', 's', 'l', 'o', 'f':
			p.types = string(c) + "m"
			i++
		case 'u':
			p.types = "bnslm"
			i++
		case 'j':
			p.types = "asnblom"
			i++
		case 'x':
			p.types = allSymbols
			i++
		case 'a':
			p.types = allSymbols
			p.array = true
			i++
		case '(':
			end := strings.IndexByte(body[i:], ')')
			if end < 0 {
				return nil, &Error{Code: "S0401", Position: i, Message: fmt.Sprintf("unterminated choice in function signature %q", src)}
			}
			choice := body[i+1 : i+end]
			choice = strings.ReplaceAll(choice, "u", "bnsl")
			choice = strings.ReplaceAll(choice, "j", "asnblo")
			choice = strings.ReplaceAll(choice, "x", "asnblfo")
			p.types = choice + "m"
			i += end + 1
		default:
			return nil, &Error{Code: "S0401", Position: i, Message: fmt.Sprintf("unknown type %q in function signature %q", c, src)}
		}
		// subtype
		if i < len(body) && body[i] == '<' {
			depth, j := 0, i
			for ; j < len(body); j++ {
				if body[j] == '<' {
					depth++
				} else if body[j] == '>' {
					depth--
					if depth == 0 {
						break
					}
				}
			}
			if j >= len(body) {
				return nil, &Error{Code: "S0401", Position: i, Message: fmt.Sprintf("unterminated type parameter in function signature %q", src)}
			}
			if p.array {
				p.subtype = body[i+1 : j]
			}
			i = j + 1
		}
		if i < len(body) {
			switch body[i] {
			case '?':
				p.optional = true
				i++
			case '+':
				p.variadic = true
				i++
			case '-':
				p.context = true
				i++
			}
		}
		p.display = body[start:i]
		sig.params = append(sig.params, p)
	}
	return sig, nil
}

// match assigns argument symbols to parameters, greedily with backtracking,
// and returns how many symbols each parameter took.
func (s *signature) match(syms string) ([]int, bool) {
	counts := make([]int, len(s.params))
	var rec func(pi, si int) bool
	rec = func(pi, si int) bool {
		if pi == len(s.params) {
			return si == len(syms)
		}
		p := s.params[pi]
		maxN, minN := 1, 1
		if p.optional || p.context {
			minN = 0
		}
		if p.variadic {
			maxN = len(syms) - si
		}
		n := 0
		for n < maxN && si+n < len(syms) && strings.IndexByte(p.types, syms[si+n]) >= 0 {
			n++
		}
		for ; n >= minN; n-- {
			counts[pi] = n
			if rec(pi+1, si+n) {
				return true
			}
		}
		return false
	}
	return counts, rec(0, 0)
}

// validate checks args against the signature and returns the arguments the
// implementation receives: context values substituted, single values
// wrapped into arrays where an array is expected.
func (s *signature) validate(args []any, input any, name string) ([]any, error) {
	syms := make([]byte, len(args))
	for i, a := range args {
		syms[i] = typeSymbol(a)
	}
	counts, ok := s.match(string(syms))
	if !ok {
		// find the first argument that cannot be matched
		bad := 0
		for k := len(args); k >= 0; k-- {
			if s.prefixMatches(string(syms[:k])) {
				bad = k
				break
			}
		}
		var v any = Undefined
		if bad < len(args) {
			v = args[bad]
		}
		return nil, &Error{Code: "T0410", Position: -1, Token: name, Value: v,
			Message: fmt.Sprintf("argument %d of function %q does not match function signature", bad+1, name)}
	}
	out := make([]any, 0, len(s.params))
	ai := 0
	for pi, p := range s.params {
		n := counts[pi]
		if n == 0 {
			if p.context {
				if strings.IndexByte(p.types, typeSymbol(input)) < 0 {
					return nil, &Error{Code: "T0411", Position: -1, Token: name, Value: input,
						Message: fmt.Sprintf("context value of function %q does not match the function signature (argument %d)", name, pi+1)}
				}
				out = append(out, input)
				continue
			}
			if ai < len(args) {
				out = append(out, args[ai])
			} else {
				out = append(out, Undefined)
			}
			ai++
			continue
		}
		for k := 0; k < n; k++ {
			a := args[ai]
			if p.array {
				sym := syms[ai]
				if sym != 'm' {
					if p.subtype != "" && !arrayOfType(a, sym, p.subtype) {
						return nil, &Error{Code: "T0412", Position: -1, Token: name, Value: a,
							Message: fmt.Sprintf("argument %d of function %q must be an array of %s", ai+1, name, typeName(p.subtype))}
					}
					if sym != 'a' {
						a = &jarr{items: []any{a}}
					}
				}
			}
			out = append(out, a)
			ai++
		}
	}
	return out, nil
}

func (s *signature) prefixMatches(syms string) bool {
	// a prefix matches if some assignment consumes it entirely before the
	// parameters run out
	var rec func(pi, si int) bool
	rec = func(pi, si int) bool {
		if si == len(syms) {
			return true
		}
		if pi == len(s.params) {
			return false
		}
		p := s.params[pi]
		maxN := 1
		if p.variadic {
			maxN = len(syms) - si
		}
		n := 0
		for n < maxN && si+n < len(syms) && strings.IndexByte(p.types, syms[si+n]) >= 0 {
			n++
		}
		for ; n >= 0; n-- {
			if n == 0 && !(p.optional || p.context) {
				break
			}
			if rec(pi+1, si+n) {
				return true
			}
		}
		return false
	}
	return rec(0, 0)
}

func arrayOfType(a any, sym byte, subtype string) bool {
	allowed := subtype
	if len(subtype) > 0 && subtype[0] == '(' {
		allowed = strings.Trim(subtype, "()")
	}
	switch allowed {
	case "x":
		return true
	case "j":
		allowed = "asnblo"
	case "u":
		allowed = "bnsl"
	}
	if sym != 'a' {
		return strings.IndexByte(allowed, sym) >= 0
	}
	items, _ := arrayItems(a)
	if len(items) == 0 {
		return true
	}
	first := typeSymbol(items[0])
	if strings.IndexByte(allowed, first) < 0 {
		return false
	}
	for _, it := range items[1:] {
		if typeSymbol(it) != first {
			return false
		}
	}
	return true
}

func typeName(sym string) string {
	switch sym {
	case "n":
		return "numbers"
	case "s":
		return "strings"
	case "b":
		return "booleans"
	case "o":
		return "objects"
	case "a":
		return "arrays"
	case "f":
		return "functions"
	}
	return "values of type " + sym
}
