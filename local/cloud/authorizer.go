package cloud

import (
	"context"
	"encoding/json"
	"sync"
	"time"
)

// maxCachedTokens bounds the verified-token cache of one authorizer.
const maxCachedTokens = 4096

// tokenCache remembers verified tokens until they expire, so a client that
// sends the same token on every request pays for one signature check. Only
// successful verifications are kept, each until its exp claim.
type tokenCache struct {
	verify func(ctx context.Context, token string) (map[string]any, error)
	now    func() time.Time
	max    int

	mu      sync.Mutex
	entries map[string]cachedToken
}

type cachedToken struct {
	claims map[string]any
	exp    time.Time
}

func newTokenCache(verify func(ctx context.Context, token string) (map[string]any, error), now func() time.Time) *tokenCache {
	if now == nil {
		now = time.Now
	}
	return &tokenCache{verify: verify, now: now, max: maxCachedTokens, entries: map[string]cachedToken{}}
}

// Authorize implements apigw.Authorizer. The claims returned for a cached token
// are shared between requests and must not be modified.
func (c *tokenCache) Authorize(ctx context.Context, token string) (map[string]any, error) {
	now := c.now()
	c.mu.Lock()
	e, ok := c.entries[token]
	if ok && !now.Before(e.exp) {
		delete(c.entries, token)
		ok = false
	}
	c.mu.Unlock()
	if ok {
		return e.claims, nil
	}
	claims, err := c.verify(ctx, token)
	if err != nil {
		return nil, err
	}
	exp, ok := expiry(claims["exp"])
	if !ok || !now.Before(exp) {
		return claims, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= c.max {
		c.evict(now)
	}
	c.entries[token] = cachedToken{claims: claims, exp: exp}
	return claims, nil
}

// evict drops expired tokens, and if that frees nothing, half of the others
// (whichever the map yields first). Called with mu held.
func (c *tokenCache) evict(now time.Time) {
	for k, e := range c.entries {
		if !now.Before(e.exp) {
			delete(c.entries, k)
		}
	}
	for k := range c.entries {
		if len(c.entries) < c.max/2 {
			break
		}
		delete(c.entries, k)
	}
}

func (c *tokenCache) size() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

// expiry reads a NumericDate claim.
func expiry(v any) (time.Time, bool) {
	switch x := v.(type) {
	case float64:
		return time.Unix(int64(x), 0), true
	case json.Number:
		n, err := x.Float64()
		return time.Unix(int64(n), 0), err == nil
	}
	return time.Time{}, false
}
