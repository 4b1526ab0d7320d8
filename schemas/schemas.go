// Package schemas embeds the JSON Schemas of the dragons application's
// documents (the POST /dragons body, the stored dragon record, the execution
// status record and the DragonAdded event in EventBridge schema-registry
// form) and validates documents against them, reporting every violation as
// a flat list.
//
// It does not decode documents into Go types (packages dragons and events
// own those) and it does not fetch anything: every schema it can compile is
// embedded, and references to anything else fail to compile.
package schemas

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// Names of the embedded schema documents.
const (
	// DragonRequest is the body of POST /dragons.
	DragonRequest = "dragon-request.schema.json"
	// DragonRecord is a stored dragon in the course format.
	DragonRecord = "dragon-record.schema.json"
	// ExecutionStatus is a status record under executions/.
	ExecutionStatus = "execution-status.schema.json"
	// DragonAddedEvent is the EventBridge schema-registry (OpenAPI 3)
	// document of the DragonAdded event; it compiles to the schema of the
	// whole event envelope (components/schemas/AWSEvent).
	DragonAddedEvent = "dragon-added.openapi.json"
)

// registryRoot is where, inside a registry document, the event schema is.
const registryRoot = "#/components/schemas/AWSEvent"

// baseURL is the identifier space of the embedded documents. The .invalid
// top-level domain never resolves, and no loader for it is installed.
const baseURL = "https://schemas.dragons.invalid/"

//go:embed *.json
var documents embed.FS

// Documents returns the embedded schema documents, one file per name above.
func Documents() fs.FS { return documents }

// Schema is a compiled schema. It is safe for concurrent use.
type Schema struct {
	name     string
	compiled *jsonschema.Schema
}

// Compile compiles the embedded schema with the given name (one of the
// constants of this package). References between the embedded documents
// resolve; any other reference is an error.
func Compile(name string) (*Schema, error) {
	c := jsonschema.NewCompiler()
	c.UseLoader(noLoader{})
	c.AssertFormat()
	entries, err := fs.ReadDir(documents, ".")
	if err != nil {
		return nil, fmt.Errorf("list embedded schemas: %w", err)
	}
	found := false
	for _, e := range entries {
		data, err := fs.ReadFile(documents, e.Name())
		if err != nil {
			return nil, fmt.Errorf("read embedded schema %s: %w", e.Name(), err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("parse embedded schema %s: %w", e.Name(), err)
		}
		if err := c.AddResource(baseURL+e.Name(), doc); err != nil {
			return nil, fmt.Errorf("add schema %s: %w", e.Name(), err)
		}
		found = found || e.Name() == name
	}
	if !found {
		return nil, fmt.Errorf("compile schema %q: no such embedded schema", name)
	}
	loc := baseURL + name
	if strings.HasSuffix(name, ".openapi.json") {
		loc += registryRoot
	}
	compiled, err := c.Compile(loc)
	if err != nil {
		return nil, fmt.Errorf("compile schema %s: %w", name, err)
	}
	return &Schema{name: name, compiled: compiled}, nil
}

// MustCompile is Compile for schemas known to be embedded; it panics on
// error and is meant for tests and program start-up.
func MustCompile(name string) *Schema {
	s, err := Compile(name)
	if err != nil {
		panic(err)
	}
	return s
}

// Name returns the name the schema was compiled from.
func (s *Schema) Name() string { return s.name }

// Violation is one way in which a document breaks a schema.
type Violation struct {
	// Path is a JSON Pointer to the offending value ("" for the document,
	// "/dragonName" for a property, including a missing or unknown one).
	Path string `json:"field"`
	// Message says what is wrong, in plain words.
	Message string `json:"message"`
}

func (v Violation) String() string {
	if v.Path == "" {
		return v.Message
	}
	return v.Path + ": " + v.Message
}

// ErrNotJSON is returned by ValidateJSON for input that is not a single
// JSON value.
var ErrNotJSON = errors.New("not valid JSON")

// ValidateJSON parses data as one JSON value and validates it. It returns
// every violation found (none for a valid document), or an error wrapping
// ErrNotJSON when data is not JSON.
func (s *Schema) ValidateJSON(data []byte) ([]Violation, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotJSON, err)
	}
	return s.Validate(doc), nil
}

// Validate validates a document already decoded into encoding/json's
// generic shape (numbers may be float64 or json.Number). It returns every
// violation, sorted by path, or nil.
func (s *Schema) Validate(doc any) []Violation {
	err := s.compiled.Validate(doc)
	if err == nil {
		return nil
	}
	var verr *jsonschema.ValidationError
	if !errors.As(err, &verr) {
		return []Violation{{Message: err.Error()}}
	}
	p := message.NewPrinter(language.English)
	var out []Violation
	flatten(verr, p, &out)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return dedupe(out)
}

// flatten collects the leaves of a validation error tree: the inner nodes
// only say "a subschema failed", the leaves say why.
func flatten(e *jsonschema.ValidationError, p *message.Printer, out *[]Violation) {
	if len(e.Causes) > 0 {
		for _, c := range e.Causes {
			flatten(c, p, out)
		}
		return
	}
	at := pointer(e.InstanceLocation)
	switch k := e.ErrorKind.(type) {
	case *kind.Required:
		for _, name := range k.Missing {
			*out = append(*out, Violation{Path: at + "/" + escape(name), Message: "is required"})
		}
	case *kind.AdditionalProperties:
		for _, name := range k.Properties {
			*out = append(*out, Violation{Path: at + "/" + escape(name), Message: "is not a known field"})
		}
	case *kind.Type:
		*out = append(*out, Violation{Path: at, Message: fmt.Sprintf("must be %s, not %s", article(k.Want), k.Got)})
	case *kind.MinLength:
		*out = append(*out, Violation{Path: at, Message: fmt.Sprintf("must be at least %d characters long", k.Want)})
	case *kind.MaxLength:
		*out = append(*out, Violation{Path: at, Message: fmt.Sprintf("must be at most %d characters long (is %d)", k.Want, k.Got)})
	case *kind.Pattern:
		msg := fmt.Sprintf("must match the pattern %s", k.Want)
		if k.Want == `\S` {
			msg = "must not be blank"
		}
		*out = append(*out, Violation{Path: at, Message: msg})
	default:
		*out = append(*out, Violation{Path: at, Message: e.ErrorKind.LocalizedString(p)})
	}
}

func dedupe(vs []Violation) []Violation {
	out := vs[:0]
	for i, v := range vs {
		if i > 0 && v == vs[i-1] {
			continue
		}
		out = append(out, v)
	}
	return out
}

func article(types []string) string {
	words := make([]string, len(types))
	for i, t := range types {
		switch t {
		case "object", "array", "integer":
			words[i] = "an " + t
		default:
			words[i] = "a " + t
		}
	}
	return strings.Join(words, " or ")
}

func pointer(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(escape(t))
	}
	return b.String()
}

func escape(token string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(token)
}

// noLoader refuses every external reference: all schemas are embedded.
type noLoader struct{}

func (noLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("schema %s is not embedded; external references are not loaded", url)
}
