package cloud

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

type countingVerifier struct {
	mu    sync.Mutex
	calls map[string]int
	exp   float64
}

func (v *countingVerifier) verify(_ context.Context, token string) (map[string]any, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.calls[token]++
	if strings.HasPrefix(token, "bad") {
		return nil, errors.New("bad signature")
	}
	return map[string]any{"sub": token, "exp": v.exp}, nil
}

func TestVerifiedTokensAreCachedUntilTheyExpire(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	v := &countingVerifier{calls: map[string]int{}, exp: float64(now.Add(time.Hour).Unix())}
	c := newTokenCache(v.verify, func() time.Time { return now })
	for i := 0; i < 3; i++ {
		claims, err := c.Authorize(context.Background(), "good")
		if err != nil || claims["sub"] != "good" {
			t.Fatalf("authorize: %v %v", claims, err)
		}
		if _, err := c.Authorize(context.Background(), "bad-1"); err == nil {
			t.Fatal("a bad token was accepted")
		}
	}
	if v.calls["good"] != 1 || v.calls["bad-1"] != 3 {
		t.Fatalf("verifications = %v; want one for the good token and every time for the bad one", v.calls)
	}
	now = now.Add(time.Hour) // exp reached
	if _, err := c.Authorize(context.Background(), "good"); err != nil || v.calls["good"] != 2 {
		t.Fatalf("an expired cache entry was used (verifications %d, err %v)", v.calls["good"], err)
	}
}

func TestTokenCacheIsBounded(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	v := &countingVerifier{calls: map[string]int{}, exp: float64(now.Add(time.Hour).Unix())}
	c := newTokenCache(v.verify, func() time.Time { return now })
	c.max = 100
	for i := 0; i < 1000; i++ {
		if _, err := c.Authorize(context.Background(), fmt.Sprintf("tok-%d", i)); err != nil {
			t.Fatal(err)
		}
		if n := c.size(); n > c.max {
			t.Fatalf("cache holds %d tokens, bound %d", n, c.max)
		}
	}
	if c.size() == 0 {
		t.Fatal("nothing is cached")
	}
}
