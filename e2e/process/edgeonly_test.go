package process

import (
	"context"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// TestUpWithoutTemplateServesTheEdgeAlone checks `dragons up --template ”`:
// every service on the edge, no API, nothing on disk with --ephemeral.
func TestUpWithoutTemplateServesTheEdgeAlone(t *testing.T) {
	work := t.TempDir()
	cmd := exec.Command(pkg.bin, "up", "--template", "", "--ephemeral", "--edge-addr", "127.0.0.1:0", "--api-addr", "127.0.0.1:0")
	cmd.Dir = work
	out := newLines()
	cmd.Stdout, cmd.Stderr = out, out
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	edge := ""
	deadline := time.After(30 * time.Second)
	for edge == "" {
		grew := out.changed()
		for _, l := range out.all() {
			if m := edgeLine.FindStringSubmatch(l); m != nil {
				edge = m[1]
			}
		}
		if edge != "" {
			break
		}
		select {
		case <-grew:
		case err := <-done:
			t.Fatalf("dragons up exited: %v\n%s", err, out)
		case <-deadline:
			t.Fatalf("no edge address printed:\n%s", out)
		}
	}
	var h map[string]any
	if code, err := getJSON(context.Background(), edge+"/_local/health", &h); err != nil || code != 200 || h["ready"] != true || h["api"] != "" {
		t.Fatalf("health = %d %v %v", code, h, err)
	}
	c := ssm.New(ssm.Options{Region: "us-east-1", BaseEndpoint: aws.String(edge), Credentials: credentials.NewStaticCredentialsProvider("a", "b", "")})
	if _, err := c.PutParameter(context.Background(), &ssm.PutParameterInput{Name: aws.String("/edge/only"), Value: aws.String("yes"), Type: "String"}); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetParameter(context.Background(), &ssm.GetParameterInput{Name: aws.String("/edge/only")})
	if err != nil || aws.ToString(got.Parameter.Value) != "yes" {
		t.Fatalf("get parameter = %v %v", got, err)
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGINT: %v\n%s", err, out)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("dragons up did not stop after SIGINT")
	}
	entries, _ := os.ReadDir(work)
	if len(entries) != 0 {
		t.Fatalf("--ephemeral wrote to the working directory: %v", entries)
	}
}
