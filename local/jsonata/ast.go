package jsonata

import "regexp"

type kind uint8

const (
	kPath kind = iota + 1
	kBinary
	kNeg
	kArray
	kObject
	kName
	kString
	kNumber
	kValue
	kWildcard
	kDescendant
	kParent
	kCondition
	kBlock
	kBind
	kRegex
	kCall
	kPartial
	kPlaceholder
	kVariable
	kLambda
	kApply
	kTransform
	kSort
	// raw parse-only kinds, rewritten by process
	kFilter // lhs[rhs]
	kGroup  // lhs{pairs}
	kOrder  // lhs^(terms)
	kFocus  // lhs@$v
	kIndex  // lhs#$v
	kDot    // lhs.rhs
)

type stage struct {
	filter *node  // predicate expression, or nil for an index stage
	index  string // variable bound to the position, for index stages
	pos    int
}

type sortTerm struct {
	desc bool
	expr *node
}

type pair struct{ key, val *node }

type groupSpec struct {
	pairs []pair
	pos   int
}

// node is both the raw parse tree and, after process, the evaluation tree.
type node struct {
	kind kind
	pos  int
	op   string  // binary operator
	str  string  // name, string literal, variable name
	num  float64 // number literal
	val  any     // true/false/nil literal

	lhs, rhs *node
	expr     *node   // operand of unary minus
	exprs    []*node // array items, block expressions, call arguments
	pairs    []pair  // object constructor, raw group-by

	cond, then, els *node

	params []string // lambda parameters
	thunk  bool     // a lambda wrapping a call in tail position
	sig    *signature
	body   *node

	steps      []*node // path steps
	stages     []stage // filters/index bindings on a path step
	predicates []*node // filters on a non-step expression
	group      *groupSpec
	terms      []sortTerm

	focus, index  string
	tuple         bool
	keepArray     bool
	keepSingleton bool // path: keep singleton arrays
	consArray     bool

	slot     *slot   // the parent operator's request
	seeking  []*slot // parent requests not yet resolved
	ancestor *slot   // a step that binds the parent for a % below it

	re      *regexp.Regexp
	reSrc   string
	pattern *node
	update  *node
	del     *node
}
