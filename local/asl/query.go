package asl

import (
	"context"
	"time"
)

// queryExpr is a compiled JSONata expression. eval returns the package's
// undefined sentinel when the expression produces no value.
type queryExpr interface {
	eval(ctx context.Context, vars map[string]any, now time.Time) (any, error)
}

// QueryCompiler compiles JSONata expressions for the engine. The default is
// the local/jsonata evaluator; WithQueryCompiler replaces it (in tests).
type QueryCompiler func(src string) (QueryFunc, error)

// QueryFunc evaluates one compiled JSONata expression with the given
// variables ("states" and the workflow variables) and no context value:
// like Step Functions, the engine binds nothing to "$", so data is reached
// through $states.input and variables. now is the execution clock's time
// for $now(). It returns (value, true, nil) for a value and
// (nil, false, nil) for JSONata's "undefined".
type QueryFunc func(ctx context.Context, vars map[string]any, now time.Time) (any, bool, error)

type undefinedT struct{}

// undefined marks a JSONata result that is not a value.
var undefined any = undefinedT{}

type funcExpr struct{ f QueryFunc }

func (e funcExpr) eval(ctx context.Context, vars map[string]any, now time.Time) (any, error) {
	v, ok, err := e.f(ctx, vars, now)
	if err != nil {
		return nil, err
	}
	if !ok {
		return undefined, nil
	}
	return v, nil
}
