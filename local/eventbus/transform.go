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

// evalPath applies a JSON path to a decoded document. With a wildcard the result
// is the list of everything it reached; ok is false when nothing was found.
func evalPath(doc any, steps []pathStep) (any, bool) {
	cur := []any{doc}
	multi := false
	for _, st := range steps {
		var next []any
		for _, v := range cur {
			switch st.kind {
			case 'n':
				if m, ok := v.(map[string]any); ok {
					if c, ok := m[st.name]; ok {
						next = append(next, c)
					}
				}
			case 'i':
				if a, ok := v.([]any); ok && st.index < len(a) {
					next = append(next, a[st.index])
				}
			case '*':
				multi = true
				switch t := v.(type) {
				case []any:
					next = append(next, t...)
				case map[string]any:
					for _, k := range sortedMapKeys(t) {
						next = append(next, t[k])
					}
				}
			}
		}
		cur = next
	}
	if multi {
		if cur == nil {
			cur = []any{}
		}
		return cur, true
	}
	if len(cur) == 0 {
		return nil, false
	}
	return cur[0], true
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
		v, ok := evalPath(t.ev.doc, steps)
		if !ok {
			return []byte("null"), nil
		}
		return marshalNoEscape(v)
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
	vars := map[string]any{}
	for k, p := range it.InputPathsMap {
		steps, err := compilePath(p)
		if err != nil {
			return nil, err
		}
		if v, ok := evalPath(t.ev.doc, steps); ok {
			vars[k] = v
		} else {
			vars[k] = missing{}
		}
	}
	vars[varRuleArn] = t.ruleArn
	vars[varRuleName] = t.ruleName
	vars[varIngestionTime] = t.ev.ingested.UTC().Format(time.RFC3339)
	vars[varEventJSON] = json.RawMessage(t.ev.raw)
	if m, ok := t.ev.doc.(map[string]any); ok {
		noDetail := make(map[string]any, len(m))
		for k, v := range m {
			if k != "detail" {
				noDetail[k] = v
			}
		}
		vars[varEvent] = noDetail
	}

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

// missing marks a transformer variable whose path found nothing.
type missing struct{}

func writeVar(out *bytes.Buffer, v any, inString, jsonTemplate bool) error {
	if _, ok := v.(missing); ok {
		if !inString && jsonTemplate {
			out.WriteString("null")
		}
		return nil
	}
	if s, ok := v.(string); ok && (inString || !jsonTemplate) {
		if inString {
			enc, err := marshalNoEscape(s)
			if err != nil {
				return err
			}
			out.Write(enc[1 : len(enc)-1])
		} else {
			out.WriteString(s)
		}
		return nil
	}
	enc, err := marshalNoEscape(v)
	if err != nil {
		return fmt.Errorf("encode transformer value: %w", err)
	}
	if inString {
		quoted, err := marshalNoEscape(string(enc))
		if err != nil {
			return err
		}
		out.Write(quoted[1 : len(quoted)-1])
		return nil
	}
	out.Write(enc)
	return nil
}
