package tokenverify

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"sync"
	"time"
)

// KeySource resolves a token's key id to the RSA public key that verifies it.
// An unknown kid must produce an error wrapping ErrUnknownKey.
type KeySource interface {
	PublicKey(ctx context.Context, kid string) (*rsa.PublicKey, error)
}

// Keys is a fixed key set, by key id.
type Keys map[string]*rsa.PublicKey

// PublicKey implements KeySource.
func (k Keys) PublicKey(_ context.Context, kid string) (*rsa.PublicKey, error) {
	if key, ok := k[kid]; ok {
		return key, nil
	}
	return nil, fmt.Errorf("%w: %q", ErrUnknownKey, kid)
}

// JWK is one RSA key of a JWKS document.
type JWK struct {
	Alg string `json:"alg"`
	E   string `json:"e"`
	Kid string `json:"kid"`
	Kty string `json:"kty"`
	N   string `json:"n"`
	Use string `json:"use"`
}

// JWKSet is a JWKS document.
type JWKSet struct {
	Keys []JWK `json:"keys"`
}

// NewJWK describes key as a signing JWK with the given key id.
func NewJWK(kid string, key *rsa.PublicKey) JWK {
	return JWK{
		Alg: "RS256",
		E:   base64.RawURLEncoding.EncodeToString(big.NewInt(int64(key.E)).Bytes()),
		Kid: kid,
		Kty: "RSA",
		N:   base64.RawURLEncoding.EncodeToString(key.N.Bytes()),
		Use: "sig",
	}
}

// minKeyBits is the smallest RSA modulus accepted from a JWKS document.
const minKeyBits = 2048

// ParseJWKS reads a JWKS document into a key set. Keys that are not RSA
// signing keys for RS256 are skipped; a malformed RSA key is an error.
func ParseJWKS(doc []byte) (Keys, error) {
	var set JWKSet
	if err := json.Unmarshal(doc, &set); err != nil {
		return nil, fmt.Errorf("parse JWKS: %w", err)
	}
	keys := Keys{}
	for _, k := range set.Keys {
		if k.Kty != "RSA" || (k.Alg != "" && k.Alg != "RS256") || (k.Use != "" && k.Use != "sig") || k.Kid == "" {
			continue
		}
		n, err := base64.RawURLEncoding.DecodeString(k.N)
		if err != nil {
			return nil, fmt.Errorf("parse JWKS key %q modulus: %w", k.Kid, err)
		}
		e, err := base64.RawURLEncoding.DecodeString(k.E)
		if err != nil {
			return nil, fmt.Errorf("parse JWKS key %q exponent: %w", k.Kid, err)
		}
		pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n)}
		exp := new(big.Int).SetBytes(e)
		if !exp.IsInt64() || exp.Int64() < 3 || exp.Int64() > 1<<31-1 || exp.Bit(0) == 0 {
			return nil, fmt.Errorf("parse JWKS key %q: unusable exponent", k.Kid)
		}
		pub.E = int(exp.Int64())
		if pub.N.BitLen() < minKeyBits {
			return nil, fmt.Errorf("parse JWKS key %q: %d-bit modulus is below %d bits", k.Kid, pub.N.BitLen(), minKeyBits)
		}
		keys[k.Kid] = pub
	}
	return keys, nil
}

// Remote is a KeySource that fetches a JWKS URL, caches the keys and fetches
// again when asked for a key id it does not know, at most once per MinRefresh.
// Lookups never wait on the lock while a fetch is in flight: concurrent lookups
// that need a fetch share one (single flight), and after a failed fetch every
// lookup that would fetch fails fast with that error until MinRefresh has
// passed, so an unreachable JWKS is not hammered.
type Remote struct {
	url        string
	client     *http.Client
	minRefresh time.Duration
	now        func() time.Time

	mu       sync.Mutex
	keys     Keys
	fetched  time.Time  // of the last successful fetch
	failed   time.Time  // of the last failed fetch
	lastErr  error      // of the last fetch; nil when it succeeded
	inflight *fetchCall // the fetch in progress, if any
}

// fetchCall is one fetch that several lookups may wait on.
type fetchCall struct {
	done chan struct{}
	keys Keys
	err  error
}

// RemoteOption configures a Remote.
type RemoteOption func(*Remote)

// WithHTTPClient sets the client used to fetch the document.
func WithHTTPClient(c *http.Client) RemoteOption { return func(r *Remote) { r.client = c } }

// WithMinRefresh sets how long a fetched document is trusted to be complete
// before an unknown key id triggers another fetch, and how long a failed fetch
// is remembered before the next attempt (default 5 seconds).
func WithMinRefresh(d time.Duration) RemoteOption { return func(r *Remote) { r.minRefresh = d } }

// WithClock sets the clock used for refresh decisions.
func WithClock(now func() time.Time) RemoteOption { return func(r *Remote) { r.now = now } }

// NewRemote returns a KeySource backed by the JWKS document at url.
func NewRemote(url string, opts ...RemoteOption) *Remote {
	r := &Remote{url: url, client: &http.Client{Timeout: 10 * time.Second}, minRefresh: 5 * time.Second, now: time.Now}
	for _, o := range opts {
		o(r)
	}
	return r
}

// PublicKey implements KeySource.
func (r *Remote) PublicKey(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	r.mu.Lock()
	if key, ok := r.keys[kid]; ok {
		r.mu.Unlock()
		return key, nil
	}
	now := r.now()
	if r.lastErr != nil && now.Sub(r.failed) < r.minRefresh {
		err := r.lastErr
		r.mu.Unlock()
		return nil, fmt.Errorf("key %q: last JWKS fetch failed less than %s ago: %w", kid, r.minRefresh, err)
	}
	if r.lastErr == nil && r.keys != nil && now.Sub(r.fetched) < r.minRefresh {
		r.mu.Unlock()
		return nil, fmt.Errorf("%w: %q", ErrUnknownKey, kid)
	}
	call := r.inflight
	if call == nil {
		call = &fetchCall{done: make(chan struct{})}
		r.inflight = call
		// The fetch outlives the lookup that started it: others may wait on it.
		go r.runFetch(context.WithoutCancel(ctx), call)
	}
	r.mu.Unlock()

	select {
	case <-call.done:
	case <-ctx.Done():
		return nil, fmt.Errorf("key %q: wait for JWKS fetch: %w", kid, ctx.Err())
	}
	if call.err != nil {
		return nil, call.err
	}
	return call.keys.PublicKey(ctx, kid)
}

// runFetch performs call's fetch and records its outcome.
func (r *Remote) runFetch(ctx context.Context, call *fetchCall) {
	keys, err := r.fetch(ctx)
	r.mu.Lock()
	if err != nil {
		r.lastErr, r.failed = err, r.now()
	} else {
		r.keys, r.fetched, r.lastErr = keys, r.now(), nil
	}
	r.inflight = nil
	call.keys, call.err = keys, err
	r.mu.Unlock()
	close(call.done)
}

func (r *Remote) fetch(ctx context.Context) (Keys, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.url, nil)
	if err != nil {
		return nil, fmt.Errorf("fetch JWKS %s: %w", r.url, err)
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch JWKS %s: %w", r.url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("fetch JWKS %s: %w", r.url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch JWKS %s: status %d", r.url, resp.StatusCode)
	}
	keys, err := ParseJWKS(body)
	if err != nil {
		return nil, fmt.Errorf("fetch JWKS %s: %w", r.url, err)
	}
	return keys, nil
}
