package jsonata

import "context"

type node struct{}

func parse(src string) (*node, error) {
	return nil, &Error{Code: "S0000", Position: -1, Message: "not implemented yet"}
}

func evaluateRoot(ctx context.Context, e *Expr, input any, vars map[string]any, opts EvalOptions) (any, error) {
	return nil, &Error{Code: "S0000", Position: -1, Message: "not implemented yet"}
}
