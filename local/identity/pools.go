package identity

import (
	"context"
	"crypto/rand"
	"net/http"
	"regexp"
	"slices"
	"time"

	"github.com/dragons-dev/dragons/local/awsproto"
	"github.com/dragons-dev/dragons/local/epochtime"
)

// idpErrors gives the HTTP status Cognito user pools send with each error name
// this package reports. Every error is built with idpErrors.New; errors_test.go
// checks that each code used has an entry.
var idpErrors = awsproto.ErrorTable{
	"InvalidParameterException":     http.StatusBadRequest,
	"ResourceNotFoundException":     http.StatusBadRequest,
	"UserNotFoundException":         http.StatusBadRequest,
	"NotAuthorizedException":        http.StatusBadRequest,
	"UserNotConfirmedException":     http.StatusBadRequest,
	"UsernameExistsException":       http.StatusBadRequest,
	"InvalidPasswordException":      http.StatusBadRequest,
	"CodeMismatchException":         http.StatusBadRequest,
	"ExpiredCodeException":          http.StatusBadRequest,
	"UnsupportedUserStateException": http.StatusBadRequest,
	"InternalErrorException":        http.StatusInternalServerError,
}

func invalidParam(format string, args ...any) error {
	return idpErrors.New("InvalidParameterException", format, args...)
}

func poolNotFound(id string) error {
	return idpErrors.New("ResourceNotFoundException", "User pool %s does not exist.", id)
}

func clientNotFound(id string) error {
	return idpErrors.New("ResourceNotFoundException", "User pool client %s does not exist.", id)
}

const (
	upperAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	lowerAlnum = "abcdefghijklmnopqrstuvwxyz0123456789"
)

// randomString returns n characters drawn uniformly from alphabet.
func randomString(n int, alphabet string) string {
	b := make([]byte, n)
	for i := range b {
		var r [1]byte
		for {
			_, _ = rand.Read(r[:])
			// Reject the tail of the byte range so every character is equally likely.
			if int(r[0]) < 256-256%len(alphabet) {
				break
			}
		}
		b[i] = alphabet[int(r[0])%len(alphabet)]
	}
	return string(b)
}

var poolNamePattern = regexp.MustCompile(`^[\w\s+=,.@-]{1,128}$`)

// standardAttributes are the attributes every pool has; the value says whether
// a client may set it.
var standardAttributes = map[string]bool{
	"address": true, "birthdate": true, "email": true, "email_verified": true,
	"family_name": true, "gender": true, "given_name": true, "locale": true,
	"middle_name": true, "name": true, "nickname": true, "phone_number": true,
	"phone_number_verified": true, "picture": true, "preferred_username": true,
	"profile": true, "sub": false, "updated_at": true, "website": true, "zoneinfo": true,
}

func defaultPolicy() PasswordPolicy {
	return PasswordPolicy{MinimumLength: 8, RequireUppercase: true, RequireLowercase: true, RequireNumbers: true, RequireSymbols: true, TemporaryPasswordValidityDays: 7}
}

func onlyValues(field string, values []string, allowed ...string) error {
	for _, v := range values {
		if !slices.Contains(allowed, v) {
			return invalidParam("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must satisfy enum value set: %v", v, field, allowed)
		}
	}
	return nil
}

// CreateUserPool creates a pool with its own signing key.
func (s *Service) CreateUserPool(_ context.Context, in *CreateUserPoolInput) (*CreateUserPoolOutput, error) {
	if !poolNamePattern.MatchString(in.PoolName) {
		return nil, invalidParam("1 validation error detected: Value '%s' at 'poolName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w\\s+=,.@-]+ and have length between 1 and 128", in.PoolName)
	}
	if len(in.UsernameAttributes) > 0 && len(in.AliasAttributes) > 0 {
		return nil, invalidParam("Only one of the aliasAttributes or usernameAttributes can be set in a User Pool.")
	}
	if err := onlyValues("usernameAttributes", in.UsernameAttributes, "email", "phone_number"); err != nil {
		return nil, err
	}
	if err := onlyValues("aliasAttributes", in.AliasAttributes, "email", "phone_number", "preferred_username"); err != nil {
		return nil, err
	}
	if err := onlyValues("autoVerifiedAttributes", in.AutoVerifiedAttributes, "email", "phone_number"); err != nil {
		return nil, err
	}
	policy := defaultPolicy()
	if in.Policies != nil && in.Policies.PasswordPolicy != nil {
		policy = *in.Policies.PasswordPolicy
		if policy.MinimumLength == 0 {
			policy.MinimumLength = 8
		}
		if policy.TemporaryPasswordValidityDays == 0 {
			policy.TemporaryPasswordValidityDays = 7
		}
	}
	if policy.MinimumLength < 6 || policy.MinimumLength > 99 {
		return nil, invalidParam("1 validation error detected: Value '%d' at 'policies.passwordPolicy.minimumLength' failed to satisfy constraint: Member must have value between 6 and 99", policy.MinimumLength)
	}
	if policy.TemporaryPasswordValidityDays < 0 || policy.TemporaryPasswordValidityDays > 365 {
		return nil, invalidParam("1 validation error detected: Value '%d' at 'policies.passwordPolicy.temporaryPasswordValidityDays' failed to satisfy constraint: Member must have value between 0 and 365", policy.TemporaryPasswordValidityDays)
	}
	schema, err := checkSchema(in.Schema)
	if err != nil {
		return nil, err
	}
	mfa := in.MfaConfiguration
	if mfa == "" {
		mfa = "OFF"
	}
	if err := onlyValues("mfaConfiguration", []string{mfa}, "OFF", "ON", "OPTIONAL"); err != nil {
		return nil, err
	}
	protection := in.DeletionProtection
	if protection == "" {
		protection = "INACTIVE"
	}
	if err := onlyValues("deletionProtection", []string{protection}, "ACTIVE", "INACTIVE"); err != nil {
		return nil, err
	}
	now := s.now().UTC()
	p := &pool{
		Name:                  in.PoolName,
		Created:               now,
		Modified:              now,
		Policy:                policy,
		AutoVerified:          in.AutoVerifiedAttributes,
		AliasAttributes:       in.AliasAttributes,
		UsernameAttributes:    in.UsernameAttributes,
		CaseSensitive:         true,
		UsernameConfiguration: in.UsernameConfiguration,
		Schema:                schema,
		MfaConfiguration:      mfa,
		Tags:                  in.UserPoolTags,
		DeletionProtection:    protection,
		Clients:               map[string]*client{},
		Users:                 map[string]*user{},
	}
	if c := in.UsernameConfiguration; c != nil && c.CaseSensitive != nil {
		p.CaseSensitive = *c.CaseSensitive
	}
	if c := in.AdminCreateUserConfig; c != nil {
		p.AdminCreateUserOnly = c.AllowAdminCreateUserOnly
		p.UnusedAccountValidDays = c.UnusedAccountValidityDays
	}
	// Key generation is slow; do it before taking the lock.
	if err := s.newKeys(p); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	for {
		p.ID = s.region + "_" + randomString(9, upperAlnum)
		if _, taken := s.pools[p.ID]; !taken {
			break
		}
	}
	if err := s.save(p); err != nil {
		return nil, err
	}
	s.index(p)
	return &CreateUserPoolOutput{UserPool: s.describePool(p)}, nil
}

var customNamePattern = regexp.MustCompile(`^[\p{L}\p{M}\p{S}\p{N}\p{P}]{1,20}$`)

// checkSchema validates schema entries; custom attribute names get their
// "custom:" prefix.
func checkSchema(in []SchemaAttribute) ([]SchemaAttribute, error) {
	seen := map[string]bool{}
	var out []SchemaAttribute
	for _, a := range in {
		name := a.Name
		if _, standard := standardAttributes[name]; !standard {
			bare := name
			if len(bare) > 7 && bare[:7] == "custom:" {
				bare = bare[7:]
			}
			if !customNamePattern.MatchString(bare) {
				return nil, invalidParam("Invalid custom attribute name %q: names are 1 to 20 characters.", a.Name)
			}
			if a.Required {
				return nil, invalidParam("Required custom attributes are not supported currently.")
			}
			name = "custom:" + bare
		}
		if seen[name] {
			return nil, invalidParam("Duplicate attribute name %s in the schema.", name)
		}
		seen[name] = true
		if a.AttributeDataType == "" {
			a.AttributeDataType = "String"
		}
		if err := onlyValues("schema.member.attributeDataType", []string{a.AttributeDataType}, "String", "Number", "DateTime", "Boolean"); err != nil {
			return nil, err
		}
		a.Name = name
		out = append(out, a)
	}
	return out, nil
}

func (s *Service) describePool(p *pool) UserPool {
	policy := p.Policy
	schema := append([]SchemaAttribute{{Name: "sub", AttributeDataType: "String", Mutable: new(bool), Required: true}}, p.Schema...)
	return UserPool{
		ID:                     p.ID,
		Name:                   p.Name,
		Arn:                    s.PoolARN(p.ID),
		Policies:               UserPoolPolicy{PasswordPolicy: &policy},
		LambdaConfig:           map[string]any{},
		CreationDate:           epochtime.Time(p.Created),
		LastModifiedDate:       epochtime.Time(p.Modified),
		SchemaAttributes:       schema,
		AutoVerifiedAttributes: p.AutoVerified,
		AliasAttributes:        p.AliasAttributes,
		UsernameAttributes:     p.UsernameAttributes,
		MfaConfiguration:       p.MfaConfiguration,
		EstimatedNumberOfUsers: len(p.Users),
		AdminCreateUserConfig:  AdminCreateUserConfig{AllowAdminCreateUserOnly: p.AdminCreateUserOnly, UnusedAccountValidityDays: p.UnusedAccountValidDays},
		UserPoolTags:           p.Tags,
		UsernameConfiguration:  p.UsernameConfiguration,
		DeletionProtection:     p.DeletionProtection,
	}
}

// getPool returns the pool with the given id. Callers hold mu.
func (s *Service) getPool(id string) (*pool, error) {
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	if id == "" {
		return nil, invalidParam("1 validation error detected: Value null at 'userPoolId' failed to satisfy constraint: Member must not be null")
	}
	p, ok := s.pools[id]
	if !ok {
		return nil, poolNotFound(id)
	}
	return p, nil
}

// DescribeUserPool describes a pool.
func (s *Service) DescribeUserPool(_ context.Context, in *DescribeUserPoolInput) (*DescribeUserPoolOutput, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, err := s.getPool(in.UserPoolID)
	if err != nil {
		return nil, err
	}
	return &DescribeUserPoolOutput{UserPool: s.describePool(p)}, nil
}

// ListUserPools lists pools in id order, a page at a time.
func (s *Service) ListUserPools(_ context.Context, in *ListUserPoolsInput) (*ListUserPoolsOutput, error) {
	if in.MaxResults < 1 || in.MaxResults > 60 {
		return nil, invalidParam("1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 60", in.MaxResults)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	ids, next := pageAfter(s.pools, in.NextToken, in.MaxResults)
	out := &ListUserPoolsOutput{UserPools: []UserPoolDescription{}, NextToken: next}
	for _, id := range ids {
		p := s.pools[id]
		out.UserPools = append(out.UserPools, UserPoolDescription{ID: p.ID, Name: p.Name, LambdaConfig: map[string]any{}, CreationDate: epochtime.Time(p.Created), LastModifiedDate: epochtime.Time(p.Modified)})
	}
	return out, nil
}

// pageAfter returns, in order, at most size of the keys of m that sort after
// token (the last key of the previous page, or ""), and the token of the next
// page ("" when this page is the last).
func pageAfter[V any](m map[string]V, token string, size int) (page []string, next string) {
	for id := range m {
		if id > token {
			page = append(page, id)
		}
	}
	slices.Sort(page)
	if len(page) > size {
		page = page[:size]
		next = page[size-1]
	}
	return page, next
}

// DeleteUserPool deletes a pool with its clients, users and keys.
func (s *Service) DeleteUserPool(_ context.Context, in *DeleteUserPoolInput) (*Empty, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.getPool(in.UserPoolID)
	if err != nil {
		return nil, err
	}
	if p.DeletionProtection == "ACTIVE" {
		return nil, invalidParam("The user pool cannot be deleted because deletion protection is activated.")
	}
	if s.dir != "" {
		if err := removeFile(s.poolFile(p.ID)); err != nil {
			return nil, err
		}
	}
	delete(s.pools, p.ID)
	delete(s.kids, p.kid)
	for id := range p.Clients {
		delete(s.clients, id)
	}
	return &Empty{}, nil
}

// Auth flow names a client may allow.
var allowFlows = []string{"ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_CUSTOM_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_AUTH"}
var legacyFlows = []string{"ADMIN_NO_SRP_AUTH", "CUSTOM_AUTH_FLOW_ONLY", "USER_PASSWORD_AUTH"}

var unitDurations = map[string]time.Duration{"seconds": time.Second, "minutes": time.Minute, "hours": time.Hour, "days": 24 * time.Hour}

// validity resolves one token validity and its unit, applying AWS's defaults
// and ranges.
func validity(field string, value int, unit, valueUnitDefault string, def time.Duration, defUnit string, lo, hi time.Duration) (int, string, error) {
	if unit == "" {
		if value == 0 {
			unit = defUnit
		} else {
			unit = valueUnitDefault
		}
	}
	d, ok := unitDurations[unit]
	if !ok {
		return 0, "", invalidParam("1 validation error detected: Value '%s' at 'tokenValidityUnits.%s' failed to satisfy constraint: Member must satisfy enum value set: [seconds, minutes, hours, days]", unit, field)
	}
	if value == 0 {
		value = max(1, int(def/d))
	}
	if got := time.Duration(value) * d; got < lo || got > hi {
		return 0, "", invalidParam("Invalid range for token validity: %s must be between %s and %s.", field, lo, hi)
	}
	return value, unit, nil
}

// CreateUserPoolClient creates an app client, with a secret when asked.
func (s *Service) CreateUserPoolClient(_ context.Context, in *CreateUserPoolClientInput) (*CreateUserPoolClientOutput, error) {
	if !poolNamePattern.MatchString(in.ClientName) {
		return nil, invalidParam("1 validation error detected: Value '%s' at 'clientName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w\\s+=,.@-]+ and have length between 1 and 128", in.ClientName)
	}
	flows := in.ExplicitAuthFlows
	if err := onlyValues("explicitAuthFlows", flows, append(slices.Clone(allowFlows), legacyFlows...)...); err != nil {
		return nil, err
	}
	legacy, modern := false, false
	for _, f := range flows {
		if slices.Contains(legacyFlows, f) {
			legacy = true
		} else {
			modern = true
		}
	}
	if legacy && modern {
		return nil, invalidParam("Legacy explicit auth flows cannot be combined with ALLOW_ values in ExplicitAuthFlows.")
	}
	if len(flows) == 0 {
		flows = []string{"ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_CUSTOM_AUTH"}
	}
	units := TokenValidityUnits{}
	if in.TokenValidityUnits != nil {
		units = *in.TokenValidityUnits
	}
	var err error
	c := &client{UserPoolClient: in.clientShape()}
	if c.AccessTokenValidity, units.AccessToken, err = validity("AccessToken", in.AccessTokenValidity, units.AccessToken, "hours", time.Hour, "minutes", 5*time.Minute, 24*time.Hour); err != nil {
		return nil, err
	}
	if c.IDTokenValidity, units.IDToken, err = validity("IdToken", in.IDTokenValidity, units.IDToken, "hours", time.Hour, "minutes", 5*time.Minute, 24*time.Hour); err != nil {
		return nil, err
	}
	if c.RefreshTokenValidity, units.RefreshToken, err = validity("RefreshToken", in.RefreshTokenValidity, units.RefreshToken, "days", 30*24*time.Hour, "days", time.Hour, 3650*24*time.Hour); err != nil {
		return nil, err
	}
	c.TokenValidityUnits = units
	c.ExplicitAuthFlows = flows
	if c.PreventUserExistenceErrors == "" {
		c.PreventUserExistenceErrors = "LEGACY"
	}
	if err := onlyValues("preventUserExistenceErrors", []string{c.PreventUserExistenceErrors}, "ENABLED", "LEGACY"); err != nil {
		return nil, err
	}
	c.EnableTokenRevocation = in.EnableTokenRevocation == nil || *in.EnableTokenRevocation
	if c.AuthSessionValidity == 0 {
		c.AuthSessionValidity = 3
	}
	if c.AuthSessionValidity < 3 || c.AuthSessionValidity > 15 {
		return nil, invalidParam("1 validation error detected: Value '%d' at 'authSessionValidity' failed to satisfy constraint: Member must have value between 3 and 15", c.AuthSessionValidity)
	}
	if in.GenerateSecret {
		c.ClientSecret = randomString(51, lowerAlnum)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.getPool(in.UserPoolID)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	c.Created, c.Modified = now, now
	c.CreationDate, c.LastModifiedDate = epochtime.Time(now), epochtime.Time(now)
	for {
		c.ClientID = randomString(26, lowerAlnum)
		if _, taken := s.clients[c.ClientID]; !taken {
			break
		}
	}
	p.Clients[c.ClientID] = c
	if err := s.save(p); err != nil {
		delete(p.Clients, c.ClientID)
		return nil, err
	}
	s.clients[c.ClientID] = p.ID
	return &CreateUserPoolClientOutput{UserPoolClient: c.UserPoolClient}, nil
}

// clientShape copies the settings a client echoes back.
func (in *CreateUserPoolClientInput) clientShape() UserPoolClient {
	return UserPoolClient{
		UserPoolID:                      in.UserPoolID,
		ClientName:                      in.ClientName,
		ReadAttributes:                  in.ReadAttributes,
		WriteAttributes:                 in.WriteAttributes,
		SupportedIdentityProviders:      in.SupportedIdentityProviders,
		CallbackURLs:                    in.CallbackURLs,
		LogoutURLs:                      in.LogoutURLs,
		AllowedOAuthFlows:               in.AllowedOAuthFlows,
		AllowedOAuthScopes:              in.AllowedOAuthScopes,
		AllowedOAuthFlowsUserPoolClient: in.AllowedOAuthFlowsUserPoolClient,
		PreventUserExistenceErrors:      in.PreventUserExistenceErrors,
		AuthSessionValidity:             in.AuthSessionValidity,
	}
}

// getClient returns a client of a pool. Callers hold mu.
func (s *Service) getClient(poolID, clientID string) (*pool, *client, error) {
	p, err := s.getPool(poolID)
	if err != nil {
		return nil, nil, err
	}
	c, ok := p.Clients[clientID]
	if !ok {
		return nil, nil, clientNotFound(clientID)
	}
	return p, c, nil
}

// clientByID finds a client and its pool from the client id alone (the
// unauthenticated operations carry no pool id). Callers hold mu.
func (s *Service) clientByID(clientID string) (*pool, *client, error) {
	if err := s.checkOpen(); err != nil {
		return nil, nil, err
	}
	if clientID == "" {
		return nil, nil, invalidParam("1 validation error detected: Value null at 'clientId' failed to satisfy constraint: Member must not be null")
	}
	poolID, ok := s.clients[clientID]
	if !ok {
		return nil, nil, clientNotFound(clientID)
	}
	return s.getClient(poolID, clientID)
}

// DescribeUserPoolClient describes an app client, including its secret.
func (s *Service) DescribeUserPoolClient(_ context.Context, in *DescribeUserPoolClientInput) (*DescribeUserPoolClientOutput, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, c, err := s.getClient(in.UserPoolID, in.ClientID)
	if err != nil {
		return nil, err
	}
	return &DescribeUserPoolClientOutput{UserPoolClient: c.UserPoolClient}, nil
}

// ListUserPoolClients lists a pool's clients in id order.
func (s *Service) ListUserPoolClients(_ context.Context, in *ListUserPoolClientsInput) (*ListUserPoolClientsOutput, error) {
	size := in.MaxResults
	if size == 0 {
		size = 60
	}
	if size < 1 || size > 60 {
		return nil, invalidParam("1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 60", in.MaxResults)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, err := s.getPool(in.UserPoolID)
	if err != nil {
		return nil, err
	}
	ids, next := pageAfter(p.Clients, in.NextToken, size)
	out := &ListUserPoolClientsOutput{UserPoolClients: []UserPoolClientDescription{}, NextToken: next}
	for _, id := range ids {
		c := p.Clients[id]
		out.UserPoolClients = append(out.UserPoolClients, UserPoolClientDescription{ClientID: id, UserPoolID: p.ID, ClientName: c.ClientName})
	}
	return out, nil
}

// DeleteUserPoolClient deletes an app client; its refresh tokens stop working.
func (s *Service) DeleteUserPoolClient(_ context.Context, in *DeleteUserPoolClientInput) (*Empty, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, c, err := s.getClient(in.UserPoolID, in.ClientID)
	if err != nil {
		return nil, err
	}
	delete(p.Clients, c.ClientID)
	if err := s.save(p); err != nil {
		p.Clients[c.ClientID] = c
		return nil, err
	}
	delete(s.clients, c.ClientID)
	return &Empty{}, nil
}
