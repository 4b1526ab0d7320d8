package dragons

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/dragons-dev/dragons/schemas"
)

func newValidator(t testing.TB) *Validator {
	t.Helper()
	v, err := NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func problems(t *testing.T, v *Validator, body string) []Problem {
	t.Helper()
	_, err := v.ParseSubmission([]byte(body))
	if err == nil {
		t.Fatalf("ParseSubmission(%.60q) succeeded, want problems", body)
	}
	var inv *InvalidError
	if !errors.As(err, &inv) {
		t.Fatalf("ParseSubmission(%.60q) error %v is not an *InvalidError", body, err)
	}
	if len(inv.Problems) == 0 {
		t.Fatalf("InvalidError without problems")
	}
	return inv.Problems
}

func TestParseSubmissionAcceptsGoodBodies(t *testing.T) {
	v := newValidator(t)
	yes := true
	cases := map[string]Submission{
		`{"dragonName":"Ember","family":"red"}`: {DragonName: "Ember", Family: "red"},
		`{"dragonName":"O'Brien \"the Bold\"","family":"Ñandú 🐉","confirmationRequired":true,"reportingPhoneNumber":"+15555550100"}`: {
			DragonName: `O'Brien "the Bold"`, Family: "Ñandú 🐉", ConfirmationRequired: &yes, ReportingPhoneNumber: "+15555550100"},
		" \n{\"family\":\"x\",\"dragonName\":\"y\",\"city\":\"\"}\n": {DragonName: "y", Family: "x"},
	}
	for body, want := range cases {
		got, err := v.ParseSubmission([]byte(body))
		if err != nil {
			t.Errorf("ParseSubmission(%q): %v", body, err)
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("ParseSubmission(%q) = %+v, want %+v", body, got, want)
		}
	}
}

func TestParseSubmissionBadInput(t *testing.T) {
	v := newValidator(t)
	cases := []struct {
		name string
		body string
		want []Problem
	}{
		{"empty", "", []Problem{{Message: "body is empty; send a JSON object"}}},
		{"only spaces", " \r\n\t", []Problem{{Message: "body is empty; send a JSON object"}}},
		{"too large", `{"dragonName":"` + strings.Repeat("a", MaxBodyBytes) + `"}`, []Problem{{Message: "body is larger than 16384 bytes"}}},
		{"invalid utf-8", "{\"dragonName\":\"\xff\",\"family\":\"red\"}", []Problem{{Message: "body is not valid UTF-8"}}},
		{"unicode spaces only", `{"dragonName":"\u00a0\u2003","family":"\u3000"}`, []Problem{
			{Path: "/dragonName", Message: "must not be blank"},
			{Path: "/family", Message: "must not be blank"},
		}},
		{"duplicate key", `{"dragonName":"a","family":"b","dragonName":"c"}`, []Problem{{Path: "/dragonName", Message: "appears more than once"}}},
		{"everything at once", `{"dragonName":"","family":3,"city":"` + strings.Repeat("x", 101) + `","extra":null}`, []Problem{
			{Path: "/city", Message: "must be at most 100 characters long (is 101)"},
			{Path: "/dragonName", Message: "must be at least 1 characters long"},
			{Path: "/dragonName", Message: "must not be blank"},
			{Path: "/extra", Message: "is not a known field"},
			{Path: "/family", Message: "must be a string, not number"},
		}},
		{"null", "null", []Problem{{Message: "must be an object, not null"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := problems(t, v, tc.body)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("problems\n got %v\nwant %v", got, tc.want)
			}
		})
	}
	// Non-JSON bodies get one problem saying so, with the parser's reason.
	for _, body := range []string{"dragonName=Ember", "{", `{"dragonName":"a",}`, `{"a":1}{"b":2}`, "<xml/>"} {
		got := problems(t, v, body)
		if len(got) != 1 || !strings.HasPrefix(got[0].Message, "body is not valid JSON: ") {
			t.Errorf("ParseSubmission(%q) problems = %v", body, got)
		}
	}
}

func TestDuplicateKeysNested(t *testing.T) {
	got := duplicateKeys([]byte(`{"a":[1,{"x":1,"x":2}],"b":{"c":{"d":1}},"b":2,"a/b":1,"a/b":2}`))
	want := []Problem{
		{Path: "/a/1/x", Message: "appears more than once"},
		{Path: "/b", Message: "appears more than once"},
		{Path: "/a~1b", Message: "appears more than once"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("duplicateKeys = %v, want %v", got, want)
	}
	if got := duplicateKeys([]byte(`{"a":`)); got != nil {
		t.Errorf("duplicateKeys(broken) = %v, want nil", got)
	}
}

func TestInvalidErrorMessage(t *testing.T) {
	err := &InvalidError{Problems: []Problem{{Path: "/family", Message: "is required"}, {Message: "x"}}}
	if got := err.Error(); got != "invalid dragon: /family: is required; x" {
		t.Errorf("Error() = %q", got)
	}
}

// FuzzParseSubmission checks that the body parser never panics, that every
// refusal lists at least one problem, and that whatever it accepts is a
// valid request whose record satisfies the stored-record schema.
func FuzzParseSubmission(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "schemas", "examples", "dragon-request", "*", "*.json"))
	for _, file := range files {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
	for _, s := range []string{
		"", "{}", "null", "[]", `{"dragonName":"a","family":"b"}`,
		`{"dragonName":"a","family":"b","dragonName":"c"}`,
		`{"dragonName":"\u00a0","family":"b"}`,
		`{"dragonName":" a ","family":" b ","confirmationRequired":false}`,
		"{\"dragonName\":\"\xed\xa0\x80\",\"family\":\"b\"}",
	} {
		f.Add([]byte(s))
	}
	v := newValidator(f)
	request := schemas.MustCompile(schemas.DragonRequest)
	record := schemas.MustCompile(schemas.DragonRecord)
	f.Fuzz(func(t *testing.T, body []byte) {
		s, err := v.ParseSubmission(body)
		if err != nil {
			var inv *InvalidError
			if !errors.As(err, &inv) || len(inv.Problems) == 0 {
				t.Fatalf("ParseSubmission(%q) = %v, want an *InvalidError with problems", body, err)
			}
			return
		}
		again, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if vs, err := request.ValidateJSON(again); err != nil || len(vs) > 0 {
			t.Fatalf("accepted %q but its re-encoding %s is invalid: %v %v", body, again, vs, err)
		}
		rec, _ := json.Marshal(s.Record())
		if vs, err := record.ValidateJSON(rec); err != nil || len(vs) > 0 {
			t.Fatalf("accepted %q but its record %s is invalid: %v %v", body, rec, vs, err)
		}
		if NameKey(s.DragonName) == "" {
			t.Fatalf("accepted %q with a blank name", body)
		}
	})
}
