package identity

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dragons-dev/dragons/internal/crashtest"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/dragons-dev/dragons/local/tokenverify"
)

func TestRestartKeepsPoolsUsersAndKeys(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	issuer := "http://127.0.0.1:4566"
	e := start(t, Options{DataDir: dir, IssuerBase: issuer})
	poolID := e.pool(t, &cip.CreateUserPoolInput{PoolName: aws.String("durable")})
	clientID := aws.ToString(e.appClient(t, poolID, false, passwordFlows...).ClientId)
	e.confirmedUser(t, poolID, "keeper", "K33per!pass", attr("email", "keeper@example.com"))
	res := e.login(t, clientID, "keeper", "K33per!pass")
	jwksBefore, err := e.svc.JWKS(poolID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.SignUp(ctx, &cip.SignUpInput{ClientId: aws.String(clientID), Username: aws.String("pending"), Password: aws.String("P3nding!pass")}); err != nil {
		t.Fatal(err)
	}
	code, _ := e.svc.LastMessage(ctx, poolID, "pending")
	_ = e.svc.Close()

	e2 := start(t, Options{DataDir: dir, IssuerBase: issuer})
	// Tokens issued before the restart verify against the keys served after it.
	jwksAfter, err := e2.svc.JWKS(poolID)
	if err != nil {
		t.Fatal(err)
	}
	if jwksAfter.Keys[0] != jwksBefore.Keys[0] {
		t.Fatalf("key changed across restart: %+v vs %+v", jwksBefore.Keys[0], jwksAfter.Keys[0])
	}
	v, err := tokenverify.New(tokenverify.Config{
		Keys: tokenverify.NewRemote(e2.url + "/" + poolID + "/.well-known/jwks.json"), Issuer: issuer + "/" + poolID,
		ClientIDs: []string{clientID}, TokenUse: tokenverify.UseID,
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(ctx, aws.ToString(res.IdToken)); err != nil {
		t.Fatalf("pre-restart id token: %v", err)
	}
	me, err := e2.client.GetUser(ctx, &cip.GetUserInput{AccessToken: res.AccessToken})
	if err != nil || attrMap(me.UserAttributes)["email"] != "keeper@example.com" {
		t.Fatalf("GetUser with pre-restart token = %+v, %v", me, err)
	}
	refreshed, err := e2.client.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: aws.String(clientID), AuthFlow: types.AuthFlowTypeRefreshTokenAuth, AuthParameters: map[string]string{"REFRESH_TOKEN": aws.ToString(res.RefreshToken)}})
	if err != nil || refreshed.AuthenticationResult == nil {
		t.Fatalf("refresh with pre-restart token = %+v, %v", refreshed, err)
	}
	e2.login(t, clientID, "keeper", "K33per!pass")
	if _, err := e2.client.ConfirmSignUp(ctx, &cip.ConfirmSignUpInput{ClientId: aws.String(clientID), Username: aws.String("pending"), ConfirmationCode: aws.String(code.Code)}); err != nil {
		t.Fatalf("confirm with pre-restart code: %v", err)
	}
	list, err := e2.client.ListUserPools(ctx, &cip.ListUserPoolsInput{MaxResults: aws.Int32(10)})
	if err != nil || len(list.UserPools) != 1 {
		t.Fatalf("pools after restart = %+v, %v", list, err)
	}

	// The pool file holds no plain-text password.
	b, err := os.ReadFile(filepath.Join(dir, "pools", poolID+".json"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "K33per!pass") || strings.Contains(string(b), "P3nding!pass") {
		t.Fatal("a password is stored in plain text")
	}

	// Deleting the pool removes its file.
	if _, err := e2.client.DeleteUserPool(ctx, &cip.DeleteUserPoolInput{UserPoolId: aws.String(poolID)}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "pools", poolID+".json")); !os.IsNotExist(err) {
		t.Fatalf("pool file after delete: %v", err)
	}
}

func TestJWKSAndOpenIDDocuments(t *testing.T) {
	e := start(t, Options{})
	poolID := e.pool(t, &cip.CreateUserPoolInput{PoolName: aws.String("docs")})
	get := func(path string) (int, map[string]any) {
		t.Helper()
		resp, err := http.Get(e.url + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var v map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&v)
		return resp.StatusCode, v
	}
	code, doc := get("/" + poolID + "/.well-known/jwks.json")
	keys, _ := doc["keys"].([]any)
	if code != 200 || len(keys) != 1 {
		t.Fatalf("jwks = %d %v", code, doc)
	}
	k := keys[0].(map[string]any)
	if k["alg"] != "RS256" || k["kty"] != "RSA" || k["use"] != "sig" || k["e"] != "AQAB" || k["kid"] == "" {
		t.Fatalf("key = %v", k)
	}
	code, oidc := get("/" + poolID + "/.well-known/openid-configuration")
	if code != 200 || oidc["issuer"] != e.url+"/"+poolID || oidc["jwks_uri"] != e.url+"/"+poolID+"/.well-known/jwks.json" {
		t.Fatalf("openid configuration = %d %v", code, oidc)
	}
	if code, _ := get("/us-east-1_missing00/.well-known/jwks.json"); code != 404 {
		t.Fatalf("unknown pool = %d", code)
	}
	if code, _ := get("/" + poolID + "/other"); code != 404 {
		t.Fatalf("unknown document = %d", code)
	}
	if code, _ := get("/_local/cognito/messages?userPoolId=" + poolID + "&username=ghost"); code != 404 {
		t.Fatalf("message of unknown user = %d", code)
	}
}

func TestCorruptPoolFileStopsStartup(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "pools"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "pools", "us-east-1_broken000.json"), []byte(`{"id":`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Options{DataDir: dir}); err == nil || !strings.Contains(err.Error(), "us-east-1_broken000.json") {
		t.Fatalf("New on a corrupt directory = %v", err)
	}
}

// TestHelperProcess is not a test: TestKill9KeepsAcknowledgedUsers runs the
// test binary again with this test selected, and it creates users until killed.
func TestHelperProcess(t *testing.T) {
	dir := os.Getenv("IDENTITY_HELPER_DIR")
	if dir == "" {
		t.Skip("helper process for TestKill9KeepsAcknowledgedUsers; runs only when IDENTITY_HELPER_DIR is set")
	}
	svc, err := New(Options{DataDir: dir})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	ctx := context.Background()
	pool, err := svc.CreateUserPool(ctx, &CreateUserPoolInput{PoolName: "load"})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	fmt.Println("pool", pool.UserPool.ID)
	for i := 0; ; i++ {
		name := fmt.Sprintf("user%d", i)
		if _, err := svc.AdminCreateUser(ctx, &AdminCreateUserInput{UserPoolID: pool.UserPool.ID, Username: name, TemporaryPassword: "Load!Pass1", MessageAction: "SUPPRESS"}); err != nil {
			fmt.Println("error", err)
			os.Exit(2)
		}
		fmt.Println("ack", name)
	}
}

func TestKill9KeepsAcknowledgedUsers(t *testing.T) {
	dir := t.TempDir()
	child := crashtest.Start(t, "TestHelperProcess", "IDENTITY_HELPER_DIR="+dir)
	stdout := child.Stdout
	var poolID string
	var acked []string
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 2 && f[0] == "pool":
			poolID = f[1]
		case len(f) == 2 && f[0] == "ack":
			acked = append(acked, f[1])
		default:
			t.Fatalf("helper said %q", sc.Text())
		}
		if len(acked) == 60 {
			_ = child.Kill()
			break
		}
	}
	child.Wait()
	if len(acked) < 60 {
		t.Fatalf("helper stopped after %d users", len(acked))
	}
	svc, err := New(Options{DataDir: dir})
	if err != nil {
		t.Fatalf("restart after kill -9: %v", err)
	}
	defer svc.Close()
	ctx := context.Background()
	for _, name := range acked {
		if _, err := svc.AdminGetUser(ctx, &AdminUserInput{UserPoolID: poolID, Username: name}); err != nil {
			t.Fatalf("acknowledged user %s lost: %v", name, err)
		}
	}
}
