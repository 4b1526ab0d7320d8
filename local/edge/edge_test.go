package edge

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"

	"github.com/dragons-dev/dragons/local/awsproto"
)

type getParamIn struct{ Name string }
type getParamOut struct {
	Parameter map[string]any
}

func newSSMClient(url string) *ssm.Client {
	return ssm.New(ssm.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider("any", "any", ""),
	})
}

func TestEdgeRoutesByTargetAndDecodesTypedErrors(t *testing.T) {
	e := New(nil)
	e.HandleTarget("AmazonSSM", &awsproto.JSONService{
		Version: "1.1",
		Ops: map[string]awsproto.Operation{
			"GetParameter": awsproto.Op(func(_ context.Context, in *getParamIn) (*getParamOut, error) {
				if in.Name != "/known" {
					return nil, awsproto.Errorf(400, "ParameterNotFound", "parameter %s not found", in.Name)
				}
				return &getParamOut{Parameter: map[string]any{"Name": in.Name, "Value": "v1", "Type": "String"}}, nil
			}),
		},
	})
	srv := httptest.NewServer(e)
	defer srv.Close()
	c := newSSMClient(srv.URL)
	ctx := context.Background()

	out, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/known")})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(out.Parameter.Value); got != "v1" {
		t.Fatalf("value = %q, want v1", got)
	}

	_, err = c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/missing")})
	var nf *types.ParameterNotFound
	if !errors.As(err, &nf) {
		t.Fatalf("error = %v, want *types.ParameterNotFound", err)
	}

	_, err = c.DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: aws.String("/x")})
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "UnknownOperationException" {
		t.Fatalf("unknown operation error = %v, want UnknownOperationException", err)
	}
}

func TestEdgeUnroutedSignedRequestGetsError(t *testing.T) {
	srv := httptest.NewServer(New(nil))
	defer srv.Close()
	_, err := newSSMClient(srv.URL).GetParameter(context.Background(), &ssm.GetParameterInput{Name: aws.String("/x")})
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "UnrecognizedClientException" {
		t.Fatalf("error = %v, want UnrecognizedClientException", err)
	}
}

func TestHealthAndStack(t *testing.T) {
	e := New(nil)
	srv := httptest.NewServer(e)
	defer srv.Close()
	get := func(path string) (int, map[string]any) {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, body
	}
	if code, _ := get("/_local/health"); code != http.StatusServiceUnavailable {
		t.Fatalf("health before ready = %d, want 503", code)
	}
	e.SetHealth(func() map[string]any { return map[string]any{"ready": true, "edge": "x"} })
	e.SetStack(func() map[string]any { return map[string]any{"Bucket": "b"} })
	if code, body := get("/_local/health"); code != http.StatusOK || body["edge"] != "x" {
		t.Fatalf("health = %d %v", code, body)
	}
	if _, body := get("/_local/stack"); body["Bucket"] != "b" {
		t.Fatalf("stack = %v", body)
	}
}

func TestPathRoutesWinAndLongestPrefixFirst(t *testing.T) {
	e := New(nil)
	mk := func(name string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(name)) })
	}
	e.HandlePath("/a/", mk("short"))
	e.HandlePath("/a/b/", mk("long"))
	e.HandleFallback(mk("fallback"))
	for path, want := range map[string]string{"/a/x": "short", "/a/b/c": "long", "/zzz": "fallback"} {
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Body.String() != want {
			t.Errorf("%s routed to %q, want %q", path, rec.Body.String(), want)
		}
	}
}
