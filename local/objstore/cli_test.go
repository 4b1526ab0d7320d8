package objstore

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// cliEnv is the environment external clients run with: fixed credentials and
// region, no configuration files, no pager.
func cliEnv() []string {
	env := []string{
		"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"AWS_PAGER=", "AWS_EC2_METADATA_DISABLED=true", "PYTHONWARNINGS=ignore",
	}
	for _, kv := range os.Environ() {
		for _, keep := range []string{"PATH=", "HOME=", "PYENV", "LANG="} {
			if strings.HasPrefix(kv, keep) {
				env = append(env, kv)
			}
		}
	}
	return env
}

// requireTool returns the path of a client whose --version output starts with
// prefix; without one the test is skipped with the reason, or fails when
// DRAGONS_REQUIRE_CLI=1.
func requireTool(t *testing.T, name, prefix string) string {
	t.Helper()
	missing := func(why string) string {
		if os.Getenv("DRAGONS_REQUIRE_CLI") == "1" {
			t.Fatalf("%s (DRAGONS_REQUIRE_CLI=1)", why)
		}
		t.Skipf("skipping: %s", why)
		return ""
	}
	p, err := exec.LookPath(name)
	if err != nil {
		return missing(name + " is not installed")
	}
	cmd := exec.Command(p, "--version")
	cmd.Env = cliEnv()
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), prefix) {
		return missing(p + " is not " + prefix + " (" + strings.TrimSpace(string(out)) + ")")
	}
	return p
}

// run runs a client and returns its stdout, failing the test on a non-zero exit.
func run(t *testing.T, bin string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = cliEnv()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s%s", bin, strings.Join(args, " "), err, out, stderr.String())
	}
	return out
}

func runJSON(t *testing.T, bin string, args ...string) map[string]any {
	t.Helper()
	out := run(t, bin, append(args, "--output", "json")...)
	var v map[string]any
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("%s %s: output is not JSON: %v\n%s", bin, strings.Join(args, " "), err, out)
	}
	return v
}

func TestAWSCLI(t *testing.T) {
	for _, tc := range []struct{ name, bin, prefix string }{
		{"v1", "aws", "aws-cli/1."},
		{"v2", "/usr/bin/aws", "aws-cli/2."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			bin := requireTool(t, tc.bin, tc.prefix)
			s := newService(t, Options{DataDir: t.TempDir()})
			srv := serve(t, s)
			ep := "--endpoint-url=" + srv.URL
			ctx := context.Background()
			if err := s.CreateBucket(ctx, "cli"); err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			src := filepath.Join(dir, "dragon.json")
			body := []byte(`{"name":"Toothless","type":"night fury"}`)
			if err := os.WriteFile(src, body, 0o644); err != nil {
				t.Fatal(err)
			}

			out := runJSON(t, bin, "s3api", "put-object", ep, "--bucket", "cli", "--key", "dragons/toothless.json", "--body", src,
				"--content-type", "application/json", "--metadata", "origin=cli")
			if out["ETag"] != `"`+md5hex(string(body))+`"` {
				t.Fatalf("put-object = %v", out)
			}
			dst := filepath.Join(dir, "got.json")
			out = runJSON(t, bin, "s3api", "get-object", ep, "--bucket", "cli", "--key", "dragons/toothless.json", dst)
			if got, _ := os.ReadFile(dst); !bytes.Equal(got, body) {
				t.Fatalf("get-object wrote %q", got)
			}
			if meta, _ := out["Metadata"].(map[string]any); out["ContentType"] != "application/json" || meta["origin"] != "cli" {
				t.Fatalf("get-object = %v", out)
			}

			// aws s3 cp both ways, then the listing sees everything.
			big := bytes.Repeat([]byte("scales "), 1300000) // 9.1 MB: above the CLI's multipart threshold
			bigSrc := filepath.Join(dir, "big.bin")
			if err := os.WriteFile(bigSrc, big, 0o644); err != nil {
				t.Fatal(err)
			}
			run(t, bin, "s3", "cp", ep, "--only-show-errors", bigSrc, "s3://cli/dragons/big file.bin")
			if info, err := s.HeadObject(ctx, "cli", "dragons/big file.bin", GetOptions{}); err != nil || !strings.Contains(info.ETag, "-") {
				t.Fatalf("s3 cp of 9 MB did not make a multipart object: %+v %v", info, err)
			}
			bigDst := filepath.Join(dir, "big.out")
			run(t, bin, "s3", "cp", ep, "--only-show-errors", "s3://cli/dragons/big file.bin", bigDst)
			if got, _ := os.ReadFile(bigDst); !bytes.Equal(got, big) {
				t.Fatalf("s3 cp round trip: %d bytes back, want %d", len(got), len(big))
			}
			list := runJSON(t, bin, "s3api", "list-objects-v2", ep, "--bucket", "cli", "--prefix", "dragons/")
			contents, _ := list["Contents"].([]any)
			var keys []string
			for _, c := range contents {
				keys = append(keys, c.(map[string]any)["Key"].(string))
			}
			if strings.Join(keys, ",") != "dragons/big file.bin,dragons/toothless.json" {
				t.Fatalf("list-objects-v2 keys = %v", keys)
			}

			// Errors come back with their S3 names.
			cmd := exec.Command(bin, "s3api", "get-object", ep, "--bucket", "cli", "--key", "missing", filepath.Join(dir, "x"))
			cmd.Env = cliEnv()
			if msg, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(msg), "NoSuchKey") {
				t.Fatalf("missing key: %v\n%s", err, msg)
			}
		})
	}
}

func TestBoto3(t *testing.T) {
	py := requireTool(t, "python3", "Python 3")
	check := exec.Command(py, "-c", "import boto3")
	check.Env = cliEnv()
	if err := check.Run(); err != nil {
		if os.Getenv("DRAGONS_REQUIRE_CLI") == "1" {
			t.Fatalf("boto3 is not importable: %v", err)
		}
		t.Skipf("skipping: boto3 is not importable: %v", err)
	}
	s := newService(t, Options{})
	t.Run("http", func(t *testing.T) {
		t.Parallel()
		out := run(t, py, filepath.Join("testdata", "boto3_s3.py"), serve(t, s).URL)
		if strings.TrimSpace(string(out)) != "OK" {
			t.Fatalf("boto3 script printed %q", out)
		}
	})
	// Over TLS botocore sends aws-chunked bodies with checksum trailers.
	t.Run("https", func(t *testing.T) {
		t.Parallel()
		s2 := newService(t, Options{})
		srv := httptest.NewTLSServer(s2)
		t.Cleanup(srv.Close)
		out := run(t, py, filepath.Join("testdata", "boto3_s3.py"), srv.URL, "noverify")
		if strings.TrimSpace(string(out)) != "OK" {
			t.Fatalf("boto3 script printed %q", out)
		}
	})
}
