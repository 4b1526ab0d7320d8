package objstore

import (
	"strconv"
	"strings"
)

// byteRange is the outcome of parsing a Range header against an object size.
type byteRange struct {
	// Partial is true when the response covers [Start, End] only.
	Partial    bool
	Start, End int64
	// Unsatisfiable is true when the range lies outside the object (416).
	Unsatisfiable bool
}

// parseRange interprets a Range header the way S3 does: one "bytes=" range,
// "first-last", "first-" or "-suffix". A header S3 would ignore (bad syntax,
// other units, several ranges) yields a full response.
func parseRange(h string, size int64) byteRange {
	full := byteRange{Start: 0, End: size - 1}
	spec, ok := strings.CutPrefix(strings.TrimSpace(h), "bytes=")
	if !ok || strings.Contains(spec, ",") {
		return full
	}
	first, last, ok := strings.Cut(strings.TrimSpace(spec), "-")
	if !ok {
		return full
	}
	first, last = strings.TrimSpace(first), strings.TrimSpace(last)
	if first == "" {
		n, ok := parseDigits(last)
		if !ok {
			return full
		}
		if n == 0 || size == 0 {
			return byteRange{Unsatisfiable: true}
		}
		if n > size {
			n = size
		}
		return byteRange{Partial: true, Start: size - n, End: size - 1}
	}
	start, ok := parseDigits(first)
	if !ok {
		return full
	}
	end := size - 1
	if last != "" {
		e, ok := parseDigits(last)
		if !ok || e < start {
			return full
		}
		if e < end {
			end = e
		}
	}
	if start >= size {
		return byteRange{Unsatisfiable: true}
	}
	return byteRange{Partial: true, Start: start, End: end}
}

func parseDigits(s string) (int64, bool) {
	if s == "" || len(s) > 18 {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}
