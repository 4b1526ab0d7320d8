// Package template loads CloudFormation and SAM templates (YAML or JSON) while
// keeping their intrinsic functions: the short tags (!Ref, !GetAtt, !Sub, !Join,
// !Select, !If, !Equals, !And, !Or, !Not, !Split) become the long Fn:: forms, SAM
// Globals are merged into the resources they apply to, and Resolve evaluates
// intrinsics against an environment that supplies resource references. It also
// orders resources by their dependencies.
//
// It does not create resources or know what any resource type means; the stack
// package does that.
package template

import (
	"bytes"
	"fmt"
	"os"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Template is a parsed template.
type Template struct {
	Transform   []string
	Parameters  map[string]Parameter
	Conditions  map[string]any
	Globals     map[string]map[string]any
	Resources   map[string]*Resource
	Outputs     map[string]any
	Description string
}

// Parameter is a template parameter.
type Parameter struct {
	Type          string
	Default       any
	AllowedValues []any
}

// Resource is one resource of a template.
type Resource struct {
	LogicalID  string
	Type       string
	Properties map[string]any
	DependsOn  []string
	Condition  string
	Metadata   map[string]any
}

// Load reads and parses the template at path.
func Load(path string) (*Template, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read template: %w", err)
	}
	t, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("parse template %s: %w", path, err)
	}
	return t, nil
}

// Parse parses a template document (YAML or JSON) and merges SAM Globals.
func Parse(doc []byte) (*Template, error) {
	var root yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(doc)).Decode(&root); err != nil {
		return nil, fmt.Errorf("decode yaml: %w", err)
	}
	v, err := convert(&root)
	if err != nil {
		return nil, err
	}
	top, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("template is not a mapping")
	}
	t := &Template{
		Parameters: map[string]Parameter{},
		Conditions: map[string]any{},
		Globals:    map[string]map[string]any{},
		Resources:  map[string]*Resource{},
		Outputs:    map[string]any{},
	}
	t.Description, _ = top["Description"].(string)
	t.Transform = stringOrList(top["Transform"])
	if ps, ok := top["Parameters"].(map[string]any); ok {
		for name, raw := range ps {
			m, _ := raw.(map[string]any)
			p := Parameter{Default: m["Default"]}
			p.Type, _ = m["Type"].(string)
			p.AllowedValues, _ = m["AllowedValues"].([]any)
			t.Parameters[name] = p
		}
	}
	if cs, ok := top["Conditions"].(map[string]any); ok {
		t.Conditions = cs
	}
	if gs, ok := top["Globals"].(map[string]any); ok {
		for section, raw := range gs {
			m, ok := raw.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("Globals.%s is not a mapping", section)
			}
			t.Globals[section] = m
		}
	}
	if outs, ok := top["Outputs"].(map[string]any); ok {
		t.Outputs = outs
	}
	rs, ok := top["Resources"].(map[string]any)
	if !ok || len(rs) == 0 {
		return nil, fmt.Errorf("template has no Resources")
	}
	for id, raw := range rs {
		m, ok := raw.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("resource %s is not a mapping", id)
		}
		r := &Resource{LogicalID: id}
		r.Type, _ = m["Type"].(string)
		if r.Type == "" {
			return nil, fmt.Errorf("resource %s has no Type", id)
		}
		r.Properties, _ = m["Properties"].(map[string]any)
		if r.Properties == nil {
			r.Properties = map[string]any{}
		}
		r.Metadata, _ = m["Metadata"].(map[string]any)
		r.Condition, _ = m["Condition"].(string)
		r.DependsOn = stringOrList(m["DependsOn"])
		t.Resources[id] = r
	}
	t.applyGlobals()
	return t, nil
}

// globalSections maps SAM resource types to their Globals section.
var globalSections = map[string]string{
	"AWS::Serverless::Function":     "Function",
	"AWS::Serverless::Api":          "Api",
	"AWS::Serverless::HttpApi":      "HttpApi",
	"AWS::Serverless::SimpleTable":  "SimpleTable",
	"AWS::Serverless::StateMachine": "StateMachine",
}

// applyGlobals merges each Globals section into the resources it applies to, the
// way SAM does: the resource's own scalars win, maps merge, lists concatenate.
func (t *Template) applyGlobals() {
	for _, r := range t.Resources {
		g, ok := t.Globals[globalSections[r.Type]]
		if !ok {
			continue
		}
		r.Properties = mergeGlobal(g, r.Properties).(map[string]any)
	}
}

func mergeGlobal(global, local any) any {
	switch gl := global.(type) {
	case map[string]any:
		lm, ok := local.(map[string]any)
		if !ok {
			if local != nil {
				return local
			}
			return deepCopy(gl)
		}
		if isIntrinsic(lm) || isIntrinsic(gl) {
			return local
		}
		out := map[string]any{}
		for k, v := range gl {
			out[k] = deepCopy(v)
		}
		for k, v := range lm {
			if gv, ok := out[k]; ok {
				out[k] = mergeGlobal(gv, v)
			} else {
				out[k] = v
			}
		}
		return out
	case []any:
		if ll, ok := local.([]any); ok {
			return append(append([]any{}, gl...), ll...)
		}
	}
	if local == nil {
		return deepCopy(global)
	}
	return local
}

func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = deepCopy(e)
		}
		return s
	}
	return v
}

// isIntrinsic reports whether m is a single-key intrinsic function call.
func isIntrinsic(m map[string]any) bool {
	if len(m) != 1 {
		return false
	}
	for k := range m {
		return k == "Ref" || k == "Condition" || strings.HasPrefix(k, "Fn::")
	}
	return false
}

// SortedIDs returns the resource ids in a stable order.
func (t *Template) SortedIDs() []string {
	ids := make([]string, 0, len(t.Resources))
	for id := range t.Resources {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// stringOrList reads a value that is a string or a list of strings, as
// Transform and DependsOn are; list items that are not strings are skipped.
func stringOrList(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, item := range x {
			if s, ok := item.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}
