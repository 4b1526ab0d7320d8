// Package codecheck reads a service package's Go source and lists the AWS error
// codes it passes to its awsproto.ErrorTable's New method, together with the places
// that build an awsproto error with a status of their own (awsproto.Errorf, or an
// awsproto.Error literal that sets Status) instead of taking it from the table.
// Service packages call Check from a test to prove that every code they send has a
// status in their table.
//
// It works on syntax alone: a code must be a string literal or a string constant
// declared in the scanned package. It does not type-check, follow variables or
// look at _test.go files.
package codecheck

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/dragons-dev/dragons/local/awsproto"
)

// Use is one call of the table's New method.
type Use struct {
	// Code is the error code passed, or "" when it is not a constant.
	Code string
	// Pos is the call's file:line.
	Pos string
}

// Report is what Scan found.
type Report struct {
	// Uses lists the calls of <table>.New, in source order.
	Uses []Use
	// Bypasses lists the file:line of every error built with a status that does
	// not come from the table.
	Bypasses []string
}

// Scan parses the non-test Go files in dir and reports the calls of
// table.New (table being the name of the package-level ErrorTable variable) and
// the errors built around the table.
func Scan(dir, table string) (Report, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return Report{}, fmt.Errorf("list Go files in %s: %w", dir, err)
	}
	sort.Strings(files)
	fset := token.NewFileSet()
	var parsed []*ast.File
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			return Report{}, fmt.Errorf("parse %s: %w", name, err)
		}
		parsed = append(parsed, f)
	}
	consts := stringConsts(parsed)
	var rep Report
	pos := func(n ast.Node) string {
		p := fset.Position(n.Pos())
		return fmt.Sprintf("%s:%d", filepath.Base(p.Filename), p.Line)
	}
	for _, f := range parsed {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				sel, ok := n.Fun.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				x, ok := sel.X.(*ast.Ident)
				if !ok {
					return true
				}
				switch {
				case x.Name == table && sel.Sel.Name == "New":
					u := Use{Pos: pos(n)}
					if len(n.Args) > 0 {
						u.Code = constString(n.Args[0], consts)
					}
					rep.Uses = append(rep.Uses, u)
				case x.Name == "awsproto" && sel.Sel.Name == "Errorf":
					rep.Bypasses = append(rep.Bypasses, pos(n))
				}
			case *ast.CompositeLit:
				if isAWSProtoError(n.Type) && setsStatus(n) {
					rep.Bypasses = append(rep.Bypasses, pos(n))
				}
			}
			return true
		})
	}
	return rep, nil
}

// Check scans dir and fails t for every code passed to table.New that is not a
// constant or has no status in want, for every error built around the table, for
// table entries whose status is not an HTTP error status, and when no use is
// found at all (a sign the scan looks at the wrong name).
func Check(t testing.TB, dir, table string, want awsproto.ErrorTable) {
	t.Helper()
	rep, err := Scan(dir, table)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Uses) == 0 {
		t.Fatalf("no calls of %s.New found in %s", table, dir)
	}
	for _, u := range rep.Uses {
		switch _, ok := want[u.Code]; {
		case u.Code == "":
			t.Errorf("%s: %s.New is called with a code that is not a string constant", u.Pos, table)
		case !ok:
			t.Errorf("%s: error code %q is not in %s", u.Pos, u.Code, table)
		}
	}
	for _, p := range rep.Bypasses {
		t.Errorf("%s: error built with its own status instead of %s.New", p, table)
	}
	for code, status := range want {
		if status < 300 || status > 599 {
			t.Errorf("%s[%q] = %d, not an HTTP error status", table, code, status)
		}
	}
}

// stringConsts collects the package's constants whose value is a string literal.
func stringConsts(files []*ast.File) map[string]string {
	out := map[string]string{}
	for _, f := range files {
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if i >= len(vs.Values) {
						break
					}
					if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
						if s, err := strconv.Unquote(lit.Value); err == nil {
							out[name.Name] = s
						}
					}
				}
			}
		}
	}
	return out
}

// constString returns the value of a string literal or a known constant, or "".
func constString(e ast.Expr, consts map[string]string) string {
	switch e := e.(type) {
	case *ast.BasicLit:
		if e.Kind == token.STRING {
			if s, err := strconv.Unquote(e.Value); err == nil {
				return s
			}
		}
	case *ast.Ident:
		return consts[e.Name]
	}
	return ""
}

func isAWSProtoError(t ast.Expr) bool {
	sel, ok := t.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	x, ok := sel.X.(*ast.Ident)
	return ok && x.Name == "awsproto" && sel.Sel.Name == "Error"
}

func setsStatus(lit *ast.CompositeLit) bool {
	for _, el := range lit.Elts {
		if kv, ok := el.(*ast.KeyValueExpr); ok {
			if k, ok := kv.Key.(*ast.Ident); ok && k.Name == "Status" {
				return true
			}
		}
	}
	return false
}
