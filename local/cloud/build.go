package cloud

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/dragons-dev/dragons/local/durable"
	"github.com/dragons-dev/dragons/local/lambdahost"
)

// cachedBuild builds the function packages unless the module's sources are
// unchanged since the last build into buildDir, so a warm start skips the
// toolchain entirely.
func cachedBuild(ctx context.Context, moduleDir, buildDir string, pkgs []string) (map[string]string, error) {
	sum, err := sourceFingerprint(moduleDir, pkgs)
	if err != nil {
		return nil, err
	}
	stamp := filepath.Join(buildDir, "fingerprint")
	bins := map[string]string{}
	for _, p := range pkgs {
		bins[p] = filepath.Join(buildDir, filepath.Base(p), "bootstrap")
	}
	if prev, err := os.ReadFile(stamp); err == nil && string(prev) == sum && allExist(bins) {
		return bins, nil
	}
	built, err := lambdahost.Build(ctx, moduleDir, buildDir, pkgs)
	if err != nil {
		return nil, err
	}
	if err := durable.WriteFile(stamp, []byte(sum), 0o644); err != nil {
		return nil, fmt.Errorf("record build fingerprint: %w", err)
	}
	return built, nil
}

func allExist(paths map[string]string) bool {
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			return false
		}
	}
	return true
}

// sourceFingerprint hashes the names, sizes and modification times of the
// module's Go sources and module files, and the package list.
func sourceFingerprint(moduleDir string, pkgs []string) (string, error) {
	var lines []string
	err := filepath.WalkDir(moduleDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != moduleDir && (strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules" || name == "build") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") && name != "go.mod" && name != "go.sum" && !strings.HasSuffix(name, ".json") {
			return nil
		}
		if strings.HasSuffix(name, "_test.go") {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(moduleDir, path)
		lines = append(lines, fmt.Sprintf("%s %d %d", rel, info.Size(), info.ModTime().UnixNano()))
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("scan sources: %w", err)
	}
	sort.Strings(lines)
	h := sha256.New()
	for _, p := range pkgs {
		fmt.Fprintln(h, "pkg", p)
	}
	for _, l := range lines {
		fmt.Fprintln(h, l)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
