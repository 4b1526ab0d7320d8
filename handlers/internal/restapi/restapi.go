// Package restapi reads API Gateway (REST API, Lambda proxy integration)
// requests and writes their responses: JSON bodies, the error shape
// {"message": ..., "errors": [...]}, header lookup and body decoding.
//
// It knows nothing about dragons beyond the problem list it renders, and
// it does not route: each function serves one resource.
package restapi

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	lambdaevents "github.com/aws/aws-lambda-go/events"

	"github.com/dragons-dev/dragons/dragons"
)

// JSON returns a response with v encoded as its JSON body.
func JSON(status int, v any) lambdaevents.APIGatewayProxyResponse {
	b, err := json.Marshal(v)
	if err != nil {
		return Error(http.StatusInternalServerError, "could not encode the response")
	}
	return lambdaevents.APIGatewayProxyResponse{
		StatusCode: status,
		Headers: map[string]string{
			"Content-Type":                "application/json",
			"Access-Control-Allow-Origin": "*",
		},
		Body: string(b),
	}
}

// ErrorBody is the JSON body of every error response.
type ErrorBody struct {
	Message string            `json:"message"`
	Errors  []dragons.Problem `json:"errors"`
}

// Error returns an error response listing problems (an empty list when
// there are none).
func Error(status int, message string, problems ...dragons.Problem) lambdaevents.APIGatewayProxyResponse {
	if problems == nil {
		problems = []dragons.Problem{}
	}
	return JSON(status, ErrorBody{Message: message, Errors: problems})
}

// Header returns the first value of a request header, matching the name
// without regard to case, as HTTP does.
func Header(req lambdaevents.APIGatewayProxyRequest, name string) string {
	for k, v := range req.Headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	for k, vs := range req.MultiValueHeaders {
		if strings.EqualFold(k, name) && len(vs) > 0 {
			return vs[0]
		}
	}
	return ""
}

// Body returns the request body, decoding it when API Gateway passed it
// base64-encoded.
func Body(req lambdaevents.APIGatewayProxyRequest) ([]byte, error) {
	if !req.IsBase64Encoded {
		return []byte(req.Body), nil
	}
	b, err := base64.StdEncoding.DecodeString(req.Body)
	if err != nil {
		return nil, fmt.Errorf("decode base64 body: %w", err)
	}
	return b, nil
}

// CognitoSubject returns the "sub" claim that a Cognito user pool
// authorizer put in the request context, or "".
func CognitoSubject(req lambdaevents.APIGatewayProxyRequest) string {
	claims, ok := req.RequestContext.Authorizer["claims"].(map[string]any)
	if !ok {
		return ""
	}
	sub, _ := claims["sub"].(string)
	return sub
}
