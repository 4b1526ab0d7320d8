package jsonpath

import (
	"encoding/json"
	"errors"
	"testing"
)

func mustJSON(t testing.TB, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("bad json %q: %v", s, err)
	}
	return v
}

const store = `{"store":{"book":[
 {"category":"reference","author":"Nigel Rees","title":"Sayings","price":8.95},
 {"category":"fiction","author":"Evelyn Waugh","title":"Sword","price":12.99},
 {"category":"fiction","author":"Herman Melville","title":"Moby Dick","isbn":"0-553","price":8.99},
 {"category":"fiction","author":"Tolkien","title":"LOTR","isbn":"0-395","price":22.99}],
 "bicycle":{"color":"red","price":19.95}}, "max": 10, "a.b": 1, "weird key": 2}`

func TestGet(t *testing.T) {
	doc := mustJSON(t, store)
	cases := []struct {
		path, want string
	}{
		{"$", ""},
		{"$.store.bicycle.color", `"red"`},
		{"$['store']['bicycle']['color']", `"red"`},
		{`$["store"].bicycle["price"]`, `19.95`},
		{"$.store.book[0].author", `"Nigel Rees"`},
		{"$.store.book[-1].title", `"LOTR"`},
		{"$.store.book[*].author", `["Nigel Rees","Evelyn Waugh","Herman Melville","Tolkien"]`},
		{"$.store.book.*.price", `[8.95,12.99,8.99,22.99]`},
		{"$..author", `["Nigel Rees","Evelyn Waugh","Herman Melville","Tolkien"]`},
		{"$.store.book[0,2].price", `[8.95,8.99]`},
		{"$.store.book[1:3].price", `[12.99,8.99]`},
		{"$.store.book[:2].price", `[8.95,12.99]`},
		{"$.store.book[-2:].price", `[8.99,22.99]`},
		{"$.store.book[::2].price", `[8.95,8.99]`},
		{"$.store.book[?(@.isbn)].title", `["Moby Dick","LOTR"]`},
		{"$.store.book[?(@.price < 10)].title", `["Sayings","Moby Dick"]`},
		{"$.store.book[?(@.price < $.max)].title", `["Sayings","Moby Dick"]`},
		{"$.store.book[?(@.category == 'fiction' && @.price > 10)].title", `["Sword","LOTR"]`},
		{"$.store.book[?(@.category != 'fiction' || @.price > 20)].title", `["Sayings","LOTR"]`},
		{"$.store.book[?(!(@.isbn))].title", `["Sayings","Sword"]`},
		{"$.store.book[?(@.title == \"LOTR\")].price", `[22.99]`},
		{"$['a.b']", `1`},
		{"$['weird key']", `2`},
		{"$.store.book[?(@.nothere == 1)]", `[]`},
		{"$.store['bicycle','nothing'].color", `["red"]`},
	}
	for _, c := range cases {
		p, err := Parse(c.path)
		if err != nil {
			t.Fatalf("Parse(%q): %v", c.path, err)
		}
		got, err := p.Get(doc)
		if err != nil {
			t.Fatalf("Get(%q): %v", c.path, err)
		}
		if c.want == "" {
			if !Equal(got, doc) {
				t.Errorf("%s: want whole doc", c.path)
			}
			continue
		}
		if want := mustJSON(t, c.want); !Equal(got, want) {
			b, _ := json.Marshal(got)
			t.Errorf("%s = %s, want %s", c.path, b, c.want)
		}
	}
}

func TestGetNotFound(t *testing.T) {
	doc := mustJSON(t, store)
	for _, path := range []string{"$.nope", "$.store.book[10]", "$.store.bicycle[0]", "$.max.x", "$.store.book.title"} {
		_, err := MustParse(path).Get(doc)
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("Get(%s) error = %v, want ErrNotFound", path, err)
		}
	}
}

func TestRoots(t *testing.T) {
	cases := []struct {
		path    string
		root    Root
		varName string
		ref     bool
	}{
		{"$", RootData, "", true},
		{"$.a", RootData, "", true},
		{"$$", RootContext, "", true},
		{"$$.Execution.Id", RootContext, "", true},
		{"$myVar", RootVariable, "myVar", true},
		{"$my_var2.x[0]", RootVariable, "my_var2", true},
		{"$.a[*]", RootData, "", false},
	}
	for _, c := range cases {
		p := MustParse(c.path)
		if p.Root() != c.root || p.Variable() != c.varName || p.IsReference() != c.ref {
			t.Errorf("%s: root=%v var=%q ref=%v", c.path, p.Root(), p.Variable(), p.IsReference())
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, s := range []string{"", "a.b", "$.", "$[", "$[1", "$.a[?(@.x", "$..", "$[::0]", "$['a", "$.a b", "$[x]"} {
		if _, err := Parse(s); err == nil {
			t.Errorf("Parse(%q) succeeded, want error", s)
		}
	}
}

func TestSet(t *testing.T) {
	cases := []struct {
		doc, path, val, want string
	}{
		{`{"a":1}`, "$", `5`, `5`},
		{`{"a":1}`, "$.b", `5`, `{"a":1,"b":5}`},
		{`{"master":{"detail":[1,2,3]}}`, "$.master.result.sum", `6`, `{"master":{"detail":[1,2,3],"result":{"sum":6}}}`},
		{`{"master":{"detail":[1,2,3]}}`, "$.master.detail", `6`, `{"master":{"detail":6}}`},
		{`{"a":[1,2,3]}`, "$.a[1]", `"x"`, `{"a":[1,"x",3]}`},
		{`{"a":[{"b":1}]}`, "$.a[0].c", `2`, `{"a":[{"b":1,"c":2}]}`},
	}
	for _, c := range cases {
		doc := mustJSON(t, c.doc)
		got, err := MustParse(c.path).Set(doc, mustJSON(t, c.val))
		if err != nil {
			t.Fatalf("Set(%s): %v", c.path, err)
		}
		if !Equal(got, mustJSON(t, c.want)) {
			b, _ := json.Marshal(got)
			t.Errorf("Set(%s, %s) on %s = %s, want %s", c.path, c.val, c.doc, b, c.want)
		}
		if !Equal(doc, mustJSON(t, c.doc)) {
			t.Errorf("Set(%s) modified its input", c.path)
		}
	}
}

func TestSetErrors(t *testing.T) {
	cases := []struct{ doc, path string }{
		{`"str"`, "$.a"},
		{`{"a":5}`, "$.a.b"},
		{`{"a":[1]}`, "$.a[3]"},
		{`{}`, "$.a[0]"},
		{`{"a":[1]}`, "$.a[*]"},
	}
	for _, c := range cases {
		_, err := MustParse(c.path).Set(mustJSON(t, c.doc), 1.0)
		var se *SetError
		if !errors.As(err, &se) {
			t.Errorf("Set(%s) on %s: error = %v, want *SetError", c.path, c.doc, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"$", "$$", "$.a.b[0]", "$..x", "$.a[?(@.b > 1 && @.c == 'x')]", "$['a','b']", "$[1:5:2]", "$v.x", "$.a[-1]", "$.a[(@.length-1)]"} {
		f.Add(s)
	}
	doc := mustJSON(f, store)
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Parse(s)
		if err != nil {
			return
		}
		if p.String() != s {
			t.Fatalf("String() = %q, want %q", p.String(), s)
		}
		_, _ = p.Get(doc)
		if p.IsReference() {
			_, _ = p.Set(doc, 1.0)
		}
	})
}
