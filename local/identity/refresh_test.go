package identity

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/dragons-dev/dragons/local/tokenverify"
)

func TestSecretHashAndRefresh(t *testing.T) {
	e := start(t, Options{})
	ctx := context.Background()
	c := e.client
	poolID := e.pool(t, &cip.CreateUserPoolInput{PoolName: aws.String("secretive")})
	app := e.appClient(t, poolID, true, passwordFlows...)
	clientID, secret := aws.ToString(app.ClientId), aws.ToString(app.ClientSecret)
	other := aws.ToString(e.appClient(t, poolID, false, passwordFlows...).ClientId)
	noPassword := aws.ToString(e.appClient(t, poolID, false).ClientId)
	e.confirmedUser(t, poolID, "knight", "Kn1ght!pass", attr("email", "k@example.com"))

	auth := func(params map[string]string) (*cip.InitiateAuthOutput, error) {
		return c.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: aws.String(clientID), AuthFlow: types.AuthFlowTypeUserPasswordAuth, AuthParameters: params})
	}
	_, err := auth(map[string]string{"USERNAME": "knight", "PASSWORD": "Kn1ght!pass"})
	if msg := wantErr[*types.NotAuthorizedException](t, err); !strings.Contains(msg, "secret") {
		t.Fatalf("message %q", msg)
	}
	_, err = auth(map[string]string{"USERNAME": "knight", "PASSWORD": "Kn1ght!pass", "SECRET_HASH": SecretHash(secret, "someoneelse", clientID)})
	if msg := wantErr[*types.NotAuthorizedException](t, err); !strings.Contains(msg, "Unable to verify secret hash") {
		t.Fatalf("message %q", msg)
	}
	out, err := auth(map[string]string{"USERNAME": "knight", "PASSWORD": "Kn1ght!pass", "SECRET_HASH": SecretHash(secret, "knight", clientID)})
	if err != nil {
		t.Fatal(err)
	}
	res := out.AuthenticationResult
	_, err = c.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: aws.String(noPassword), AuthFlow: types.AuthFlowTypeUserPasswordAuth, AuthParameters: map[string]string{"USERNAME": "knight", "PASSWORD": "Kn1ght!pass"}})
	if msg := wantErr[*types.InvalidParameterException](t, err); msg != "USER_PASSWORD_AUTH flow not enabled for this client" {
		t.Fatalf("message %q", msg)
	}

	refresh := func(client, token, hash string) (*cip.InitiateAuthOutput, error) {
		params := map[string]string{"REFRESH_TOKEN": token}
		if hash != "" {
			params["SECRET_HASH"] = hash
		}
		return c.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: aws.String(client), AuthFlow: types.AuthFlowTypeRefreshTokenAuth, AuthParameters: params})
	}
	e.clock.Advance(10 * time.Minute)
	_, err = refresh(clientID, aws.ToString(res.RefreshToken), "")
	wantErr[*types.NotAuthorizedException](t, err)
	again, err := refresh(clientID, aws.ToString(res.RefreshToken), SecretHash(secret, "knight", clientID))
	if err != nil {
		t.Fatal(err)
	}
	fresh := again.AuthenticationResult
	if fresh.RefreshToken != nil || aws.ToString(fresh.IdToken) == "" || aws.ToString(fresh.IdToken) == aws.ToString(res.IdToken) {
		t.Fatalf("refreshed = %+v", fresh)
	}
	v := e.verifier(t, poolID, tokenverify.UseID, clientID)
	before, err := v.Verify(ctx, aws.ToString(res.IdToken))
	if err != nil {
		t.Fatal(err)
	}
	after, err := v.Verify(ctx, aws.ToString(fresh.IdToken))
	if err != nil {
		t.Fatal(err)
	}
	if before["auth_time"] != after["auth_time"] || before["iat"] == after["iat"] || before["origin_jti"] != after["origin_jti"] {
		t.Fatalf("refresh claims: before %v after %v", before, after)
	}
	_, err = refresh(other, aws.ToString(res.RefreshToken), "")
	wantErr[*types.NotAuthorizedException](t, err)
	_, err = refresh(clientID, "not-a-refresh-token", SecretHash(secret, "knight", clientID))
	wantErr[*types.NotAuthorizedException](t, err)
	// A session (or any other sealed value) is not a refresh token.
	tampered := []byte(aws.ToString(res.RefreshToken))
	tampered[len(tampered)/2] ^= 1
	_, err = refresh(clientID, string(tampered), SecretHash(secret, "knight", clientID))
	wantErr[*types.NotAuthorizedException](t, err)

	// Refresh tokens expire with the client's refresh validity (30 days).
	e.clock.Advance(31 * 24 * time.Hour)
	_, err = refresh(clientID, aws.ToString(res.RefreshToken), SecretHash(secret, "knight", clientID))
	if msg := wantErr[*types.NotAuthorizedException](t, err); msg != "Refresh Token has expired" {
		t.Fatalf("message %q", msg)
	}
	// And so do access tokens, for GetUser.
	_, err = c.GetUser(ctx, &cip.GetUserInput{AccessToken: res.AccessToken})
	if msg := wantErr[*types.NotAuthorizedException](t, err); msg != "Access Token has expired" {
		t.Fatalf("message %q", msg)
	}
	if _, err := v.Verify(ctx, aws.ToString(res.IdToken)); err == nil {
		t.Fatal("expired id token verified")
	}
}

func TestTemporaryPasswordExpires(t *testing.T) {
	e := start(t, Options{})
	ctx := context.Background()
	poolID := e.pool(t, &cip.CreateUserPoolInput{PoolName: aws.String("temp")})
	clientID := aws.ToString(e.appClient(t, poolID, false, passwordFlows...).ClientId)
	created, err := e.client.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(poolID), Username: aws.String("late"), UserAttributes: []types.AttributeType{attr("email", "late@example.com")}})
	if err != nil {
		t.Fatal(err)
	}
	// Without SUPPRESS the invitation carries a generated temporary password.
	msg, err := e.svc.LastMessage(ctx, poolID, "late")
	if err != nil || msg.Kind != MessageInvitation || msg.TemporaryPassword == "" || created.User.UserStatus != types.UserStatusTypeForceChangePassword {
		t.Fatalf("invitation = %+v, %v", msg, err)
	}
	if err := checkPassword(defaultPolicy(), msg.TemporaryPassword); err != nil {
		t.Fatalf("generated password %q breaks the policy: %v", msg.TemporaryPassword, err)
	}
	e.clock.Advance(8 * 24 * time.Hour)
	_, err = e.client.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: aws.String(clientID), AuthFlow: types.AuthFlowTypeUserPasswordAuth, AuthParameters: map[string]string{"USERNAME": "late", "PASSWORD": msg.TemporaryPassword}})
	if m := wantErr[*types.NotAuthorizedException](t, err); !strings.Contains(m, "Temporary password has expired") {
		t.Fatalf("message %q", m)
	}
	// RESEND issues a new temporary password.
	if _, err := e.client.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(poolID), Username: aws.String("late"), MessageAction: types.MessageActionTypeResend}); err != nil {
		t.Fatal(err)
	}
	again, _ := e.svc.LastMessage(ctx, poolID, "late")
	out, err := e.client.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: aws.String(clientID), AuthFlow: types.AuthFlowTypeUserPasswordAuth, AuthParameters: map[string]string{"USERNAME": "late", "PASSWORD": again.TemporaryPassword}})
	if err != nil || out.ChallengeName != types.ChallengeNameTypeNewPasswordRequired {
		t.Fatalf("after resend = %+v, %v", out, err)
	}
	_, err = e.client.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(poolID), Username: aws.String("nobody"), MessageAction: types.MessageActionTypeResend})
	wantErr[*types.UserNotFoundException](t, err)
}

func TestEmailAsUsername(t *testing.T) {
	e := start(t, Options{})
	ctx := context.Background()
	c := e.client
	poolID := e.pool(t, &cip.CreateUserPoolInput{PoolName: aws.String("by-email"), UsernameAttributes: []types.UsernameAttributeType{"email"}, UsernameConfiguration: &types.UsernameConfigurationType{CaseSensitive: aws.Bool(false)}})
	out, err := c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: aws.String(poolID), ClientName: aws.String("app"), ExplicitAuthFlows: passwordFlows, PreventUserExistenceErrors: types.PreventUserExistenceErrorTypesEnabled})
	if err != nil {
		t.Fatal(err)
	}
	clientID := aws.ToString(out.UserPoolClient.ClientId)

	created, err := c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(poolID), Username: aws.String("Smaug@Example.com"), MessageAction: types.MessageActionTypeSuppress})
	if err != nil {
		t.Fatal(err)
	}
	name := aws.ToString(created.User.Username)
	attrs := attrMap(created.User.Attributes)
	if name != attrs["sub"] || attrs["email"] != "Smaug@Example.com" {
		t.Fatalf("user = %s %v", name, attrs)
	}
	if _, err := c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(poolID), Username: aws.String("smaug@example.com"), Password: aws.String("G0ld!hoard"), Permanent: true}); err != nil {
		t.Fatal(err)
	}
	res := e.login(t, clientID, "SMAUG@example.com", "G0ld!hoard")
	claims, err := e.verifier(t, poolID, tokenverify.UseID, clientID).Verify(ctx, aws.ToString(res.IdToken))
	if err != nil || claims["cognito:username"] != name || claims["email"] != "Smaug@Example.com" {
		t.Fatalf("claims = %v, %v", claims, err)
	}
	// The sub works as a user name for administrators.
	if _, err := c.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(poolID), Username: aws.String("smaug@example.COM")})
	wantErr[*types.UsernameExistsException](t, err)
	_, err = c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(poolID), Username: aws.String("not-an-email")})
	if m := wantErr[*types.InvalidParameterException](t, err); m != "Username should be an email." {
		t.Fatalf("message %q", m)
	}
	// With PreventUserExistenceErrors, an unknown user looks like a bad password.
	_, err = c.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: aws.String(clientID), AuthFlow: types.AuthFlowTypeUserPasswordAuth, AuthParameters: map[string]string{"USERNAME": "nobody@example.com", "PASSWORD": "G0ld!hoard"}})
	if m := wantErr[*types.NotAuthorizedException](t, err); m != "Incorrect username or password." {
		t.Fatalf("message %q", m)
	}
}

func TestIssueTokensGoAPI(t *testing.T) {
	e := start(t, Options{})
	ctx := context.Background()
	pool, err := e.svc.CreateUserPool(ctx, &CreateUserPoolInput{PoolName: "api"})
	if err != nil {
		t.Fatal(err)
	}
	poolID := pool.UserPool.ID
	cl, err := e.svc.CreateUserPoolClient(ctx, &CreateUserPoolClientInput{UserPoolID: poolID, ClientName: "c"})
	if err != nil {
		t.Fatal(err)
	}
	clientID := cl.UserPoolClient.ClientID
	if _, err := e.svc.AdminCreateUser(ctx, &AdminCreateUserInput{UserPoolID: poolID, Username: "local", MessageAction: "SUPPRESS"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.IssueTokens(ctx, poolID, clientID, "local"); err == nil {
		t.Fatal("tokens issued for a FORCE_CHANGE_PASSWORD user")
	}
	if _, err := e.svc.AdminSetUserPassword(ctx, &AdminSetUserPasswordInput{UserPoolID: poolID, Username: "local", Password: "L0cal!pass", Permanent: true}); err != nil {
		t.Fatal(err)
	}
	res, err := e.svc.IssueTokens(ctx, poolID, clientID, "local")
	if err != nil {
		t.Fatal(err)
	}
	v, err := tokenverify.New(tokenverify.Config{Keys: e.svc.KeySource(poolID), Issuer: e.svc.Issuer(poolID), ClientIDs: []string{clientID}, TokenUse: tokenverify.UseID})
	if err != nil {
		t.Fatal(err)
	}
	claims, err := v.Verify(ctx, res.IDToken)
	if err != nil || claims["cognito:username"] != "local" {
		t.Fatalf("claims = %v, %v", claims, err)
	}
	if _, err := e.svc.IssueTokens(ctx, poolID, "nope", "local"); err == nil {
		t.Fatal("tokens for an unknown client")
	}
	if e.svc.Issuer(poolID) != e.url+"/"+poolID || e.svc.PoolARN(poolID) != "arn:aws:cognito-idp:us-east-1:000000000000:userpool/"+poolID {
		t.Fatalf("issuer %s arn %s", e.svc.Issuer(poolID), e.svc.PoolARN(poolID))
	}
	other, err := New(Options{Region: "eu-west-1"})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if got := other.Issuer("eu-west-1_x"); got != "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_x" {
		t.Fatalf("default issuer = %s", got)
	}
}
