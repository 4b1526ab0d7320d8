package asl

import (
	"encoding/json"
	"fmt"
)

// canonical returns v in encoding/json's decoded shape (nil, bool,
// float64, string, []any, map[string]any), which is what the engine works
// with. Values already in that shape are returned as they are, without
// copying; anything else (Go ints, structs, typed maps and slices,
// json.RawMessage) is converted through a JSON round trip.
func canonical(v any) (any, error) {
	if isCanonical(v) {
		return v, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("value is not JSON: %w", err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("value is not JSON: %w", err)
	}
	return out, nil
}

func isCanonical(v any) bool {
	switch t := v.(type) {
	case nil, bool, float64, string:
		return true
	case []any:
		for _, e := range t {
			if !isCanonical(e) {
				return false
			}
		}
		return true
	case map[string]any:
		for _, e := range t {
			if !isCanonical(e) {
				return false
			}
		}
		return true
	}
	return false
}
