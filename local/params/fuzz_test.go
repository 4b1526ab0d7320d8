package params

import (
	"context"
	"testing"
)

// FuzzNamesAndReferences checks that any name the validator accepts can be
// stored and read back by its name, its ARN and its version selector, and that
// no input makes reference parsing or lookup panic.
func FuzzNamesAndReferences(f *testing.F) {
	for _, seed := range []string{"/dragons/bucket", "plain", "/a/b:1", "arn:aws:ssm:us-east-1:000000000000:parameter/a", "/a//b", "a/b", ":", "/x:", "/aws/x", "/" + "é"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, name string) {
		svc, err := New(Options{})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		_, _ = svc.Get(ctx, name)
		_, _ = svc.GetParameterHistory(ctx, &GetParameterHistoryInput{Name: name})
		if checkName(name) != nil {
			if _, err := svc.Put(ctx, name, TypeString, "v"); err == nil && checkName(trimmed(name)) != nil {
				t.Fatalf("put accepted invalid name %q", name)
			}
			return
		}
		if _, err := svc.Put(ctx, name, TypeString, "v"); err != nil {
			t.Fatalf("put valid name %q: %v", name, err)
		}
		for _, ref := range []string{name, name + ":1", svc.ARN(name), svc.ARN(name) + ":1"} {
			if got, err := svc.Get(ctx, ref); err != nil || got != "v" {
				t.Fatalf("get %q = %q, %v", ref, got, err)
			}
		}
	})
}

func trimmed(s string) string {
	out, _ := (&PutParameterInput{Name: s}).trimmedName()
	return out
}
