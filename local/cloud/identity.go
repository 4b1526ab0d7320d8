package cloud

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/dragons-dev/dragons/local/awsproto"
	"github.com/dragons-dev/dragons/local/identity"
	"github.com/dragons-dev/dragons/local/stack"
)

// pools adapts the local Cognito to the stack, reusing pools and clients by name
// so a restart keeps pool ids, users and keys.
type pools struct{ idp *identity.Service }

func (p pools) EnsureUserPool(ctx context.Context, s stack.PoolSpec) (string, string, error) {
	list, err := p.idp.ListUserPools(ctx, &identity.ListUserPoolsInput{MaxResults: 60})
	if err != nil {
		return "", "", fmt.Errorf("list user pools: %w", err)
	}
	for _, d := range list.UserPools {
		if d.Name == s.Name {
			return d.ID, p.idp.PoolARN(d.ID), nil
		}
	}
	in := &identity.CreateUserPoolInput{
		PoolName: s.Name,
		Policies: &identity.UserPoolPolicy{PasswordPolicy: &identity.PasswordPolicy{
			MinimumLength: s.MinLength, RequireLowercase: s.RequireLowercase, RequireUppercase: s.RequireUppercase,
			RequireNumbers: s.RequireNumbers, RequireSymbols: s.RequireSymbols, TemporaryPasswordValidityDays: 7,
		}},
		UsernameAttributes:     s.UsernameAttributes,
		AutoVerifiedAttributes: s.AutoVerifyAttributes,
		AdminCreateUserConfig:  &identity.AdminCreateUserConfig{AllowAdminCreateUserOnly: s.AdminCreateUserOnly},
	}
	out, err := p.idp.CreateUserPool(ctx, in)
	if err != nil {
		return "", "", fmt.Errorf("create user pool %s: %w", s.Name, err)
	}
	return out.UserPool.ID, p.idp.PoolARN(out.UserPool.ID), nil
}

func (p pools) EnsureUserPoolClient(ctx context.Context, poolID, name string, flows []string) (string, error) {
	list, err := p.idp.ListUserPoolClients(ctx, &identity.ListUserPoolClientsInput{UserPoolID: poolID, MaxResults: 60})
	if err != nil {
		return "", fmt.Errorf("list clients of %s: %w", poolID, err)
	}
	for _, c := range list.UserPoolClients {
		if c.ClientName == name {
			return c.ClientID, nil
		}
	}
	out, err := p.idp.CreateUserPoolClient(ctx, &identity.CreateUserPoolClientInput{UserPoolID: poolID, ClientName: name, ExplicitAuthFlows: flows})
	if err != nil {
		return "", fmt.Errorf("create client %s: %w", name, err)
	}
	return out.UserPoolClient.ClientID, nil
}

// ensureUsers creates the configured local user, with a permanent password, in
// every user pool of the stack.
func (c *Cloud) ensureUsers(ctx context.Context) error {
	u := c.cfg.User
	if u.Username == "" || c.Stack == nil {
		return nil
	}
	for id, r := range c.Stack.Resources {
		if r.Type != "AWS::Cognito::UserPool" {
			continue
		}
		pool, _ := r.Ref.(string)
		_, err := c.IdP.AdminGetUser(ctx, &identity.AdminUserInput{UserPoolID: pool, Username: u.Username})
		if err == nil {
			continue
		}
		if !awsproto.IsCode(err, "UserNotFoundException") {
			return fmt.Errorf("look up the local user in %s: %w", id, err)
		}
		in := &identity.AdminCreateUserInput{UserPoolID: pool, Username: u.Username, MessageAction: "SUPPRESS"}
		if u.Email != "" {
			in.UserAttributes = []identity.Attribute{{Name: "email", Value: u.Email}, {Name: "email_verified", Value: "true"}}
		}
		if _, err := c.IdP.AdminCreateUser(ctx, in); err != nil {
			return fmt.Errorf("create the local user in %s: %w", id, err)
		}
		if _, err := c.IdP.AdminSetUserPassword(ctx, &identity.AdminSetUserPasswordInput{UserPoolID: pool, Username: u.Username, Password: u.Password, Permanent: true}); err != nil {
			return fmt.Errorf("set the local user's password in %s: %w", id, err)
		}
	}
	return nil
}

// identityRoutes mounts Cognito's unsigned HTTP endpoints: JWKS and OpenID
// configuration documents under /<poolId>/.well-known/, and the local message
// endpoint for confirmation codes.
func (c *Cloud) identityRoutes() http.Handler {
	jwks := c.IdP.JWKSHandler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/.well-known/") {
			jwks.ServeHTTP(w, r)
			return
		}
		c.s3Faults.ServeHTTP(w, r)
	})
}
