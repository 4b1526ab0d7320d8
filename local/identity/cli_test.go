package identity

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/dragons-dev/dragons/internal/clitest"
	"github.com/dragons-dev/dragons/local/tokenverify"
)

// localUser sets up a pool, a password-auth client and a confirmed user
// through the Go API.
func localUser(t *testing.T, svc *Service, username, password string) (poolID, clientID string) {
	t.Helper()
	ctx := context.Background()
	pool, err := svc.CreateUserPool(ctx, &CreateUserPoolInput{PoolName: "cli"})
	if err != nil {
		t.Fatal(err)
	}
	cl, err := svc.CreateUserPoolClient(ctx, &CreateUserPoolClientInput{UserPoolID: pool.UserPool.ID, ClientName: "cli", ExplicitAuthFlows: []string{"ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AdminCreateUser(ctx, &AdminCreateUserInput{UserPoolID: pool.UserPool.ID, Username: username, MessageAction: "SUPPRESS"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AdminSetUserPassword(ctx, &AdminSetUserPasswordInput{UserPoolID: pool.UserPool.ID, Username: username, Password: password, Permanent: true}); err != nil {
		t.Fatal(err)
	}
	return pool.UserPool.ID, cl.UserPoolClient.ClientID
}

func TestAWSCLIInitiateAuth(t *testing.T) {
	for _, cli := range clitest.CLIs() {
		t.Run(cli.Name, func(t *testing.T) {
			t.Parallel()
			aws := clitest.RequireCLI(t, cli)
			e := start(t, Options{})
			poolID, clientID := localUser(t, e.svc, "rider", "Cli-Pass123!")
			ep := "--endpoint-url=" + e.url

			out := aws.MustRun(t, "cognito-idp", "initiate-auth", ep, "--output", "json",
				"--auth-flow", "USER_PASSWORD_AUTH", "--client-id", clientID,
				"--auth-parameters", "USERNAME=rider,PASSWORD=Cli-Pass123!")
			var res struct {
				AuthenticationResult AuthenticationResult
			}
			if err := json.Unmarshal(out, &res); err != nil {
				t.Fatalf("output %s: %v", out, err)
			}
			v, err := tokenverify.New(tokenverify.Config{Keys: e.svc.KeySource(poolID), Issuer: e.svc.Issuer(poolID), ClientIDs: []string{clientID}, TokenUse: tokenverify.UseID})
			if err != nil {
				t.Fatal(err)
			}
			claims, err := v.Verify(context.Background(), res.AuthenticationResult.IDToken)
			if err != nil || claims["cognito:username"] != "rider" {
				t.Fatalf("CLI id token: %v, %v", claims, err)
			}

			msg, err := aws.Combined(t.Context(), "cognito-idp", "initiate-auth", ep,
				"--auth-flow", "USER_PASSWORD_AUTH", "--client-id", clientID,
				"--auth-parameters", "USERNAME=rider,PASSWORD=Wrong-Pass123!")
			if err == nil || !strings.Contains(string(msg), "NotAuthorizedException") || !strings.Contains(string(msg), "Incorrect username or password.") {
				t.Fatalf("wrong password: %v\n%s", err, msg)
			}
		})
	}
}

func TestBoto3(t *testing.T) {
	python := clitest.RequireBoto3(t)
	e := start(t, Options{FixedConfirmationCode: "314159"})
	out, err := python.Combined(t.Context(), "testdata/boto3_cognito.py", e.url, "314159")
	if err != nil {
		t.Fatalf("boto3 script: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "boto3 cognito ok") {
		t.Fatalf("boto3 script output: %s", out)
	}
}
