// Package appenv builds, once per cold start, what every dragons function
// needs from its environment: a JSON logger, an EMF metrics writer, an AWS
// SDK configuration whose clients are all instrumented for X-Ray, and the
// application parameters (bucket and catalog key) read from SSM Parameter
// Store under PARAM_PREFIX.
//
// It is meant for main functions only; handlers receive what it built and
// never read the environment themselves. It does not special-case local
// endpoints: the SDK honours AWS_ENDPOINT_URL by itself.
package appenv

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-xray-sdk-go/v2/instrumentation/awsv2"
	"github.com/aws/aws-xray-sdk-go/v2/xray"

	"github.com/dragons-dev/dragons/dragons"
	"github.com/dragons-dev/dragons/dragons/catalog"
	"github.com/dragons-dev/dragons/handlers/internal/telemetry"
)

// DefaultParamPrefix is used when PARAM_PREFIX is not set.
const DefaultParamPrefix = "/dragons"

// DefaultCatalogKey is used when the key parameter does not exist.
const DefaultCatalogKey = "Dragons.json"

// Env is what a function's main builds at cold start.
type Env struct {
	Function string
	AWS      aws.Config
	Log      *slog.Logger
	Metrics  *telemetry.Metrics
	Params   Params
}

// Params are the application parameters kept in SSM Parameter Store.
type Params struct {
	Bucket     string // {prefix}/bucket
	CatalogKey string // {prefix}/key
}

// Load builds the environment of the named function: it configures X-Ray
// logging, loads the SDK configuration, instruments it, and reads the
// parameters (one SSM call).
func Load(ctx context.Context, function string) (*Env, error) {
	log := telemetry.NewLogger(os.Stdout, function, telemetry.ParseLevel(os.Getenv("AWS_LAMBDA_LOG_LEVEL")))
	ConfigureXRay(log)
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	Instrument(&cfg)
	params, err := ReadParams(ctx, ssm.NewFromConfig(cfg), os.Getenv("PARAM_PREFIX"))
	if err != nil {
		return nil, err
	}
	return &Env{
		Function: function,
		AWS:      cfg,
		Log:      log,
		Metrics:  telemetry.NewMetrics(os.Stdout, function, nil),
		Params:   params,
	}, nil
}

// MustLoad is Load for main functions: on error it logs and exits, which
// Lambda reports as an initialisation failure.
func MustLoad(ctx context.Context, function string) *Env {
	env, err := Load(ctx, function)
	if err != nil {
		telemetry.NewLogger(os.Stdout, function, slog.LevelInfo).Error("cold start failed", "error", err.Error())
		os.Exit(1)
	}
	return env
}

// Fail logs err as the reason the cold start failed and exits, which Lambda
// reports as an initialisation failure.
func (e *Env) Fail(err error) {
	e.Log.Error("cold start failed", "error", err.Error())
	os.Exit(1)
}

// S3 returns an S3 client made from the instrumented configuration.
func (e *Env) S3() *s3.Client { return s3.NewFromConfig(e.AWS) }

// Catalog returns the dragon catalog at the bucket and key of the
// parameters, read and written through api.
func (e *Env) Catalog(api catalog.ObjectAPI) (*catalog.Catalog, error) {
	return catalog.New(api, catalog.Location{Bucket: e.Params.Bucket, Key: e.Params.CatalogKey})
}

// MustCatalog is Catalog read and written through the S3 client of S3, for
// main functions: on error it ends the cold start as Fail does.
func (e *Env) MustCatalog() *catalog.Catalog {
	cat, err := e.Catalog(e.S3())
	if err != nil {
		e.Fail(err)
	}
	return cat
}

// MustValidator returns a dragon validator, for main functions: on error it
// ends the cold start as Fail does.
func (e *Env) MustValidator() *dragons.Validator {
	v, err := dragons.NewValidator()
	if err != nil {
		e.Fail(err)
	}
	return v
}

// Getenv returns the value of a required environment variable.
func Getenv(name string) (string, error) {
	v := os.Getenv(name)
	if v == "" {
		return "", fmt.Errorf("environment variable %s is not set", name)
	}
	return v, nil
}

// Instrument adds the X-Ray middleware to every client made from cfg.
func Instrument(cfg *aws.Config) {
	awsv2.AWSV2Instrumentor(&cfg.APIOptions)
}

// ParamReader is the part of the SSM client ReadParams uses.
type ParamReader interface {
	GetParameters(ctx context.Context, in *ssm.GetParametersInput, optFns ...func(*ssm.Options)) (*ssm.GetParametersOutput, error)
}

// ReadParams reads {prefix}/bucket (required) and {prefix}/key (optional,
// default DefaultCatalogKey) in one call. An empty prefix means
// DefaultParamPrefix.
func ReadParams(ctx context.Context, api ParamReader, prefix string) (Params, error) {
	if prefix == "" {
		prefix = DefaultParamPrefix
	}
	prefix = "/" + strings.Trim(prefix, "/")
	bucketName, keyName := prefix+"/bucket", prefix+"/key"
	out, err := api.GetParameters(ctx, &ssm.GetParametersInput{Names: []string{bucketName, keyName}})
	if err != nil {
		return Params{}, fmt.Errorf("read parameters %s, %s: %w", bucketName, keyName, err)
	}
	p := Params{CatalogKey: DefaultCatalogKey}
	for _, param := range out.Parameters {
		switch aws.ToString(param.Name) {
		case bucketName:
			p.Bucket = aws.ToString(param.Value)
		case keyName:
			if v := aws.ToString(param.Value); v != "" {
				p.CatalogKey = v
			}
		}
	}
	if p.Bucket == "" {
		return Params{}, errors.New("read parameters: " + bucketName + " does not exist or is empty")
	}
	return p, nil
}

// ConfigureXRay routes the X-Ray SDK's own messages into log and makes a
// missing segment (the init phase, tests) a debug message instead of an
// error. AWS_XRAY_CONTEXT_MISSING, when set, still wins.
func ConfigureXRay(log *slog.Logger) {
	xray.SetLogger(xrayLogger{log: log.With("source", "xray")})
	_ = xray.Configure(xray.Config{ContextMissingStrategy: quietMissing{log: log}})
}
