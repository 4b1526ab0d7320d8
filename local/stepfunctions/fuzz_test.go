package stepfunctions

import (
	"strings"
	"testing"
)

// FuzzARNsAndNames checks the ARN, log group and name parsers: no panics,
// and what they accept has the shape the service relies on.
func FuzzARNsAndNames(f *testing.F) {
	for _, s := range []string{
		"arn:aws:states:us-east-1:000000000000:stateMachine:orders",
		"arn:aws:states:us-east-1:000000000000:execution:orders:run-1",
		"arn:aws:states:us-east-1:000000000000:express:orders:run-1:6f1c1b9e-3c4b-4b8e-9a8e-1b2c3d4e5f60",
		"arn:aws:logs:us-east-1:000000000000:log-group:/aws/states/x:*",
		"arn:aws:states:::lambda:invoke", "run 1", "a:b", "", "::::::::",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if checkMachineARN(s) == nil {
			p, ok := parseStatesARN(s)
			if !ok || p.kind != "stateMachine" || len(p.rest) != 1 || p.rest[0] == "" {
				t.Fatalf("accepted machine ARN %q parses as %+v", s, p)
			}
		}
		if checkExecutionARN(s) == nil {
			p, _ := parseStatesARN(s)
			if p.kind != "execution" || len(p.rest) != 2 {
				t.Fatalf("accepted execution ARN %q parses as %+v", s, p)
			}
		}
		if name, ok := logGroupName(s); ok && (name == "" || strings.Contains(name, ":")) {
			t.Fatalf("log group %q from %q", name, s)
		}
		if validName(s) && (s == "" || strings.ContainsAny(s, " :/\"#%\\^|~`$&,;<>{}[]?*")) {
			t.Fatalf("accepted name %q", s)
		}
		if tok := encodeToken(s); s != "" {
			back, err := decodeToken(tok)
			if err != nil || back != s {
				t.Fatalf("token round trip of %q: %q, %v", s, back, err)
			}
		}
	})
}
