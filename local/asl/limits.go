package asl

import (
	"strconv"
	"unicode/utf8"
)

// MaxPayloadBytes is Step Functions' limit on the data a state passes on
// (256 KiB of UTF-8 JSON).
const MaxPayloadBytes = 256 * 1024

// exceedsPayloadLimit reports whether v encoded as JSON would be larger than
// limit bytes. It walks the value and stops as soon as the limit is passed,
// without encoding.
func exceedsPayloadLimit(v any, limit int) bool {
	return jsonSize(v, limit) > limit
}

// jsonSize returns the encoded size of v, or a number above limit once the
// size passes it.
func jsonSize(v any, limit int) int {
	switch t := v.(type) {
	case nil:
		return 4
	case bool:
		if t {
			return 4
		}
		return 5
	case float64:
		return len(strconv.FormatFloat(t, 'g', -1, 64))
	case string:
		return stringSize(t)
	case []any:
		n := 2
		for i, e := range t {
			if i > 0 {
				n++
			}
			n += jsonSize(e, limit-n)
			if n > limit {
				return n
			}
		}
		return n
	case map[string]any:
		n := 2
		first := true
		for k, e := range t {
			if !first {
				n++
			}
			first = false
			n += stringSize(k) + 1
			n += jsonSize(e, limit-n)
			if n > limit {
				return n
			}
		}
		return n
	}
	return len(compactJSON(v))
}

func stringSize(s string) int {
	n := 2
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t':
				n += 2
			case c < 0x20:
				n += 6
			default:
				n++
			}
			i++
			continue
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		n += size
		i += size
	}
	return n
}
