package eventbus

import (
	"context"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
)

// TestSuiteRunsThroughEdge checks that the SDK suite's harness is the edge (it
// answers the edge's own /_local/health) and that the SDK reaches the service
// through it.
func TestSuiteRunsThroughEdge(t *testing.T) {
	h := newHarness(t, Options{})
	resp, err := http.Get(h.url + "/_local/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("GET /_local/health = %d, want the edge's 503 (no health function set)", resp.StatusCode)
	}
	if _, err := h.client.CreateEventBus(context.Background(), &eventbridge.CreateEventBusInput{Name: aws.String("through-edge")}); err != nil {
		t.Fatalf("CreateEventBus through the edge: %v", err)
	}
}
