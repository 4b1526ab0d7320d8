package cloud

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestBuildRebuildsOnlyWhatAnEditTouches builds two programs of a small module
// with the real toolchain and checks which ones each edit rebuilds.
func TestBuildRebuildsOnlyWhatAnEditTouches(t *testing.T) {
	mod := t.TempDir()
	goVersion := strings.TrimPrefix(runtime.Version(), "go")
	if i := strings.Index(goVersion, " "); i > 0 {
		goVersion = goVersion[:i]
	}
	clock := time.Now().Add(-time.Hour)
	write := func(rel, content string) {
		t.Helper()
		p := filepath.Join(mod, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		clock = clock.Add(time.Second) // distinct modification times, however coarse the file system's
		if err := os.Chtimes(p, clock, clock); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module example.com/m\n\ngo "+goVersion+"\n")
	write("lib1/lib1.go", "package lib1\n\nfunc N() int { return 1 }\n")
	write("lib2/lib2.go", "package lib2\n\nfunc N() int { return 20 }\n")
	write("a/main.go", "package main\n\nimport \"example.com/m/lib1\"\n\nfunc main() { println(lib1.N()) }\n")
	write("b/main.go", "package main\n\nimport \"example.com/m/lib2\"\n\nfunc main() { println(lib2.N()) }\n")

	b := newBuilder(mod, filepath.Join(t.TempDir(), "build"))
	lists := 0
	var built []string
	list, build := b.list, b.build
	b.list = func(ctx context.Context, dir string, pkgs []string) (map[string]pkgDeps, error) {
		lists++
		return list(ctx, dir, pkgs)
	}
	b.build = func(ctx context.Context, moduleDir, buildDir string, pkgs []string) (map[string]string, error) {
		built = append(built, pkgs...)
		return build(ctx, moduleDir, buildDir, pkgs)
	}
	pkgs := []string{"./a", "./b"}
	run := func(step string, wantLists int, wantBuilt ...string) map[string]string {
		t.Helper()
		lists, built = 0, nil
		bins, err := b.Build(context.Background(), pkgs)
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		if lists != wantLists || !reflect.DeepEqual(built, wantBuilt) {
			t.Fatalf("%s: go list ran %d times (want %d), built %v (want %v)", step, lists, wantLists, built, wantBuilt)
		}
		return bins
	}
	output := func(bin string) string {
		t.Helper()
		out, err := exec.Command(bin).CombinedOutput()
		if err != nil {
			t.Fatalf("run %s: %v %s", bin, err, out)
		}
		return strings.TrimSpace(string(out))
	}

	bins := run("cold", 1, "./a", "./b")
	if output(bins["./a"]) != "1" || output(bins["./b"]) != "20" {
		t.Fatal("the binaries do not run the module's code")
	}
	run("warm: no toolchain at all", 0)
	write("lib1/lib1.go", "package lib1\n\nfunc N() int { return 2 }\n")
	bins = run("lib1 edited", 1, "./a")
	if output(bins["./a"]) != "2" {
		t.Fatal("the rebuilt binary does not have the edit")
	}
	write("a/notes.txt", "not a Go file")
	write("lib2/lib2_test.go", "package lib2\n")
	run("a text file and a test file added", 0)
	write("b/main.go", "package main\n\nimport (\n\t\"example.com/m/lib1\"\n\t\"example.com/m/lib2\"\n)\n\nfunc main() { println(lib1.N() + lib2.N()) }\n")
	run("b now imports lib1", 1, "./b")
	write("lib1/lib1.go", "package lib1\n\nfunc N() int { return 3 }\n")
	bins = run("lib1 edited again", 1, "./a", "./b")
	if output(bins["./b"]) != "23" {
		t.Fatalf("b = %s, want 23", output(bins["./b"]))
	}
	if err := os.Remove(bins["./b"]); err != nil {
		t.Fatal(err)
	}
	run("b's binary removed", 0, "./b")
}
