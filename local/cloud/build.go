package cloud

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/dragons-dev/dragons/local/durable"
	"github.com/dragons-dev/dragons/local/lambdahost"
)

// builder builds function packages into a build directory, rebuilding a
// package only when the sources it depends on changed. A package's
// fingerprint covers go.mod, go.sum and the files of every directory of the
// module it imports (directly or not), so an edit rebuilds only the functions
// that use the edited package. The import graph comes from `go list` and is
// cached in the build directory with the file stats it was computed from, so a
// warm start runs no Go tooling at all.
//
// Packages outside the module are covered by go.mod and go.sum (the module
// cache is immutable); a file newly matching a //go:embed pattern in a
// subdirectory is not noticed until another file of the package changes.
type builder struct {
	moduleDir, buildDir string
	// list and build run the Go toolchain; tests wrap them to count calls.
	list  func(ctx context.Context, moduleDir string, pkgs []string) (map[string]pkgDeps, error)
	build func(ctx context.Context, moduleDir, buildDir string, pkgs []string) (map[string]string, error)
}

// pkgDeps is what a package's binary is built from, inside the module.
type pkgDeps struct {
	Dirs  []string `json:"dirs"`  // module-relative package directories, the package's own included
	Files []string `json:"files"` // module-relative embedded files
}

// buildState is kept in the build directory between runs.
type buildState struct {
	// GraphKey fingerprints the files Deps was computed from.
	GraphKey string             `json:"graphKey"`
	Deps     map[string]pkgDeps `json:"deps"`
	// Built is each package's fingerprint at its last successful build.
	Built map[string]string `json:"built"`
}

const stateFile = "build-state.json"

func newBuilder(moduleDir, buildDir string) *builder {
	return &builder{moduleDir: moduleDir, buildDir: buildDir, list: listDeps, build: lambdahost.Build}
}

// Build returns each package's executable, building the stale ones.
func (b *builder) Build(ctx context.Context, pkgs []string) (map[string]string, error) {
	st := b.loadState()
	stats := statCache{root: b.moduleDir, lines: map[string][]string{}}
	modKey, err := stats.files([]string{"go.mod", "go.sum"})
	if err != nil {
		return nil, err
	}
	graphKey, ok, err := b.graphKey(&stats, st, modKey, pkgs)
	if err != nil {
		return nil, err
	}
	if !ok {
		deps, err := b.list(ctx, b.moduleDir, pkgs)
		if err != nil {
			return nil, err
		}
		st.Deps = deps
		if graphKey, _, err = b.graphKey(&stats, st, modKey, pkgs); err != nil {
			return nil, err
		}
	}
	st.GraphKey = graphKey
	bins := map[string]string{}
	fps := map[string]string{}
	var stale []string
	for _, p := range pkgs {
		bins[p] = filepath.Join(b.buildDir, filepath.Base(p), "bootstrap")
		d := st.Deps[p]
		lines, err := stats.dirs(d.Dirs)
		if err != nil {
			return nil, err
		}
		files, err := stats.files(d.Files)
		if err != nil {
			return nil, err
		}
		fps[p] = hashLines(append(append([]string{"pkg " + p}, modKey...), append(lines, files...)...)...)
		if _, err := os.Stat(bins[p]); err != nil || st.Built[p] != fps[p] {
			stale = append(stale, p)
		}
	}
	if len(stale) > 0 {
		built, err := b.build(ctx, b.moduleDir, b.buildDir, stale)
		if err != nil {
			return nil, err
		}
		for _, p := range stale {
			bins[p] = built[p]
			st.Built[p] = fps[p]
		}
	}
	if err := b.saveState(st); err != nil {
		return nil, err
	}
	return bins, nil
}

// graphKey fingerprints the files the cached import graph came from; ok is
// false when the graph must be computed again.
func (b *builder) graphKey(stats *statCache, st *buildState, modKey []string, pkgs []string) (string, bool, error) {
	lines := append([]string{}, modKey...)
	dirs := map[string]bool{}
	var files []string
	for _, p := range pkgs {
		d, ok := st.Deps[p]
		if !ok {
			return "", false, nil
		}
		lines = append(lines, "pkg "+p)
		for _, dir := range d.Dirs {
			dirs[dir] = true
		}
		files = append(files, d.Files...)
	}
	dl, err := stats.dirs(sortedSet(dirs))
	if err != nil {
		return "", false, err
	}
	fl, err := stats.files(files)
	if err != nil {
		return "", false, err
	}
	key := hashLines(append(append(lines, dl...), fl...)...)
	return key, key == st.GraphKey, nil
}

func (b *builder) loadState() *buildState {
	st := &buildState{}
	if raw, err := os.ReadFile(filepath.Join(b.buildDir, stateFile)); err == nil {
		_ = json.Unmarshal(raw, st) // a damaged state only costs a rebuild
	}
	if st.Deps == nil {
		st.Deps = map[string]pkgDeps{}
	}
	if st.Built == nil {
		st.Built = map[string]string{}
	}
	return st
}

func (b *builder) saveState(st *buildState) error {
	raw, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encode build state: %w", err)
	}
	if err := os.MkdirAll(b.buildDir, 0o755); err != nil {
		return fmt.Errorf("create build dir: %w", err)
	}
	if err := durable.WriteFile(filepath.Join(b.buildDir, stateFile), raw, 0o644); err != nil {
		return fmt.Errorf("record build state: %w", err)
	}
	return nil
}

// statCache describes files by name, size and modification time, reading
// each directory once.
type statCache struct {
	root  string
	lines map[string][]string
}

// dirs describes the Go sources (tests excluded) of module-relative
// directories; a missing directory is described as missing.
func (s *statCache) dirs(dirs []string) ([]string, error) {
	var out []string
	for _, dir := range dirs {
		if l, ok := s.lines[dir]; ok {
			out = append(out, l...)
			continue
		}
		entries, err := os.ReadDir(filepath.Join(s.root, dir))
		if errors.Is(err, os.ErrNotExist) {
			s.lines[dir] = []string{dir + " missing"}
			out = append(out, s.lines[dir]...)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("scan %s: %w", dir, err)
		}
		lines := []string{"dir " + dir}
		for _, e := range entries {
			name := e.Name()
			if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
				continue
			}
			info, err := e.Info()
			if err != nil {
				return nil, fmt.Errorf("stat %s: %w", filepath.Join(dir, name), err)
			}
			lines = append(lines, fmt.Sprintf("%s %d %d", filepath.Join(dir, name), info.Size(), info.ModTime().UnixNano()))
		}
		s.lines[dir] = lines
		out = append(out, lines...)
	}
	return out, nil
}

// files describes module-relative files.
func (s *statCache) files(files []string) ([]string, error) {
	var out []string
	for _, f := range files {
		info, err := os.Stat(filepath.Join(s.root, f))
		switch {
		case errors.Is(err, os.ErrNotExist):
			out = append(out, f+" missing")
		case err != nil:
			return nil, fmt.Errorf("stat %s: %w", f, err)
		default:
			out = append(out, fmt.Sprintf("%s %d %d", f, info.Size(), info.ModTime().UnixNano()))
		}
	}
	return out, nil
}

// listDeps asks `go list` which directories of the module each package is
// built from.
func listDeps(ctx context.Context, moduleDir string, pkgs []string) (map[string]pkgDeps, error) {
	args := append([]string{"list", "-e", "-deps", "-json=ImportPath,Dir,Module,Deps,EmbedFiles,DepOnly,Error"}, pkgs...)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = moduleDir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list %s: %w\n%s", strings.Join(pkgs, " "), err, stderr.Bytes())
	}
	type listed struct {
		ImportPath string
		Dir        string
		Module     *struct{ Main bool }
		Deps       []string
		EmbedFiles []string
		DepOnly    bool
		Error      *struct{ Err string }
	}
	byPath := map[string]*listed{}
	var roots []*listed
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listed
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			return nil, fmt.Errorf("read go list output: %w", err)
		}
		if p.Error != nil {
			return nil, fmt.Errorf("go list %s: %s", p.ImportPath, p.Error.Err)
		}
		byPath[p.ImportPath] = &p
		if !p.DepOnly {
			roots = append(roots, &p)
		}
	}
	// inModule returns a package's module-relative directory and embedded files.
	inModule := func(p *listed) (string, []string, bool) {
		if p == nil || p.Module == nil || !p.Module.Main {
			return "", nil, false
		}
		rel, err := filepath.Rel(moduleDir, p.Dir)
		if err != nil || strings.HasPrefix(rel, "..") {
			return "", nil, false
		}
		var files []string
		for _, f := range p.EmbedFiles {
			files = append(files, filepath.Join(rel, f))
		}
		return rel, files, true
	}
	deps := map[string]pkgDeps{}
	for _, want := range pkgs {
		var root *listed
		for _, r := range roots {
			if filepath.Clean(r.Dir) == filepath.Join(moduleDir, want) {
				root = r
			}
		}
		if root == nil {
			return nil, fmt.Errorf("go list did not report package %s", want)
		}
		dirs := map[string]bool{}
		var files []string
		for _, p := range append([]*listed{root}, lookup(byPath, root.Deps)...) {
			if dir, embedded, ok := inModule(p); ok {
				dirs[dir] = true
				files = append(files, embedded...)
			}
		}
		sort.Strings(files)
		deps[want] = pkgDeps{Dirs: sortedSet(dirs), Files: files}
	}
	return deps, nil
}

func lookup[T any](m map[string]*T, keys []string) []*T {
	out := make([]*T, 0, len(keys))
	for _, k := range keys {
		if v, ok := m[k]; ok {
			out = append(out, v)
		}
	}
	return out
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func hashLines(lines ...string) string {
	h := sha256.New()
	for _, l := range lines {
		fmt.Fprintln(h, l)
	}
	return hex.EncodeToString(h.Sum(nil))
}
