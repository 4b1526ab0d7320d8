// Package clitest is what the AWS CLI and boto3 compatibility tests share:
// finding the clients (the AWS CLI v1 on PATH, Debian's AWS CLI v2 at
// /usr/bin/aws, python3 with boto3), skipping with a clear reason when one
// is missing (failing instead when DRAGONS_REQUIRE_CLI=1), the environment
// they run in, and running them with a time limit.
//
// It is imported by tests only. It does not start services, know any AWS
// wire format, or decide what a test checks.
package clitest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// RequireVar is the environment variable that turns a missing client from a
// skip into a failure when set to "1".
const RequireVar = "DRAGONS_REQUIRE_CLI"

// Timeout bounds one client run; a run that takes longer is killed and
// reported as failed.
const Timeout = 2 * time.Minute

// CLI is one AWS CLI a test runs against.
type CLI struct {
	Name   string // for subtests: "v1", "v2"
	Path   string // a name on PATH or an absolute path
	Prefix string // how its --version output starts
}

// CLIv1 is the AWS CLI v1, aws on PATH.
func CLIv1() CLI { return CLI{Name: "v1", Path: "aws", Prefix: "aws-cli/1."} }

// CLIv2 is Debian's AWS CLI v2 at /usr/bin/aws (apt-get install awscli).
func CLIv2() CLI { return CLI{Name: "v2", Path: "/usr/bin/aws", Prefix: "aws-cli/2."} }

// CLIs returns both AWS CLIs, v1 first.
func CLIs() []CLI { return []CLI{CLIv1(), CLIv2()} }

// Missing skips t with why, or fails it when DRAGONS_REQUIRE_CLI=1.
func Missing(t testing.TB, why string) {
	t.Helper()
	if os.Getenv(RequireVar) == "1" {
		t.Fatalf("%s (%s=1)", why, RequireVar)
	}
	t.Skipf("skipping: %s (set %s=1 to make this fail)", why, RequireVar)
}

// Env is the environment every client runs in: fixed credentials and region,
// no configuration files, no pager, no instance metadata lookups, and from the
// caller's environment only PATH, HOME, LANG and the pyenv settings. extra
// comes last, so it overrides any of these.
func Env(extra ...string) []string {
	env := []string{
		"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"AWS_PAGER=", "AWS_EC2_METADATA_DISABLED=true",
	}
	for _, kv := range os.Environ() {
		for _, keep := range []string{"PATH=", "HOME=", "LANG=", "PYENV"} {
			if strings.HasPrefix(kv, keep) {
				env = append(env, kv)
			}
		}
	}
	return append(env, extra...)
}

// look finds a program, resolving a pyenv shim to the program it runs (the
// shim costs as much again as the program's own start).
func look(name string) (string, error) {
	bin, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("%s is not installed: %w", name, err)
	}
	if !strings.Contains(bin, "/shims/") {
		return bin, nil
	}
	if out, err := exec.Command("pyenv", "which", name).Output(); err == nil {
		if real := strings.TrimSpace(string(out)); real != "" {
			return real, nil
		}
	}
	return bin, nil
}

// FindCLI returns cli when it is installed and its --version output starts
// with cli.Prefix, or an error saying why not.
func FindCLI(cli CLI) (Client, error) {
	bin, err := look(cli.Path)
	if err != nil {
		return Client{}, fmt.Errorf("AWS CLI %w", err)
	}
	c := Client{Bin: bin, Env: Env()}
	out, err := c.Combined(context.Background(), "--version")
	if err != nil || !strings.HasPrefix(string(out), cli.Prefix) {
		return Client{}, fmt.Errorf("%s is not %s (%s)", bin, cli.Prefix, strings.TrimSpace(string(out)))
	}
	return c, nil
}

// RequireCLI is FindCLI for a test: without the CLI, t is skipped (or fails,
// see Missing).
func RequireCLI(t testing.TB, cli CLI) Client {
	t.Helper()
	c, err := FindCLI(cli)
	if err != nil {
		Missing(t, err.Error())
	}
	return c
}

// FindBoto3 returns python3 when it can import boto3, or an error saying why
// not.
func FindBoto3() (Client, error) {
	py, err := look("python3")
	if err != nil {
		return Client{}, fmt.Errorf("python3 with boto3 is not available: %w", err)
	}
	c := Client{Bin: py, Env: Env()}
	if out, err := c.Combined(context.Background(), "-c", "import boto3"); err != nil {
		return Client{}, fmt.Errorf("python3 with boto3 is not available: %w (%s)", err, strings.TrimSpace(string(out)))
	}
	return c, nil
}

// RequireBoto3 is FindBoto3 for a test: without boto3, t is skipped (or
// fails, see Missing).
func RequireBoto3(t testing.TB) Client {
	t.Helper()
	c, err := FindBoto3()
	if err != nil {
		Missing(t, err.Error())
	}
	return c
}

// Client is one client program and the environment it runs in.
type Client struct {
	Bin string
	Env []string
}

// describe names a run of args in errors.
func (c Client) describe(args []string) string {
	return strings.TrimSpace(c.Bin + " " + strings.Join(args, " "))
}

// do runs the program with args, killed after Timeout, with run doing the
// waiting; the error names the command and says when the time ran out.
func (c Client) do(ctx context.Context, args []string, run func(*exec.Cmd) error) error {
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.Bin, args...)
	cmd.Env = c.Env
	err := run(cmd)
	if err == nil {
		return nil
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		err = fmt.Errorf("%w (killed after %s)", err, Timeout)
	}
	return fmt.Errorf("%s: %w", c.describe(args), err)
}

// Run runs the program with args and returns what it wrote to stdout and to
// stderr. The error, when it exited non-zero, did not start or ran out of
// Timeout, names the command.
func (c Client) Run(ctx context.Context, args ...string) (stdout, stderr []byte, err error) {
	var out, errOut bytes.Buffer
	err = c.do(ctx, args, func(cmd *exec.Cmd) error {
		cmd.Stdout, cmd.Stderr = &out, &errOut
		return cmd.Run()
	})
	return out.Bytes(), errOut.Bytes(), err
}

// Combined runs the program with args and returns stdout and stderr
// interleaved, for checking what a failing command said.
func (c Client) Combined(ctx context.Context, args ...string) ([]byte, error) {
	var out []byte
	err := c.do(ctx, args, func(cmd *exec.Cmd) error {
		var err error
		out, err = cmd.CombinedOutput()
		return err
	})
	return out, err
}

// MustRun runs the program with args and returns its stdout; a failed run
// fails t with both outputs.
func (c Client) MustRun(t testing.TB, args ...string) []byte {
	t.Helper()
	stdout, stderr, err := c.Run(t.Context(), args...)
	if err != nil {
		t.Fatalf("%v\n%s%s", err, stdout, stderr)
	}
	return stdout
}

// JSON runs the program with args like MustRun and decodes its stdout as a
// JSON object (see DecodeObject); output that is not one fails t.
func (c Client) JSON(t testing.TB, args ...string) map[string]any {
	t.Helper()
	out := c.MustRun(t, args...)
	v, err := DecodeObject(out)
	if err != nil {
		t.Fatalf("%s: %v", c.describe(args), err)
	}
	return v
}

// DecodeObject decodes a client's output as a JSON object. Empty output
// decodes to an empty map, as the CLIs print nothing for an empty answer.
func DecodeObject(out []byte) (map[string]any, error) {
	v := map[string]any{}
	b := bytes.TrimSpace(out)
	if len(b) == 0 {
		return v, nil
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("output is not a JSON object: %w\n%s", err, b)
	}
	return v, nil
}
