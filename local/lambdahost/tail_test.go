package lambdahost

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// inOrder reports whether the parts appear in s in this order.
func inOrder(s string, parts ...string) bool {
	for _, p := range parts {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return true
}

func TestLogTailThroughSDK(t *testing.T) {
	logs := &memLogs{}
	h := newHost(t, Options{Logs: logs}, FunctionConfig{Name: "t"})
	c := sdkClient(t, h)
	ctx := t.Context()

	for i := 0; i < 5; i++ {
		msg := fmt.Sprintf("hello tail %d", i)
		out, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("t"), LogType: types.LogTypeTail,
			Payload: []byte(fmt.Sprintf(`{"print": %q}`, msg))})
		if err != nil {
			t.Fatal(err)
		}
		id, _ := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata)
		tail, err := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
		if err != nil || id == "" {
			t.Fatalf("log result %q: %v (request id %q)", aws.ToString(out.LogResult), err, id)
		}
		// The function's own output comes between START and END, as in Lambda.
		if !inOrder(string(tail), "START RequestId: "+id, msg+"\n", "END RequestId: "+id, "REPORT RequestId: "+id) {
			t.Fatalf("invocation %d: tail =\n%s", i, tail)
		}
		if i > 0 && strings.Contains(string(tail), fmt.Sprintf("hello tail %d", i-1)) {
			t.Fatalf("tail holds the previous invocation's output:\n%s", tail)
		}
	}

	// A long log is cut to its last 4 KB.
	var lines []string
	for i := 0; i < 400; i++ {
		lines = append(lines, fmt.Sprintf("scale %03d", i))
	}
	out, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("t"), LogType: types.LogTypeTail,
		Payload: []byte(fmt.Sprintf(`{"print": %q}`, strings.Join(lines, "\n")))})
	if err != nil {
		t.Fatal(err)
	}
	tail, _ := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
	if len(tail) > TailBytes || len(tail) < TailBytes-100 || !inOrder(string(tail), "scale 398\n", "scale 399\n", "END RequestId", "REPORT RequestId") ||
		strings.Contains(string(tail), "scale 000") {
		t.Fatalf("tail of a long log (%d bytes):\n%s", len(tail), tail)
	}
	// The whole log still reaches the log store.
	if all := logs.all("/aws/lambda/t"); !strings.Contains(all, "scale 000") || !strings.Contains(all, "scale 399") {
		t.Fatal("the log store lacks lines cut from the tail")
	}

	// Without LogType Tail, no log comes back.
	out, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("t"), Payload: []byte(`{"print":"quiet"}`)})
	if err != nil || out.LogResult != nil {
		t.Fatalf("invoke without a log type: %v, log result %v", err, out.LogResult)
	}
}
