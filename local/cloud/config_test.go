package cloud

import (
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
		cfg.MaxEventAge != time.Minute || cfg.ReservedConcurrency == nil || *cfg.ReservedConcurrency != 4 {
		t.Fatalf("config = %+v", cfg)
	}
	zero := 0
	cfg, err = functionConfig(stack.FunctionSpec{Name: "fn", ReservedConcurrency: &zero})
	if err != nil || cfg.ReservedConcurrency == nil || *cfg.ReservedConcurrency != 0 {
		t.Fatalf("reserved concurrency 0: %+v, %v; want a reservation of 0 (every invocation throttled)", cfg.ReservedConcurrency, err)
	}
	if cfg, _ := functionConfig(stack.FunctionSpec{Name: "fn"}); cfg.ReservedConcurrency != nil {
		t.Fatalf("no reservation became %d", *cfg.ReservedConcurrency)
	}
}
