package eventpattern

import (
	"encoding/json"
	"errors"
	"testing"
)

var fuzzPatterns = []string{
	`{"source":["a"],"detail":{"n":[{"numeric":[">",0,"<=",5]}]}}`,
	`{"a":[{"prefix":{"equals-ignore-case":"Ab"}},{"suffix":"z"},{"wildcard":"a*b\\*c"}]}`,
	`{"a":[{"anything-but":{"wildcard":["*x*","y*"]}},{"anything-but":[1,2]}]}`,
	`{"ip":[{"cidr":"10.0.0.0/8"},{"cidr":"2001:db8::/32"}],"x":[{"exists":false}]}`,
	`{"$or":[{"a":["1"]},{"b":{"c":[null,true,false,""]}}]}`,
	`{"e":{"f":["Anna"],"ids":[{"exists":true}]}}`,
	`{"a":[{"numeric":["<",`,
	`[]`,
}

var fuzzEvents = []string{
	`{"source":"a","detail":{"n":3}}`,
	`{"a":["abc","xyz",1,null,{"b":1}]}`,
	`{"ip":"10.1.2.3","e":[[{"f":"Anna","ids":[1]}],[]]}`,
	`{"b":{"c":[true,[false]]}}`,
	`not json`,
}

// FuzzCompile checks that compiling never panics, that every failure is an *Error,
// and that a compiled pattern can match arbitrary events.
func FuzzCompile(f *testing.F) {
	for _, p := range fuzzPatterns {
		f.Add([]byte(p))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		p, err := Compile(src)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) || pe.Reason == "" {
				t.Fatalf("Compile(%q) error %v is not an *Error with a reason", src, err)
			}
			return
		}
		if !json.Valid(src) {
			t.Fatalf("Compile accepted invalid JSON %q", src)
		}
		for _, e := range fuzzEvents {
			p.Match([]byte(e))
		}
	})
}

// FuzzMatch checks that matching never panics and that Match and MatchValue agree.
func FuzzMatch(f *testing.F) {
	for i, p := range fuzzPatterns {
		f.Add(p, fuzzEvents[i%len(fuzzEvents)])
	}
	f.Fuzz(func(t *testing.T, pattern, event string) {
		p, err := Compile([]byte(pattern))
		if err != nil {
			return
		}
		got := p.Match([]byte(event))
		v, err := Decode([]byte(event))
		if err != nil {
			if got {
				t.Fatalf("invalid event %q matched", event)
			}
			return
		}
		if p.MatchValue(v) != got {
			t.Fatalf("Match and MatchValue disagree on %q / %q", pattern, event)
		}
	})
}
