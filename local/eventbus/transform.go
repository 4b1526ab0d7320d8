package eventbus

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// pathStep is one step of a JSON path: a member name, an array index, or a
// wildcard over members or elements.
type pathStep struct {
	name  string
	index int
	kind  byte // 'n' name, 'i' index, '*' wildcard
}

// compilePath parses the JSON path subset EventBridge supports in InputPath and
// InputPathsMap: $, dot members (letters, digits, '-', '_', '/', and others except
// '.' and '['), [n] indices, [*] and .* wildcards, and ['name'] members.
func compilePath(p string) ([]pathStep, error) {
	if !strings.HasPrefix(p, "$") {
		return nil, errors.New("a JSON path must start with $")
	}
	var steps []pathStep
	rest := p[1:]
	for rest != "" {
		switch rest[0] {
		case '.':
			rest = rest[1:]
			end := strings.IndexAny(rest, ".[")
			if end < 0 {
				end = len(rest)
			}
			name := rest[:end]
			if name == "" {
				return nil, fmt.Errorf("empty member name in %q", p)
			}
			if name == "*" {
				steps = append(steps, pathStep{kind: '*'})
			} else {
				steps = append(steps, pathStep{kind: 'n', name: name})
			}
			rest = rest[end:]
		case '[':
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return nil, fmt.Errorf("unclosed [ in %q", p)
			}
			inner := rest[1:end]
			rest = rest[end+1:]
			switch {
			case inner == "*":
				steps = append(steps, pathStep{kind: '*'})
			case len(inner) >= 2 && (inner[0] == '\'' || inner[0] == '"') && inner[len(inner)-1] == inner[0]:
				steps = append(steps, pathStep{kind: 'n', name: inner[1 : len(inner)-1]})
			default:
				i, err := strconv.Atoi(inner)
				if err != nil || i < 0 {
					return nil, fmt.Errorf("bad index [%s] in %q", inner, p)
				}
				steps = append(steps, pathStep{kind: 'i', index: i})
			}
		default:
			return nil, fmt.Errorf("unexpected %q in %q", rest[0], p)
		}
	}
	return steps, nil
}

// evalPath applies a JSON path to a JSON document and returns the selected JSON
// text, with the document's own member order and spelling. With a wildcard the
// result is an array of everything it reached; ok is false when nothing was found.
func evalPath(doc []byte, steps []pathStep) (json.RawMessage, bool) {
	cur := []json.RawMessage{doc}
	multi := false
	for _, st := range steps {
		var next []json.RawMessage
		for _, v := range cur {
			switch st.kind {
			case 'n':
				keys, vals := members(v)
				for i, k := range keys {
					if k == st.name {
						next = append(next, vals[i])
						break
					}
				}
			case 'i':
				if elems := elements(v); st.index < len(elems) {
					next = append(next, elems[st.index])
				}
			case '*':
				multi = true
				if elems := elements(v); elems != nil {
					next = append(next, elems...)
				} else {
					_, vals := members(v)
					next = append(next, vals...)
				}
			}
		}
		cur = next
	}
	if multi {
		var buf bytes.Buffer
		buf.WriteByte('[')
		for i, v := range cur {
			if i > 0 {
				buf.WriteByte(',')
			}
			buf.Write(v)
		}
		buf.WriteByte(']')
		return buf.Bytes(), true
	}
	if len(cur) == 0 {
		return nil, false
	}
	return cur[0], true
}

// members returns the keys and raw values of a JSON object in document order
// (nil for anything else).
func members(raw []byte) ([]string, []json.RawMessage) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		return nil, nil
	}
	var keys []string
	var vals []json.RawMessage
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil
		}
		k, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, nil
		}
		keys = append(keys, k)
		vals = append(vals, v)
	}
	return keys, vals
}

// elements returns the raw elements of a JSON array (nil for anything else).
func elements(raw []byte) []json.RawMessage {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '[' {
		return nil
	}
	var out []json.RawMessage
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil
	}
	if out == nil {
		out = []json.RawMessage{}
	}
	return out
}

var transformerKeyRe = regexp.MustCompile(`^[A-Za-z0-9_\-]+$`)

// predefined transformer variables.
const (
	varRuleArn       = "aws.events.rule-arn"
	varRuleName      = "aws.events.rule-name"
	varIngestionTime = "aws.events.event.ingestion-time"
	varEvent         = "aws.events.event"
	varEventJSON     = "aws.events.event.json"
)

func validateTransformer(it *InputTransformer) error {
	if it.InputTemplate == "" || len(it.InputTemplate) > 8192 {
		return errors.New("InputTemplate must have 1 to 8192 characters")
	}
	if len(it.InputPathsMap) > 100 {
		return errors.New("InputPathsMap can have at most 100 entries")
	}
	for k, v := range it.InputPathsMap {
		if strings.HasPrefix(strings.ToLower(k), "aws.") {
			return fmt.Errorf("InputPathsMap key %q is reserved: keys cannot start with \"aws.\"", k)
		}
		if !transformerKeyRe.MatchString(k) {
			return fmt.Errorf("InputPathsMap key %q must match [A-Za-z0-9_-]+", k)
		}
		if _, err := compilePath(v); err != nil {
			return fmt.Errorf("InputPathsMap value for %q: %w", k, err)
		}
	}
	return nil
}

// buildInput returns what a target receives: Input as given, the InputPath
// selection, the InputTransformer output, or else the whole event.
func buildInput(t *task) ([]byte, error) {
	tg := &t.target
	switch {
	case tg.Input != "":
		return []byte(tg.Input), nil
	case tg.InputPath != "":
		steps, err := compilePath(tg.InputPath)
		if err != nil {
			return nil, err
		}
		v, ok := evalPath(t.ev.raw, steps)
		if !ok {
			return []byte("null"), nil
		}
		return compactJSON(v), nil
	case tg.InputTransformer != nil:
		return transform(tg.InputTransformer, t)
	default:
		return t.ev.raw, nil
	}
}

// transform fills an InputTemplate. A <name> placeholder inside a JSON string is
// replaced by the value's text, escaped to fit the string; outside a string, in a
// JSON template, by the value's JSON (strings quoted); in a plain-text template by
// the value's text. A path that finds nothing gives an empty string inside
// quotes and null elsewhere. Unknown <...> text is kept as is.
func transform(it *InputTransformer, t *task) ([]byte, error) {
	vars := map[string]json.RawMessage{}
	for k, p := range it.InputPathsMap {
		steps, err := compilePath(p)
		if err != nil {
			return nil, err
		}
		if v, ok := evalPath(t.ev.raw, steps); ok {
			vars[k] = compactJSON(v)
		} else {
			vars[k] = nil
		}
	}
	str := func(s string) json.RawMessage {
		b, _ := marshalNoEscape(s)
		return b
	}
	vars[varRuleArn] = str(t.ruleArn)
	vars[varRuleName] = str(t.ruleName)
	vars[varIngestionTime] = str(t.ev.ingested.UTC().Format(time.RFC3339))
	vars[varEventJSON] = t.ev.raw
	keys, vals := members(t.ev.raw)
	var noDetail bytes.Buffer
	noDetail.WriteByte('{')
	for i, k := range keys {
		if k == "detail" {
			continue
		}
		if noDetail.Len() > 1 {
			noDetail.WriteByte(',')
		}
		noDetail.Write(str(k))
		noDetail.WriteByte(':')
		noDetail.Write(vals[i])
	}
	noDetail.WriteByte('}')
	vars[varEvent] = noDetail.Bytes()

	tpl := it.InputTemplate
	trimmed := strings.TrimSpace(tpl)
	jsonTemplate := strings.HasPrefix(trimmed, "{") || strings.HasPrefix(trimmed, "[") || strings.HasPrefix(trimmed, "\"")
	var out bytes.Buffer
	inString := false
	for i := 0; i < len(tpl); i++ {
		c := tpl[i]
		if c == '<' {
			if end := strings.IndexByte(tpl[i+1:], '>'); end >= 0 {
				name := tpl[i+1 : i+1+end]
				if v, ok := vars[name]; ok {
					if err := writeVar(&out, v, inString, jsonTemplate); err != nil {
						return nil, err
					}
					i += end + 1
					continue
				}
			}
		}
		if inString && c == '\\' && i+1 < len(tpl) {
			out.WriteByte(c)
			out.WriteByte(tpl[i+1])
			i++
			continue
		}
		if c == '"' && jsonTemplate {
			inString = !inString
		}
		out.WriteByte(c)
	}
	res := out.Bytes()
	if jsonTemplate {
		var compact bytes.Buffer
		if err := json.Compact(&compact, res); err == nil {
			return compact.Bytes(), nil
		}
	}
	return res, nil
}

// compactJSON removes insignificant space from JSON text.
func compactJSON(raw []byte) []byte {
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return raw
	}
	return buf.Bytes()
}

// writeVar writes a variable's value (nil when its path found nothing) into the
// template output.
func writeVar(out *bytes.Buffer, v json.RawMessage, inString, jsonTemplate bool) error {
	if v == nil {
		if !inString && jsonTemplate {
			out.WriteString("null")
		}
		return nil
	}
	if len(v) > 0 && v[0] == '"' && (inString || !jsonTemplate) {
		if inString {
			out.Write(v[1 : len(v)-1])
			return nil
		}
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return fmt.Errorf("decode transformer value: %w", err)
		}
		out.WriteString(s)
		return nil
	}
	if inString {
		quoted, err := marshalNoEscape(string(v))
		if err != nil {
			return err
		}
		out.Write(quoted[1 : len(quoted)-1])
		return nil
	}
	out.Write(v)
	return nil
}
