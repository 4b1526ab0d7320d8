package identity

import (
	"context"
	"errors"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"

	"github.com/dragons-dev/dragons/local/edge"
)

// testClock is an adjustable clock.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *testClock { return &testClock{t: time.Now()} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is a Service served on 127.0.0.1:0 through the edge, registered the way
// the local cloud registers it: the API by X-Amz-Target prefix and SigV4
// service, the local message endpoint by path and the JWKS documents through
// the fallback route.
type env struct {
	svc    *Service
	url    string
	client *cip.Client
	clock  *testClock
}

func start(t *testing.T, opts Options) *env {
	t.Helper()
	clock := newClock()
	if opts.Now == nil {
		opts.Now = clock.Now
	}
	e := edge.New(nil)
	srv := httptest.NewServer(e)
	if opts.IssuerBase == "" {
		opts.IssuerBase = srv.URL
	}
	svc, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	e.HandleTarget("AWSCognitoIdentityProviderService", svc)
	e.Handle("cognito-idp", svc)
	e.HandlePath("/_local/cognito/", svc.LocalHandler())
	e.HandleFallback(svc.JWKSHandler())
	t.Cleanup(func() {
		srv.Close()
		_ = svc.Close()
	})
	return &env{svc: svc, url: srv.URL, client: newClient(srv.URL), clock: clock}
}

func newClient(url string) *cip.Client {
	return cip.New(cip.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
	})
}

// wantErr fails unless err decodes into the SDK's typed error T; it returns
// the error's message.
func wantErr[T error](t *testing.T, err error) string {
	t.Helper()
	var target T
	if !errors.As(err, &target) {
		t.Fatalf("error = %v (%T), want %T", err, err, target)
	}
	var api smithy.APIError
	errors.As(err, &api)
	return api.ErrorMessage()
}

func (e *env) pool(t *testing.T, in *cip.CreateUserPoolInput) string {
	t.Helper()
	out, err := e.client.CreateUserPool(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.UserPool.Id)
}

func (e *env) appClient(t *testing.T, poolID string, secret bool, flows ...types.ExplicitAuthFlowsType) *types.UserPoolClientType {
	t.Helper()
	out, err := e.client.CreateUserPoolClient(context.Background(), &cip.CreateUserPoolClientInput{
		UserPoolId: aws.String(poolID), ClientName: aws.String("app"), GenerateSecret: secret, ExplicitAuthFlows: flows,
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.UserPoolClient
}

var passwordFlows = []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth, types.ExplicitAuthFlowsTypeAllowAdminUserPasswordAuth}

// confirmedUser creates a user with a permanent password.
func (e *env) confirmedUser(t *testing.T, poolID, username, password string, attrs ...types.AttributeType) {
	t.Helper()
	ctx := context.Background()
	if _, err := e.client.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(poolID), Username: aws.String(username), UserAttributes: attrs, MessageAction: types.MessageActionTypeSuppress}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(poolID), Username: aws.String(username), Password: aws.String(password), Permanent: true}); err != nil {
		t.Fatal(err)
	}
}

func (e *env) login(t *testing.T, clientID, username, password string) *types.AuthenticationResultType {
	t.Helper()
	out, err := e.client.InitiateAuth(context.Background(), &cip.InitiateAuthInput{
		ClientId: aws.String(clientID), AuthFlow: types.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": username, "PASSWORD": password},
	})
	if err != nil {
		t.Fatalf("login %s: %v", username, err)
	}
	if out.AuthenticationResult == nil {
		t.Fatalf("login %s: challenge %s instead of tokens", username, out.ChallengeName)
	}
	return out.AuthenticationResult
}

func attr(name, value string) types.AttributeType {
	return types.AttributeType{Name: aws.String(name), Value: aws.String(value)}
}

func attrMap(as []types.AttributeType) map[string]string {
	m := map[string]string{}
	for _, a := range as {
		m[aws.ToString(a.Name)] = aws.ToString(a.Value)
	}
	return m
}
