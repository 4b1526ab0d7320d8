package identity

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/dragons-dev/dragons/local/tokenverify"
)

// cliEnv is the environment every external client runs with: fixed
// credentials and region, no configuration files, no pager.
func cliEnv() []string {
	env := []string{
		"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"AWS_PAGER=", "AWS_EC2_METADATA_DISABLED=true",
	}
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PATH=") || strings.HasPrefix(kv, "HOME=") || strings.HasPrefix(kv, "PYENV") || strings.HasPrefix(kv, "LANG=") {
			env = append(env, kv)
		}
	}
	return env
}

// findCLI returns the path of an AWS CLI whose --version starts with prefix, or
// skips (fails when DRAGONS_REQUIRE_CLI=1) when there is none.
func findCLI(t *testing.T, path, prefix string) string {
	t.Helper()
	missing := func(why string) string {
		if os.Getenv("DRAGONS_REQUIRE_CLI") == "1" {
			t.Fatalf("%s (DRAGONS_REQUIRE_CLI=1)", why)
		}
		t.Skipf("skipping: %s", why)
		return ""
	}
	p, err := exec.LookPath(path)
	if err != nil {
		return missing("AWS CLI " + path + " is not installed")
	}
	cmd := exec.Command(p, "--version")
	cmd.Env = cliEnv()
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), prefix) {
		return missing(p + " is not " + prefix + " (" + strings.TrimSpace(string(out)) + ")")
	}
	return p
}

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
	for _, tc := range []struct{ name, bin, prefix string }{
		{"v1", "aws", "aws-cli/1."},
		{"v2", "/usr/bin/aws", "aws-cli/2."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			bin := findCLI(t, tc.bin, tc.prefix)
			e := start(t, Options{})
			poolID, clientID := localUser(t, e.svc, "rider", "Cli-Pass123!")
			ep := "--endpoint-url=" + e.url

			cmd := exec.Command(bin, "cognito-idp", "initiate-auth", ep, "--output", "json",
				"--auth-flow", "USER_PASSWORD_AUTH", "--client-id", clientID,
				"--auth-parameters", "USERNAME=rider,PASSWORD=Cli-Pass123!")
			cmd.Env = cliEnv()
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("initiate-auth: %v\n%s", err, out)
			}
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

			cmd = exec.Command(bin, "cognito-idp", "initiate-auth", ep,
				"--auth-flow", "USER_PASSWORD_AUTH", "--client-id", clientID,
				"--auth-parameters", "USERNAME=rider,PASSWORD=Wrong-Pass123!")
			cmd.Env = cliEnv()
			msg, err := cmd.CombinedOutput()
			if err == nil || !strings.Contains(string(msg), "NotAuthorizedException") || !strings.Contains(string(msg), "Incorrect username or password.") {
				t.Fatalf("wrong password: %v\n%s", err, msg)
			}
		})
	}
}

func TestBoto3(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err == nil {
		err = exec.Command(python, "-c", "import boto3").Run()
	}
	if err != nil {
		if os.Getenv("DRAGONS_REQUIRE_CLI") == "1" {
			t.Fatalf("python3 with boto3 is not available: %v", err)
		}
		t.Skipf("skipping: python3 with boto3 is not available: %v", err)
	}
	e := start(t, Options{FixedConfirmationCode: "314159"})
	cmd := exec.Command(python, "testdata/boto3_cognito.py", e.url, "314159")
	cmd.Env = cliEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("boto3 script: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "boto3 cognito ok") {
		t.Fatalf("boto3 script output: %s", out)
	}
}
