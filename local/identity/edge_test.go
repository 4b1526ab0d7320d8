package identity

import (
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
)

// TestSuiteRunsThroughEdge checks that the suite's env is the edge (it answers
// the edge's own /_local/health) and that the API and the JWKS document are
// reached through it.
func TestSuiteRunsThroughEdge(t *testing.T) {
	e := start(t, Options{})
	resp, err := http.Get(e.url + "/_local/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("GET /_local/health = %d, want the edge's 503 (no health function set)", resp.StatusCode)
	}
	id := e.pool(t, &cip.CreateUserPoolInput{PoolName: aws.String("edge")})
	resp, err = http.Get(e.url + "/" + id + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("JWKS through the edge = %d", resp.StatusCode)
	}
}
