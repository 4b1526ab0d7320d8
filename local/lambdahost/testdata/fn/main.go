// Command fn is a test function for the Lambda host: its input says what to do.
package main

import (
	"context"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type input struct {
	Echo    any    `json:"echo"`
	Fail    string `json:"fail"`
	SleepMs int    `json:"sleepMs"`
	Crash   bool   `json:"crash"`
	Big     int    `json:"big"`
	Env     string `json:"env"`
	Print   string `json:"print"`
	// CrashOnce crashes when the named file does not exist yet, creating it.
	CrashOnce string `json:"crashOnce"`
}

// BadDragon is a typed error; its name becomes the errorType.
type BadDragon struct{ msg string }

func (e *BadDragon) Error() string { return e.msg }

func handle(ctx context.Context, in input) (map[string]any, error) {
	if in.Print != "" {
		os.Stdout.WriteString(in.Print + "\n")
	}
	if in.SleepMs > 0 {
		time.Sleep(time.Duration(in.SleepMs) * time.Millisecond)
	}
	if in.Crash {
		os.Exit(3)
	}
	if in.CrashOnce != "" {
		if _, err := os.Stat(in.CrashOnce); err != nil {
			_ = os.WriteFile(in.CrashOnce, []byte("x"), 0o644)
			os.Exit(4)
		}
	}
	if in.Fail != "" {
		return nil, &BadDragon{msg: in.Fail}
	}
	lc, _ := lambdacontext.FromContext(ctx)
	out := map[string]any{"echo": in.Echo, "pid": os.Getpid(), "trace": os.Getenv("_X_AMZN_TRACE_ID")}
	if lc != nil {
		out["requestId"] = lc.AwsRequestID
		out["arn"] = lc.InvokedFunctionArn
	}
	if in.Env != "" {
		out["env"] = os.Getenv(in.Env)
	}
	if in.Big > 0 {
		out["big"] = strings.Repeat("x", in.Big)
	}
	return out, nil
}

func main() { lambda.Start(handle) }
