package identity

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/dragons-dev/dragons/local/tokenverify"
)

// Auth flows and challenges.
const (
	FlowUserPassword      = "USER_PASSWORD_AUTH"
	FlowAdminUserPassword = "ADMIN_USER_PASSWORD_AUTH"
	FlowAdminNoSRP        = "ADMIN_NO_SRP_AUTH"
	FlowRefreshToken      = "REFRESH_TOKEN_AUTH"
	FlowRefreshTokenAlias = "REFRESH_TOKEN"
	ChallengeNewPassword  = "NEW_PASSWORD_REQUIRED"
	accessScope           = "aws.cognito.signin.user.admin"
)

func incorrectPassword() error { return notAuthorized("Incorrect username or password.") }

func missing(name string) error { return invalidParam("Missing required parameter %s", name) }

// SecretHash computes the SECRET_HASH a client with a secret must send:
// base64(HMAC-SHA256(secret, username + clientID)).
func SecretHash(clientSecret, username, clientID string) string {
	m := hmac.New(sha256.New, []byte(clientSecret))
	m.Write([]byte(username + clientID))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// checkSecretHash verifies the SECRET_HASH of a request for one of usernames;
// clients without a secret need none.
func checkSecretHash(c *client, got string, usernames ...string) error {
	if c.ClientSecret == "" {
		return nil
	}
	if got == "" {
		return notAuthorized("Client %s is configured for secret but secret was not received", c.ClientID)
	}
	for _, u := range usernames {
		if u != "" && hmac.Equal([]byte(got), []byte(SecretHash(c.ClientSecret, u, c.ClientID))) {
			return nil
		}
	}
	return notAuthorized("Unable to verify secret hash for client %s", c.ClientID)
}

func (c *client) allows(flow string) bool {
	legacy := slices.ContainsFunc(c.ExplicitAuthFlows, func(f string) bool { return slices.Contains(legacyFlows, f) })
	switch flow {
	case FlowUserPassword:
		return slices.Contains(c.ExplicitAuthFlows, "ALLOW_USER_PASSWORD_AUTH") || slices.Contains(c.ExplicitAuthFlows, "USER_PASSWORD_AUTH")
	case FlowAdminUserPassword, FlowAdminNoSRP:
		return slices.Contains(c.ExplicitAuthFlows, "ALLOW_ADMIN_USER_PASSWORD_AUTH") || slices.Contains(c.ExplicitAuthFlows, "ADMIN_NO_SRP_AUTH")
	case FlowRefreshToken, FlowRefreshTokenAlias:
		return legacy || slices.Contains(c.ExplicitAuthFlows, "ALLOW_REFRESH_TOKEN_AUTH")
	}
	return false
}

// sealed is the content of an opaque refresh token or challenge session.
type sealed struct {
	Kind     string `json:"k"` // "refresh" or "session"
	Client   string `json:"c"`
	Sub      string `json:"s"`
	Username string `json:"u"`
	AuthTime int64  `json:"a,omitempty"`
	Origin   string `json:"o,omitempty"`
	Issued   int64  `json:"i"`
	Expires  int64  `json:"e"`
}

func (p *pool) sealValue(v sealed) (string, error) {
	plain, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, p.seal.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(p.seal.Seal(nonce, nonce, plain, []byte(v.Kind+"/"+p.ID))), nil
}

func (p *pool) unsealValue(kind, token string) (sealed, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(raw) < p.seal.NonceSize() {
		return sealed{}, false
	}
	plain, err := p.seal.Open(nil, raw[:p.seal.NonceSize()], raw[p.seal.NonceSize():], []byte(kind+"/"+p.ID))
	if err != nil {
		return sealed{}, false
	}
	var v sealed
	if json.Unmarshal(plain, &v) != nil || v.Kind != kind {
		return sealed{}, false
	}
	return v, true
}

func validityOf(value int, unit string) time.Duration {
	return time.Duration(value) * unitDurations[unit]
}

// issueTokens signs an ID and an access token for u, and a refresh token when
// withRefresh is set. Callers hold mu (read or write).
func (s *Service) issueTokens(p *pool, c *client, u *user, authTime time.Time, origin string, withRefresh bool) (*AuthenticationResult, error) {
	now := s.now()
	if origin == "" {
		origin = uuid.NewString()
	}
	event := uuid.NewString()
	iss := s.Issuer(p.ID)
	idClaims := jwt.MapClaims{
		"sub":              u.Sub,
		"aud":              c.ClientID,
		"iss":              iss,
		"token_use":        tokenverify.UseID,
		"auth_time":        authTime.Unix(),
		"iat":              now.Unix(),
		"exp":              now.Add(validityOf(c.IDTokenValidity, c.TokenValidityUnits.IDToken)).Unix(),
		"cognito:username": u.Username,
		"event_id":         event,
		"origin_jti":       origin,
		"jti":              uuid.NewString(),
	}
	for name, v := range u.Attributes {
		switch name {
		case "email_verified", "phone_number_verified":
			idClaims[name] = v == "true"
		default:
			idClaims[name] = v
		}
	}
	accessTTL := validityOf(c.AccessTokenValidity, c.TokenValidityUnits.AccessToken)
	accessClaims := jwt.MapClaims{
		"sub":        u.Sub,
		"client_id":  c.ClientID,
		"iss":        iss,
		"token_use":  tokenverify.UseAccess,
		"scope":      accessScope,
		"auth_time":  authTime.Unix(),
		"iat":        now.Unix(),
		"exp":        now.Add(accessTTL).Unix(),
		"jti":        uuid.NewString(),
		"username":   u.Username,
		"event_id":   event,
		"origin_jti": origin,
	}
	sign := func(claims jwt.MapClaims) (string, error) {
		t := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
		t.Header["kid"] = p.kid
		return t.SignedString(p.signer)
	}
	idToken, err := sign(idClaims)
	if err != nil {
		return nil, err
	}
	accessToken, err := sign(accessClaims)
	if err != nil {
		return nil, err
	}
	res := &AuthenticationResult{AccessToken: accessToken, IDToken: idToken, ExpiresIn: int(accessTTL / time.Second), TokenType: "Bearer"}
	if withRefresh {
		res.RefreshToken, err = p.sealValue(sealed{
			Kind: "refresh", Client: c.ClientID, Sub: u.Sub, Username: u.Username, AuthTime: authTime.Unix(), Origin: origin,
			Issued: now.Unix(), Expires: now.Add(validityOf(c.RefreshTokenValidity, c.TokenValidityUnits.RefreshToken)).Unix(),
		})
		if err != nil {
			return nil, err
		}
	}
	return res, nil
}

// passwordAuth runs a user-password sign-in. Callers hold mu (read).
func (s *Service) passwordAuth(p *pool, c *client, params map[string]string) (*AuthOutput, error) {
	username, password := params["USERNAME"], params["PASSWORD"]
	if username == "" {
		return nil, missing("USERNAME")
	}
	if password == "" {
		return nil, missing("PASSWORD")
	}
	if err := checkSecretHash(c, params["SECRET_HASH"], username); err != nil {
		return nil, err
	}
	u, ok := p.findUser(username)
	if !ok {
		if c.PreventUserExistenceErrors == "ENABLED" {
			return nil, incorrectPassword()
		}
		return nil, userNotFound()
	}
	if !u.Enabled {
		return nil, notAuthorized("User is disabled.")
	}
	if !passwordMatches(u.PasswordHash, password) {
		return nil, incorrectPassword()
	}
	switch u.Status {
	case StatusUnconfirmed:
		return nil, idpErrors.New("UserNotConfirmedException", "User is not confirmed.")
	case StatusForceChangePassword:
		if days := p.Policy.TemporaryPasswordValidityDays; days > 0 && s.now().After(u.PasswordSet.Add(time.Duration(days)*24*time.Hour)) {
			return nil, notAuthorized("Temporary password has expired and must be reset by an administrator.")
		}
		return s.newPasswordChallenge(p, c, u)
	}
	res, err := s.issueTokens(p, c, u, s.now(), "", true)
	if err != nil {
		return nil, err
	}
	return &AuthOutput{ChallengeParameters: map[string]string{}, AuthenticationResult: res}, nil
}

func (s *Service) newPasswordChallenge(p *pool, c *client, u *user) (*AuthOutput, error) {
	now := s.now()
	session, err := p.sealValue(sealed{Kind: "session", Client: c.ClientID, Sub: u.Sub, Username: u.Username, Issued: now.Unix(), Expires: now.Add(time.Duration(c.AuthSessionValidity) * time.Minute).Unix()})
	if err != nil {
		return nil, err
	}
	attrs := maps.Clone(u.Attributes)
	delete(attrs, "sub")
	attrJSON, _ := json.Marshal(attrs)
	var required []string
	for _, a := range p.Schema {
		if a.Required && u.Attributes[a.Name] == "" {
			required = append(required, "userAttributes."+a.Name)
		}
	}
	reqJSON, _ := json.Marshal(append([]string{}, required...))
	return &AuthOutput{
		ChallengeName: ChallengeNewPassword,
		Session:       session,
		ChallengeParameters: map[string]string{
			"USER_ID_FOR_SRP":    u.Username,
			"requiredAttributes": string(reqJSON),
			"userAttributes":     string(attrJSON),
		},
	}, nil
}

// refreshAuth trades a refresh token for new ID and access tokens. Callers
// hold mu (read).
func (s *Service) refreshAuth(p *pool, c *client, params map[string]string) (*AuthOutput, error) {
	token := params["REFRESH_TOKEN"]
	if token == "" {
		return nil, missing("REFRESH_TOKEN")
	}
	r, ok := p.unsealValue("refresh", token)
	if !ok || r.Client != c.ClientID {
		return nil, notAuthorized("Invalid Refresh Token")
	}
	if s.now().Unix() >= r.Expires {
		return nil, notAuthorized("Refresh Token has expired")
	}
	if err := checkSecretHash(c, params["SECRET_HASH"], params["USERNAME"], r.Username, r.Sub); err != nil {
		return nil, err
	}
	u, ok := p.Users[p.userKey(r.Username)]
	if !ok || u.Sub != r.Sub {
		return nil, notAuthorized("Refresh Token has been revoked")
	}
	if !u.Enabled {
		return nil, notAuthorized("User is disabled.")
	}
	res, err := s.issueTokens(p, c, u, time.Unix(r.AuthTime, 0), r.Origin, false)
	if err != nil {
		return nil, err
	}
	return &AuthOutput{ChallengeParameters: map[string]string{}, AuthenticationResult: res}, nil
}

// InitiateAuth signs a user in with USER_PASSWORD_AUTH or refreshes tokens
// with REFRESH_TOKEN_AUTH. It is an unsigned operation.
func (s *Service) InitiateAuth(_ context.Context, in *InitiateAuthInput) (*AuthOutput, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, c, err := s.clientByID(in.ClientID)
	if err != nil {
		return nil, err
	}
	switch in.AuthFlow {
	case FlowUserPassword:
		if !c.allows(in.AuthFlow) {
			return nil, invalidParam("USER_PASSWORD_AUTH flow not enabled for this client")
		}
		return s.passwordAuth(p, c, in.AuthParameters)
	case FlowRefreshToken, FlowRefreshTokenAlias:
		if !c.allows(in.AuthFlow) {
			return nil, invalidParam("REFRESH_TOKEN_AUTH flow not enabled for this client")
		}
		return s.refreshAuth(p, c, in.AuthParameters)
	case FlowAdminUserPassword, FlowAdminNoSRP:
		return nil, invalidParam("Initiate Auth method not supported.")
	case "USER_SRP_AUTH", "CUSTOM_AUTH", "USER_AUTH":
		return nil, invalidParam("Auth flow %s is not supported by the local user pools service; use USER_PASSWORD_AUTH.", in.AuthFlow)
	}
	return nil, invalidParam("1 validation error detected: Value '%s' at 'authFlow' failed to satisfy constraint: Member must satisfy enum value set: [USER_SRP_AUTH, REFRESH_TOKEN_AUTH, REFRESH_TOKEN, CUSTOM_AUTH, ADMIN_NO_SRP_AUTH, USER_PASSWORD_AUTH, ADMIN_USER_PASSWORD_AUTH, USER_AUTH]", in.AuthFlow)
}

// AdminInitiateAuth signs a user in with ADMIN_USER_PASSWORD_AUTH (or
// ADMIN_NO_SRP_AUTH) or refreshes tokens with REFRESH_TOKEN_AUTH.
func (s *Service) AdminInitiateAuth(_ context.Context, in *AdminInitiateAuthInput) (*AuthOutput, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, c, err := s.getClient(in.UserPoolID, in.ClientID)
	if err != nil {
		return nil, err
	}
	switch in.AuthFlow {
	case FlowAdminUserPassword, FlowAdminNoSRP:
		if !c.allows(in.AuthFlow) {
			return nil, invalidParam("Auth flow not enabled for this client")
		}
		return s.passwordAuth(p, c, in.AuthParameters)
	case FlowRefreshToken, FlowRefreshTokenAlias:
		if !c.allows(in.AuthFlow) {
			return nil, invalidParam("REFRESH_TOKEN_AUTH flow not enabled for this client")
		}
		return s.refreshAuth(p, c, in.AuthParameters)
	}
	return nil, invalidParam("Auth flow %s is not supported by AdminInitiateAuth locally; use ADMIN_USER_PASSWORD_AUTH.", in.AuthFlow)
}

// respond answers a NEW_PASSWORD_REQUIRED challenge. Callers hold mu (write).
func (s *Service) respond(p *pool, c *client, challenge, session string, responses map[string]string) (*AuthOutput, error) {
	if challenge != ChallengeNewPassword {
		return nil, invalidParam("Challenge %q is not supported; the local user pools service only issues NEW_PASSWORD_REQUIRED.", challenge)
	}
	if session == "" {
		return nil, missing("Session")
	}
	username, password := responses["USERNAME"], responses["NEW_PASSWORD"]
	if username == "" {
		return nil, missing("USERNAME")
	}
	if password == "" {
		return nil, missing("NEW_PASSWORD")
	}
	sess, ok := p.unsealValue("session", session)
	if !ok || sess.Client != c.ClientID {
		return nil, notAuthorized("Invalid session for the user.")
	}
	if s.now().Unix() >= sess.Expires {
		return nil, notAuthorized("Invalid session for the user, session is expired.")
	}
	if err := checkSecretHash(c, responses["SECRET_HASH"], username); err != nil {
		return nil, err
	}
	prev, ok := p.findUser(username)
	if !ok || prev.Sub != sess.Sub || prev.Status != StatusForceChangePassword {
		return nil, notAuthorized("Invalid session for the user.")
	}
	if err := checkPassword(p.Policy, password); err != nil {
		return nil, err
	}
	var attrs []Attribute
	for k, v := range responses {
		if name, ok := strings.CutPrefix(k, "userAttributes."); ok {
			attrs = append(attrs, Attribute{Name: name, Value: v})
		}
	}
	values, err := p.checkAttributes(attrs, false)
	if err != nil {
		return nil, err
	}
	hash, err := hashPassword(password)
	if err != nil {
		return nil, err
	}
	u := prev.clone()
	maps.Copy(u.Attributes, values)
	for _, a := range p.Schema {
		if a.Required && u.Attributes[a.Name] == "" {
			return nil, invalidParam("Invalid attributes given, %s is missing", a.Name)
		}
	}
	now := s.now().UTC()
	u.PasswordHash, u.PasswordSet, u.Modified, u.Status = hash, now, now, StatusConfirmed
	if err := s.replaceUser(p, prev, u); err != nil {
		return nil, err
	}
	res, err := s.issueTokens(p, c, u, now, "", true)
	if err != nil {
		return nil, err
	}
	return &AuthOutput{ChallengeParameters: map[string]string{}, AuthenticationResult: res}, nil
}

// RespondToAuthChallenge answers the NEW_PASSWORD_REQUIRED challenge of a
// user created with a temporary password. It is an unsigned operation.
func (s *Service) RespondToAuthChallenge(_ context.Context, in *RespondToAuthChallengeInput) (*AuthOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, c, err := s.clientByID(in.ClientID)
	if err != nil {
		return nil, err
	}
	return s.respond(p, c, in.ChallengeName, in.Session, in.ChallengeResponses)
}

// AdminRespondToAuthChallenge is RespondToAuthChallenge for administrators.
func (s *Service) AdminRespondToAuthChallenge(_ context.Context, in *AdminRespondToAuthChallengeInput) (*AuthOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, c, err := s.getClient(in.UserPoolID, in.ClientID)
	if err != nil {
		return nil, err
	}
	return s.respond(p, c, in.ChallengeName, in.Session, in.ChallengeResponses)
}

// tokenKeyID reads the kid of a JWT's header without verifying anything.
func tokenKeyID(token string) string {
	head, _, ok := strings.Cut(token, ".")
	if !ok {
		return ""
	}
	raw, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil {
		return ""
	}
	var h struct {
		Kid string `json:"kid"`
	}
	_ = json.Unmarshal(raw, &h)
	return h.Kid
}

// GetUser returns the attributes of the user an access token belongs to. It
// is an unsigned operation authorized by the token.
func (s *Service) GetUser(ctx context.Context, in *GetUserInput) (*GetUserOutput, error) {
	if in.AccessToken == "" {
		return nil, missing("AccessToken")
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	p, ok := s.pools[s.kids[tokenKeyID(in.AccessToken)]]
	if !ok {
		return nil, notAuthorized("Invalid Access Token")
	}
	v, err := tokenverify.New(tokenverify.Config{
		Keys:      tokenverify.Keys{p.kid: &p.signer.PublicKey},
		Issuer:    s.Issuer(p.ID),
		AnyClient: true,
		TokenUse:  tokenverify.UseAccess,
		Leeway:    -1,
		Now:       s.now,
	})
	if err != nil {
		return nil, err
	}
	claims, err := v.Verify(ctx, in.AccessToken)
	if errors.Is(err, tokenverify.ErrExpired) {
		return nil, notAuthorized("Access Token has expired")
	}
	if err != nil {
		return nil, notAuthorized("Invalid Access Token")
	}
	name, _ := claims["username"].(string)
	sub, _ := claims["sub"].(string)
	u, ok := p.Users[p.userKey(name)]
	if !ok || u.Sub != sub {
		return nil, userNotFound()
	}
	if !u.Enabled {
		return nil, notAuthorized("User is disabled.")
	}
	return &GetUserOutput{Username: u.Username, UserAttributes: u.attributeList()}, nil
}

// IssueTokens signs fresh ID, access and refresh tokens for a confirmed,
// enabled user of a pool as if they had signed in through clientID. It is for
// local tooling (`dragons token`) and needs no password.
func (s *Service) IssueTokens(_ context.Context, poolID, clientID, username string) (*AuthenticationResult, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, c, err := s.getClient(poolID, clientID)
	if err != nil {
		return nil, err
	}
	u, err := p.lookupUser(username)
	if err != nil {
		return nil, err
	}
	if !u.Enabled {
		return nil, notAuthorized("User is disabled.")
	}
	if u.Status != StatusConfirmed {
		return nil, idpErrors.New("UserNotConfirmedException", "User %s is %s, not CONFIRMED.", username, u.Status)
	}
	return s.issueTokens(p, c, u, s.now(), "", true)
}
