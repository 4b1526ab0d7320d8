package process

import (
	"context"
	"os"
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
	p := edgeOnly(t, work, "--ephemeral")
	edge, out, cmd, done := p.url, p.out, p.cmd, p.done
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
