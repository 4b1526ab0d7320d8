package identity

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/dragons-dev/dragons/local/awsproto"
	"github.com/dragons-dev/dragons/local/tokenverify"
)

// poolKeys is the live key set of one pool.
type poolKeys struct {
	s      *Service
	poolID string
}

// PublicKey implements tokenverify.KeySource.
func (k poolKeys) PublicKey(_ context.Context, kid string) (*rsa.PublicKey, error) {
	k.s.mu.RLock()
	defer k.s.mu.RUnlock()
	p, ok := k.s.pools[k.poolID]
	if !ok || p.kid != kid {
		return nil, fmt.Errorf("%w: %q (pool %s)", tokenverify.ErrUnknownKey, kid, k.poolID)
	}
	return &p.signer.PublicKey, nil
}

// KeySource returns the verification keys of a pool for tokenverify, read live
// (a pool created or deleted later is seen).
func (s *Service) KeySource(poolID string) tokenverify.KeySource { return poolKeys{s, poolID} }

// JWKS returns the JWKS document of a pool.
func (s *Service) JWKS(poolID string) (tokenverify.JWKSet, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, err := s.getPool(poolID)
	if err != nil {
		return tokenverify.JWKSet{}, err
	}
	return tokenverify.JWKSet{Keys: []tokenverify.JWK{tokenverify.NewJWK(p.kid, &p.signer.PublicKey)}}, nil
}

// JWKSHandler serves, for every pool, GET /<poolId>/.well-known/jwks.json and
// GET /<poolId>/.well-known/openid-configuration, the documents Cognito
// publishes under the issuer URL. The edge mounts it on the paths that start
// with "/<region>_".
func (s *Service) JWKSHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"message": "method not allowed"})
			return
		}
		poolID, doc, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		if !ok {
			writeJSON(w, http.StatusNotFound, map[string]string{"message": "not found"})
			return
		}
		set, err := s.JWKS(poolID)
		if err != nil {
			writeJSON(w, http.StatusNotFound, map[string]string{"message": awsproto.AsError(err).Message})
			return
		}
		iss := s.Issuer(poolID)
		switch doc {
		case ".well-known/jwks.json":
			writeJSON(w, http.StatusOK, set)
		case ".well-known/openid-configuration":
			writeJSON(w, http.StatusOK, map[string]any{
				"issuer":                                iss,
				"jwks_uri":                              iss + "/.well-known/jwks.json",
				"id_token_signing_alg_values_supported": []string{"RS256"},
				"subject_types_supported":               []string{"public"},
				"response_types_supported":              []string{"code", "token"},
			})
		default:
			writeJSON(w, http.StatusNotFound, map[string]string{"message": "not found"})
		}
	})
}

// LocalHandler serves the local-only endpoint
// GET /_local/cognito/messages?userPoolId=<id>&username=<name>, which returns the
// last message (confirmation code or invitation) sent to a user as JSON. The
// edge mounts it on /_local/cognito/.
func (s *Service) LocalHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/_local/cognito/messages" || r.Method != http.MethodGet {
			writeJSON(w, http.StatusNotFound, map[string]string{"message": "not found; use GET /_local/cognito/messages?userPoolId=&username="})
			return
		}
		q := r.URL.Query()
		m, err := s.LastMessage(r.Context(), q.Get("userPoolId"), q.Get("username"))
		if err != nil {
			e := awsproto.AsError(err)
			status := http.StatusNotFound
			if e.Code == "InvalidParameterException" {
				status = http.StatusBadRequest
			}
			writeJSON(w, status, map[string]string{"code": e.Code, "message": e.Message})
			return
		}
		writeJSON(w, http.StatusOK, m)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
