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

// edgeProc is a running `dragons up --template ”`.
type edgeProc struct {
	url  string
	out  *lines
	cmd  *exec.Cmd
	done chan error // receives the exit status once
}

// edgeOnly starts `dragons up --template ”` in work with extra flags on
// free ports and waits for it to print the edge address; the process is
// killed at the end of the test.
func edgeOnly(t *testing.T, work string, flags ...string) *edgeProc {
	t.Helper()
	args := append([]string{"up", "--template", "", "--edge-addr", "127.0.0.1:0", "--api-addr", "127.0.0.1:0"}, flags...)
	p := &edgeProc{cmd: exec.Command(pkg.bin, args...), out: newLines(), done: make(chan error, 1)}
	p.cmd.Dir = work
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	p.cmd.WaitDelay = 2 * time.Second
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() { _ = p.cmd.Process.Kill() })
	deadline := time.After(30 * time.Second)
	for {
		grew := p.out.changed()
		for _, l := range p.out.all() {
			if m := edgeLine.FindStringSubmatch(l); m != nil {
				p.url = m[1]
				return p
			}
		}
		select {
		case <-grew:
		case err := <-p.done:
			t.Fatalf("dragons up exited: %v\n%s", err, p.out)
		case <-deadline:
			t.Fatalf("no edge address printed:\n%s", p.out)
		}
	}
}

// TestFsyncFlagKeepsWritesAcrossKillNine starts the edge with --fsync,
// writes an object and a message, kills the process with SIGKILL and finds
// both after a restart without the flag (the files are the same format). It
// checks that the flag is accepted and reported and that both modes read the
// same data directory; a kill -9 alone cannot tell the disk syncs apart
// from the default level's.
func TestFsyncFlagKeepsWritesAcrossKillNine(t *testing.T) {
	data := filepath.Join(t.TempDir(), "state")
	first := edgeOnly(t, t.TempDir(), "--data-dir", data, "--fsync")
	edge := first.url
	if !strings.Contains(first.out.String(), "synced to the disk before every answer") {
		t.Fatalf("--fsync is not reported in the startup output:\n%s", first.out)
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
	if err := first.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-first.done

	second := edgeOnly(t, t.TempDir(), "--data-dir", data)
	if !strings.Contains(second.out.String(), "survives kill -9; --fsync: power loss too") {
		t.Fatalf("the default durability is not reported:\n%s", second.out)
	}
	cfg.BaseEndpoint = aws.String(second.url)
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
