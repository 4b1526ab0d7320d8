package intrinsic

import (
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/dragons-dev/dragons/local/asl/jsonpath"
)

func jsonVal(t testing.TB, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("bad json %q: %v", s, err)
	}
	return v
}

func resolverFor(t testing.TB, input string) Resolver {
	doc := jsonVal(t, input)
	vars := map[string]any{"greeting": "hi", "n": 3.0}
	return ResolverFunc(func(p *jsonpath.Path) (any, error) {
		switch p.Root() {
		case jsonpath.RootVariable:
			v, ok := vars[p.Variable()]
			if !ok {
				return nil, errors.New("no such variable")
			}
			return p.Get(v)
		case jsonpath.RootContext:
			return p.Get(map[string]any{"Execution": map[string]any{"Name": "exec1"}})
		}
		return p.Get(doc)
	})
}

func TestEval(t *testing.T) {
	input := `{"name":"Arnav","tmpl":"Hello {} and {}","arr":[1,2,3,4,5,6,7,8,9],"obj":{"Arg1":1,"Arg2":[]},
	  "s":"This.is+a,test=string","b64":"RGF0YSB0byBlbmNvZGU=","json":"{\"a\":[1,2]}","dup":[1,2,2,{"x":1},{"x":1},"1"],
	  "o1":{"a":{"a1":1},"b":2},"o2":{"a":{"a2":1},"c":3},"n":null,"f":1.5}`
	cases := []struct {
		expr, want string
	}{
		{`States.Format('Hello, my name is {}.', $.name)`, `"Hello, my name is Arnav."`},
		{`States.Format($.tmpl, $.name, 5)`, `"Hello Arnav and 5"`},
		{`States.Format('obj={} arr={} null={} num={} bool={}', $.obj, $.arr, $.n, $.f, true)`, `"obj={Arg1=1, Arg2=[]} arr=[1, 2, 3, 4, 5, 6, 7, 8, 9] null=null num=1.5 bool=true"`},
		{`States.Format('esc \{\} {} it\'s', 'x')`, `"esc {} x it's"`},
		{`States.Format('{} {}', $greeting, $$.Execution.Name)`, `"hi exec1"`},
		{`States.StringToJson($.json)`, `{"a":[1,2]}`},
		{`States.StringToJson('')`, `null`},
		{`States.JsonToString($.obj)`, `"{\"Arg1\":1,\"Arg2\":[]}"`},
		{`States.JsonToString('a<b')`, `"\"a<b\""`},
		{`States.Array(1, 'hello', true, false, null, $.name)`, `[1,"hello",true,false,null,"Arnav"]`},
		{`States.Array()`, `[]`},
		{`States.ArrayPartition($.arr, 4)`, `[[1,2,3,4],[5,6,7,8],[9]]`},
		{`States.ArrayPartition(States.Array(), 4)`, `[]`},
		{`States.ArrayContains($.dup, $.obj.Arg2)`, `false`},
		{`States.ArrayContains($.dup, States.StringToJson('{"x":1}'))`, `true`},
		{`States.ArrayRange(1, 9, 2)`, `[1,3,5,7,9]`},
		{`States.ArrayRange(0, 10, 3)`, `[0,3,6,9]`},
		{`States.ArrayRange(5, 1, -2)`, `[5,3,1]`},
		{`States.ArrayRange(5, 1, 1)`, `[]`},
		{`States.ArrayGetItem($.arr, 5)`, `6`},
		{`States.ArrayLength($.arr)`, `9`},
		{`States.ArrayUnique($.dup)`, `[1,2,{"x":1},"1"]`},
		{`States.Base64Encode('Data to encode')`, `"RGF0YSB0byBlbmNvZGU="`},
		{`States.Base64Decode($.b64)`, `"Data to encode"`},
		{`States.Hash('input data', 'SHA-1')`, `"aaff4a450a104cd177d28d18d74485e8cae074b7"`},
		{`States.Hash('input data', 'MD5')`, `"812f45842bc6d66ee14572ce20db8e86"`},
		{`States.Hash('input data', 'SHA-256')`, `"b4a697a057313163aa33a6a5d2ab3a6a5d2bb0fbd7dc4d1f4bd08ed2d84c8b8e"`},
		{`States.JsonMerge($.o1, $.o2, false)`, `{"a":{"a2":1},"b":2,"c":3}`},
		{`States.MathAdd(1.49, 1.5)`, `3`},
		{`States.MathAdd(-2.5, 0)`, `-2`},
		{`States.MathAdd($.n2, -1)`, ``},
		{`States.StringSplit($.s, '.+,=')`, `["This","is","a","test","string"]`},
		{`States.StringSplit(', , ,', ',')`, `[" "," "]`},
		{`States.StringSplit('Hello
World', '
')`, `["Hello","World"]`},
		{`States.ArrayLength(States.StringSplit('a,b,c', ','))`, `3`},
		{`States.MathRandom(5, 6)`, `5`},
		{`States.MathRandom(1, 1000, 7)`, `same`},
	}
	r := resolverFor(t, input)
	for _, c := range cases {
		if c.want == "" {
			continue
		}
		e, err := Parse(c.expr)
		if err != nil {
			t.Fatalf("Parse(%s): %v", c.expr, err)
		}
		got, err := e.Eval(r)
		if err != nil {
			t.Fatalf("Eval(%s): %v", c.expr, err)
		}
		if c.want == "same" {
			again, _ := e.Eval(r)
			if !jsonpath.Equal(got, again) {
				t.Errorf("%s: seeded random differs: %v vs %v", c.expr, got, again)
			}
			continue
		}
		if c.expr == `States.Hash('input data', 'SHA-256')` {
			if s, _ := got.(string); len(s) != 64 {
				t.Errorf("SHA-256 length = %d", len(s))
			}
			continue
		}
		if want := jsonVal(t, c.want); !jsonpath.Equal(got, want) {
			b, _ := json.Marshal(got)
			t.Errorf("%s = %s, want %s", c.expr, b, c.want)
		}
	}
}

func TestUUID(t *testing.T) {
	e, err := Parse("States.UUID()")
	if err != nil {
		t.Fatal(err)
	}
	a, _ := e.Eval(resolverFor(t, `{}`))
	b, _ := e.Eval(resolverFor(t, `{}`))
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	if !re.MatchString(a.(string)) || a == b {
		t.Errorf("UUIDs %v, %v", a, b)
	}
}

func TestRuntimeErrors(t *testing.T) {
	input := `{"arr":[1,2],"s":"x","o":{"a":1}}`
	for _, expr := range []string{
		`States.ArrayGetItem($.arr, 2)`,
		`States.ArrayGetItem($.s, 0)`,
		`States.ArrayPartition($.arr, 0)`,
		`States.ArrayRange(1, 2000, 1)`,
		`States.ArrayRange(1, 5, 0)`,
		`States.StringToJson('{bad')`,
		`States.StringToJson($.arr)`,
		`States.Base64Decode('%%%')`,
		`States.JsonMerge($.o, $.o, true)`,
		`States.JsonMerge($.o, $.arr, false)`,
		`States.MathAdd(2147483647, 1)`,
		`States.MathAdd($.s, 1)`,
		`States.Format($.s, 1)`,
		`States.Hash($.s, $.s)`,
		`States.MathRandom(5, 5)`,
	} {
		e, err := Parse(expr)
		if err != nil {
			t.Fatalf("Parse(%s): %v", expr, err)
		}
		_, err = e.Eval(resolverFor(t, input))
		var ie *Error
		if !errors.As(err, &ie) {
			t.Errorf("Eval(%s) error = %v, want *intrinsic.Error", expr, err)
		}
	}
	// A path that selects nothing is a path error, not an intrinsic failure.
	_, err := MustParseTest(t, `States.ArrayLength($.missing)`).Eval(resolverFor(t, input))
	if !errors.Is(err, jsonpath.ErrNotFound) {
		t.Errorf("missing path error = %v", err)
	}
}

func MustParseTest(t *testing.T, s string) *Expr {
	t.Helper()
	e, err := Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestParseErrors(t *testing.T) {
	for _, s := range []string{
		`States.Nope(1)`,
		`States.Format()`,
		`States.Format('{} {}', 1)`,
		`States.Format(1, 2)`,
		`States.UUID(1)`,
		`States.ArrayRange(1, 2)`,
		`States.Hash('x', 'SHA-999')`,
		`States.Array(1,`,
		`States.Array('unterminated)`,
		`States.Array(1) extra`,
		`Foo.Bar()`,
		`States.Array(bogus)`,
		`States.Array($.a[)`,
	} {
		if _, err := Parse(s); err == nil {
			t.Errorf("Parse(%s) succeeded, want error", s)
		}
	}
	// A quoted name in a path that ends inside the quote (even right
	// after a backslash) is an unterminated string, not a crash.
	for _, s := range []string{`States.Format($"0\`, `States.Format($["a\`, `States.Format($["a)`} {
		_, err := Parse(s)
		if err == nil || !strings.Contains(err.Error(), "unterminated string") {
			t.Errorf("Parse(%s) error = %v, want an unterminated string", s, err)
		}
	}
	if len(Names()) != 18 {
		t.Errorf("Names() = %d functions, want 18", len(Names()))
	}
}

func TestPaths(t *testing.T) {
	e := MustParseTest(t, `States.Format('{} {}', $.a, States.Array($$.b, $c))`)
	var got []string
	for _, p := range e.Paths() {
		got = append(got, p.String())
	}
	if len(got) != 3 || got[0] != "$.a" || got[1] != "$$.b" || got[2] != "$c" {
		t.Errorf("Paths() = %v", got)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`States.Format('Hello {}', $.name)`,
		`States.Array(1, 'a', true, null, -2.5, $.x[0], States.UUID())`,
		`States.ArrayRange(1, 9, 2)`,
		`States.StringSplit('a,b', ',')`,
		`States.Hash($.a, 'SHA-1')`,
		`States.Format('\{\} {}', $v)`,
	} {
		f.Add(s)
	}
	r := resolverFor(f, `{"name":"x","x":[1],"a":"b"}`)
	f.Fuzz(func(t *testing.T, s string) {
		e, err := Parse(s)
		if err != nil {
			return
		}
		_, _ = e.Eval(r)
	})
}
