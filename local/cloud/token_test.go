package cloud

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// TestFetchToken serves the stack details and InitiateAuth from a stand-in edge
// and checks the local user signs in with the stack's app client.
// (InitiateAuth is unsigned, so the region does not show on the wire.)
func TestFetchToken(t *testing.T) {
	var mu sync.Mutex
	var target, body string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == StackDetailsPath {
			_ = json.NewEncoder(w).Encode(map[string]any{
				"Region":    "eu-west-2",
				"LocalUser": map[string]string{"username": "rider", "password": "pw"},
				"Resources": map[string]any{"PoolClient": map[string]any{"type": "AWS::Cognito::UserPoolClient", "physicalId": "client-1"}},
			})
			return
		}
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		target, body = r.Header.Get("X-Amz-Target"), string(b)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_, _ = w.Write([]byte(`{"AuthenticationResult":{"IdToken":"id-token","AccessToken":"a","ExpiresIn":3600,"TokenType":"Bearer"}}`))
	}))
	defer srv.Close()
	tok, err := FetchToken(context.Background(), srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if tok != "id-token" || target != "AWSCognitoIdentityProviderService.InitiateAuth" || !strings.Contains(body, `"client-1"`) ||
		!strings.Contains(body, `"USERNAME":"rider"`) {
		t.Fatalf("token %q, target %q, body %s", tok, target, body)
	}
}
