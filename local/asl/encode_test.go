package asl

import (
	"encoding/json"
	"testing"
)

func TestCompactJSONMatchesEncodingJSON(t *testing.T) {
	values := []any{
		nil, true, false, 0.0, -0.0, 1.0, -2.5, 1e20, 1e21, 1.5e-7, 123456789.125, 1e-6, 0.000001234,
		"", "plain", "quote\" backslash\\ ctl\x01\x1f tab\t nl\n cr\r", "<html>&", "é ü 日本", "\u2028\u2029", "bad\xffutf8",
		[]any{}, []any{1.0, "a", nil, []any{true}}, map[string]any{}, map[string]any{"b": 1.0, "a": map[string]any{"z": []any{}, "y": "s"}},
	}
	for _, v := range values {
		want, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		// encoding/json escapes <, > and & by default; compactJSON does not.
		wantStr := string(want)
		if s, ok := v.(string); ok && s == "<html>&" {
			wantStr = `"<html>&"`
		}
		if got := compactJSON(v); got != wantStr {
			t.Errorf("compactJSON(%#v) = %s, want %s", v, got, wantStr)
		}
	}
	// Values outside the decoded JSON shape fall back to encoding/json.
	if got := compactJSON(map[string]any{"n": 3}); got != `{"n":3}` {
		t.Errorf("int value: %s", got)
	}
}

func FuzzCompactJSON(f *testing.F) {
	f.Add(`{"a":[1,2.5,"x\u2028"],"b":null}`)
	f.Add(`"\u0000\ud800"`)
	f.Fuzz(func(t *testing.T, doc string) {
		var v any
		if json.Unmarshal([]byte(doc), &v) != nil {
			return
		}
		want, err := json.Marshal(v)
		if err != nil {
			return
		}
		var a, b any
		if err := json.Unmarshal([]byte(compactJSON(v)), &a); err != nil {
			t.Fatalf("compactJSON output does not parse: %v", err)
		}
		_ = json.Unmarshal(want, &b)
		if compactJSON(a) != compactJSON(b) {
			t.Fatalf("round trip differs: %s vs %s", compactJSON(a), want)
		}
	})
}
