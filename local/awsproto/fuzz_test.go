package awsproto

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzSigV4Scope feeds arbitrary Authorization headers and query strings to
// the scope parser. A scope it reports has five slash-free parts and reads back
// the same from a freshly formatted header.
func FuzzSigV4Scope(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=abc", "")
	f.Add("", "X-Amz-Credential=AKID%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=00")
	f.Add("AWS4-HMAC-SHA256 Credential=a/b/c, SignedHeaders=host", "")
	f.Add("AWS4-HMAC-SHA256 Credential= a / b / c / d / e ", "")
	f.Add("AWS AKID:signature", "X-Amz-Credential=%zz")
	f.Add("AWS4-HMAC-SHA256 Credential=Credential=x/1/r/s/t", "")
	f.Fuzz(func(t *testing.T, auth, rawQuery string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", auth)
		r.URL.RawQuery = rawQuery
		s, ok := SigV4Scope(r)
		if !ok {
			if s != (Scope{}) {
				t.Fatalf("no scope but fields set: %+v", s)
			}
			return
		}
		for _, p := range []string{s.AccessKey, s.Date, s.Region, s.Service} {
			if strings.Contains(p, "/") {
				t.Fatalf("scope part %q contains a slash", p)
			}
		}
		again := httptest.NewRequest("GET", "/", nil)
		cred := strings.Join([]string{s.AccessKey, s.Date, s.Region, s.Service, "aws4_request"}, "/")
		again.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+cred+", SignedHeaders=host, Signature=00")
		if s2, ok := SigV4Scope(again); !ok || s2 != s {
			t.Fatalf("scope %+v reads back as %+v (%v)", s, s2, ok)
		}
	})
}

// FuzzTarget checks that Target splits X-Amz-Target at its last dot.
func FuzzTarget(f *testing.F) {
	for _, s := range []string{"AmazonSQS.SendMessage", "AWSCognitoIdentityProviderService.InitiateAuth", "NoDot", "", ".", "a.b.c", "trailing."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, target string) {
		r := httptest.NewRequest("POST", "/", nil)
		r.Header["X-Amz-Target"] = []string{target}
		prefix, op := Target(r)
		if strings.Contains(op, ".") {
			t.Fatalf("op %q contains a dot", op)
		}
		joined := op
		if strings.Contains(target, ".") {
			joined = prefix + "." + op
		} else if prefix != "" {
			t.Fatalf("prefix %q from a target without a dot", prefix)
		}
		if joined != target {
			t.Fatalf("Target(%q) = %q, %q", target, prefix, op)
		}
	})
}
