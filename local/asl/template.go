package asl

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/dragons-dev/dragons/local/asl/intrinsic"
	"github.com/dragons-dev/dragons/local/asl/jsonpath"
	"github.com/dragons-dev/dragons/local/jsonata"
)

// payloadTemplate is a compiled JSONPath payload template (Parameters,
// ResultSelector, ItemSelector, Assign values): a JSON value whose object
// keys ending in ".$" take their value from a path or an intrinsic call.
type payloadTemplate struct {
	static bool // no dynamic parts: lit is the value
	lit    any
	kind   tmplKind
	path   *jsonpath.Path
	call   *intrinsic.Expr
	src    string // the original "key.$" value, for messages
	field  string // the key without ".$", for messages
	fields []tmplField
	items  []*payloadTemplate
}

type tmplKind uint8

const (
	tLit tmplKind = iota
	tPath
	tCall
	tObject
	tArray
)

type tmplField struct {
	key string
	val *payloadTemplate
}

// compilePayload compiles a payload template at loc, reporting problems to l.
func (l *loader) compilePayload(v any, loc string) *payloadTemplate {
	switch t := v.(type) {
	case map[string]any:
		keys := sortedKeys(t)
		out := &payloadTemplate{kind: tObject, static: true}
		seen := map[string]bool{}
		for _, k := range keys {
			fv := t[k]
			floc := loc + "/" + escapePointer(k)
			name := k
			var ft *payloadTemplate
			if strings.HasSuffix(k, ".$") {
				name = strings.TrimSuffix(k, ".$")
				s, ok := fv.(string)
				if !ok {
					l.problem(CodeSchema, fmt.Sprintf("The value for the field '%s' must be a STRING that contains a JSONPath or an intrinsic function", k), floc)
					continue
				}
				ft = l.compileDynamic(s, name, floc)
				if ft == nil {
					continue
				}
			} else {
				ft = l.compilePayload(fv, floc)
			}
			if seen[name] {
				l.problem(CodeSchema, fmt.Sprintf("The field '%s' is defined more than once", name), floc)
				continue
			}
			seen[name] = true
			if !ft.static {
				out.static = false
			}
			out.fields = append(out.fields, tmplField{key: name, val: ft})
		}
		if out.static {
			return &payloadTemplate{static: true, lit: v2lit(out)}
		}
		return out
	case []any:
		out := &payloadTemplate{kind: tArray, static: true}
		for i, e := range t {
			et := l.compilePayload(e, fmt.Sprintf("%s/%d", loc, i))
			if !et.static {
				out.static = false
			}
			out.items = append(out.items, et)
		}
		if out.static {
			return &payloadTemplate{static: true, lit: v2lit(out)}
		}
		return out
	}
	return &payloadTemplate{static: true, lit: v}
}

// v2lit rebuilds the literal value of a static template (keys with ".$"
// never reach here because they make a template dynamic).
func v2lit(t *payloadTemplate) any {
	switch t.kind {
	case tObject:
		m := make(map[string]any, len(t.fields))
		for _, f := range t.fields {
			m[f.key] = f.val.lit
		}
		return m
	case tArray:
		a := make([]any, len(t.items))
		for i, e := range t.items {
			a[i] = e.lit
		}
		return a
	}
	return t.lit
}

// compileDynamic compiles the value of a "key.$" field: a path or an
// intrinsic function call.
func (l *loader) compileDynamic(s, field, loc string) *payloadTemplate {
	if intrinsic.IsCall(s) {
		e, err := intrinsic.Parse(strings.TrimSpace(s))
		if err != nil {
			l.problem(CodeInvalidIntrinsic, fmt.Sprintf("The value for the field '%s.$' must be a valid JSONPath or a valid intrinsic function call: %v", field, err), loc)
			return nil
		}
		for _, p := range e.Paths() {
			l.notePath(p)
		}
		return &payloadTemplate{kind: tCall, call: e, src: s, field: field}
	}
	p, err := jsonpath.Parse(s)
	if err != nil {
		l.problem(CodeInvalidPath, fmt.Sprintf("The value for the field '%s.$' must be a valid JSONPath or a valid intrinsic function call", field), loc)
		return nil
	}
	l.notePath(p)
	return &payloadTemplate{kind: tPath, path: p, src: s, field: field}
}

// eval evaluates the template with data as "$".
func (t *payloadTemplate) eval(e *evalCtx, data any) (any, error) {
	if t.static {
		return t.lit, nil
	}
	switch t.kind {
	case tPath:
		v, err := e.resolve(t.path, data)
		if err != nil {
			if errors.Is(err, jsonpath.ErrNotFound) {
				return nil, e.failf(ErrRuntime, "The JSONPath '%s' specified for the field '%s.$' could not be found in the input '%s'", t.src, t.field, compactJSON(data))
			}
			return nil, err
		}
		return v, nil
	case tCall:
		v, err := t.call.Eval(&intrinsicResolver{e: e, data: data})
		if err != nil {
			var ie *intrinsic.Error
			if errors.As(err, &ie) {
				return nil, e.failf(ErrIntrinsicFailure, "The evaluation of the intrinsic function '%s' for the field '%s.$' failed: %s", t.src, t.field, ie.Msg)
			}
			if errors.Is(err, jsonpath.ErrNotFound) {
				return nil, e.failf(ErrRuntime, "The JSONPath in the intrinsic function '%s' for the field '%s.$' could not be found in the input '%s'", t.src, t.field, compactJSON(data))
			}
			return nil, err
		}
		return v, nil
	case tObject:
		m := make(map[string]any, len(t.fields))
		for i := range t.fields {
			f := &t.fields[i]
			v, err := f.val.eval(e, data)
			if err != nil {
				return nil, err
			}
			m[f.key] = v
		}
		return m, nil
	case tArray:
		a := make([]any, len(t.items))
		for i, it := range t.items {
			v, err := it.eval(e, data)
			if err != nil {
				return nil, err
			}
			a[i] = v
		}
		return a, nil
	}
	return t.lit, nil
}

type intrinsicResolver struct {
	e    *evalCtx
	data any
}

func (r *intrinsicResolver) Resolve(p *jsonpath.Path) (any, error) {
	return r.e.resolve(p, r.data)
}

// --- JSONata templates ---

// queryTemplate is a JSON value in which strings of the form "{% expr %}"
// are JSONata expressions.
type queryTemplate struct {
	static bool
	lit    any
	expr   queryExpr
	src    string // expression text without delimiters
	fields []qField
	items  []*queryTemplate
	kind   tmplKind
	field  string // the definition field, for messages
}

type qField struct {
	key string
	val *queryTemplate
}

// isQueryString reports whether s is a "{% ... %}" JSONata expression.
func isQueryString(s string) bool {
	t := strings.TrimSpace(s)
	return strings.HasPrefix(t, "{%") && strings.HasSuffix(t, "%}") && len(t) >= 4
}

func querySource(s string) string {
	t := strings.TrimSpace(s)
	return strings.TrimSpace(t[2 : len(t)-2])
}

func (l *loader) compileQuery(v any, field, loc string) *queryTemplate {
	switch t := v.(type) {
	case string:
		if !isQueryString(t) {
			return &queryTemplate{static: true, lit: t, field: field}
		}
		src := querySource(t)
		x, err := l.jsonata(src)
		if err != nil {
			l.problem(CodeInvalidJSONata, fmt.Sprintf("The JSONata expression '%s' specified for the field '%s' is invalid: %v", src, field, err), loc)
			return &queryTemplate{static: true, lit: nil, field: field}
		}
		return &queryTemplate{kind: tCall, expr: x, src: src, field: field}
	case map[string]any:
		out := &queryTemplate{kind: tObject, static: true, field: field}
		for _, k := range sortedKeys(t) {
			ft := l.compileQuery(t[k], field+"/"+k, loc+"/"+escapePointer(k))
			if !ft.static {
				out.static = false
			}
			out.fields = append(out.fields, qField{key: k, val: ft})
		}
		if out.static {
			return &queryTemplate{static: true, lit: v, field: field}
		}
		return out
	case []any:
		out := &queryTemplate{kind: tArray, static: true, field: field}
		for i, e := range t {
			et := l.compileQuery(e, fmt.Sprintf("%s[%d]", field, i), fmt.Sprintf("%s/%d", loc, i))
			if !et.static {
				out.static = false
			}
			out.items = append(out.items, et)
		}
		if out.static {
			return &queryTemplate{static: true, lit: v, field: field}
		}
		return out
	}
	return &queryTemplate{static: true, lit: v, field: field}
}

// eval evaluates the template. Any expression in it that returns
// undefined, at the top or nested in an object or array, is a
// States.QueryEvaluationError, as in Step Functions.
func (t *queryTemplate) eval(ctx context.Context, e *evalCtx) (any, error) {
	v, err := t.evalInner(ctx, e)
	if err != nil {
		return nil, err
	}
	if v == undefined {
		return nil, t.undefinedError(e)
	}
	return v, nil
}

func (t *queryTemplate) undefinedError(e *evalCtx) error {
	ee := e.failf(ErrQueryEvaluationError, "The JSONata expression '%s' specified for the field '%s' returned nothing (undefined).", t.src, t.field)
	ee.location = t.field
	return ee
}

func (t *queryTemplate) evalInner(ctx context.Context, e *evalCtx) (any, error) {
	if t.static {
		return t.lit, nil
	}
	switch t.kind {
	case tCall:
		v, err := t.expr.eval(ctx, e.queryVars(), e.now())
		if err != nil {
			var ee *ExecError
			if errors.As(err, &ee) {
				return nil, ee
			}
			ee = e.failf(ErrQueryEvaluationError, "The JSONata expression '%s' specified for the field '%s' threw an error during evaluation. %s", t.src, t.field, queryErrorText(err))
			ee.location = t.field
			return nil, ee
		}
		return v, nil
	case tObject:
		m := make(map[string]any, len(t.fields))
		for i := range t.fields {
			f := &t.fields[i]
			v, err := f.val.evalInner(ctx, e)
			if err != nil {
				return nil, err
			}
			if v == undefined {
				return nil, f.val.undefinedError(e)
			}
			m[f.key] = v
		}
		return m, nil
	case tArray:
		a := make([]any, 0, len(t.items))
		for _, it := range t.items {
			v, err := it.evalInner(ctx, e)
			if err != nil {
				return nil, err
			}
			if v == undefined {
				return nil, it.undefinedError(e)
			}
			a = append(a, v)
		}
		return a, nil
	}
	return t.lit, nil
}

// queryErrorText renders a JSONata error as Step Functions shows it:
// "CODE: message", without the position.
func queryErrorText(err error) string {
	var je *jsonata.Error
	if errors.As(err, &je) && je.Code != "" {
		return je.Code + ": " + je.Message
	}
	return err.Error()
}

// --- Assign ---

// assignBlock is a compiled Assign field.
type assignBlock struct {
	lang  QueryLanguage
	names []string
	path  []*payloadTemplate // JSONPath: one template per name
	query []*queryTemplate   // JSONata
}

func (l *loader) compileAssign(v any, lang QueryLanguage, loc string) *assignBlock {
	m, ok := v.(map[string]any)
	if !ok {
		l.problem(CodeSchema, "The field 'Assign' must be an object", loc)
		return nil
	}
	a := &assignBlock{lang: lang}
	seen := map[string]bool{}
	for _, k := range sortedKeys(m) {
		name := k
		floc := loc + "/" + escapePointer(k)
		if lang == JSONPath {
			name = strings.TrimSuffix(k, ".$")
		}
		if !validVarName(name) {
			l.problem(CodeSchema, fmt.Sprintf("The variable name '%s' is invalid: it must start with a letter or underscore and contain only letters, digits and underscores", name), floc)
			continue
		}
		if name == "states" {
			l.problem(CodeSchema, "The variable name 'states' is reserved", floc)
			continue
		}
		if seen[name] {
			l.problem(CodeSchema, fmt.Sprintf("The variable '%s' is assigned more than once", name), floc)
			continue
		}
		seen[name] = true
		if lang == JSONPath {
			var t *payloadTemplate
			if strings.HasSuffix(k, ".$") {
				s, ok := m[k].(string)
				if !ok {
					l.problem(CodeSchema, fmt.Sprintf("The value for the field '%s' must be a STRING", k), floc)
					continue
				}
				t = l.compileDynamic(s, name, floc)
				if t == nil {
					continue
				}
			} else {
				t = l.compilePayload(m[k], floc)
			}
			a.names = append(a.names, name)
			a.path = append(a.path, t)
		} else {
			a.names = append(a.names, name)
			a.query = append(a.query, l.compileQuery(m[k], "Assign/"+name, floc))
		}
	}
	return a
}

func validVarName(s string) bool {
	if s == "" || len(s) > 80 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (i > 0 && c >= '0' && c <= '9') {
			continue
		}
		return false
	}
	return true
}

// eval computes the new variable values (against the values the variables
// had when the state was entered) without applying them.
func (a *assignBlock) eval(ctx context.Context, e *evalCtx, data any) (map[string]any, error) {
	out := make(map[string]any, len(a.names))
	for i, n := range a.names {
		var v any
		var err error
		if a.lang == JSONPath {
			v, err = a.path[i].eval(e, data)
		} else {
			v, err = a.query[i].evalInner(ctx, e)
			if err == nil && v == undefined {
				err = a.query[i].undefinedError(e)
			}
		}
		if err != nil {
			return nil, err
		}
		out[n] = v
	}
	return out, nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func escapePointer(s string) string {
	if !strings.ContainsAny(s, "~/") {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}
