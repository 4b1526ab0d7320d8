package cloud

import (
	"strings"
	"testing"
	"time"

	"github.com/dragons-dev/dragons/local/stack"
)

func TestFunctionConfigKeepsDeadLetterQueueAndDestinationApart(t *testing.T) {
	retries, reserved := 1, 4
	cfg, err := functionConfig(stack.FunctionSpec{Name: "fn", DeadLetterARN: "arn:dlq", OnFailureARN: "arn:dest",
		MaxRetryAttempts: &retries, MaxEventAge: time.Minute, ReservedConcurrency: &reserved})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DeadLetterARN != "arn:dlq" || cfg.OnFailure != "arn:dest" || cfg.MaxRetryAttempts == nil || *cfg.MaxRetryAttempts != 1 ||
		cfg.MaxEventAge != time.Minute || cfg.ReservedConcurrency != 4 {
		t.Fatalf("config = %+v", cfg)
	}
	zero := 0
	if _, err := functionConfig(stack.FunctionSpec{Name: "fn", ReservedConcurrency: &zero}); err == nil || !strings.Contains(err.Error(), "ReservedConcurrentExecutions: 0") {
		t.Fatalf("reserved concurrency 0: %v", err)
	}
}
