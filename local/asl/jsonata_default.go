package asl

// defaultQueryCompiler compiles JSONata expressions with the built-in
// evaluator.
func defaultQueryCompiler(src string) (QueryFunc, error) {
	return nil, errNoJSONata
}
