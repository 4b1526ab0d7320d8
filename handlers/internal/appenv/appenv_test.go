package appenv

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-xray-sdk-go/v2/xray"
	"github.com/aws/aws-xray-sdk-go/v2/xraylog"

	"github.com/dragons-dev/dragons/dragons/awstest"
	"github.com/dragons-dev/dragons/handlers/internal/telemetry"
)

func ssmClient(srv *awstest.SSM) *ssm.Client {
	cfg := awstest.Config()
	Instrument(&cfg)
	return ssm.NewFromConfig(cfg, func(o *ssm.Options) { o.BaseEndpoint = aws.String(srv.URL()) })
}

func TestReadParams(t *testing.T) {
	ctx := context.Background()
	srv := awstest.NewSSM(map[string]string{"/dragons/bucket": "dragons-data", "/dragons/key": "catalog/Dragons.json", "/other/bucket": "b2"})
	defer srv.Close()
	c := ssmClient(srv)
	p, err := ReadParams(ctx, c, "")
	if err != nil {
		t.Fatal(err)
	}
	if p != (Params{Bucket: "dragons-data", CatalogKey: "catalog/Dragons.json"}) {
		t.Errorf("ReadParams = %+v", p)
	}
	if srv.Calls() != 1 {
		t.Errorf("%d SSM calls, want 1", srv.Calls())
	}
	// The key parameter is optional.
	p, err = ReadParams(ctx, c, "other/")
	if err != nil || p != (Params{Bucket: "b2", CatalogKey: DefaultCatalogKey}) {
		t.Errorf("ReadParams(other/) = %+v, %v", p, err)
	}
	// The bucket is not.
	if _, err := ReadParams(ctx, c, "/missing"); err == nil || !strings.Contains(err.Error(), "/missing/bucket") {
		t.Errorf("ReadParams(/missing) error = %v", err)
	}
}

func TestReadParamsReportsServiceErrors(t *testing.T) {
	srv := awstest.NewSSM(nil)
	srv.Close() // nothing listens any more
	cfg := awstest.Config()
	cfg.RetryMaxAttempts = 1
	c := ssm.NewFromConfig(cfg, func(o *ssm.Options) { o.BaseEndpoint = aws.String(srv.URL()) })
	if _, err := ReadParams(context.Background(), c, ""); err == nil || !strings.Contains(err.Error(), "read parameters") {
		t.Errorf("error = %v", err)
	}
}

// TestInstrumentedClientsPropagateTheTrace checks that a client built from
// an instrumented configuration sends the invocation's trace downstream,
// and still works when there is no trace at all.
func TestInstrumentedClientsPropagateTheTrace(t *testing.T) {
	var logs bytes.Buffer
	log := telemetry.NewLogger(&logs, "test", slog.LevelDebug)
	ConfigureXRay(log)
	defer xray.SetLogger(xraylog.NewDefaultLogger(&bytes.Buffer{}, xraylog.LogLevelError))

	srv := awstest.NewStepFunctions()
	defer srv.Close()
	cfg := awstest.Config()
	Instrument(&cfg)
	c := sfn.NewFromConfig(cfg, func(o *sfn.Options) { o.BaseEndpoint = aws.String(srv.URL()) })
	start := func(ctx context.Context, name string) {
		t.Helper()
		_, err := c.StartExecution(ctx, &sfn.StartExecutionInput{
			StateMachineArn: aws.String("arn:aws:states:us-east-1:000000000000:stateMachine:M"),
			Name:            aws.String(name), Input: aws.String("{}"),
		})
		if err != nil {
			t.Fatalf("StartExecution(%s): %v", name, err)
		}
	}
	// No segment: the call works; the SDK's complaint is a debug line.
	start(context.Background(), "untraced")
	if !strings.Contains(logs.String(), "no X-Ray segment in context") {
		t.Errorf("context-missing was not logged at debug: %s", logs.String())
	}
	// Traced: the HTTP request carries the trace.
	ctx := context.WithValue(context.Background(), xray.LambdaTraceHeaderKey,
		"Root=1-65f2a1b3-00000000000000000000abcd;Parent=53995c3f42cd8ad8;Sampled=1")
	ctx, span := telemetry.StartSpan(ctx, "Handle")
	start(ctx, "traced")
	span.End(nil)
	calls := srv.Calls()
	if len(calls) != 2 {
		t.Fatalf("calls = %+v", calls)
	}
	if calls[0].HTTPTraceHeader != "" {
		t.Errorf("untraced call sent a trace header %q", calls[0].HTTPTraceHeader)
	}
	if !strings.Contains(calls[1].HTTPTraceHeader, "Root=1-65f2a1b3-00000000000000000000abcd") {
		t.Errorf("traced call's X-Amzn-Trace-Id = %q", calls[1].HTTPTraceHeader)
	}
}

func TestGetenv(t *testing.T) {
	t.Setenv("DRAGONS_TEST_VAR", "x")
	if v, err := Getenv("DRAGONS_TEST_VAR"); v != "x" || err != nil {
		t.Errorf("Getenv = %q, %v", v, err)
	}
	if _, err := Getenv("DRAGONS_TEST_UNSET_VAR"); err == nil {
		t.Error("Getenv(unset) succeeded")
	}
}

func TestLoadReadsParamsOnce(t *testing.T) {
	srv := awstest.NewSSM(map[string]string{"/app/bucket": "bkt"})
	defer srv.Close()
	t.Setenv("AWS_ENDPOINT_URL", srv.URL())
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
	t.Setenv("PARAM_PREFIX", "/app")
	env, err := Load(context.Background(), "listDragons")
	if err != nil {
		t.Fatal(err)
	}
	if env.Params != (Params{Bucket: "bkt", CatalogKey: DefaultCatalogKey}) || env.Function != "listDragons" || env.Log == nil || env.Metrics == nil {
		t.Errorf("env = %+v", env)
	}
	if srv.Calls() != 1 {
		t.Errorf("%d SSM calls, want 1", srv.Calls())
	}
}
