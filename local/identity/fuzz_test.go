package identity

import (
	"context"
	"testing"
)

// FuzzOpaqueTokens feeds arbitrary strings where the service parses tokens:
// refresh tokens, challenge sessions and access tokens. Nothing may panic, and
// only the genuine tokens the test obtained may succeed.
func FuzzOpaqueTokens(f *testing.F) {
	ctx := context.Background()
	svc, err := New(Options{})
	if err != nil {
		f.Fatal(err)
	}
	pool, err := svc.CreateUserPool(ctx, &CreateUserPoolInput{PoolName: "fuzz"})
	if err != nil {
		f.Fatal(err)
	}
	poolID := pool.UserPool.ID
	cl, err := svc.CreateUserPoolClient(ctx, &CreateUserPoolClientInput{UserPoolID: poolID, ClientName: "c", ExplicitAuthFlows: []string{"ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}})
	if err != nil {
		f.Fatal(err)
	}
	clientID := cl.UserPoolClient.ClientID
	if _, err := svc.AdminCreateUser(ctx, &AdminCreateUserInput{UserPoolID: poolID, Username: "temp", TemporaryPassword: "Temp!pass1", MessageAction: "SUPPRESS"}); err != nil {
		f.Fatal(err)
	}
	challenge, err := svc.InitiateAuth(ctx, &InitiateAuthInput{ClientID: clientID, AuthFlow: FlowUserPassword, AuthParameters: map[string]string{"USERNAME": "temp", "PASSWORD": "Temp!pass1"}})
	if err != nil {
		f.Fatal(err)
	}
	if _, err := svc.AdminCreateUser(ctx, &AdminCreateUserInput{UserPoolID: poolID, Username: "ok", MessageAction: "SUPPRESS"}); err != nil {
		f.Fatal(err)
	}
	if _, err := svc.AdminSetUserPassword(ctx, &AdminSetUserPasswordInput{UserPoolID: poolID, Username: "ok", Password: "Okay!pass1", Permanent: true}); err != nil {
		f.Fatal(err)
	}
	tokens, err := svc.IssueTokens(ctx, poolID, clientID, "ok")
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{tokens.RefreshToken, tokens.AccessToken, tokens.IDToken, challenge.Session, "", "a.b.c", "AAAA"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if _, err := svc.InitiateAuth(ctx, &InitiateAuthInput{ClientID: clientID, AuthFlow: FlowRefreshToken, AuthParameters: map[string]string{"REFRESH_TOKEN": s}}); err == nil && s != tokens.RefreshToken {
			t.Fatalf("refresh accepted %q", s)
		}
		if _, err := svc.GetUser(ctx, &GetUserInput{AccessToken: s}); err == nil && s != tokens.AccessToken {
			t.Fatalf("GetUser accepted %q", s)
		}
		// A wrong password keeps the challenge from ever completing, so this
		// exercises only the session parser.
		if _, err := svc.RespondToAuthChallenge(ctx, &RespondToAuthChallengeInput{ClientID: clientID, ChallengeName: ChallengeNewPassword, Session: s, ChallengeResponses: map[string]string{"USERNAME": "temp", "NEW_PASSWORD": "short"}}); err == nil {
			t.Fatalf("challenge answered with session %q and a password that breaks the policy", s)
		}
	})
}
