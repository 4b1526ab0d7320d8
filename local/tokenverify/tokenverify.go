// Package tokenverify checks Cognito user-pool tokens (RS256 JWTs) the way a
// resource server must: the algorithm is RS256 and nothing else, the key id names
// a key of the pool's JWKS, the signature verifies, the token is within its
// lifetime (with a small leeway against an injectable clock), the issuer is the
// pool's, the token is an ID or access token as required, and it was issued to an
// allowed app client (aud for ID tokens, client_id for access tokens). Verify
// returns the token's claims.
//
// Keys come from a KeySource: a fixed key set (Keys, for in-process callers or a
// parsed JWKS document) or a JWKS URL fetched and cached by Remote.
//
// It does not issue tokens, check scopes or groups, or track revocation
// (Cognito's GlobalSignOut/RevokeToken); callers decide what the claims allow.
package tokenverify

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Reasons a token is rejected; Verify's errors wrap exactly one of them.
var (
	ErrMalformed   = errors.New("malformed token")
	ErrAlgorithm   = errors.New("token algorithm is not RS256")
	ErrUnknownKey  = errors.New("token key id is not in the key set")
	ErrSignature   = errors.New("token signature does not verify")
	ErrExpired     = errors.New("token has expired")
	ErrNotYetValid = errors.New("token is not valid yet")
	ErrIssuer      = errors.New("token issuer is not the expected one")
	ErrAudience    = errors.New("token was not issued to an allowed client")
	ErrTokenUse    = errors.New("token use is not the expected one")
)

// Token uses, as Cognito's token_use claim carries them.
const (
	UseID     = "id"
	UseAccess = "access"
)

// DefaultLeeway is the clock skew Verify tolerates when Config.Leeway is zero.
const DefaultLeeway = 30 * time.Second

// Config says what a Verifier accepts.
type Config struct {
	// Keys resolves key ids to public keys. Required.
	Keys KeySource
	// Issuer is the exact iss every token must carry, for example
	// "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123xyZ". Required.
	Issuer string
	// ClientIDs lists the app clients whose tokens are accepted. Required unless
	// AnyClient is set.
	ClientIDs []string
	// AnyClient accepts tokens of every app client of the pool.
	AnyClient bool
	// TokenUse is UseID or UseAccess; "" accepts both.
	TokenUse string
	// Leeway is the clock skew tolerated on exp, nbf and iat; zero means
	// DefaultLeeway, a negative value means none.
	Leeway time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Verifier verifies tokens against a Config. It is safe for concurrent use.
type Verifier struct {
	cfg    Config
	parser *jwt.Parser
}

// New returns a Verifier for cfg, or an error when cfg is incomplete.
func New(cfg Config) (*Verifier, error) {
	if cfg.Keys == nil {
		return nil, errors.New("tokenverify: no key source")
	}
	if cfg.Issuer == "" {
		return nil, errors.New("tokenverify: no issuer")
	}
	if len(cfg.ClientIDs) == 0 && !cfg.AnyClient {
		return nil, errors.New("tokenverify: no client ids (set AnyClient to accept every client)")
	}
	switch cfg.TokenUse {
	case "", UseID, UseAccess:
	default:
		return nil, fmt.Errorf("tokenverify: token use %q is neither %q nor %q", cfg.TokenUse, UseID, UseAccess)
	}
	leeway := cfg.Leeway
	if leeway == 0 {
		leeway = DefaultLeeway
	} else if leeway < 0 {
		leeway = 0
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	cfg.Now = now
	return &Verifier{
		cfg: cfg,
		parser: jwt.NewParser(
			jwt.WithValidMethods([]string{"RS256"}),
			jwt.WithStrictDecoding(),
			jwt.WithExpirationRequired(),
			jwt.WithIssuedAt(),
			jwt.WithLeeway(leeway),
			jwt.WithTimeFunc(now),
			jwt.WithIssuer(cfg.Issuer),
		),
	}, nil
}

// Verify checks token and returns its claims. The error wraps one of the Err
// values of this package (or the key source's error when it fails to answer).
func (v *Verifier) Verify(ctx context.Context, token string) (map[string]any, error) {
	header, err := parseHeader(token)
	if err != nil {
		return nil, err
	}
	if alg, _ := header["alg"].(string); alg != "RS256" {
		return nil, fmt.Errorf("%w: alg %v", ErrAlgorithm, header["alg"])
	}
	kid, _ := header["kid"].(string)
	if kid == "" {
		return nil, fmt.Errorf("%w: no kid header", ErrUnknownKey)
	}
	key, err := v.cfg.Keys.PublicKey(ctx, kid)
	if err != nil {
		return nil, fmt.Errorf("key %q: %w", kid, err)
	}
	claims := jwt.MapClaims{}
	_, err = v.parser.ParseWithClaims(token, claims, func(*jwt.Token) (any, error) { return key, nil })
	switch {
	case err == nil:
	case errors.Is(err, jwt.ErrTokenExpired):
		return nil, fmt.Errorf("%w: %v", ErrExpired, err)
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return nil, fmt.Errorf("%w: %v", ErrNotYetValid, err)
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return nil, fmt.Errorf("%w: %v", ErrIssuer, err)
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return nil, fmt.Errorf("%w: %v", ErrSignature, err)
	default:
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}

	use, _ := claims["token_use"].(string)
	if use != UseID && use != UseAccess || v.cfg.TokenUse != "" && use != v.cfg.TokenUse {
		return nil, fmt.Errorf("%w: token_use %v", ErrTokenUse, claims["token_use"])
	}
	var client string
	if use == UseID {
		aud, err := claims.GetAudience()
		if err != nil || len(aud) != 1 {
			return nil, fmt.Errorf("%w: aud %v", ErrAudience, claims["aud"])
		}
		client = aud[0]
	} else {
		client, _ = claims["client_id"].(string)
	}
	if client == "" || !v.cfg.AnyClient && !slices.Contains(v.cfg.ClientIDs, client) {
		return nil, fmt.Errorf("%w: client %q", ErrAudience, client)
	}
	return map[string]any(claims), nil
}

// parseHeader decodes the JOSE header of a compact JWS with three segments.
func parseHeader(token string) (map[string]any, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("%w: %d segments, want 3", ErrMalformed, len(parts))
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(parts[0])
	if err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrMalformed, err)
	}
	var header map[string]any
	if err := json.Unmarshal(raw, &header); err != nil || header == nil {
		return nil, fmt.Errorf("%w: header is not a JSON object", ErrMalformed)
	}
	return header, nil
}
