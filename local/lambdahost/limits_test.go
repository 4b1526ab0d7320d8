package lambdahost

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

func sdkClient(t *testing.T, h http.Handler) *lambda.Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return lambda.New(lambda.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("a", "b", ""), RetryMaxAttempts: 1})
}

// jsonString returns a JSON document for the test function of exactly n bytes.
func jsonString(n int) []byte { return []byte(`{"echo":"` + strings.Repeat("d", n-11) + `"}`) }

func wantTooLarge(t *testing.T, what string, err error) {
	t.Helper()
	var tl *types.RequestTooLargeException
	var re *smithyhttp.ResponseError
	if !errors.As(err, &tl) || !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusRequestEntityTooLarge {
		var ae smithy.APIError
		errors.As(err, &ae)
		t.Fatalf("%s: error = %v (%T), want RequestTooLargeException with status 413", what, err, ae)
	}
}

func TestInvokePayloadLimitsThroughSDK(t *testing.T) {
	h := newHost(t, Options{}, FunctionConfig{Name: "f"})
	c := sdkClient(t, h)
	ctx := t.Context()

	// RequestResponse: up to 6 MB.
	_, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("f"), Payload: jsonString(MaxSyncPayload + 1)})
	wantTooLarge(t, "sync payload of 6 MB + 1 byte", err)
	_, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("f"), Payload: jsonString(MaxSyncPayload + 2<<20)})
	wantTooLarge(t, "sync payload of 8 MB", err)
	out, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("f"), Payload: []byte(`{"echo":"` + strings.Repeat("e", 2<<20) + `"}`)})
	if err != nil || out.FunctionError != nil || len(out.Payload) < 2<<20 {
		t.Fatalf("sync payload of 2 MB: %v %v (%d bytes back)", err, aws.ToString(out.FunctionError), len(out.Payload))
	}

	// Event: up to 1 MB.
	_, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("f"), InvocationType: types.InvocationTypeEvent, Payload: jsonString(MaxAsyncPayload + 1)})
	wantTooLarge(t, "async payload of 1 MB + 1 byte", err)
	_, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("f"), InvocationType: types.InvocationTypeEvent, Payload: jsonString(MaxSyncPayload + 2<<20)})
	wantTooLarge(t, "async payload of 8 MB", err)
	out, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("f"), InvocationType: types.InvocationTypeEvent, Payload: jsonString(MaxAsyncPayload)})
	if err != nil || out.StatusCode != http.StatusAccepted {
		t.Fatalf("async payload of exactly 1 MB: %v %+v", err, out)
	}

	// The function's response is limited too.
	out, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("f"), Payload: []byte(`{"big": 6291456}`)})
	if err != nil || aws.ToString(out.FunctionError) != "Unhandled" || !strings.Contains(string(out.Payload), "Function.ResponseSizeTooLarge") {
		t.Fatalf("response over 6 MB: %v %v %.200s", err, aws.ToString(out.FunctionError), out.Payload)
	}
}
