package objstore

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dragons-dev/dragons/internal/clitest"
)

// cliEnv is the environment the clients run with here: the usual one, with
// Python's warnings kept out of their output.
func cliEnv() []string { return clitest.Env("PYTHONWARNINGS=ignore") }

func TestAWSCLI(t *testing.T) {
	for _, cli := range clitest.CLIs() {
		t.Run(cli.Name, func(t *testing.T) {
			t.Parallel()
			aws := clitest.RequireCLI(t, cli)
			aws.Env = cliEnv()
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

			out := aws.JSON(t, "s3api", "put-object", ep, "--output", "json", "--bucket", "cli", "--key", "dragons/toothless.json", "--body", src,
				"--content-type", "application/json", "--metadata", "origin=cli")
			if out["ETag"] != `"`+md5hex(string(body))+`"` {
				t.Fatalf("put-object = %v", out)
			}
			dst := filepath.Join(dir, "got.json")
			out = aws.JSON(t, "s3api", "get-object", ep, "--output", "json", "--bucket", "cli", "--key", "dragons/toothless.json", dst)
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
			aws.MustRun(t, "s3", "cp", ep, "--only-show-errors", bigSrc, "s3://cli/dragons/big file.bin")
			if info, err := s.HeadObject(ctx, "cli", "dragons/big file.bin", GetOptions{}); err != nil || !strings.Contains(info.ETag, "-") {
				t.Fatalf("s3 cp of 9 MB did not make a multipart object: %+v %v", info, err)
			}
			bigDst := filepath.Join(dir, "big.out")
			aws.MustRun(t, "s3", "cp", ep, "--only-show-errors", "s3://cli/dragons/big file.bin", bigDst)
			if got, _ := os.ReadFile(bigDst); !bytes.Equal(got, big) {
				t.Fatalf("s3 cp round trip: %d bytes back, want %d", len(got), len(big))
			}
			list := aws.JSON(t, "s3api", "list-objects-v2", ep, "--output", "json", "--bucket", "cli", "--prefix", "dragons/")
			contents, _ := list["Contents"].([]any)
			var keys []string
			for _, c := range contents {
				keys = append(keys, c.(map[string]any)["Key"].(string))
			}
			if strings.Join(keys, ",") != "dragons/big file.bin,dragons/toothless.json" {
				t.Fatalf("list-objects-v2 keys = %v", keys)
			}

			// Errors come back with their S3 names.
			if msg, err := aws.Combined(t.Context(), "s3api", "get-object", ep, "--bucket", "cli", "--key", "missing", filepath.Join(dir, "x")); err == nil || !strings.Contains(string(msg), "NoSuchKey") {
				t.Fatalf("missing key: %v\n%s", err, msg)
			}
		})
	}
}

func TestBoto3(t *testing.T) {
	py := clitest.RequireBoto3(t)
	py.Env = cliEnv()
	s := newService(t, Options{})
	t.Run("http", func(t *testing.T) {
		t.Parallel()
		out := py.MustRun(t, filepath.Join("testdata", "boto3_s3.py"), serve(t, s).URL)
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
		out := py.MustRun(t, filepath.Join("testdata", "boto3_s3.py"), srv.URL, "noverify")
		if strings.TrimSpace(string(out)) != "OK" {
			t.Fatalf("boto3 script printed %q", out)
		}
	})
}
