package tokenverify

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const (
	issuer = "http://127.0.0.1:4566/us-east-1_AbC123xyZ"
	client = "1example23456789abcdefghij"
	kid    = "key-1"
)

var (
	keysOnce        sync.Once
	goodKey, badKey *rsa.PrivateKey
)

// testKeys returns two RSA keys shared by every test of the package (key
// generation is slow).
func testKeys(t testing.TB) (*rsa.PrivateKey, *rsa.PrivateKey) {
	t.Helper()
	keysOnce.Do(func() {
		var err error
		if goodKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if badKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
	})
	return goodKey, badKey
}

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func idClaims() jwt.MapClaims {
	return jwt.MapClaims{
		"sub": "5f1c1e2a-0000-4000-8000-000000000001", "aud": client, "iss": issuer,
		"token_use": "id", "auth_time": now.Unix(), "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"cognito:username": "dragonrider", "email": "rider@example.com", "event_id": "e1",
	}
}

func accessClaims() jwt.MapClaims {
	return jwt.MapClaims{
		"sub": "5f1c1e2a-0000-4000-8000-000000000001", "client_id": client, "iss": issuer,
		"token_use": "access", "scope": "aws.cognito.signin.user.admin", "username": "dragonrider",
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "jti": "j1",
	}
}

func sign(t testing.TB, method jwt.SigningMethod, key any, keyID string, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	if keyID != "" {
		tok.Header["kid"] = keyID
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func with(c jwt.MapClaims, kv ...any) jwt.MapClaims {
	out := jwt.MapClaims{}
	for k, v := range c {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
		} else {
			out[kv[i].(string)] = kv[i+1]
		}
	}
	return out
}

func seg(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

func newVerifier(t testing.TB, use string) *Verifier {
	good, _ := testKeys(t)
	v, err := New(Config{Keys: Keys{kid: &good.PublicKey}, Issuer: issuer, ClientIDs: []string{client}, TokenUse: use, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestVerify(t *testing.T) {
	good, bad := testKeys(t)
	pubPEM, _ := x509.MarshalPKIXPublicKey(&good.PublicKey)
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubPEM})
	valid := sign(t, jwt.SigningMethodRS256, good, kid, idClaims())
	parts := strings.Split(valid, ".")
	tampered := parts[0] + "." + seg(with(idClaims(), "cognito:username", "admin")) + "." + parts[2]

	cases := []struct {
		name  string
		use   string
		token string
		want  error
	}{
		{"valid id token", UseID, valid, nil},
		{"valid access token", UseAccess, sign(t, jwt.SigningMethodRS256, good, kid, accessClaims()), nil},
		{"either use accepts access", "", sign(t, jwt.SigningMethodRS256, good, kid, accessClaims()), nil},
		{"expired within leeway", UseID, sign(t, jwt.SigningMethodRS256, good, kid, with(idClaims(), "exp", now.Add(-10*time.Second).Unix())), nil},
		{"alg none", UseID, seg(map[string]any{"alg": "none", "kid": kid}) + "." + seg(idClaims()) + ".", ErrAlgorithm},
		{"alg None with signature of real key", UseID, seg(map[string]any{"alg": "None", "kid": kid}) + "." + parts[1] + "." + parts[2], ErrAlgorithm},
		{"HS256 keyed with the public key", UseID, sign(t, jwt.SigningMethodHS256, pemBytes, kid, idClaims()), ErrAlgorithm},
		{"RS512 with the right key", UseID, sign(t, jwt.SigningMethodRS512, good, kid, idClaims()), ErrAlgorithm},
		{"PS256 with the right key", UseID, sign(t, jwt.SigningMethodPS256, good, kid, idClaims()), ErrAlgorithm},
		{"other key under our kid", UseID, sign(t, jwt.SigningMethodRS256, bad, kid, idClaims()), ErrSignature},
		{"other key, unknown kid", UseID, sign(t, jwt.SigningMethodRS256, bad, "key-2", idClaims()), ErrUnknownKey},
		{"no kid", UseID, sign(t, jwt.SigningMethodRS256, good, "", idClaims()), ErrUnknownKey},
		{"tampered payload", UseID, tampered, ErrSignature},
		{"signature stripped", UseID, parts[0] + "." + parts[1] + ".", ErrSignature},
		{"expired", UseID, sign(t, jwt.SigningMethodRS256, good, kid, with(idClaims(), "exp", now.Add(-time.Hour).Unix())), ErrExpired},
		{"no exp", UseID, sign(t, jwt.SigningMethodRS256, good, kid, with(idClaims(), "exp", nil)), ErrMalformed},
		{"issued in the future", UseID, sign(t, jwt.SigningMethodRS256, good, kid, with(idClaims(), "iat", now.Add(time.Hour).Unix(), "exp", now.Add(2*time.Hour).Unix())), ErrNotYetValid},
		{"not before in the future", UseID, sign(t, jwt.SigningMethodRS256, good, kid, with(idClaims(), "nbf", now.Add(time.Hour).Unix())), ErrNotYetValid},
		{"wrong audience", UseID, sign(t, jwt.SigningMethodRS256, good, kid, with(idClaims(), "aud", "someoneelse")), ErrAudience},
		{"two audiences", UseID, sign(t, jwt.SigningMethodRS256, good, kid, with(idClaims(), "aud", []string{client, "x"})), ErrAudience},
		{"no audience", UseID, sign(t, jwt.SigningMethodRS256, good, kid, with(idClaims(), "aud", nil)), ErrAudience},
		{"access token for another client", UseAccess, sign(t, jwt.SigningMethodRS256, good, kid, with(accessClaims(), "client_id", "someoneelse")), ErrAudience},
		{"access token presented as id", UseID, sign(t, jwt.SigningMethodRS256, good, kid, accessClaims()), ErrTokenUse},
		{"id token presented as access", UseAccess, valid, ErrTokenUse},
		{"unknown token use", "", sign(t, jwt.SigningMethodRS256, good, kid, with(idClaims(), "token_use", "refresh")), ErrTokenUse},
		{"no token use", "", sign(t, jwt.SigningMethodRS256, good, kid, with(idClaims(), "token_use", nil)), ErrTokenUse},
		{"wrong issuer", UseID, sign(t, jwt.SigningMethodRS256, good, kid, with(idClaims(), "iss", "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123xyZ")), ErrIssuer},
		{"not a JWT", UseID, "not-a-token", ErrMalformed},
		{"empty", UseID, "", ErrMalformed},
		{"padded base64", UseID, parts[0] + "=." + parts[1] + "." + parts[2], ErrMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			claims, err := newVerifier(t, tc.use).Verify(context.Background(), tc.token)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if claims["sub"] != "5f1c1e2a-0000-4000-8000-000000000001" {
					t.Fatalf("claims = %v", claims)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("error = %v, want %v", err, tc.want)
			}
			if claims != nil {
				t.Fatalf("claims returned with error: %v", claims)
			}
		})
	}
}

func TestNewRejectsIncompleteConfig(t *testing.T) {
	good, _ := testKeys(t)
	keys := Keys{kid: &good.PublicKey}
	for name, cfg := range map[string]Config{
		"no keys":    {Issuer: issuer, ClientIDs: []string{client}},
		"no issuer":  {Keys: keys, ClientIDs: []string{client}},
		"no clients": {Keys: keys, Issuer: issuer},
		"bad use":    {Keys: keys, Issuer: issuer, AnyClient: true, TokenUse: "refresh"},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: New accepted %+v", name, cfg)
		}
	}
	v, err := New(Config{Keys: keys, Issuer: issuer, AnyClient: true, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(context.Background(), sign(t, jwt.SigningMethodRS256, good, kid, with(idClaims(), "aud", "any-client"))); err != nil {
		t.Fatalf("AnyClient rejected a token of another client: %v", err)
	}
}

func TestLeewayAndClock(t *testing.T) {
	good, _ := testKeys(t)
	tok := sign(t, jwt.SigningMethodRS256, good, kid, idClaims())
	at := now.Add(time.Hour + 20*time.Second)
	strict, _ := New(Config{Keys: Keys{kid: &good.PublicKey}, Issuer: issuer, ClientIDs: []string{client}, Leeway: -1, Now: func() time.Time { return at }})
	if _, err := strict.Verify(context.Background(), tok); !errors.Is(err, ErrExpired) {
		t.Fatalf("no leeway: %v, want ErrExpired", err)
	}
	lenient, _ := New(Config{Keys: Keys{kid: &good.PublicKey}, Issuer: issuer, ClientIDs: []string{client}, Now: func() time.Time { return at }})
	if _, err := lenient.Verify(context.Background(), tok); err != nil {
		t.Fatalf("default leeway: %v", err)
	}
}

func TestParseJWKS(t *testing.T) {
	good, _ := testKeys(t)
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := json.Marshal(JWKSet{Keys: []JWK{NewJWK("k1", &good.PublicKey), {Kty: "EC", Kid: "ec"}, {Kty: "RSA", Kid: "enc", Use: "enc", N: "AQAB", E: "AQAB"}}})
	keys, err := ParseJWKS(doc)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || !keys["k1"].Equal(&good.PublicKey) {
		t.Fatalf("keys = %v", keys)
	}
	weak, _ := json.Marshal(JWKSet{Keys: []JWK{NewJWK("weak", &small.PublicKey)}})
	if _, err := ParseJWKS(weak); err == nil {
		t.Fatal("1024-bit key accepted")
	}
	if _, err := ParseJWKS([]byte(`{"keys":[{"kty":"RSA","kid":"x","n":"!!","e":"AQAB"}]}`)); err == nil {
		t.Fatal("bad modulus accepted")
	}
	if _, err := ParseJWKS([]byte(`[`)); err == nil {
		t.Fatal("bad JSON accepted")
	}
}

func TestRemoteFetchesAndRefreshes(t *testing.T) {
	good, bad := testKeys(t)
	var fetches atomic.Int32
	var mu sync.Mutex
	set := JWKSet{Keys: []JWK{NewJWK("k1", &good.PublicKey)}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fetches.Add(1)
		mu.Lock()
		defer mu.Unlock()
		_ = json.NewEncoder(w).Encode(set)
	}))
	defer srv.Close()
	clock := now
	r := NewRemote(srv.URL, WithMinRefresh(time.Minute), WithClock(func() time.Time { return clock }))
	ctx := context.Background()
	if k, err := r.PublicKey(ctx, "k1"); err != nil || !k.Equal(&good.PublicKey) {
		t.Fatalf("k1 = %v, %v", k, err)
	}
	if _, err := r.PublicKey(ctx, "k1"); err != nil || fetches.Load() != 1 {
		t.Fatalf("cached lookup fetched again (%d fetches): %v", fetches.Load(), err)
	}
	mu.Lock()
	set.Keys = append(set.Keys, NewJWK("k2", &bad.PublicKey))
	mu.Unlock()
	if _, err := r.PublicKey(ctx, "k2"); !errors.Is(err, ErrUnknownKey) || fetches.Load() != 1 {
		t.Fatalf("unknown kid inside the refresh interval: %v (%d fetches)", err, fetches.Load())
	}
	clock = clock.Add(2 * time.Minute)
	if k, err := r.PublicKey(ctx, "k2"); err != nil || !k.Equal(&bad.PublicKey) || fetches.Load() != 2 {
		t.Fatalf("k2 after refresh = %v, %v (%d fetches)", k, err, fetches.Load())
	}

	// The Remote source drives a Verifier end to end.
	v, err := New(Config{Keys: r, Issuer: issuer, ClientIDs: []string{client}, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(ctx, sign(t, jwt.SigningMethodRS256, good, "k1", idClaims())); err != nil {
		t.Fatal(err)
	}
	failing := NewRemote(srv.URL + "/nope")
	srv.Close()
	if _, err := failing.PublicKey(ctx, "k1"); err == nil {
		t.Fatal("fetch from a closed server succeeded")
	}
}

// FuzzVerify feeds arbitrary strings to the token parser. Nothing may panic, and
// the only inputs that verify are the tokens the test itself signed with the
// trusted key.
func FuzzVerify(f *testing.F) {
	good, bad := testKeys(f)
	signed := map[string]bool{}
	for _, c := range []jwt.MapClaims{idClaims(), with(idClaims(), "email", nil)} {
		tok := sign(f, jwt.SigningMethodRS256, good, kid, c)
		signed[tok] = true
		f.Add(tok)
		parts := strings.Split(tok, ".")
		f.Add(parts[0] + "." + parts[1] + ".")
		f.Add(seg(map[string]any{"alg": "none", "kid": kid}) + "." + parts[1] + ".")
		f.Add(parts[0] + "." + seg(with(c, "aud", "x")) + "." + parts[2])
	}
	f.Add(sign(f, jwt.SigningMethodRS256, bad, kid, idClaims()))
	f.Add(sign(f, jwt.SigningMethodHS256, []byte("secret"), kid, idClaims()))
	f.Add("a.b.c")
	f.Add("..")
	f.Add("eyJhbGciOiJSUzI1NiJ9")
	v := newVerifier(f, UseID)
	f.Fuzz(func(t *testing.T, token string) {
		claims, err := v.Verify(context.Background(), token)
		if err == nil && !signed[token] {
			t.Fatalf("forged token verified: %q -> %v", token, claims)
		}
		if err != nil && claims != nil {
			t.Fatal("claims returned with an error")
		}
	})
}
