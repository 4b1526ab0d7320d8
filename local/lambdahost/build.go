package lambdahost

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// Build compiles the Go main packages (import paths or ./relative paths within
// moduleDir) into outDir/<base name of the package>/bootstrap for the host OS,
// a few at a time; the toolchain's build cache makes unchanged ones cheap. It
// returns the binary path of each package.
func Build(ctx context.Context, moduleDir, outDir string, pkgs []string) (map[string]string, error) {
	out := map[string]string{}
	for _, p := range pkgs {
		dir := filepath.Join(outDir, filepath.Base(p))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("create build dir: %w", err)
		}
		out[p] = filepath.Join(dir, "bootstrap")
	}
	errs := make(chan error, len(pkgs))
	sem := make(chan struct{}, 4)
	for _, p := range pkgs {
		go func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			cmd := exec.CommandContext(ctx, "go", "build", "-o", out[p], p)
			cmd.Dir = moduleDir
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
			if b, err := cmd.CombinedOutput(); err != nil {
				errs <- fmt.Errorf("build %s: %w\n%s", p, err, b)
				return
			}
			errs <- nil
		}()
	}
	var first error
	for range pkgs {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	if first != nil {
		return nil, first
	}
	return out, nil
}
