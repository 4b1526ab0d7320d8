package identity

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/dragons-dev/dragons/local/tokenverify"
)

// verifier checks tokens against the JWKS document the service publishes over
// HTTP, the way the API gateway will.
func (e *env) verifier(t *testing.T, poolID, use string, clients ...string) *tokenverify.Verifier {
	t.Helper()
	v, err := tokenverify.New(tokenverify.Config{
		Keys:      tokenverify.NewRemote(e.url + "/" + poolID + "/.well-known/jwks.json"),
		Issuer:    e.url + "/" + poolID,
		ClientIDs: clients,
		TokenUse:  use,
		Now:       e.clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestAdminCreatedUserSignsInAfterNewPassword(t *testing.T) {
	e := start(t, Options{})
	ctx := context.Background()
	c := e.client
	poolID := e.pool(t, &cip.CreateUserPoolInput{PoolName: aws.String("dragons-users"), AdminCreateUserConfig: &types.AdminCreateUserConfigType{AllowAdminCreateUserOnly: true}})
	app := e.appClient(t, poolID, false, passwordFlows...)
	clientID := aws.ToString(app.ClientId)

	created, err := c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{
		UserPoolId: aws.String(poolID), Username: aws.String("rider"), TemporaryPassword: aws.String("Temp-Pass1"),
		MessageAction:  types.MessageActionTypeSuppress,
		UserAttributes: []types.AttributeType{attr("email", "rider@example.com"), attr("email_verified", "true"), attr("name", "Rider")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if created.User.UserStatus != types.UserStatusTypeForceChangePassword || !created.User.Enabled || aws.ToString(created.User.Username) != "rider" {
		t.Fatalf("created = %+v", created.User)
	}
	sub := attrMap(created.User.Attributes)["sub"]
	if len(sub) != 36 {
		t.Fatalf("sub = %q", sub)
	}
	_, err = c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(poolID), Username: aws.String("rider"), MessageAction: types.MessageActionTypeSuppress})
	wantErr[*types.UsernameExistsException](t, err)
	_, err = c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(poolID), Username: aws.String("weak"), TemporaryPassword: aws.String("short")})
	wantErr[*types.InvalidPasswordException](t, err)
	_, err = c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(poolID), Username: aws.String("odd"), UserAttributes: []types.AttributeType{attr("shoe_size", "44")}})
	if msg := wantErr[*types.InvalidParameterException](t, err); !strings.Contains(msg, "shoe_size") {
		t.Fatalf("message %q", msg)
	}
	_, err = c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String("us-east-1_nothere00"), Username: aws.String("x")})
	wantErr[*types.ResourceNotFoundException](t, err)

	got, err := c.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String("rider")})
	if err != nil || got.UserStatus != types.UserStatusTypeForceChangePassword || attrMap(got.UserAttributes)["email"] != "rider@example.com" {
		t.Fatalf("get user = %+v, %v", got, err)
	}

	// First sign-in: the temporary password leads to NEW_PASSWORD_REQUIRED.
	first, err := c.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: aws.String(clientID), AuthFlow: types.AuthFlowTypeUserPasswordAuth, AuthParameters: map[string]string{"USERNAME": "rider", "PASSWORD": "Temp-Pass1"}})
	if err != nil {
		t.Fatal(err)
	}
	if first.ChallengeName != types.ChallengeNameTypeNewPasswordRequired || aws.ToString(first.Session) == "" || first.AuthenticationResult != nil {
		t.Fatalf("first sign-in = %+v", first)
	}
	if first.ChallengeParameters["USER_ID_FOR_SRP"] != "rider" || !strings.Contains(first.ChallengeParameters["userAttributes"], "rider@example.com") {
		t.Fatalf("challenge parameters = %v", first.ChallengeParameters)
	}
	respond := func(session, password string) (*cip.RespondToAuthChallengeOutput, error) {
		return c.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{
			ClientId: aws.String(clientID), ChallengeName: types.ChallengeNameTypeNewPasswordRequired, Session: aws.String(session),
			ChallengeResponses: map[string]string{"USERNAME": "rider", "NEW_PASSWORD": password},
		})
	}
	_, err = respond(aws.ToString(first.Session), "weakpass")
	wantErr[*types.InvalidPasswordException](t, err)
	_, err = respond("bm90IGEgc2Vzc2lvbg", "Str0ng!Password")
	wantErr[*types.NotAuthorizedException](t, err)
	answered, err := respond(aws.ToString(first.Session), "Str0ng!Password")
	if err != nil {
		t.Fatal(err)
	}
	res := answered.AuthenticationResult
	if res == nil || aws.ToString(res.IdToken) == "" || aws.ToString(res.RefreshToken) == "" || aws.ToString(res.TokenType) != "Bearer" || res.ExpiresIn != 3600 {
		t.Fatalf("tokens = %+v", res)
	}
	// The session is spent once the password changed.
	_, err = respond(aws.ToString(first.Session), "An0ther!Password")
	wantErr[*types.NotAuthorizedException](t, err)

	// Tokens verify against the published JWKS and carry Cognito's claims.
	idClaims, err := e.verifier(t, poolID, tokenverify.UseID, clientID).Verify(ctx, aws.ToString(res.IdToken))
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{"sub": sub, "aud": clientID, "iss": e.url + "/" + poolID, "token_use": "id", "cognito:username": "rider", "email": "rider@example.com", "email_verified": true, "name": "Rider"} {
		if idClaims[k] != want {
			t.Errorf("id claim %s = %v, want %v", k, idClaims[k], want)
		}
	}
	for _, k := range []string{"auth_time", "exp", "iat", "event_id", "jti"} {
		if idClaims[k] == nil {
			t.Errorf("id token lacks %s", k)
		}
	}
	accessClaims, err := e.verifier(t, poolID, tokenverify.UseAccess, clientID).Verify(ctx, aws.ToString(res.AccessToken))
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{"sub": sub, "client_id": clientID, "token_use": "access", "scope": "aws.cognito.signin.user.admin", "username": "rider"} {
		if accessClaims[k] != want {
			t.Errorf("access claim %s = %v, want %v", k, accessClaims[k], want)
		}
	}
	if accessClaims["jti"] == nil || accessClaims["aud"] != nil {
		t.Errorf("access claims = %v", accessClaims)
	}
	if _, err := e.verifier(t, poolID, tokenverify.UseID, "another-client").Verify(ctx, aws.ToString(res.IdToken)); err == nil {
		t.Error("id token verified for another client")
	}

	// GetUser takes the access token only.
	me, err := c.GetUser(ctx, &cip.GetUserInput{AccessToken: res.AccessToken})
	if err != nil || aws.ToString(me.Username) != "rider" || attrMap(me.UserAttributes)["sub"] != sub {
		t.Fatalf("get user = %+v, %v", me, err)
	}
	_, err = c.GetUser(ctx, &cip.GetUserInput{AccessToken: res.IdToken})
	wantErr[*types.NotAuthorizedException](t, err)
	_, err = c.GetUser(ctx, &cip.GetUserInput{AccessToken: aws.String("garbage")})
	wantErr[*types.NotAuthorizedException](t, err)

	// Sign-in errors carry Cognito's names and messages.
	_, err = c.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: aws.String(clientID), AuthFlow: types.AuthFlowTypeUserPasswordAuth, AuthParameters: map[string]string{"USERNAME": "rider", "PASSWORD": "Temp-Pass1"}})
	if msg := wantErr[*types.NotAuthorizedException](t, err); msg != "Incorrect username or password." {
		t.Fatalf("message %q", msg)
	}
	_, err = c.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: aws.String(clientID), AuthFlow: types.AuthFlowTypeUserPasswordAuth, AuthParameters: map[string]string{"USERNAME": "nobody", "PASSWORD": "Whatever1!"}})
	wantErr[*types.UserNotFoundException](t, err)
	_, err = c.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: aws.String(clientID), AuthFlow: types.AuthFlowTypeUserPasswordAuth, AuthParameters: map[string]string{"USERNAME": "rider"}})
	wantErr[*types.InvalidParameterException](t, err)
	_, err = c.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: aws.String(clientID), AuthFlow: types.AuthFlowTypeUserSrpAuth, AuthParameters: map[string]string{"USERNAME": "rider"}})
	wantErr[*types.InvalidParameterException](t, err)
	e.login(t, clientID, "rider", "Str0ng!Password")

	// Admin password reset, disable, delete.
	if _, err := c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(poolID), Username: aws.String("rider"), Password: aws.String("weak"), Permanent: true}); err == nil {
		t.Fatal("weak admin password accepted")
	} else {
		wantErr[*types.InvalidPasswordException](t, err)
	}
	if _, err := c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(poolID), Username: aws.String("rider"), Password: aws.String("N3w!Password"), Permanent: true}); err != nil {
		t.Fatal(err)
	}
	e.login(t, clientID, "rider", "N3w!Password")
	admin, err := c.AdminInitiateAuth(ctx, &cip.AdminInitiateAuthInput{UserPoolId: aws.String(poolID), ClientId: aws.String(clientID), AuthFlow: types.AuthFlowTypeAdminUserPasswordAuth, AuthParameters: map[string]string{"USERNAME": "rider", "PASSWORD": "N3w!Password"}})
	if err != nil || admin.AuthenticationResult == nil {
		t.Fatalf("admin auth = %+v, %v", admin, err)
	}
	_, err = c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(poolID), Username: aws.String("ghost"), Password: aws.String("N3w!Password"), Permanent: true})
	wantErr[*types.UserNotFoundException](t, err)

	if _, err := c.AdminDisableUser(ctx, &cip.AdminDisableUserInput{UserPoolId: aws.String(poolID), Username: aws.String("rider")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: aws.String(clientID), AuthFlow: types.AuthFlowTypeUserPasswordAuth, AuthParameters: map[string]string{"USERNAME": "rider", "PASSWORD": "N3w!Password"}})
	if msg := wantErr[*types.NotAuthorizedException](t, err); msg != "User is disabled." {
		t.Fatalf("message %q", msg)
	}
	if _, err := c.AdminEnableUser(ctx, &cip.AdminEnableUserInput{UserPoolId: aws.String(poolID), Username: aws.String("rider")}); err != nil {
		t.Fatal(err)
	}
	e.login(t, clientID, "rider", "N3w!Password")

	if _, err := c.AdminDeleteUser(ctx, &cip.AdminDeleteUserInput{UserPoolId: aws.String(poolID), Username: aws.String("rider")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String("rider")})
	wantErr[*types.UserNotFoundException](t, err)
	_, err = c.AdminDeleteUser(ctx, &cip.AdminDeleteUserInput{UserPoolId: aws.String(poolID), Username: aws.String("rider")})
	wantErr[*types.UserNotFoundException](t, err)
	_, err = c.GetUser(ctx, &cip.GetUserInput{AccessToken: res.AccessToken})
	wantErr[*types.UserNotFoundException](t, err)
	_, err = c.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: aws.String(clientID), AuthFlow: types.AuthFlowTypeRefreshTokenAuth, AuthParameters: map[string]string{"REFRESH_TOKEN": aws.ToString(res.RefreshToken)}})
	wantErr[*types.NotAuthorizedException](t, err)
}

func TestSignUpAndConfirm(t *testing.T) {
	e := start(t, Options{})
	ctx := context.Background()
	c := e.client
	poolID := e.pool(t, &cip.CreateUserPoolInput{PoolName: aws.String("open"), AutoVerifiedAttributes: []types.VerifiedAttributeType{"email"},
		Schema: []types.SchemaAttributeType{{Name: aws.String("email"), Required: aws.Bool(true)}}})
	clientID := aws.ToString(e.appClient(t, poolID, false, passwordFlows...).ClientId)

	signUp := func(user, password string, attrs ...types.AttributeType) (*cip.SignUpOutput, error) {
		return c.SignUp(ctx, &cip.SignUpInput{ClientId: aws.String(clientID), Username: aws.String(user), Password: aws.String(password), UserAttributes: attrs})
	}
	out, err := signUp("wyvern", "Wyv3rn!pass", attr("email", "wyvern@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	if out.UserConfirmed || len(aws.ToString(out.UserSub)) != 36 || out.CodeDeliveryDetails == nil || out.CodeDeliveryDetails.DeliveryMedium != types.DeliveryMediumTypeEmail || aws.ToString(out.CodeDeliveryDetails.Destination) != "w***@e***" {
		t.Fatalf("sign up = %+v %+v", out, out.CodeDeliveryDetails)
	}
	_, err = signUp("wyvern", "Wyv3rn!pass", attr("email", "other@example.com"))
	wantErr[*types.UsernameExistsException](t, err)
	_, err = signUp("weakling", "password", attr("email", "w@example.com"))
	wantErr[*types.InvalidPasswordException](t, err)
	_, err = signUp("noemail", "Wyv3rn!pass")
	if msg := wantErr[*types.InvalidParameterException](t, err); !strings.Contains(msg, "email") {
		t.Fatalf("message %q", msg)
	}

	_, err = c.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: aws.String(clientID), AuthFlow: types.AuthFlowTypeUserPasswordAuth, AuthParameters: map[string]string{"USERNAME": "wyvern", "PASSWORD": "Wyv3rn!pass"}})
	wantErr[*types.UserNotConfirmedException](t, err)

	confirm := func(code string) error {
		_, err := c.ConfirmSignUp(ctx, &cip.ConfirmSignUpInput{ClientId: aws.String(clientID), Username: aws.String("wyvern"), ConfirmationCode: aws.String(code)})
		return err
	}
	msg, err := e.svc.LastMessage(ctx, poolID, "wyvern")
	if err != nil || msg.Kind != MessageConfirmationCode || len(msg.Code) != 6 || msg.Destination != "wyvern@example.com" {
		t.Fatalf("message = %+v, %v", msg, err)
	}
	wrong := "000000"
	if msg.Code == wrong {
		wrong = "111111"
	}
	wantErr[*types.CodeMismatchException](t, confirm(wrong))

	// The local endpoint serves the same code.
	resp, err := http.Get(e.url + "/_local/cognito/messages?userPoolId=" + poolID + "&username=wyvern")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var served Message
	if resp.StatusCode != 200 || json.Unmarshal(body, &served) != nil || served.Code != msg.Code {
		t.Fatalf("local endpoint = %d %s", resp.StatusCode, body)
	}

	if err := confirm(msg.Code); err != nil {
		t.Fatal(err)
	}
	wantErr[*types.NotAuthorizedException](t, confirm(msg.Code))
	res := e.login(t, clientID, "wyvern", "Wyv3rn!pass")
	me, err := c.GetUser(ctx, &cip.GetUserInput{AccessToken: res.AccessToken})
	if err != nil || attrMap(me.UserAttributes)["email_verified"] != "true" {
		t.Fatalf("confirmed user = %+v, %v", me, err)
	}

	// Codes expire; a resent code works; admins can confirm without one.
	if _, err := signUp("drake", "Dr4ke!pass", attr("email", "drake@example.com")); err != nil {
		t.Fatal(err)
	}
	first, _ := e.svc.LastMessage(ctx, poolID, "drake")
	e.clock.Advance(25 * time.Hour)
	_, err = c.ConfirmSignUp(ctx, &cip.ConfirmSignUpInput{ClientId: aws.String(clientID), Username: aws.String("drake"), ConfirmationCode: aws.String(first.Code)})
	wantErr[*types.ExpiredCodeException](t, err)
	resent, err := c.ResendConfirmationCode(ctx, &cip.ResendConfirmationCodeInput{ClientId: aws.String(clientID), Username: aws.String("drake")})
	if err != nil || resent.CodeDeliveryDetails == nil {
		t.Fatalf("resend = %+v, %v", resent, err)
	}
	second, _ := e.svc.LastMessage(ctx, poolID, "drake")
	if _, err := c.ConfirmSignUp(ctx, &cip.ConfirmSignUpInput{ClientId: aws.String(clientID), Username: aws.String("drake"), ConfirmationCode: aws.String(second.Code)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.ConfirmSignUp(ctx, &cip.ConfirmSignUpInput{ClientId: aws.String(clientID), Username: aws.String("ghost"), ConfirmationCode: aws.String("123456")})
	wantErr[*types.UserNotFoundException](t, err)

	if _, err := signUp("hatchling", "H4tch!pass", attr("email", "h@example.com")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AdminConfirmSignUp(ctx, &cip.AdminConfirmSignUpInput{UserPoolId: aws.String(poolID), Username: aws.String("hatchling")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.AdminConfirmSignUp(ctx, &cip.AdminConfirmSignUpInput{UserPoolId: aws.String(poolID), Username: aws.String("hatchling")})
	wantErr[*types.NotAuthorizedException](t, err)
	e.login(t, clientID, "hatchling", "H4tch!pass")

	// Pools that only let administrators create users refuse sign-up.
	closed := e.pool(t, &cip.CreateUserPoolInput{PoolName: aws.String("closed"), AdminCreateUserConfig: &types.AdminCreateUserConfigType{AllowAdminCreateUserOnly: true}})
	closedClient := e.appClient(t, closed, false)
	_, err = c.SignUp(ctx, &cip.SignUpInput{ClientId: closedClient.ClientId, Username: aws.String("x"), Password: aws.String("Wyv3rn!pass")})
	wantErr[*types.NotAuthorizedException](t, err)
}

func TestFixedConfirmationCode(t *testing.T) {
	e := start(t, Options{FixedConfirmationCode: "424242"})
	ctx := context.Background()
	poolID, err := e.svc.CreateUserPool(ctx, &CreateUserPoolInput{PoolName: "fixed", Policies: &UserPoolPolicy{PasswordPolicy: &PasswordPolicy{MinimumLength: 6}}})
	if err != nil {
		t.Fatal(err)
	}
	cl, err := e.svc.CreateUserPoolClient(ctx, &CreateUserPoolClientInput{UserPoolID: poolID.UserPool.ID, ClientName: "c", ExplicitAuthFlows: []string{"ALLOW_USER_PASSWORD_AUTH"}})
	if err != nil {
		t.Fatal(err)
	}
	out, err := e.svc.SignUp(ctx, &SignUpInput{ClientID: cl.UserPoolClient.ClientID, Username: "u", Password: "simple"})
	if err != nil || out.CodeDeliveryDetails != nil {
		t.Fatalf("sign up = %+v, %v", out, err)
	}
	if _, err := e.svc.ConfirmSignUp(ctx, &ConfirmSignUpInput{ClientID: cl.UserPoolClient.ClientID, Username: "u", ConfirmationCode: "424242"}); err != nil {
		t.Fatal(err)
	}
	// Legacy-style flows without ALLOW_REFRESH_TOKEN_AUTH still refresh? No:
	// this client lists only ALLOW_USER_PASSWORD_AUTH, so refresh is refused.
	res, err := e.svc.InitiateAuth(ctx, &InitiateAuthInput{ClientID: cl.UserPoolClient.ClientID, AuthFlow: FlowUserPassword, AuthParameters: map[string]string{"USERNAME": "u", "PASSWORD": "simple"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.InitiateAuth(ctx, &InitiateAuthInput{ClientID: cl.UserPoolClient.ClientID, AuthFlow: FlowRefreshToken, AuthParameters: map[string]string{"REFRESH_TOKEN": res.AuthenticationResult.RefreshToken}})
	if err == nil || !strings.Contains(err.Error(), "InvalidParameterException") {
		t.Fatalf("refresh on a client without ALLOW_REFRESH_TOKEN_AUTH: %v", err)
	}
}
