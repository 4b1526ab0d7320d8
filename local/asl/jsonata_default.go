package asl

import (
	"context"
	"time"

	"github.com/dragons-dev/dragons/local/jsonata"
)

// defaultQueryCompiler compiles JSONata expressions with local/jsonata.
func defaultQueryCompiler(src string) (QueryFunc, error) {
	x, err := jsonata.Compile(src)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, vars map[string]any, now time.Time) (any, bool, error) {
		opts := jsonata.EvalOptions{}
		if !now.IsZero() {
			opts.Now = func() time.Time { return now }
		}
		v, err := x.EvalWith(ctx, jsonata.Undefined, vars, opts)
		if err != nil {
			return nil, false, err
		}
		if jsonata.IsUndefined(v) {
			return nil, false, nil
		}
		return v, true, nil
	}, nil
}
