package restapi

import (
	"encoding/base64"
	"encoding/json"
	"math"
	"testing"

	lambdaevents "github.com/aws/aws-lambda-go/events"

	"github.com/dragons-dev/dragons/dragons"
)

func TestJSONAndError(t *testing.T) {
	r := JSON(202, map[string]string{"a": "b"})
	if r.StatusCode != 202 || r.Body != `{"a":"b"}` || r.Headers["Content-Type"] != "application/json" {
		t.Errorf("JSON = %+v", r)
	}
	e := Error(400, "bad", dragons.Problem{Path: "/family", Message: "is required"})
	var body ErrorBody
	if err := json.Unmarshal([]byte(e.Body), &body); err != nil {
		t.Fatal(err)
	}
	if e.StatusCode != 400 || body.Message != "bad" || len(body.Errors) != 1 || body.Errors[0].Path != "/family" {
		t.Errorf("Error = %+v", e)
	}
	if e := Error(404, "none"); e.Body != `{"message":"none","errors":[]}` {
		t.Errorf("Error without problems = %s", e.Body)
	}
	if r := JSON(200, math.NaN()); r.StatusCode != 500 {
		t.Errorf("unencodable body gave %d", r.StatusCode)
	}
}

func TestHeaderIsCaseInsensitive(t *testing.T) {
	req := lambdaevents.APIGatewayProxyRequest{
		Headers:           map[string]string{"idempotency-key": "k1"},
		MultiValueHeaders: map[string][]string{"X-Other": {"v1", "v2"}},
	}
	if Header(req, "Idempotency-Key") != "k1" || Header(req, "x-other") != "v1" || Header(req, "nope") != "" {
		t.Error("Header lookup failed")
	}
}

func TestBody(t *testing.T) {
	b, err := Body(lambdaevents.APIGatewayProxyRequest{Body: base64.StdEncoding.EncodeToString([]byte(`{"x":1}`)), IsBase64Encoded: true})
	if err != nil || string(b) != `{"x":1}` {
		t.Errorf("Body(base64) = %q, %v", b, err)
	}
	if _, err := Body(lambdaevents.APIGatewayProxyRequest{Body: "%%%", IsBase64Encoded: true}); err == nil {
		t.Error("bad base64 accepted")
	}
	if b, _ := Body(lambdaevents.APIGatewayProxyRequest{Body: "plain"}); string(b) != "plain" {
		t.Errorf("Body(plain) = %q", b)
	}
}

func TestCognitoSubject(t *testing.T) {
	req := lambdaevents.APIGatewayProxyRequest{}
	if CognitoSubject(req) != "" {
		t.Error("subject without authorizer")
	}
	req.RequestContext.Authorizer = map[string]any{"claims": map[string]any{"sub": "u-1", "email": "a@b"}}
	if CognitoSubject(req) != "u-1" {
		t.Errorf("CognitoSubject = %q", CognitoSubject(req))
	}
}
