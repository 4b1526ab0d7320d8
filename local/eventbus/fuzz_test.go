package eventbus

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

const fuzzEvent = `{"version":"0","id":"e1","detail-type":"t","source":"s","account":"000000000000","time":"2026-01-01T00:00:00Z","region":"us-east-1","resources":["r1"],"detail":{"a":{"b":[1,"two",{"c":null}]},"s":"x\"y<z>"}}`

// FuzzJSONPath checks that any path either fails to compile or evaluates to valid
// JSON on a valid event.
func FuzzJSONPath(f *testing.F) {
	for _, p := range []string{"$", "$.detail.a.b[2].c", "$.detail.a.b[*]", "$['detail']['s']", "$.resources[0]", "$.detail.*", "$..x", "$[", "detail"} {
		f.Add(p, fuzzEvent)
	}
	f.Fuzz(func(t *testing.T, path, event string) {
		steps, err := compilePath(path)
		if err != nil || !json.Valid([]byte(event)) {
			return
		}
		if v, ok := evalPath([]byte(event), steps); ok && !json.Valid(v) {
			t.Fatalf("path %q on %s gave invalid JSON %s", path, event, v)
		}
	})
}

// FuzzInputTemplate checks that filling any template never fails or panics, that
// a template without placeholders comes out unchanged (up to JSON compaction),
// and that a JSON object template with placeholders only as values stays JSON.
func FuzzInputTemplate(f *testing.F) {
	for _, tpl := range []string{`<a> is <s>`, `"x \"<a>\" <s>"`, `{"a": <a>, "s": "<s>", "e": <aws.events.event>}`, `[<b>, "<c>"]`, `{"k": "<unterminated"`, `plain`} {
		f.Add(tpl)
	}
	paths := map[string]string{"a": "$.detail.a", "s": "$.detail.s", "b": "$.detail.a.b", "c": "$.detail.a.b[2].c", "m": "$.detail.missing"}
	ev, err := newEventFromRaw("e1", "default", []byte(fuzzEvent), time.Now())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, tpl string) {
		it := &InputTransformer{InputPathsMap: paths, InputTemplate: tpl}
		if validateTransformer(it) != nil {
			return
		}
		out, err := transform(it, &task{ev: ev, ruleArn: "arn:aws:events:us-east-1:000000000000:rule/r", ruleName: "r"})
		if err != nil {
			t.Fatalf("transform %q: %v", tpl, err)
		}
		if !strings.Contains(tpl, "<") {
			var want bytes.Buffer
			if json.Compact(&want, []byte(tpl)) != nil || !strings.HasPrefix(strings.TrimSpace(tpl), "{") && !strings.HasPrefix(strings.TrimSpace(tpl), "[") && !strings.HasPrefix(strings.TrimSpace(tpl), `"`) {
				want.Reset()
				want.WriteString(tpl)
			}
			if string(out) != want.String() {
				t.Fatalf("template without placeholders %q became %q", tpl, out)
			}
		}
		if json.Valid([]byte(strings.NewReplacer("<a>", "1", "<b>", "1", "<c>", "1", "<m>", "1", "<s>", "1").Replace(tpl))) &&
			strings.HasPrefix(strings.TrimSpace(tpl), "{") && !json.Valid(out) {
			t.Fatalf("JSON template %q produced invalid JSON %s", tpl, out)
		}
	})
}

// FuzzPutEventsEntry checks that every entry that passes validation becomes a
// valid event carrying its source, detail type and detail.
func FuzzPutEventsEntry(f *testing.F) {
	f.Add("dragons.app", "DragonAdded", `{"a":1}`, "arn:r")
	f.Add("", "t", `{}`, "")
	f.Add("s", "t", `[1]`, "")
	f.Add("s<>&\"", "t\u2028", `{"x":"\u0000"}`, "r")
	svc, err := New(Options{})
	if err != nil {
		f.Fatal(err)
	}
	defer svc.Close()
	f.Fuzz(func(t *testing.T, source, detailType, detail, resource string) {
		e := &PutEventsRequestEntry{Source: source, DetailType: detailType, Detail: detail, Resources: []string{resource}}
		if checkEntry(e) != nil {
			return
		}
		ev, err := svc.newEvent(e, time.Now())
		if err != nil {
			t.Fatalf("valid entry %+v: %v", e, err)
		}
		var got struct {
			Source     string          `json:"source"`
			DetailType string          `json:"detail-type"`
			Detail     json.RawMessage `json:"detail"`
			Resources  []string        `json:"resources"`
		}
		if err := json.Unmarshal(ev.raw, &got); err != nil {
			t.Fatalf("event %s is not JSON: %v", ev.raw, err)
		}
		var want bytes.Buffer
		_ = json.Compact(&want, []byte(detail))
		// encoding/json replaces invalid UTF-8, so only valid text must come back as is.
		if !utf8.ValidString(source) || !utf8.ValidString(detailType) || !utf8.ValidString(resource) {
			return
		}
		if got.Source != source || got.DetailType != detailType || string(got.Detail) != want.String() || len(got.Resources) != 1 || got.Resources[0] != resource {
			t.Fatalf("event %s does not carry %+v", ev.raw, e)
		}
	})
}

// FuzzTimestamp checks that timestamp decoding never panics and round-trips
// whole milliseconds.
func FuzzTimestamp(f *testing.F) {
	for _, s := range []string{`1767225600`, `1767225600.123`, `"2026-01-01T00:00:00Z"`, `"1767225600"`, `-1`, `1e300`, `"x"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var ts Timestamp
		if ts.UnmarshalJSON([]byte(s)) != nil {
			return
		}
		b, err := ts.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		var back Timestamp
		if err := back.UnmarshalJSON(b); err != nil {
			t.Fatalf("%s re-encoded as %s does not decode: %v", s, b, err)
		}
		if y := ts.Time().Year(); y > 0 && y < 9999 && !back.Time().Equal(ts.Time().Truncate(time.Millisecond)) && ts.Time().UnixMilli() >= 0 {
			t.Fatalf("%s: %v became %v", s, ts.Time(), back.Time())
		}
	})
}
