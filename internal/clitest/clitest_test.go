package clitest

import (
	"slices"
	"strings"
	"testing"
)

func TestEnvKeepsOnlyWhatClientsNeed(t *testing.T) {
	t.Setenv("AWS_PROFILE", "someone")
	t.Setenv("HTTP_PROXY", "http://127.0.0.1:9")
	env := Env("AWS_ACCESS_KEY_ID=local")
	for _, kv := range env {
		if strings.HasPrefix(kv, "AWS_PROFILE=") || strings.HasPrefix(kv, "HTTP_PROXY=") {
			t.Fatalf("Env passed on %s", kv)
		}
	}
	for _, want := range []string{"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_DEFAULT_REGION=us-east-1", "AWS_PAGER="} {
		if !slices.Contains(env, want) {
			t.Fatalf("Env lacks %s: %q", want, env)
		}
	}
	if env[len(env)-1] != "AWS_ACCESS_KEY_ID=local" {
		t.Fatalf("extra is not last, so it would not override: %q", env)
	}
}

func TestRunSeparatesOutputsAndNamesTheCommand(t *testing.T) {
	sh := Client{Bin: "/bin/sh", Env: Env()}
	stdout, stderr, err := sh.Run(t.Context(), "-c", "echo out; echo err >&2; exit 3")
	if err == nil || !strings.Contains(err.Error(), "/bin/sh -c echo out") || string(stdout) != "out\n" || string(stderr) != "err\n" {
		t.Fatalf("Run = %q, %q, %v", stdout, stderr, err)
	}
	out, err := sh.Combined(t.Context(), "-c", "echo AWS_PAGER=[$AWS_PAGER] $AWS_CONFIG_FILE")
	if err != nil || string(out) != "AWS_PAGER=[] /dev/null\n" {
		t.Fatalf("Combined = %q, %v", out, err)
	}
}

func TestDecodeObject(t *testing.T) {
	for _, tc := range []struct {
		in   string
		keys int
		fail bool
	}{
		{"", 0, false},
		{" \n", 0, false},
		{`{"a":1,"b":{}}`, 2, false},
		{"[1]", 0, true},
		{"download: s3://b/k to k", 0, true},
	} {
		v, err := DecodeObject([]byte(tc.in))
		if (err != nil) != tc.fail || (!tc.fail && (v == nil || len(v) != tc.keys)) {
			t.Errorf("DecodeObject(%q) = %v, %v", tc.in, v, err)
		}
	}
}

func TestFindCLISaysWhyOneIsMissing(t *testing.T) {
	_, err := FindCLI(CLI{Name: "none", Path: "/nonexistent/aws", Prefix: "aws-cli/1."})
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/aws is not installed") {
		t.Fatalf("FindCLI of a missing path: %v", err)
	}
	// /bin/sh runs, but is no AWS CLI.
	_, err = FindCLI(CLI{Name: "sh", Path: "/bin/sh", Prefix: "aws-cli/1."})
	if err == nil || !strings.Contains(err.Error(), "/bin/sh is not aws-cli/1.") {
		t.Fatalf("FindCLI of a program that is no CLI: %v", err)
	}
}
