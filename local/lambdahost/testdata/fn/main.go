// Command fn is a test function for the Lambda host: its input says what to do.
package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
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
	// Stream returns a JSON string of that many x's through an io.Reader, so
	// the runtime streams it to the Runtime API in chunks.
	Stream int `json:"stream"`
	// StreamFail returns an io.Reader that fails with a BadDragon after
	// that many bytes, which the runtime reports in HTTP trailers.
	StreamFail int `json:"streamFail"`
}

// BadDragon is a typed error; its name becomes the errorType.
type BadDragon struct{ msg string }

func (e *BadDragon) Error() string { return e.msg }

// chunkReader hands out its data a few bytes per Read and then fails with err,
// or ends; it has no Len, so the runtime cannot know the size in advance.
type chunkReader struct {
	data []byte
	err  error
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), 7)], r.data)
	r.data = r.data[n:]
	return n, nil
}

func handle(ctx context.Context, in input) (any, error) {
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
	if in.Stream > 0 {
		return &chunkReader{data: []byte(`"` + strings.Repeat("x", in.Stream) + `"`)}, nil
	}
	if in.StreamFail > 0 {
		return &chunkReader{data: bytes.Repeat([]byte("y"), in.StreamFail), err: &BadDragon{msg: "stream broke"}}, nil
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

// initError reports an initialization failure the way a custom runtime does,
// by posting to the Runtime API's /init/error, and exits.
func initError(msg string) {
	body := fmt.Sprintf(`{"errorMessage":%q,"errorType":"InitFailed"}`, msg)
	req, err := http.NewRequest(http.MethodPost, "http://"+os.Getenv("AWS_LAMBDA_RUNTIME_API")+"/2018-06-01/runtime/init/error", strings.NewReader(body))
	if err != nil {
		os.Exit(5)
	}
	req.Header.Set("Lambda-Runtime-Function-Error-Type", "InitFailed")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		os.Exit(6)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		os.Exit(7)
	}
	os.Exit(1)
}

func main() {
	if msg := os.Getenv("FN_INIT_ERROR"); msg != "" {
		initError(msg)
	}
	lambda.Start(handle)
}
