package tracing

import (
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
)

// Header is a parsed X-Amzn-Trace-Id header.
type Header struct {
	Root    string
	Parent  string
	Sampled bool
}

// ParseHeader parses "Root=...;Parent=...;Sampled=1". Missing parts stay empty;
// sampling defaults to on.
func ParseHeader(h string) Header {
	out := Header{Sampled: true}
	for _, part := range strings.Split(h, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Root":
			out.Root = v
		case "Parent":
			out.Parent = v
		case "Sampled":
			out.Sampled = v != "0"
		}
	}
	return out
}

// String formats the header.
func (h Header) String() string {
	s := "Root=" + h.Root
	if h.Parent != "" {
		s += ";Parent=" + h.Parent
	}
	if h.Sampled {
		return s + ";Sampled=1"
	}
	return s + ";Sampled=0"
}

// Child returns the header a callee sees when segment is its parent, starting a
// new trace when h has no root.
func (h Header) Child(segment string, now time.Time) Header {
	if h.Root == "" {
		h.Root = NewTraceID(now)
		h.Sampled = true
	}
	h.Parent = segment
	return h
}

// NewTraceID returns a new trace id for a trace starting at t.
func NewTraceID(t time.Time) string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "1-" + strconv.FormatInt(t.Unix(), 16) + "-" + hex.EncodeToString(b[:])
}

// NewSegmentID returns a new 16-hex-digit segment id.
func NewSegmentID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
