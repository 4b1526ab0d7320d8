package jsonata

import (
	"context"
	"fmt"
	"time"
)

// Undefined is returned by Eval when an expression produces no value
// (JSONata's "undefined"), for example a path that selects nothing or a
// variable that is not bound. It is distinct from nil, which is JSON null.
// Compare with == or use IsUndefined.
var Undefined any = undefinedValue{}

type undefinedValue struct{}

func (undefinedValue) String() string { return "undefined" }

// IsUndefined reports whether v is the Undefined sentinel.
func IsUndefined(v any) bool { return v == Undefined }

// Expr is a compiled JSONata expression. It is immutable and safe for
// concurrent use by multiple goroutines.
type Expr struct {
	src  string
	root *node
}

// Compile parses a JSONata expression (the text between "{%" and "%}" in a
// Step Functions definition, without those delimiters). Syntax errors are
// returned as *Error with a code in the S0xxx range and the position where
// the problem was found (see Error.Position).
func Compile(expr string) (*Expr, error) {
	root, err := parse(expr)
	if err != nil {
		return nil, err
	}
	return &Expr{src: expr, root: root}, nil
}

// MustCompile is like Compile but panics if the expression does not parse.
// It is meant for expressions that are constants in Go source.
func MustCompile(expr string) *Expr {
	e, err := Compile(expr)
	if err != nil {
		panic(fmt.Sprintf("jsonata: compile %q: %v", expr, err))
	}
	return e
}

// String returns the source text the expression was compiled from.
func (e *Expr) String() string { return e.src }

// Eval evaluates the expression against input (the context value "$", which
// may be Undefined or nil) with the given variable bindings, which the
// expression refers to as $name (for Step Functions: "states" and the
// workflow variables). vars is only read, never modified, and may be nil.
//
// The result is in encoding/json's shape, or Undefined when the expression
// produced no value. A function value is not JSON: as the whole result it is
// returned as Undefined (see the package documentation for nested ones).
// Evaluation errors are returned as *Error.
//
// Results may share maps and slices with input and vars (for example
// "$states.input" returns the very map it was given): treat them as
// read-only, or copy them before modifying.
//
// Eval uses the wall clock for $now and $millis, a random source for
// $random, $shuffle and $uuid, and the default limits. Use EvalWith to
// control them.
func (e *Expr) Eval(input any, vars map[string]any) (any, error) {
	return e.EvalWith(context.Background(), input, vars, EvalOptions{})
}

// EvalOptions adjusts one evaluation. The zero value is valid.
type EvalOptions struct {
	// Now is the clock for $now() and $millis(). Like JSONata, one
	// evaluation reads the clock once, so every call within it returns the
	// same instant. Default: time.Now.
	Now func() time.Time
	// Random returns a number in [0, 1) for the unseeded $random() and for
	// $shuffle. Default: math/rand/v2.
	Random func() float64
	// UUID returns a new version 4 UUID string for $uuid(). Default: a
	// random UUID from crypto/rand.
	UUID func() string
	// MaxDepth bounds the nesting of evaluation (recursion through lambdas
	// included). Exceeding it fails with code U1001. Default: 15,000,
	// enough for about 5,000 levels of non-tail recursion; calls in tail
	// position do not nest.
	MaxDepth int
	// MaxSteps bounds the number of expression nodes evaluated. Exceeding it
	// fails with code U1002. Default: 10,000,000.
	MaxSteps int
}

// EvalWith is Eval with a context and options. The context is checked
// periodically; when it is done the evaluation stops with ctx.Err()
// wrapped in an *Error of code U1003.
func (e *Expr) EvalWith(ctx context.Context, input any, vars map[string]any, opts EvalOptions) (any, error) {
	return evaluateRoot(ctx, e, input, vars, opts)
}

// Error is a JSONata compile or evaluation error.
type Error struct {
	// Code is JSONata's error code, for example "S0201" (syntax), "T2001"
	// (type) or "D3030" (dynamic), "D3137" for $error(); the D3201-D3205
	// codes of the Step Functions functions (see CodePartitionSize and the
	// constants after it); or one of this package's resource codes U1001
	// (too deep), U1002 (too many steps) and U1003 (cancelled).
	Code string
	// Position locates the error the way JSONata does: the offset, in
	// characters (runes), just past the operator, name or bracket where the
	// error was detected; for an unexpected end, the length of the
	// expression. It is -1 when unknown.
	Position int
	// Token is the operator, name or function involved, when known.
	Token string
	// Value is the offending value, when there is one.
	Value any
	// Message describes the problem.
	Message string
	// Err is an underlying cause (for U1003, the context's error).
	Err error
}

func (e *Error) Error() string {
	if e.Position >= 0 {
		return fmt.Sprintf("%s at position %d: %s", e.Code, e.Position, e.Message)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Unwrap returns the underlying cause, if any.
func (e *Error) Unwrap() error { return e.Err }
