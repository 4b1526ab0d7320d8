package jsonata_test

import (
	"errors"
	"fmt"

	"github.com/dragons-dev/dragons/local/jsonata"
)

func Example() {
	// The text between "{%" and "%}" of a Step Functions field.
	expr, err := jsonata.Compile("$states.input.price * $quantity")
	if err != nil {
		panic(err)
	}
	vars := map[string]any{
		"states":   map[string]any{"input": map[string]any{"price": 2.5}},
		"quantity": 4.0,
	}
	v, err := expr.Eval(jsonata.Undefined, vars)
	fmt.Println(v, err)

	// No value is not the same as null.
	v, _ = jsonata.MustCompile("$states.input.missing").Eval(jsonata.Undefined, vars)
	fmt.Println(jsonata.IsUndefined(v))

	// Errors carry JSONata's codes.
	_, err = jsonata.MustCompile("$states.input.price + 'x'").Eval(jsonata.Undefined, vars)
	var je *jsonata.Error
	if errors.As(err, &je) {
		fmt.Println(je.Code, je.Position)
	}
	// Output:
	// 10 <nil>
	// true
	// T2002 21
}

func Example_stepFunctionsFunctions() {
	e := jsonata.MustCompile("{'chunks': $partition([1,2,3,4,5], 2), 'steps': $range(0, 10, 5), 'one': $range(1, 1), 'sha': $hash('abc', 'SHA-256')}")
	v, _ := e.Eval(jsonata.Undefined, nil)
	m := v.(map[string]any)
	fmt.Println(m["chunks"], m["steps"], m["one"], m["sha"])
	// Output:
	// [[1 2] [3 4] [5]] [0 5 10] 1 ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
}
