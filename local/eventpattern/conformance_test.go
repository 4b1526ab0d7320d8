package eventpattern

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// conformanceDir finds shared/conformance/eventbridge by walking up from the
// package directory.
func conformanceDir(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		for _, rel := range []string{"shared/conformance/eventbridge", "../shared/conformance/eventbridge"} {
			p := filepath.Join(dir, rel)
			if st, err := os.Stat(p); err == nil && st.IsDir() {
				return p
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

type conformanceCase struct {
	Pattern json.RawMessage `json:"pattern"`
	Event   json.RawMessage `json:"event"`
	Match   *bool           `json:"match"`
	Source  string          `json:"source"`
}

func TestConformance(t *testing.T) {
	dir := conformanceDir(t)
	if dir == "" {
		const why = "conformance cases not found: no shared/conformance/eventbridge folder above the package directory"
		if os.Getenv("DRAGONS_REQUIRE_REFERENCE") == "1" {
			t.Fatal(why + " (DRAGONS_REQUIRE_REFERENCE=1 requires them)")
		}
		t.Skip(why + "; set DRAGONS_REQUIRE_REFERENCE=1 to make this a failure")
	}
	files, err := filepath.Glob(filepath.Join(dir, "[0-9]*.json"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	if len(files) != 112 {
		t.Fatalf("found %d conformance cases in %s, want 112", len(files), dir)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var c conformanceCase
			if err := json.Unmarshal(raw, &c); err != nil {
				t.Fatalf("parse case: %v", err)
			}
			if c.Match == nil {
				t.Fatal("case has no match field")
			}
			p, err := Compile(c.Pattern)
			if err != nil {
				t.Fatalf("compile %s: %v", c.Pattern, err)
			}
			if got := p.Match(c.Event); got != *c.Match {
				t.Errorf("pattern %s\nevent %s\nmatch = %v, want %v (%s)", c.Pattern, c.Event, got, *c.Match, c.Source)
			}
			ev, err := Decode(c.Event)
			if err != nil {
				t.Fatal(err)
			}
			if got := p.MatchValue(ev); got != *c.Match {
				t.Errorf("MatchValue = %v, want %v", got, *c.Match)
			}
			// The same event decoded with float64 numbers must match the same way.
			var plain any
			if err := json.Unmarshal(c.Event, &plain); err != nil {
				t.Fatal(err)
			}
			if got := p.MatchValue(plain); got != *c.Match {
				t.Errorf("MatchValue(float64 numbers) = %v, want %v", got, *c.Match)
			}
		})
	}
}
