package process

import (
	"context"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// edgeOnly starts `dragons up --template ”` on dataDir with extra flags
// and returns the edge URL, everything it printed so far and the command.
func edgeOnly(t *testing.T, dataDir string, flags ...string) (string, *lines, *exec.Cmd) {
	t.Helper()
	args := append([]string{"up", "--template", "", "--data-dir", dataDir, "--edge-addr", "127.0.0.1:0", "--api-addr", "127.0.0.1:0"}, flags...)
	cmd := exec.Command(pkg.bin, args...)
	cmd.Dir = t.TempDir()
	out := newLines()
	cmd.Stdout, cmd.Stderr = out, out
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-done })
	deadline := time.After(30 * time.Second)
	for {
		grew := out.changed()
		for _, l := range out.all() {
			if m := edgeLine.FindStringSubmatch(l); m != nil {
				return m[1], out, cmd
			}
		}
		select {
		case <-grew:
		case err := <-done:
			done <- err
			t.Fatalf("dragons up exited: %v\n%s", err, out)
		case <-deadline:
			t.Fatalf("no edge address printed:\n%s", out)
		}
	}
}

// TestFsyncFlagKeepsWritesAcrossKillNine starts the edge with --fsync,
// writes an object and a message, kills the process with SIGKILL and finds
// both after a restart without the flag (the files are the same format).
func TestFsyncFlagKeepsWritesAcrossKillNine(t *testing.T) {
	data := filepath.Join(t.TempDir(), "state")
	edge, out, cmd := edgeOnly(t, data, "--fsync")
	if !strings.Contains(out.String(), "every write synced to the disk") {
		t.Fatalf("--fsync is not reported in the startup output:\n%s", out)
	}
	ctx := context.Background()
	cfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(edge), Credentials: credentials.NewStaticCredentialsProvider("a", "b", "")}
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	sqsc := sqs.NewFromConfig(cfg)
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("synced")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("synced"), Key: aws.String("k"), Body: strings.NewReader("on the disk")}); err != nil {
		t.Fatal(err)
	}
	q, err := sqsc.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("synced")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sqsc.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String("kept")}); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}

	edge2, out2, _ := edgeOnly(t, data)
	if !strings.Contains(out2.String(), "survives kill -9; --fsync: power loss too") {
		t.Fatalf("the default durability is not reported:\n%s", out2)
	}
	cfg.BaseEndpoint = aws.String(edge2)
	s3c = s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	sqsc = sqs.NewFromConfig(cfg)
	obj, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("synced"), Key: aws.String("k")})
	if err != nil {
		t.Fatalf("object written with --fsync lost after kill -9: %v", err)
	}
	body, _ := io.ReadAll(obj.Body)
	obj.Body.Close()
	if string(body) != "on the disk" {
		t.Fatalf("object body %q", body)
	}
	q2, err := sqsc.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("synced")})
	if err != nil {
		t.Fatal(err)
	}
	r, err := sqsc.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q2.QueueUrl, WaitTimeSeconds: 1})
	if err != nil || len(r.Messages) != 1 || aws.ToString(r.Messages[0].Body) != "kept" {
		t.Fatalf("message sent with --fsync after kill -9: %+v, %v", r, err)
	}
}
