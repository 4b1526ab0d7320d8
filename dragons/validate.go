package dragons

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/dragons-dev/dragons/schemas"
)

// MaxBodyBytes is the largest POST /dragons body accepted. The schema's
// string bounds keep a valid body far below it.
const MaxBodyBytes = 16 << 10

// Problem is one thing wrong with a submitted body: Field is a JSON Pointer
// to the offending value ("" for the body as a whole).
type Problem = schemas.Violation

// InvalidError lists every problem found in a submitted body.
type InvalidError struct {
	Problems []Problem
}

func (e *InvalidError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.String()
	}
	return "invalid dragon: " + strings.Join(parts, "; ")
}

// Validator checks POST /dragons bodies against the embedded request schema
// and the rules a schema cannot express. It is safe for concurrent use.
type Validator struct {
	request *schemas.Schema
}

// NewValidator compiles the request schema.
func NewValidator() (*Validator, error) {
	s, err := schemas.Compile(schemas.DragonRequest)
	if err != nil {
		return nil, fmt.Errorf("new validator: %w", err)
	}
	return &Validator{request: s}, nil
}

// ParseSubmission validates a request body and decodes it. When the body is
// not acceptable the error is an *InvalidError listing every problem found.
func (v *Validator) ParseSubmission(body []byte) (Submission, error) {
	switch {
	case len(body) > MaxBodyBytes:
		return Submission{}, invalid(Problem{Message: fmt.Sprintf("body is larger than %d bytes", MaxBodyBytes)})
	case len(bytes.TrimSpace(body)) == 0:
		return Submission{}, invalid(Problem{Message: "body is empty; send a JSON object"})
	case !utf8.Valid(body):
		return Submission{}, invalid(Problem{Message: "body is not valid UTF-8"})
	}
	violations, err := v.request.ValidateJSON(body)
	if err != nil {
		return Submission{}, invalid(Problem{Message: "body is not valid JSON: " + strings.TrimPrefix(err.Error(), schemas.ErrNotJSON.Error()+": ")})
	}
	problems := append(violations, duplicateKeys(body)...)
	var s Submission
	if len(problems) == 0 {
		if err := decodeStrict(body, &s); err != nil {
			// The schema accepted what encoding/json refuses: a bug, not bad input.
			return Submission{}, fmt.Errorf("decode validated submission: %w", err)
		}
		// The schema's \S is ASCII-only; Unicode spaces alone are blank too.
		if strings.TrimSpace(s.DragonName) == "" {
			problems = append(problems, Problem{Path: "/dragonName", Message: "must not be blank"})
		}
		if strings.TrimSpace(s.Family) == "" {
			problems = append(problems, Problem{Path: "/family", Message: "must not be blank"})
		}
	}
	if len(problems) > 0 {
		sort.SliceStable(problems, func(i, j int) bool { return problems[i].Path < problems[j].Path })
		return Submission{}, invalid(problems...)
	}
	return s, nil
}

func invalid(ps ...Problem) error { return &InvalidError{Problems: ps} }

// duplicateKeys reports object members whose name appears more than once in
// the same object: encoding/json would silently keep the last one. It expects
// syntactically valid JSON and reports nothing for anything else.
func duplicateKeys(data []byte) []Problem {
	dec := json.NewDecoder(bytes.NewReader(data))
	type frame struct {
		object bool
		path   string
		seen   map[string]bool
		key    string // member name awaiting its value (objects only)
		index  int    // next element index (arrays only)
		wantK  bool   // next token in an object is a member name
	}
	var stack []*frame
	var out []Problem
	childPath := func() string {
		if len(stack) == 0 {
			return ""
		}
		top := stack[len(stack)-1]
		if top.object {
			return top.path + "/" + escapePointer(top.key)
		}
		p := fmt.Sprintf("%s/%d", top.path, top.index)
		top.index++
		return p
	}
	valueDone := func() {
		if len(stack) > 0 && stack[len(stack)-1].object {
			stack[len(stack)-1].wantK = true
		}
	}
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			return nil
		}
		if len(stack) > 0 {
			top := stack[len(stack)-1]
			if top.object && top.wantK {
				if d, ok := tok.(json.Delim); ok && d == '}' {
					stack = stack[:len(stack)-1]
					valueDone()
					continue
				}
				name, _ := tok.(string)
				if top.seen[name] {
					out = append(out, Problem{Path: top.path + "/" + escapePointer(name), Message: "appears more than once"})
				}
				top.seen[name] = true
				top.key = name
				top.wantK = false
				continue
			}
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{object: true, path: childPath(), seen: map[string]bool{}, wantK: true})
		case json.Delim('['):
			stack = append(stack, &frame{path: childPath()})
		case json.Delim(']'):
			stack = stack[:len(stack)-1]
			valueDone()
		default:
			childPath()
			valueDone()
		}
	}
}

func escapePointer(token string) string {
	if !strings.ContainsAny(token, "~/") {
		return token
	}
	return strings.ReplaceAll(strings.ReplaceAll(token, "~", "~0"), "/", "~1")
}
