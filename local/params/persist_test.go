package params

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dragons-dev/dragons/internal/crashtest"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

func TestRestartServesSameState(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	svc, c := startService(t, dir)
	put(t, c, "/dragons/bucket", "String", "b1", false)
	put(t, c, "/dragons/bucket", "String", "b2", true)
	put(t, c, "/dragons/secret", "SecureString", "s", false)
	put(t, c, "/gone", "String", "x", false)
	if _, err := c.DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: aws.String("/gone")}); err != nil {
		t.Fatal(err)
	}
	_ = svc.Close()

	_, c2 := startService(t, dir)
	got, err := c2.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/dragons/bucket:1")})
	if err != nil || aws.ToString(got.Parameter.Value) != "b1" {
		t.Fatalf("version 1 after restart = %+v, %v", got, err)
	}
	cur, err := c2.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/dragons/bucket")})
	if err != nil || aws.ToString(cur.Parameter.Value) != "b2" || cur.Parameter.Version != 2 {
		t.Fatalf("current after restart = %+v, %v", cur, err)
	}
	sec, err := c2.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/dragons/secret"), WithDecryption: aws.Bool(true)})
	if err != nil || aws.ToString(sec.Parameter.Value) != "s" {
		t.Fatalf("secret after restart = %+v, %v", sec, err)
	}
	if _, err := c2.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/gone")}); err == nil {
		t.Fatal("deleted parameter came back after restart")
	}
	if v := put(t, c2, "/dragons/bucket", "String", "b3", true).Version; v != 3 {
		t.Fatalf("version after restart = %d, want 3", v)
	}
}

func TestCorruptFileStopsStartup(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bad.json"), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Options{DataDir: dir}); err == nil || !strings.Contains(err.Error(), "bad.json") {
		t.Fatalf("New on corrupt dir = %v, want an error naming the file", err)
	}
}

// TestHelperProcess is not a test: TestKill9KeepsAcknowledgedWrites runs the test
// binary again with this test selected, and it writes parameters until killed.
func TestHelperProcess(t *testing.T) {
	dir := os.Getenv("PARAMS_HELPER_DIR")
	if dir == "" {
		t.Skip("helper process for TestKill9KeepsAcknowledgedWrites; runs only when PARAMS_HELPER_DIR is set")
	}
	svc, err := New(Options{DataDir: dir})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	ctx := context.Background()
	for i := 0; ; i++ {
		name := fmt.Sprintf("/load/p%d", i%20)
		v, err := svc.Put(ctx, name, TypeString, fmt.Sprintf("value-%d", i))
		if err != nil {
			fmt.Println("error", err)
			os.Exit(2)
		}
		fmt.Printf("ack %s %d value-%d\n", name, v, i)
	}
}

func TestKill9KeepsAcknowledgedWrites(t *testing.T) {
	dir := t.TempDir()
	child := crashtest.Start(t, "TestHelperProcess", "PARAMS_HELPER_DIR="+dir)
	stdout := child.Stdout
	// Each acknowledged write names the parameter, its version and its value.
	type ack struct {
		version int64
		value   string
	}
	last := map[string]ack{}
	sc := bufio.NewScanner(stdout)
	count := 0
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 4 || f[0] != "ack" {
			t.Fatalf("helper said %q", sc.Text())
		}
		var v int64
		fmt.Sscan(f[2], &v)
		last[f[1]] = ack{v, f[3]}
		if count++; count == 150 {
			_ = child.Kill()
			break
		}
	}
	child.Wait()
	if count < 150 {
		t.Fatalf("helper stopped after %d writes", count)
	}

	// Every file parses, and each parameter is at least at its last acknowledged
	// version (a write may have landed after the last line we read).
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue // an unrenamed temporary is harmless
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		var p param
		if err := json.Unmarshal(b, &p); err != nil {
			t.Fatalf("%s does not parse: %v", e.Name(), err)
		}
	}
	svc, err := New(Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	for name, a := range last {
		got, err := svc.Get(context.Background(), fmt.Sprintf("%s:%d", name, a.version))
		if err != nil || got != a.value {
			t.Fatalf("%s version %d = %q, %v; want %q", name, a.version, got, err, a.value)
		}
	}
}
