// Package jsonata evaluates JSONata expressions with the semantics of JSONata
// 2.x as AWS Step Functions runs them (AWS documents version 2.0.6), plus the
// extra functions Step Functions adds: $partition, $range, $hash, $random
// (with an optional seed), $uuid and $parse.
//
// An expression is compiled once with Compile and evaluated any number of
// times, concurrently if needed, with Expr.Eval or Expr.EvalWith.
//
// Values in and out are Go values in encoding/json's shape: nil (JSON null),
// bool, float64, string, []any and map[string]any. JSONata's "undefined" (an
// expression that produced no value) is reported as the sentinel Undefined,
// which is distinct from nil. Errors are *Error values carrying JSONata's
// error codes (T2001, D3030, ...).
//
// Objects that arrive as map[string]any have no key order; wherever JSONata
// exposes key order ($keys, $each, $spread, the wildcard, $string) such
// objects are visited in sorted key order. Objects built by the expression
// itself keep their insertion order until they are returned.
//
// What this package does NOT do: $eval (Step Functions does not offer it
// either; use $parse), asynchronous or user-registered JavaScript functions,
// and the full XPath picture-string language of $formatNumber,
// $formatInteger and $fromMillis (the common picture elements are supported;
// see the function documentation in functions_*.go). Regular expressions are
// translated to Go's RE2 syntax, so JavaScript-only constructs such as
// look-around and back-references are rejected with error D1004-style codes.
package jsonata
