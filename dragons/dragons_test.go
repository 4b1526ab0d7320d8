package dragons

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dragons-dev/dragons/events"
	"github.com/dragons-dev/dragons/schemas"
)

// courseFile is the original course's dataset, kept beside the repository.
const courseFile = "../../shared/reference/course-dragons.json"

func TestCourseDatasetLoadsUnchanged(t *testing.T) {
	data, err := os.ReadFile(courseFile)
	if errors.Is(err, os.ErrNotExist) {
		if os.Getenv("DRAGONS_REQUIRE_REFERENCE") == "1" {
			t.Fatalf("course dataset %s is missing and DRAGONS_REQUIRE_REFERENCE=1", courseFile)
		}
		t.Skipf("course dataset %s is not present beside the repository; this check needs ../shared/reference (set DRAGONS_REQUIRE_REFERENCE=1 to make this a failure)", courseFile)
	}
	if err != nil {
		t.Fatal(err)
	}
	records, err := DecodeRecords(data)
	if err != nil {
		t.Fatalf("DecodeRecords(course file): %v", err)
	}
	if len(records) != 25 {
		t.Fatalf("loaded %d records, want 25", len(records))
	}
	if records[0].DragonName != "Atlas" || records[0].Family != "red" || records[0].City != "anchorage" {
		t.Errorf("first record = %+v", records[0])
	}
	// Encoding the records again gives the same JSON values: nothing was lost.
	var want, got []map[string]any
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	again, err := json.Marshal(records)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(again, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Error("course records changed on a decode/encode round trip")
	}
	// And each one is a valid stored record.
	s := schemas.MustCompile(schemas.DragonRecord)
	for i, r := range records {
		b, _ := json.Marshal(r)
		if vs, err := s.ValidateJSON(b); err != nil || len(vs) > 0 {
			t.Errorf("course record %d fails the record schema: %v %v", i, vs, err)
		}
	}
}

func TestDecodeRecordsIsStrict(t *testing.T) {
	for name, in := range map[string]string{
		"not json":       `[{"dragon_name_str": "a"`,
		"object":         `{"dragon_name_str": "a"}`,
		"null":           `null`,
		"number value":   `[{"dragon_name_str": 1}]`,
		"unknown field":  `[{"dragon_name_str": "a", "wings": "2"}]`,
		"repeated field": `[{"dragon_name_str": "a", "dragon_name_str": "b"}]`,
		"trailing data":  `[] []`,
		"empty":          ``,
	} {
		if _, err := DecodeRecords([]byte(in)); err == nil {
			t.Errorf("%s: DecodeRecords(%q) succeeded", name, in)
		}
	}
	stored, err := DecodeCatalog([]byte(`[{"dragon_name_str":"a","family_str":"b","execution_id_str":"e1"}]`))
	if err != nil || len(stored) != 1 || stored[0].ExecutionID != "e1" || stored[0].DragonName != "a" {
		t.Errorf("DecodeCatalog = %+v, %v", stored, err)
	}
	if rs := Records(stored); len(rs) != 1 || rs[0] != (Record{DragonName: "a", Family: "b"}) {
		t.Errorf("Records = %+v", rs)
	}
	rs, err := DecodeRecords([]byte(" [] "))
	if err != nil || rs == nil || len(rs) != 0 {
		t.Errorf("DecodeRecords([]) = %#v, %v; want an empty, non-nil slice", rs, err)
	}
}

func TestRecordConvertsToTheEventDragon(t *testing.T) {
	r := Record{DragonName: "Ember", Family: "red", Description: "d", City: "c", State: "s", Country: "k", Neighborhood: "n"}
	// A plain conversion compiles only while both types have the same fields.
	e := events.Dragon(r)
	a, _ := json.Marshal(r)
	b, _ := json.Marshal(e)
	if string(a) != string(b) {
		t.Errorf("record %s and event dragon %s encode differently", a, b)
	}
}

func TestSubmissionRecord(t *testing.T) {
	yes := true
	s := Submission{
		DragonName: "  Ember ", Family: "red\t", Description: " warm ", City: "Reno",
		State: "nevada", Country: "usa", Neighborhood: " midtown",
		ReportingPhoneNumber: "+15555550100", ConfirmationRequired: &yes,
	}
	want := Record{DragonName: "Ember", Family: "red", Description: "warm", City: "Reno", State: "nevada", Country: "usa", Neighborhood: "midtown"}
	if got := s.Record(); got != want {
		t.Errorf("Record() = %+v, want %+v", got, want)
	}
}

func TestNameKey(t *testing.T) {
	same := [][2]string{
		{"Ember", "ember"},
		{"  Ember\t", "EMBER"},
		{"Straße", "STRASSE"},
		{"Caf\u00e9", "cafe\u0301"}, // precomposed and decomposed é
		{"O'Brien \"Bold\"", "o'brien \"bold\""},
		{"\u00a0Ember\u00a0", "ember"},
	}
	for _, p := range same {
		if !SameName(p[0], p[1]) {
			t.Errorf("SameName(%q, %q) = false, want true", p[0], p[1])
		}
	}
	different := [][2]string{
		{"Ember", "Embers"},
		{"Em ber", "Ember"},
		{"O'Brien", "O’Brien"},
		{"", "a"},
	}
	for _, p := range different {
		if SameName(p[0], p[1]) {
			t.Errorf("SameName(%q, %q) = true, want false", p[0], p[1])
		}
	}
}

func TestFilter(t *testing.T) {
	rs := []Record{
		{DragonName: "Ember", Family: "red"},
		{DragonName: "O'Brien \"Bold\"", Family: "red"},
		{DragonName: "Frostfang", Family: "Blue"},
		{DragonName: "龍神", Family: "gold"},
	}
	names := func(rs []Record) string {
		var n []string
		for _, r := range rs {
			n = append(n, r.DragonName)
		}
		return strings.Join(n, ",")
	}
	cases := []struct {
		f    Filter
		want string
	}{
		{Filter{}, `Ember,O'Brien "Bold",Frostfang,龍神`},
		{Filter{DragonName: "ember"}, "Ember"},
		{Filter{DragonName: `o'brien "bold"`}, `O'Brien "Bold"`},
		{Filter{DragonName: `' OR '1'='1`}, ""},
		{Filter{Family: "red"}, `Ember,O'Brien "Bold"`},
		{Filter{Family: "blue"}, "Frostfang"},
		{Filter{DragonName: "Ember", Family: "blue"}, ""}, // both filters apply
		{Filter{DragonName: "Ember", Family: "RED"}, "Ember"},
		{Filter{DragonName: "龍神"}, "龍神"},
	}
	for _, tc := range cases {
		got := tc.f.Apply(rs)
		if names(got) != tc.want {
			t.Errorf("%+v.Apply = %q, want %q", tc.f, names(got), tc.want)
		}
		if got == nil {
			t.Errorf("%+v.Apply returned nil", tc.f)
		}
	}
}

func TestValidExecutionID(t *testing.T) {
	for _, id := range []string{"0f8fad5b-d9cb-469f-a165-70867728950e", "00000000-0000-0000-0000-000000000000"} {
		if !ValidExecutionID(id) {
			t.Errorf("ValidExecutionID(%q) = false", id)
		}
	}
	for _, id := range []string{"", "0F8FAD5B-D9CB-469F-A165-70867728950E", "0f8fad5b-d9cb-469f-a165-70867728950", "0f8fad5bxd9cb-469f-a165-70867728950e", "../../Dragons.json/aaaaaaaaaaaaaaaaaaa", "0f8fad5b-d9cb-469f-a165-70867728950g"} {
		if ValidExecutionID(id) {
			t.Errorf("ValidExecutionID(%q) = true", id)
		}
	}
	if got := ExecutionKey("abc"); got != "executions/abc.json" {
		t.Errorf("ExecutionKey = %q", got)
	}
}

func TestExamplesDecodeIntoTheGoTypes(t *testing.T) {
	// The request examples of schemas/ decode with ParseSubmission exactly when
	// they are valid.
	v := newValidator(t)
	for _, sub := range []string{"valid", "invalid"} {
		files, _ := filepath.Glob(filepath.Join("..", "schemas", "examples", "dragon-request", sub, "*.json"))
		if len(files) == 0 {
			t.Fatalf("no %s request examples found", sub)
		}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			_, err = v.ParseSubmission(data)
			if (err == nil) != (sub == "valid") {
				t.Errorf("%s: ParseSubmission error = %v", f, err)
			}
		}
	}
}

func TestFormatTime(t *testing.T) {
	ts := time.Date(2026, 3, 14, 10, 26, 53, 589_400_000, time.FixedZone("x", 3600))
	if got := FormatTime(ts); got != "2026-03-14T09:26:53.589Z" {
		t.Errorf("FormatTime = %q", got)
	}
}

// FuzzDecodeCatalog checks that the catalog parser never panics and that
// whatever it accepts survives an encode/decode round trip unchanged.
func FuzzDecodeCatalog(f *testing.F) {
	if data, err := os.ReadFile(courseFile); err == nil {
		f.Add(data)
	}
	for _, s := range []string{
		`[]`, `null`, `{}`, `[{}]`, `[null]`, `[{"dragon_name_str":"a","execution_id_str":"e"}]`,
		`[{"dragon_name_str":1}]`, `[{"DRAGON_NAME_STR":"a"}]`, `[] x`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		stored, err := DecodeCatalog(data)
		if err != nil {
			return
		}
		if stored == nil {
			t.Fatalf("DecodeCatalog(%q) = nil without error", data)
		}
		again, err := json.Marshal(stored)
		if err != nil {
			t.Fatal(err)
		}
		back, err := DecodeCatalog(again)
		if err != nil || !reflect.DeepEqual(back, stored) {
			t.Fatalf("round trip of %q changed it: %v", data, err)
		}
	})
}
