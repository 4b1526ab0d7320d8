package codecheck

import (
	"reflect"
	"testing"
)

func TestScanFindsUsesAndBypasses(t *testing.T) {
	rep, err := Scan("testdata/sample", "sampleErrors")
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, u := range rep.Uses {
		codes = append(codes, u.Code)
	}
	if want := []string{"NoSuchThing", "NotInTable", ""}; !reflect.DeepEqual(codes, want) {
		t.Fatalf("codes = %q, want %q", codes, want)
	}
	if want := []string{"sample.go:15", "sample.go:17"}; !reflect.DeepEqual(rep.Bypasses, want) {
		t.Fatalf("bypasses = %q, want %q", rep.Bypasses, want)
	}
}

// recorder is a testing.TB that records failures instead of failing.
type recorder struct {
	testing.TB
	errors int
	fatal  bool
}

func (r *recorder) Helper()               {}
func (r *recorder) Errorf(string, ...any) { r.errors++ }
func (r *recorder) Fatalf(string, ...any) { r.fatal = true }
func (r *recorder) Fatal(...any)          { r.fatal = true }

func TestCheckReportsEveryProblem(t *testing.T) {
	r := &recorder{TB: t}
	Check(r, "testdata/sample", "sampleErrors", map[string]int{"NoSuchThing": 404, "Weird": 200})
	// NotInTable, the non-constant code, two bypasses and the 200 entry.
	if r.errors != 5 || r.fatal {
		t.Fatalf("Check reported %d errors (fatal %v), want 5", r.errors, r.fatal)
	}
	r = &recorder{TB: t}
	Check(r, "testdata/sample", "otherName", map[string]int{})
	if !r.fatal {
		t.Fatal("Check with no uses did not fail")
	}
}
