// Package jsonata evaluates JSONata expressions with the semantics of JSONata
// 2.x as AWS Step Functions runs them (AWS documents version 2.0.6), plus the
// extra functions Step Functions adds: $partition, $range, $hash, $random
// (with an optional seed), $uuid and $parse (see aws.go). They are always
// available; no option is needed.
//
// An expression is compiled once with Compile and evaluated any number of
// times, concurrently if needed, with Expr.Eval or Expr.EvalWith.
//
// Values in and out are Go values in encoding/json's shape: nil (JSON null),
// bool, float64, string, []any and map[string]any. JSONata's "undefined" (an
// expression that produced no value) is reported as the sentinel Undefined,
// which is distinct from nil. Errors are *Error values carrying JSONata's
// error codes (T2001, D3030, ...) and positions.
//
// The whole language is implemented: paths, predicates, wildcards,
// descendants, the parent operator %, array flattening and singleton
// sequences, object constructors and grouping, order-by, focus (@) and index
// (#) bindings, conditionals, ranges, regular expressions, lambdas and
// closures, partial application, function chaining (~>), the transform
// operator, variable binding and blocks, function signatures, and the
// standard library including $formatNumber, $formatInteger, $parseInteger
// and the date/time picture strings.
//
// Behaviour that differs from the JavaScript implementation on purpose:
//   - $eval does not exist (Step Functions does not offer it either; use
//     $parse).
//   - A function is not a JSON value: as a whole result it is returned as
//     Undefined, inside an array it becomes null, inside an object it is
//     left out (as JSON.stringify does).
//   - Regular expressions are Go RE2 expressions. JavaScript-only syntax
//     such as look-around and back-references fails to compile (S0303).
//   - Objects that arrive as map[string]any have no key order; wherever
//     JSONata exposes key order ($keys, $each, $spread, *, $string) they
//     are visited in sorted key order. Objects built by the expression keep
//     their insertion order until they are returned.
//   - Callers' numbers should be float64; int, int64, float32 and
//     json.Number values reached through variables or fields are
//     converted, but they are not searched for inside arrays.
//
// Faithful details worth knowing: $base64encode/$base64decode work on
// Latin-1 (each character's low byte), like JSONata on Node.js; arithmetic
// that overflows yields a value that is exported as null, and using it as
// an operand fails with D1001.
//
// What this package does NOT do: JSON parsing of documents (use
// encoding/json), asynchronous or user-registered host functions, and
// time-zone names (only ±HHMM offsets).
package jsonata
