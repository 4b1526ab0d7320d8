// Package handlertest sets up tests of the dragons functions: in-memory
// AWS endpoints (dragons/awstest) reached through SDK clients instrumented
// for X-Ray exactly as the functions' own clients are, and X-Ray segments
// captured in memory instead of sent to a daemon.
//
// It is imported by tests only and holds no state of its own.
package handlertest

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"reflect"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-xray-sdk-go/v2/xray"

	"github.com/dragons-dev/dragons/dragons"
	"github.com/dragons-dev/dragons/dragons/awstest"
	"github.com/dragons-dev/dragons/dragons/catalog"
	"github.com/dragons-dev/dragons/events"
	"github.com/dragons-dev/dragons/handlers/internal/appenv"
)

// Bucket is the application bucket the tests' S3 endpoint holds.
const Bucket = "dragons-bucket"

// Run is a TestMain body: it sends the X-Ray SDK's messages to a discarded
// logger (most tests run untraced, as an untraced invocation would), makes
// e receive emitted segments when e is not nil, and runs the tests.
func Run(m *testing.M, e *Emitter) {
	appenv.ConfigureXRay(slog.New(slog.NewJSONHandler(io.Discard, nil)))
	if e != nil {
		if err := xray.Configure(xray.Config{Emitter: e}); err != nil {
			panic(err)
		}
	}
	os.Exit(m.Run())
}

// config is the SDK configuration of every test client.
func config() aws.Config {
	cfg := awstest.Config()
	appenv.Instrument(&cfg)
	return cfg
}

// NewS3 starts an S3 endpoint holding Bucket and returns it with a client.
func NewS3(t testing.TB) (*awstest.S3, *s3.Client) {
	t.Helper()
	srv := awstest.NewS3(Bucket)
	t.Cleanup(srv.Close)
	return srv, s3.NewFromConfig(config(), func(o *s3.Options) { o.BaseEndpoint = aws.String(srv.URL()) })
}

// NewStepFunctions starts a Step Functions endpoint and returns it with a
// client.
func NewStepFunctions(t testing.TB) (*awstest.StepFunctions, *sfn.Client) {
	t.Helper()
	srv := awstest.NewStepFunctions()
	t.Cleanup(srv.Close)
	return srv, sfn.NewFromConfig(config(), func(o *sfn.Options) { o.BaseEndpoint = aws.String(srv.URL()) })
}

// NewCatalog returns the catalog at Bucket and the default key, read and
// written through api, with the given options.
func NewCatalog(t testing.TB, api catalog.ObjectAPI, opts ...catalog.Option) *catalog.Catalog {
	t.Helper()
	cat, err := catalog.New(api, catalog.Location{Bucket: Bucket, Key: appenv.DefaultCatalogKey}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// NewValidator returns a dragon validator.
func NewValidator(t testing.TB) *dragons.Validator {
	t.Helper()
	v, err := dragons.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// CheckDragonValidationException reports, naming what, an err that is not
// a DragonValidationException returned unwrapped. The Lambda runtime names
// the error after its dynamic type, so the workflow's Catch matches only an
// unwrapped one.
func CheckDragonValidationException(t testing.TB, what string, err error) {
	t.Helper()
	var dve *events.DragonValidationException
	if !errors.As(err, &dve) {
		t.Errorf("%s: error = %v, want DragonValidationException", what, err)
		return
	}
	if got := reflect.TypeOf(err).Elem().Name(); got != "DragonValidationException" {
		t.Errorf("%s: error type %q would be reported", what, got)
	}
}

// Logger returns a logger whose output is discarded.
func Logger() *slog.Logger { return slog.New(slog.NewJSONHandler(io.Discard, nil)) }

// Emitter collects the segments the X-Ray SDK emits.
type Emitter struct {
	mu   sync.Mutex
	segs []*xray.Segment
}

// Emit implements xray.Emitter.
func (e *Emitter) Emit(seg *xray.Segment) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.segs = append(e.segs, seg)
}

// RefreshEmitterWithAddress implements xray.Emitter.
func (e *Emitter) RefreshEmitterWithAddress(*net.UDPAddr) {}

// Find returns the last emitted segment with the given name, or nil.
func (e *Emitter) Find(name string) *xray.Segment {
	e.mu.Lock()
	defer e.mu.Unlock()
	for i := len(e.segs) - 1; i >= 0; i-- {
		if e.segs[i].Name == name {
			return e.segs[i]
		}
	}
	return nil
}
