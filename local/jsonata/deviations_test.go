package jsonata

import (
	"encoding/json"
	"testing"
)

// TestDeliberateDifferences pins the behaviours where this package differs
// from the JSONata 2.0.6 reference implementation on purpose.
func TestDeliberateDifferences(t *testing.T) {
	cases := []struct {
		name, expr, want, wantErr string
	}{
		// Step Functions does not offer $eval; $parse replaces it.
		{name: "no $eval", expr: "$eval('1 + 1')", wantErr: "T1006"},
		// A function is not JSON: as a whole result it is undefined.
		{name: "function result", expr: "function($x){$x}", want: ""},
		{name: "built-in function result", expr: "$sum", want: ""},
		// JavaScript throws a RangeError without a JSONata code here.
		{name: "pad with fractional width", expr: "$pad('ab', 4.7, '-')", want: `"ab--"`},
		// JavaScript prints five-digit years with a sign; JSONata keeps four
		// digits. Go prints the year as it is.
		{name: "year 10000", expr: "$fromMillis(253402300800000)", want: `"10000-01-01T00:00:00.000Z"`},
		// Regular expressions are RE2: Go's inline flags are accepted and
		// look-around is rejected when the expression is compiled.
		{name: "inline flag", expr: "$replace('abc', /(?i)B/, 'x')", want: `"axc"`},
		{name: "look-ahead", expr: "$match('ab', /a(?=b)/)", wantErr: "S0303"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := evalString(c.expr, Undefined, nil)
			if !wantOutcome(t, c.expr, got, err, c.want, c.wantErr) {
				return
			}
			if !jsonEqual(t, got, json.RawMessage(c.want)) {
				t.Fatalf("%s: want %s, got %s", c.expr, c.want, show(got))
			}
		})
	}
}

// Objects that arrive as map[string]any have no order, so they are visited
// in sorted key order; objects the expression builds keep their order.
func TestObjectKeyOrder(t *testing.T) {
	input := map[string]any{"zeta": 1.0, "alpha": 2.0, "mid": 3.0}
	for expr, want := range map[string]string{
		"$keys($)":   `["alpha","mid","zeta"]`,
		"$string($)": `"{\"alpha\":2,\"mid\":3,\"zeta\":1}"`,
		"*":          `[2,3,1]`,
		"$keys({'zeta': 1, 'alpha': 2, 'mid': 3})": `["zeta","alpha","mid"]`,
		"$string({'zeta': 1, 'alpha': 2})":         `"{\"zeta\":1,\"alpha\":2}"`,
		"$keys($merge([{'b': 1}, $]))":             `["b","alpha","mid","zeta"]`,
		"$each($, function($v, $k){$k})":           `["alpha","mid","zeta"]`,
	} {
		got, err := evalString(expr, input, nil)
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		if !jsonEqual(t, got, json.RawMessage(want)) {
			t.Fatalf("%s: want %s, got %s", expr, want, show(got))
		}
	}
}
