package eventpattern

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// objNode matches a JSON object: every field must match, and for each $or group
// at least one alternative must match the same object.
type objNode struct {
	fields []field
	ors    [][]*objNode
}

// field is one named member of a pattern object: either a nested object or a
// leaf list of match values.
type field struct {
	key  string
	obj  *objNode
	leaf *leaf
}

// leaf is the list of values for one field; the field matches when any of them
// matches any scalar the event has there.
type leaf struct {
	strings     map[string]struct{}
	trueOK      bool
	falseOK     bool
	nullOK      bool
	existsTrue  bool
	existsFalse bool
	others      []matcher
}

// matcher tests one scalar event value: string, json.Number, bool or nil.
type matcher interface {
	match(v any) bool
}

// Match reports whether the JSON event matches the pattern. An event that is not
// valid JSON matches nothing.
func (p *Pattern) Match(event []byte) bool {
	v, err := Decode(event)
	if err != nil {
		return false
	}
	return p.root.matchValue(v)
}

// MatchValue reports whether an already decoded event matches. The event is in
// encoding/json's shape (map[string]any, []any, string, bool, nil, and float64 or
// json.Number for numbers; other Go number types are accepted too). Decoding once
// with Decode and matching many patterns with MatchValue is the fast path.
func (p *Pattern) MatchValue(event any) bool {
	return p.root.matchValue(event)
}

// Decode parses a JSON event into the representation MatchValue works best with
// (numbers kept as json.Number so their literal text is preserved).
func Decode(event []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(event))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

func (n *objNode) matchValue(v any) bool {
	switch t := v.(type) {
	case map[string]any:
		return n.matchObject(t)
	case []any:
		if len(t) == 0 {
			return n.matchObject(nil)
		}
		for _, e := range t {
			if n.matchValue(e) {
				return true
			}
		}
		return false
	default:
		// A scalar, null or a missing value has no fields: only patterns made of
		// exists:false can match it.
		return n.matchObject(nil)
	}
}

func (n *objNode) matchObject(m map[string]any) bool {
	for i := range n.fields {
		f := &n.fields[i]
		v, ok := m[f.key]
		if f.obj != nil {
			if !f.obj.matchValue(v) {
				return false
			}
			continue
		}
		if !ok {
			if !f.leaf.existsFalse {
				return false
			}
			continue
		}
		if !f.leaf.matchValue(v) {
			return false
		}
	}
	for _, group := range n.ors {
		ok := false
		for _, alt := range group {
			if alt.matchObject(m) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// matchValue tests a present field value. Arrays match when any scalar in them
// (at any depth) matches; objects are not leaves, so only exists:false matches
// them.
func (l *leaf) matchValue(v any) bool {
	switch t := v.(type) {
	case map[string]any:
		return l.existsFalse
	case []any:
		found, scalars := l.matchArray(t)
		if found {
			return true
		}
		return !scalars && l.existsFalse
	default:
		return l.matchScalar(v)
	}
}

// matchArray reports whether a scalar in arr matches and whether arr holds any
// scalar at all.
func (l *leaf) matchArray(arr []any) (found, scalars bool) {
	for _, e := range arr {
		switch t := e.(type) {
		case map[string]any:
		case []any:
			f, s := l.matchArray(t)
			if f {
				return true, true
			}
			scalars = scalars || s
		default:
			scalars = true
			if l.matchScalar(e) {
				return true, true
			}
		}
	}
	return false, scalars
}

func (l *leaf) matchScalar(v any) bool {
	if l.existsTrue {
		return true
	}
	v = normalize(v)
	switch t := v.(type) {
	case string:
		if _, ok := l.strings[t]; ok {
			return true
		}
	case bool:
		if (t && l.trueOK) || (!t && l.falseOK) {
			return true
		}
	case nil:
		if l.nullOK {
			return true
		}
	}
	for _, m := range l.others {
		if m.match(v) {
			return true
		}
	}
	return false
}

// normalize turns Go number types into json.Number so matchers see one shape.
func normalize(v any) any {
	switch t := v.(type) {
	case float64:
		return json.Number(strconv.FormatFloat(t, 'g', -1, 64))
	case float32:
		return json.Number(strconv.FormatFloat(float64(t), 'g', -1, 32))
	case int:
		return json.Number(strconv.Itoa(t))
	case int64:
		return json.Number(strconv.FormatInt(t, 10))
	case int32:
		return json.Number(strconv.FormatInt(int64(t), 10))
	case uint64:
		return json.Number(strconv.FormatUint(t, 10))
	}
	return v
}

// numberEquals matches a number numerically (within EventBridge's range and
// precision) or by its literal text.
type numberEquals struct {
	text    string
	inRange bool
	q       int64
}

func newNumberEquals(n json.Number) numberEquals {
	f, ok := numberValue(n)
	m := numberEquals{text: string(n), inRange: ok}
	if ok {
		m.q = quantize(f)
	}
	return m
}

func (m numberEquals) match(v any) bool {
	n, ok := v.(json.Number)
	if !ok {
		return false
	}
	if string(n) == m.text {
		return true
	}
	if !m.inRange {
		return false
	}
	f, ok := numberValue(n)
	return ok && quantize(f) == m.q
}

// numeric matches numbers within a range (bounds are quantized values).
type numeric struct {
	hasLow, openLow   bool
	hasHigh, openHigh bool
	low, high         int64
}

func (m numeric) match(v any) bool {
	n, ok := v.(json.Number)
	if !ok {
		return false
	}
	f, ok := numberValue(n)
	if !ok {
		return false
	}
	q := quantize(f)
	if m.hasLow && (q < m.low || (m.openLow && q == m.low)) {
		return false
	}
	if m.hasHigh && (q > m.high || (m.openHigh && q == m.high)) {
		return false
	}
	return true
}

type prefix struct {
	s    string
	fold bool
}

func (m prefix) match(v any) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	if m.fold {
		return hasPrefixFold(s, m.s)
	}
	return strings.HasPrefix(s, m.s)
}

type suffix struct {
	s    string
	fold bool
}

func (m suffix) match(v any) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	if m.fold {
		return hasSuffixFold(s, m.s)
	}
	return strings.HasSuffix(s, m.s)
}

type equalsFold struct{ s string }

func (m equalsFold) match(v any) bool {
	s, ok := v.(string)
	return ok && strings.EqualFold(s, m.s)
}

// wildcard matches strings against literal parts separated by '*'.
type wildcard struct {
	src   string
	parts []string // len(parts) = number of stars + 1
}

func (m wildcard) match(v any) bool {
	s, ok := v.(string)
	return ok && m.matchString(s)
}

func (m wildcard) matchString(s string) bool {
	if len(m.parts) == 1 {
		return s == m.parts[0]
	}
	first, last := m.parts[0], m.parts[len(m.parts)-1]
	if len(s) < len(first)+len(last) || !strings.HasPrefix(s, first) || !strings.HasSuffix(s, last) {
		return false
	}
	mid := s[len(first) : len(s)-len(last)]
	for _, p := range m.parts[1 : len(m.parts)-1] {
		i := strings.Index(mid, p)
		if i < 0 {
			return false
		}
		mid = mid[i+len(p):]
	}
	return true
}

type cidr struct{ p netip.Prefix }

func (m cidr) match(v any) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	ip, err := netip.ParseAddr(s)
	if err != nil {
		return false
	}
	ip = ip.Unmap()
	return ip.BitLen() == m.p.Addr().BitLen() && m.p.Contains(ip)
}

// ipEquals lets an exact IP address in a pattern match other spellings of the
// same address.
type ipEquals struct{ ip netip.Addr }

func (m ipEquals) match(v any) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	ip, err := netip.ParseAddr(s)
	return err == nil && ip.Unmap() == m.ip
}

// notIn is anything-but with values: it matches every value except the listed
// strings (compared exactly) or numbers (compared numerically).
type notIn struct {
	strs map[string]struct{}
	nums map[int64]struct{}
}

func (m notIn) match(v any) bool {
	switch t := v.(type) {
	case string:
		_, found := m.strs[t]
		return !found
	case json.Number:
		if m.nums == nil {
			return true
		}
		f, ok := numberValue(t)
		if !ok {
			return true
		}
		_, found := m.nums[quantize(f)]
		return !found
	}
	return true
}

// notLike is anything-but with a prefix, suffix, wildcard or equals-ignore-case
// condition: it matches every value no condition matches.
type notLike struct{ any []matcher }

func (m notLike) match(v any) bool {
	for _, c := range m.any {
		if c.match(v) {
			return false
		}
	}
	return true
}

func equalFoldRune(a, b rune) bool {
	if a == b {
		return true
	}
	for r := unicode.SimpleFold(a); r != a; r = unicode.SimpleFold(r) {
		if r == b {
			return true
		}
	}
	return false
}

func hasPrefixFold(s, p string) bool {
	for p != "" {
		if s == "" {
			return false
		}
		pr, pn := utf8.DecodeRuneInString(p)
		sr, sn := utf8.DecodeRuneInString(s)
		if !equalFoldRune(sr, pr) {
			return false
		}
		p, s = p[pn:], s[sn:]
	}
	return true
}

func hasSuffixFold(s, p string) bool {
	for p != "" {
		if s == "" {
			return false
		}
		pr, pn := utf8.DecodeLastRuneInString(p)
		sr, sn := utf8.DecodeLastRuneInString(s)
		if !equalFoldRune(sr, pr) {
			return false
		}
		p, s = p[:len(p)-pn], s[:len(s)-sn]
	}
	return true
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
