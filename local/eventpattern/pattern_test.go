package eventpattern

import (
	"errors"
	"strings"
	"testing"
)

func TestOperators(t *testing.T) {
	cases := []struct {
		name    string
		pattern string
		event   string
		want    bool
	}{
		{"exact string", `{"a":["x"]}`, `{"a":"x"}`, true},
		{"exact string differs", `{"a":["x"]}`, `{"a":"X"}`, false},
		{"exact number numeric equality", `{"a":[300]}`, `{"a":3.0e2}`, true},
		{"number does not match string", `{"a":[5]}`, `{"a":"5"}`, false},
		{"string does not match number", `{"a":["5"]}`, `{"a":5}`, false},
		{"big number literal", `{"a":[123456789012]}`, `{"a":123456789012}`, true},
		{"big number differs", `{"a":[123456789012]}`, `{"a":123456789013}`, false},
		{"true", `{"a":[true]}`, `{"a":true}`, true},
		{"true vs string", `{"a":[true]}`, `{"a":"true"}`, false},
		{"null", `{"a":[null]}`, `{"a":null}`, true},
		{"null vs missing", `{"a":[null]}`, `{}`, false},
		{"empty string", `{"a":[""]}`, `{"a":""}`, true},
		{"missing field", `{"a":["x"]}`, `{"b":"x"}`, false},
		{"event array any element", `{"a":["x"]}`, `{"a":["y","x"]}`, true},
		{"event nested arrays", `{"a":["x"]}`, `{"a":[["y"],["x"]]}`, true},
		{"event array none", `{"a":["x"]}`, `{"a":["y","z"]}`, false},
		{"object is not a leaf", `{"a":["x"]}`, `{"a":{"b":"x"}}`, false},

		{"prefix", `{"a":[{"prefix":"ab"}]}`, `{"a":"abc"}`, true},
		{"prefix no", `{"a":[{"prefix":"ab"}]}`, `{"a":"xabc"}`, false},
		{"prefix not number", `{"a":[{"prefix":"1"}]}`, `{"a":12}`, false},
		{"prefix ignore case", `{"a":[{"prefix":{"equals-ignore-case":"AB"}}]}`, `{"a":"abc"}`, true},
		{"prefix ignore case unicode", `{"a":[{"prefix":{"equals-ignore-case":"ÄÖ"}}]}`, `{"a":"äöx"}`, true},
		{"suffix", `{"a":[{"suffix":".png"}]}`, `{"a":"x.png"}`, true},
		{"suffix no", `{"a":[{"suffix":".png"}]}`, `{"a":"x.PNG"}`, false},
		{"suffix ignore case", `{"a":[{"suffix":{"equals-ignore-case":".png"}}]}`, `{"a":"x.PNG"}`, true},
		{"equals ignore case", `{"a":[{"equals-ignore-case":"HeLLo"}]}`, `{"a":"hello"}`, true},
		{"equals ignore case no", `{"a":[{"equals-ignore-case":"HeLLo"}]}`, `{"a":"hello!"}`, false},

		{"wildcard middle", `{"a":[{"wildcard":"dir/*.png"}]}`, `{"a":"dir/x/y.png"}`, true},
		{"wildcard no", `{"a":[{"wildcard":"dir/*.png"}]}`, `{"a":"dir/x.jpg"}`, false},
		{"wildcard overlapping", `{"a":[{"wildcard":"a*a"}]}`, `{"a":"a"}`, false},
		{"wildcard repeated part", `{"a":[{"wildcard":"*ab*ab"}]}`, `{"a":"xabyab"}`, true},
		{"wildcard escaped star", `{"a":[{"wildcard":"a\\*b"}]}`, `{"a":"a*b"}`, true},
		{"wildcard escaped star literal", `{"a":[{"wildcard":"a\\*b"}]}`, `{"a":"axb"}`, false},
		{"wildcard only star", `{"a":[{"wildcard":"*"}]}`, `{"a":""}`, true},
		{"wildcard not number", `{"a":[{"wildcard":"*"}]}`, `{"a":1}`, false},

		{"anything-but string", `{"a":[{"anything-but":"x"}]}`, `{"a":"y"}`, true},
		{"anything-but string same", `{"a":[{"anything-but":"x"}]}`, `{"a":"x"}`, false},
		{"anything-but missing", `{"a":[{"anything-but":"x"}]}`, `{}`, false},
		{"anything-but number", `{"a":[{"anything-but":5}]}`, `{"a":5.0}`, false},
		{"anything-but number other", `{"a":[{"anything-but":5}]}`, `{"a":6}`, true},
		{"anything-but number vs string", `{"a":[{"anything-but":[5,6]}]}`, `{"a":"5"}`, true},
		{"anything-but list", `{"a":[{"anything-but":["x","y"]}]}`, `{"a":"y"}`, false},
		{"anything-but array event", `{"a":[{"anything-but":["x"]}]}`, `{"a":["x","z"]}`, true},
		{"anything-but prefix", `{"a":[{"anything-but":{"prefix":"us-"}}]}`, `{"a":"eu-west-1"}`, true},
		{"anything-but prefix no", `{"a":[{"anything-but":{"prefix":"us-"}}]}`, `{"a":"us-east-1"}`, false},
		{"anything-but suffix", `{"a":[{"anything-but":{"suffix":".png"}}]}`, `{"a":"x.png"}`, false},
		{"anything-but ignore case", `{"a":[{"anything-but":{"equals-ignore-case":"INIT"}}]}`, `{"a":"init"}`, false},
		{"anything-but ignore case list", `{"a":[{"anything-but":{"equals-ignore-case":["a","b"]}}]}`, `{"a":"C"}`, true},
		{"anything-but wildcard", `{"a":[{"anything-but":{"wildcard":"*/lib/*"}}]}`, `{"a":"/usr/lib/x"}`, false},
		{"anything-but wildcard other", `{"a":[{"anything-but":{"wildcard":"*/lib/*"}}]}`, `{"a":"/usr/bin/x"}`, true},

		{"numeric gt", `{"a":[{"numeric":[">",10]}]}`, `{"a":10.5}`, true},
		{"numeric gt equal", `{"a":[{"numeric":[">",10]}]}`, `{"a":10}`, false},
		{"numeric ge", `{"a":[{"numeric":[">=",10]}]}`, `{"a":10}`, true},
		{"numeric lt", `{"a":[{"numeric":["<",0]}]}`, `{"a":-0.5}`, true},
		{"numeric eq", `{"a":[{"numeric":["=",3.018e2]}]}`, `{"a":301.8}`, true},
		{"numeric range", `{"a":[{"numeric":[">",0,"<=",5]}]}`, `{"a":5}`, true},
		{"numeric range out", `{"a":[{"numeric":[">",0,"<=",5]}]}`, `{"a":5.000001}`, false},
		{"numeric not string", `{"a":[{"numeric":[">",0]}]}`, `{"a":"7"}`, false},
		{"numeric out of range event", `{"a":[{"numeric":[">",0]}]}`, `{"a":6e9}`, false},
		{"numeric six decimals", `{"a":[{"numeric":["=",1]}]}`, `{"a":1.0000000001}`, true},

		{"exists true", `{"a":[{"exists":true}]}`, `{"a":null}`, true},
		{"exists true array", `{"a":[{"exists":true}]}`, `{"a":[]}`, false},
		{"exists true object", `{"a":[{"exists":true}]}`, `{"a":{"b":1}}`, false},
		{"exists false object", `{"a":[{"exists":false}]}`, `{"a":{"b":1}}`, true},
		{"exists false empty array", `{"a":[{"exists":false}]}`, `{"a":[]}`, true},
		{"exists false present", `{"a":[{"exists":false}]}`, `{"a":0}`, false},
		{"exists false nested missing parent", `{"a":{"b":[{"exists":false}]}}`, `{"c":1}`, true},
		{"value or missing", `{"a":["x",{"exists":false}]}`, `{}`, true},

		{"cidr v4", `{"ip":[{"cidr":"10.0.0.0/24"}]}`, `{"ip":"10.0.0.255"}`, true},
		{"cidr v4 no", `{"ip":[{"cidr":"10.0.0.0/24"}]}`, `{"ip":"10.0.1.0"}`, false},
		{"cidr v6", `{"ip":[{"cidr":"2001:db8::/32"}]}`, `{"ip":"2001:db8:1::5"}`, true},
		{"cidr v6 no", `{"ip":[{"cidr":"2001:db8::/32"}]}`, `{"ip":"2001:db9::5"}`, false},
		{"cidr v6 vs v4", `{"ip":[{"cidr":"::/0"}]}`, `{"ip":"10.0.0.1"}`, false},
		{"cidr not ip", `{"ip":[{"cidr":"10.0.0.0/8"}]}`, `{"ip":"ten"}`, false},
		{"exact ip other spelling", `{"ip":["2001:db8::1"]}`, `{"ip":"2001:0db8:0:0:0:0:0:1"}`, true},

		{"or first", `{"$or":[{"a":["1"]},{"b":["2"]}]}`, `{"a":"1"}`, true},
		{"or second", `{"$or":[{"a":["1"]},{"b":["2"]}]}`, `{"b":"2"}`, true},
		{"or none", `{"$or":[{"a":["1"]},{"b":["2"]}]}`, `{"a":"2","b":"1"}`, false},
		{"or nested", `{"d":{"$or":[{"a":["1"]},{"b":[{"numeric":[">",5]}]}]}}`, `{"d":{"b":6}}`, true},
		{"or with and", `{"s":["x"],"$or":[{"a":["1"]},{"b":["2"]}]}`, `{"s":"y","a":"1"}`, false},

		{"array of objects same element", `{"e":{"f":["Anna"],"l":["Smith"]}}`, `{"e":[{"f":"John","l":"Smith"},{"f":"Anna","l":"Smith"}]}`, true},
		{"array of objects across elements", `{"e":{"f":["Anna"],"l":["Doe"]}}`, `{"e":[{"f":"John","l":"Doe"},{"f":"Anna","l":"Smith"}]}`, false},
		{"array of objects exists false", `{"e":{"id":[{"exists":false}]}}`, `{"e":[{"id":1},{"x":2}]}`, true},
		{"nested object", `{"d":{"s":{"t":["ok"]}}}`, `{"d":{"s":{"t":"ok"}}}`, true},
		{"nested object scalar", `{"d":{"s":["ok"]}}`, `{"d":"ok"}`, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := Compile([]byte(c.pattern))
			if err != nil {
				t.Fatalf("compile %s: %v", c.pattern, err)
			}
			if got := p.Match([]byte(c.event)); got != c.want {
				t.Errorf("pattern %s event %s: match = %v, want %v", c.pattern, c.event, got, c.want)
			}
		})
	}
}

func TestMatchInvalidEvent(t *testing.T) {
	p := MustCompile(`{"a":[{"exists":false}]}`)
	if p.Match([]byte(`{"a":`)) {
		t.Fatal("truncated event matched")
	}
	if !p.MatchValue(map[string]any{"b": 1}) {
		t.Fatal("decoded event without a did not match exists:false")
	}
	if !MustCompile(`{"n":[{"numeric":[">",1]}]}`).MatchValue(map[string]any{"n": 2}) {
		t.Fatal("Go int did not match numeric")
	}
}

func TestCompileErrors(t *testing.T) {
	cases := []struct {
		pattern string
		reason  string
	}{
		{`[1]`, "Filter is not an object"},
		{`"x"`, "Filter is not an object"},
		{`{"a":`, "invalid JSON"},
		{`{"a":["x"]} {}`, "unexpected data"},
		{`{}`, "Empty objects are not allowed"},
		{`{"a":{}}`, "Empty objects are not allowed"},
		{`{"a":"x"}`, `"a" must be an object or an array`},
		{`{"a":5}`, `"a" must be an object or an array`},
		{`{"a":[]}`, "Empty arrays are not allowed"},
		{`{"a":[["x"]]}`, "Match value must be String, number, true, false, or null"},
		{`{"a":[{}]}`, "Match expression name not found"},
		{`{"a":[{"prefix":"x","suffix":"y"}]}`, "Only one key allowed in match expression"},
		{`{"a":[{"regex":"x"}]}`, "Unrecognized match type regex"},
		{`{"a":[{"prefix":5}]}`, "prefix match pattern must be a string"},
		{`{"a":[{"prefix":{"wildcard":"x"}}]}`, "Unsupported prefix pattern: wildcard"},
		{`{"a":[{"suffix":["x"]}]}`, "suffix match pattern must be a string"},
		{`{"a":[{"equals-ignore-case":1}]}`, "equals-ignore-case match pattern must be a string"},
		{`{"a":[{"wildcard":"a**b"}]}`, "Consecutive wildcard characters at pos 2"},
		{`{"a":[{"wildcard":"a\\b"}]}`, "Invalid escape character at pos 1"},
		{`{"a":[{"wildcard":true}]}`, "wildcard match pattern must be a string"},
		{`{"a":[{"numeric":5}]}`, "Value of numeric must be an array."},
		{`{"a":[{"numeric":[]}]}`, "Invalid member in numeric match"},
		{`{"a":[{"numeric":[">"]}]}`, "Value of > must be numeric"},
		{`{"a":[{"numeric":["!=",1]}]}`, "Unrecognized numeric range operator: !="},
		{`{"a":[{"numeric":["=",1,"<",2]}]}`, "Too many elements in numeric expression"},
		{`{"a":[{"numeric":[">",1,">",2]}]}`, "Bad numeric range operator: >"},
		{`{"a":[{"numeric":[">",5,"<",2]}]}`, "Bottom must be less than top"},
		{`{"a":[{"numeric":[">",1,"<",2,"<",3]}]}`, "Too many terms in numeric range expression"},
		{`{"a":[{"numeric":[">","1"]}]}`, "Value of > must be numeric"},
		{`{"a":[{"numeric":["<",6e9]}]}`, "Value must be between"},
		{`{"a":[{"exists":"yes"}]}`, "exists match pattern must be either true or false."},
		{`{"a":[{"cidr":"10.0.0.0/33"}]}`, "Nonsensical CIDR: 10.0.0.0/33"},
		{`{"a":[{"cidr":"10.0.0.1"}]}`, "Nonsensical CIDR"},
		{`{"a":[{"anything-but":true}]}`, "Value of anything-but must be an array or single string/number value."},
		{`{"a":[{"anything-but":["x",1]}]}`, "mixed type is not supported"},
		{`{"a":[{"anything-but":[1,"x"]}]}`, "mixed type is not supported"},
		{`{"a":[{"anything-but":[null]}]}`, "start|null|boolean is not supported"},
		{`{"a":[{"anything-but":[]}]}`, "mixed type is not supported"},
		{`{"a":[{"anything-but":{"prefix":""}}]}`, "Null prefix/suffix not allowed"},
		{`{"a":[{"anything-but":{"numeric":[">",1]}}]}`, "Unsupported anything-but pattern: numeric"},
		{`{"a":[{"anything-but":{"equals-ignore-case":[1]}}]}`, "number|start|null|boolean is not supported"},
		{`{"a":[{"anything-but":{}}]}`, "Anything-But expression name not found"},
		{`{"$or":{"a":["x"]}}`, "It must be an Array followed with $or."},
		{`{"$or":[{"a":["x"]}]}`, "There must have at least 2 Objects in $or relationship."},
		{`{"$or":[{"a":["x"]},"b"]}`, "Only JSON object is allowed in array of $or relationship."},
		{`{"$or":[{"a":["x"]},{"prefix":["b"]}]}`, "prefix is Ruler reserved fieldName which cannot be used inside $or."},
		{`{"$or":[{"a":["x"]},{}]}`, "Empty objects are not allowed"},
	}
	for _, c := range cases {
		t.Run(c.pattern, func(t *testing.T) {
			_, err := Compile([]byte(c.pattern))
			if err == nil {
				t.Fatalf("pattern %s compiled, want error containing %q", c.pattern, c.reason)
			}
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not an *Error", err)
			}
			if !strings.Contains(pe.Reason, c.reason) {
				t.Errorf("reason = %q, want it to contain %q", pe.Reason, c.reason)
			}
			if !strings.HasPrefix(err.Error(), "Event pattern is not valid. Reason: ") {
				t.Errorf("message %q lacks the EventBridge prefix", err.Error())
			}
		})
	}
}

func TestErrorPath(t *testing.T) {
	_, err := Compile([]byte(`{"detail":{"state":[{"prefix":1}]}}`))
	var pe *Error
	if !errors.As(err, &pe) || pe.Path != "detail.state" {
		t.Fatalf("error = %v, want path detail.state", err)
	}
}

func TestString(t *testing.T) {
	src := `{"source":["a"]}`
	if got := MustCompile(src).String(); got != src {
		t.Fatalf("String() = %q", got)
	}
}
