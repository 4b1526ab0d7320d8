package jsonata

import (
	"math"
	"regexp"
	"unicode/utf8"
)

// reMatch is one match of a regular expression.
type reMatch struct {
	match              string
	start              int // rune offset of the match
	byteStart, byteEnd int
	groups             []any // captured strings, Undefined for groups that did not take part
	k                  int   // index into matcher.all
}

// matcher walks the matches of a regular expression the way JSONata drives
// a global JavaScript RegExp: each search starts where the previous match
// ended, and an empty match found by a follow-up search is error D1004.
type matcher struct {
	re  *regexp.Regexp
	s   string
	all [][]int
}

func newMatcher(re *regexp.Regexp, s string) *matcher {
	return &matcher{re: re, s: s, all: re.FindAllStringSubmatchIndex(s, -1)}
}

func (m *matcher) build(k int) *reMatch {
	loc := m.all[k]
	r := &reMatch{match: m.s[loc[0]:loc[1]], start: utf8.RuneCountInString(m.s[:loc[0]]), byteStart: loc[0], byteEnd: loc[1], k: k}
	for g := 1; 2*g < len(loc); g++ {
		if loc[2*g] < 0 {
			r.groups = append(r.groups, Undefined)
		} else {
			r.groups = append(r.groups, m.s[loc[2*g]:loc[2*g+1]])
		}
	}
	return r
}

func (m *matcher) first() *reMatch {
	if len(m.all) == 0 {
		return nil
	}
	return m.build(0)
}

func zeroLengthErr() error {
	return &Error{Code: "D1004", Position: -1, Message: "regular expression matches zero length string"}
}

func (m *matcher) next(prev *reMatch) (*reMatch, error) {
	p := prev.byteEnd
	if p >= len(m.s) {
		return nil, nil
	}
	if loc := m.re.FindStringIndex(m.s[p:]); loc != nil && loc[0] == 0 && loc[1] == 0 {
		return nil, zeroLengthErr()
	}
	k := prev.k + 1
	for k < len(m.all) && m.all[k][0] < p {
		k++
	}
	if k >= len(m.all) {
		return nil, nil
	}
	if m.all[k][0] == m.all[k][1] {
		return nil, zeroLengthErr()
	}
	return m.build(k), nil
}

// each calls fn for up to limit matches (limit < 0: all).
func (m *matcher) each(limit int, fn func(*reMatch) error) error {
	cur := m.first()
	count := 0
	for cur != nil && (limit < 0 || count < limit) {
		if err := fn(cur); err != nil {
			return err
		}
		nxt, err := m.next(cur)
		if err != nil {
			return err
		}
		cur = nxt
		count++
	}
	return nil
}

func groupsArray(groups []any) *jarr {
	return &jarr{items: append([]any(nil), groups...)}
}

// matchLimit reads the optional limit argument of $split, $match and
// $replace: -1 (no limit) when it is absent, its floor otherwise. A negative
// limit is the error code with message msg.
func matchLimit(v any, code, msg string) (int, error) {
	if v == Undefined {
		return -1, nil
	}
	l := v.(float64)
	if l < 0 {
		return 0, fnErr(code, l, "%s", msg)
	}
	return int(math.Floor(l)), nil
}

// matchRecord is the object $match returns for a match, and the one a
// $replace callback receives: match, index and groups.
func matchRecord(m *reMatch) *jobj {
	o := newObj(3)
	o.set("match", m.match)
	o.set("index", float64(m.start))
	o.set("groups", groupsArray(m.groups))
	return o
}

// matchObject is the value a regular expression returns when called as a
// function: match, start, end, groups and a next() function.
func matchObject(m *matcher, r *reMatch) any {
	if r == nil {
		return Undefined
	}
	o := newObj(5)
	o.set("match", r.match)
	o.set("start", float64(r.start))
	o.set("end", float64(r.start+utf8.RuneCountInString(r.match)))
	o.set("groups", groupsArray(r.groups))
	o.set("next", &nativeFn{name: "next", impl: func(ev *evaluator, c *call, args []any) (any, error) {
		n, err := m.next(r)
		if err != nil {
			return nil, err
		}
		return matchObject(m, n), nil
	}})
	return o
}
