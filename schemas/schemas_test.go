package schemas

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/dragons-dev/dragons/events"
)

// exampleDirs maps each schema to its folder of example documents.
var exampleDirs = map[string]string{
	DragonRequest:    "examples/dragon-request",
	DragonRecord:     "examples/dragon-record",
	ExecutionStatus:  "examples/execution-status",
	DragonAddedEvent: "examples/dragon-added",
}

func TestEveryEmbeddedSchemaCompilesAndHasExamples(t *testing.T) {
	entries, err := fs.ReadDir(Documents(), ".")
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(exampleDirs) {
		t.Fatalf("%d embedded documents, %d with examples: keep them in step", len(entries), len(exampleDirs))
	}
	for _, e := range entries {
		if _, err := Compile(e.Name()); err != nil {
			t.Errorf("Compile(%s): %v", e.Name(), err)
		}
		dir, ok := exampleDirs[e.Name()]
		if !ok {
			t.Errorf("schema %s has no example folder", e.Name())
			continue
		}
		for _, sub := range []string{"valid", "invalid"} {
			files, _ := filepath.Glob(filepath.Join(dir, sub, "*.json"))
			if len(files) == 0 {
				t.Errorf("schema %s has no %s examples in %s", e.Name(), sub, dir)
			}
		}
	}
}

func TestCompileUnknownName(t *testing.T) {
	if _, err := Compile("nope.schema.json"); err == nil {
		t.Fatal("Compile of an unknown name succeeded")
	}
}

func TestExamplesAgainstTheirSchemas(t *testing.T) {
	for name, dir := range exampleDirs {
		s := MustCompile(name)
		for _, sub := range []string{"valid", "invalid"} {
			files, _ := filepath.Glob(filepath.Join(dir, sub, "*.json"))
			for _, f := range files {
				t.Run(f, func(t *testing.T) {
					data, err := os.ReadFile(f)
					if err != nil {
						t.Fatal(err)
					}
					vs, err := s.ValidateJSON(data)
					if err != nil {
						t.Fatalf("ValidateJSON: %v", err)
					}
					if sub == "valid" && len(vs) != 0 {
						t.Errorf("valid example has violations: %v", vs)
					}
					if sub == "invalid" && len(vs) == 0 {
						t.Errorf("invalid example passed validation")
					}
				})
			}
		}
	}
}

func violations(t *testing.T, name, doc string) []Violation {
	t.Helper()
	vs, err := MustCompile(name).ValidateJSON([]byte(doc))
	if err != nil {
		t.Fatalf("ValidateJSON(%s): %v", doc, err)
	}
	return vs
}

func TestEveryViolationIsReported(t *testing.T) {
	cases := []struct {
		name string
		doc  string
		want []Violation
	}{
		{
			name: "both required fields missing",
			doc:  `{}`,
			want: []Violation{
				{Path: "/dragonName", Message: "is required"},
				{Path: "/family", Message: "is required"},
			},
		},
		{
			name: "wrong types and an unknown field",
			doc:  `{"dragonName": 7, "family": ["red"], "confirmationRequired": "yes", "wingspan": 3}`,
			want: []Violation{
				{Path: "/confirmationRequired", Message: "must be a boolean, not string"},
				{Path: "/dragonName", Message: "must be a string, not number"},
				{Path: "/family", Message: "must be a string, not array"},
				{Path: "/wingspan", Message: "is not a known field"},
			},
		},
		{
			name: "blank and too long",
			doc:  `{"dragonName": " \t ", "family": "` + strings.Repeat("é", 65) + `"}`,
			want: []Violation{
				{Path: "/dragonName", Message: "must not be blank"},
				{Path: "/family", Message: "must be at most 64 characters long (is 65)"},
			},
		},
		{
			name: "empty name",
			doc:  `{"dragonName": "", "family": "x"}`,
			want: []Violation{
				{Path: "/dragonName", Message: "must be at least 1 characters long"},
				{Path: "/dragonName", Message: "must not be blank"},
			},
		},
		{
			name: "not an object",
			doc:  `"Ember"`,
			want: []Violation{{Path: "", Message: "must be an object, not string"}},
		},
		{
			name: "field names with pointer escapes",
			doc:  `{"dragonName": "a", "family": "b", "a/b~c": 1}`,
			want: []Violation{{Path: "/a~1b~0c", Message: "is not a known field"}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := violations(t, DragonRequest, tc.doc)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("violations\n got %v\nwant %v", got, tc.want)
			}
		})
	}
}

func TestUnicodeLengthCountsCharactersNotBytes(t *testing.T) {
	// 64 four-byte characters is 256 bytes but exactly at the limit.
	doc := `{"dragonName": "` + strings.Repeat("🐉", 64) + `", "family": "red"}`
	if vs := violations(t, DragonRequest, doc); len(vs) != 0 {
		t.Errorf("64-character name rejected: %v", vs)
	}
}

func TestValidateJSONRejectsNonJSON(t *testing.T) {
	s := MustCompile(DragonRequest)
	for _, in := range []string{"", "{", "{} {}", "nope", `{"dragonName":}`} {
		if _, err := s.ValidateJSON([]byte(in)); !errors.Is(err, ErrNotJSON) {
			t.Errorf("ValidateJSON(%q) error = %v, want ErrNotJSON", in, err)
		}
	}
}

func TestStatusRecordReferencesTheRecordSchema(t *testing.T) {
	doc := `{"executionId":"0f8fad5b-d9cb-469f-a165-70867728950e","executionArn":"arn:x","status":"SUCCEEDED",
		"startDate":"2026-01-01T00:00:00Z","updatedAt":"2026-01-01T00:00:00Z","dragon":{"dragonName":"x"}}`
	vs := violations(t, ExecutionStatus, doc)
	var paths []string
	for _, v := range vs {
		paths = append(paths, v.Path)
	}
	if !strings.Contains(strings.Join(paths, " "), "/dragon/dragon_name_str") || !strings.Contains(strings.Join(paths, " "), "/dragon/dragonName") {
		t.Errorf("record schema not applied to /dragon: %v", vs)
	}
}

// TestRegistryDocumentNamesTheEvent keeps the registry document's event
// identity in step with the Go constants.
func TestRegistryDocumentNamesTheEvent(t *testing.T) {
	data, err := fs.ReadFile(Documents(), DragonAddedEvent)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		OpenAPI    string `json:"openapi"`
		Components struct {
			Schemas map[string]map[string]any `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("openapi = %q, want 3.x", doc.OpenAPI)
	}
	ev := doc.Components.Schemas["AWSEvent"]
	if ev["x-amazon-events-source"] != events.Source || ev["x-amazon-events-detail-type"] != events.DetailTypeDragonAdded {
		t.Errorf("AWSEvent source/detail-type = %v/%v, want %s/%s",
			ev["x-amazon-events-source"], ev["x-amazon-events-detail-type"], events.Source, events.DetailTypeDragonAdded)
	}
	detail := doc.Components.Schemas[events.DetailTypeDragonAdded]
	if detail == nil {
		t.Fatalf("no components/schemas/%s", events.DetailTypeDragonAdded)
	}
}

func TestExternalReferencesAreNotLoaded(t *testing.T) {
	s := MustCompile(DragonRecord)
	if s.Name() != DragonRecord {
		t.Errorf("Name() = %q", s.Name())
	}
	// The loader refuses anything outside the embedded set.
	if _, err := (noLoader{}).Load("file:///etc/passwd"); err == nil {
		t.Error("noLoader loaded a file")
	}
}
