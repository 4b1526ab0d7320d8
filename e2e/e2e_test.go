// Package e2e runs the dragons application on the local cloud and drives it the
// way a developer would: through the API with a Cognito token, and through the
// real AWS SDK clients against the edge.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/xray"

	"github.com/dragons-dev/dragons/local/cloud"
	"github.com/dragons-dev/dragons/seed"
)

// env is one running local cloud shared by the tests of this package.
type env struct {
	c      *cloud.Cloud
	token  string
	bucket string
	cfg    aws.Config
}

var shared *env

// cognitoOffset shifts the local Cognito's clock, to issue expired tokens.
var cognitoOffset atomic.Int64

func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..")
}

func TestMain(m *testing.M) {
	code, err := runWithCloud(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

func runWithCloud(m *testing.M) (int, error) {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "dragons-e2e")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	c, err := cloud.Start(ctx, cloud.Config{
		Template: filepath.Join(repoRoot(), "template.yaml"),
		DataDir:  filepath.Join(dir, "data"),
		EdgeAddr: "127.0.0.1:0", APIAddr: "127.0.0.1:0",
		BuildDir: filepath.Join(os.TempDir(), "dragons-e2e-build"),
		Seed:     seed.Dragons(), SeedBucketParam: "/dragons/bucket", SeedKeyParam: "/dragons/key",
		User: cloud.DefaultUser(),
		Params: map[string]any{
			"ApiCacheTtlSeconds":    "2",
			"ApiThrottleRateLimit":  "100000",
			"ApiThrottleBurstLimit": "100000",
		},
		Now:             func() time.Time { return time.Now().Add(time.Duration(cognitoOffset.Load())) },
		EventRetryDelay: 20 * time.Millisecond,
		AsyncRetryDelay: 20 * time.Millisecond,
	})
	if err != nil {
		return 0, fmt.Errorf("start local cloud: %w", err)
	}
	defer c.Close(context.Background())
	tok, err := cloud.FetchToken(ctx, c.EdgeURL)
	if err != nil {
		return 0, err
	}
	bucket, _ := c.Stack.Resources["DragonsBucket"].Ref.(string)
	shared = &env{c: c, token: tok, bucket: bucket, cfg: aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(c.EdgeURL),
	}}
	return m.Run(), nil
}

func (e *env) s3() *s3.Client {
	return s3.NewFromConfig(e.cfg, func(o *s3.Options) { o.UsePathStyle = true })
}
func (e *env) sqs() *sqs.Client            { return sqs.NewFromConfig(e.cfg) }
func (e *env) events() *eventbridge.Client { return eventbridge.NewFromConfig(e.cfg) }
func (e *env) states() *sfn.Client         { return sfn.NewFromConfig(e.cfg) }
func (e *env) xray() *xray.Client          { return xray.NewFromConfig(e.cfg) }
func (e *env) apiURL(path string) string   { return e.c.APIURL + path }
func (e *env) stackID(logicalID string) string {
	s, _ := e.c.Stack.Resources[logicalID].Ref.(string)
	return s
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("response %d is not a JSON object: %s", r.status, r.body)
	}
	return m
}

func (e *env) call(t *testing.T, method, path, token string, body any, hdr map[string]string) response {
	t.Helper()
	r, err := e.do(method, path, token, body, hdr)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// do is call for goroutines: it reports failure instead of ending the test.
func (e *env) do(method, path, token string, body any, hdr map[string]string) (response, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, _ := json.Marshal(b)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, e.apiURL(path), rd)
	if err != nil {
		return response{}, err
	}
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return response{}, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return response{}, fmt.Errorf("%s %s: read body: %w", method, path, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

// uniqueCounter makes names unique across repeated runs (-count) of the tests
// against one local cloud.
var uniqueCounter atomic.Int64

// unique returns base with a suffix no other call in this process returns.
func unique(base string) string {
	return fmt.Sprintf("%s-%d-%d", base, os.Getpid(), uniqueCounter.Add(1))
}

func dragon(name, family string) map[string]any {
	return map[string]any{
		"dragonName": name, "family": family, "description": "A test dragon of the " + family + " family.",
		"city": "reno", "state": "nevada", "country": "usa", "neighborhood": "midtown",
	}
}

// submit posts a dragon and returns the execution id.
func (e *env) submit(t *testing.T, body any) (string, response) {
	t.Helper()
	r := e.call(t, "POST", "/dragons", e.token, body, nil)
	if r.status != http.StatusAccepted {
		t.Fatalf("POST /dragons = %d %s", r.status, r.body)
	}
	m := r.json(t)
	id, _ := m["executionId"].(string)
	if id == "" || !strings.Contains(fmt.Sprint(m["executionArn"]), ":express:") || m["status"] != "ACCEPTED" {
		t.Fatalf("202 body = %s", r.body)
	}
	if loc := r.header.Get("Location"); loc != "/dragons/executions/"+id {
		t.Fatalf("Location = %q", loc)
	}
	return id, r
}

// waitDone polls the execution's status record until it leaves ACCEPTED.
func (e *env) waitDone(t *testing.T, id string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		r := e.call(t, "GET", "/dragons/executions/"+id, e.token, nil, nil)
		if r.status == http.StatusOK {
			m := r.json(t)
			if m["status"] != "ACCEPTED" {
				return m
			}
		} else if r.status != http.StatusNotFound {
			t.Fatalf("GET status = %d %s", r.status, r.body)
		}
		if time.Now().After(deadline) {
			t.Fatalf("execution %s still not finished: %d %s", id, r.status, r.body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (e *env) listDragons(t *testing.T, query string) []map[string]any {
	t.Helper()
	// A Cognito user cannot invalidate a cache entry with max-age=0 (API
	// Gateway requires IAM authorization for that), so flush the stage cache
	// as an operator would.
	e.c.FlushAPICaches()
	r := e.call(t, "GET", "/dragons"+query, e.token, nil, nil)
	if r.status != http.StatusOK {
		t.Fatalf("GET /dragons%s = %d %s", query, r.status, r.body)
	}
	var list []map[string]any
	if err := json.Unmarshal(r.body, &list); err != nil {
		t.Fatalf("GET /dragons body: %v: %s", err, r.body)
	}
	return list
}

func (e *env) catalog(t *testing.T) []map[string]any {
	t.Helper()
	out, err := e.s3().GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(e.bucket), Key: aws.String("Dragons.json")})
	if err != nil {
		t.Fatal(err)
	}
	defer out.Body.Close()
	var list []map[string]any
	if err := json.NewDecoder(out.Body).Decode(&list); err != nil {
		t.Fatalf("Dragons.json is not a JSON array: %v", err)
	}
	return list
}

func countNamed(list []map[string]any, name string) int {
	n := 0
	for _, d := range list {
		if strings.EqualFold(strings.TrimSpace(fmt.Sprint(d["dragon_name_str"])), name) {
			n++
		}
	}
	return n
}
