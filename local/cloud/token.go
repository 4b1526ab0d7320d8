package cloud

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// DefaultUser is the user `dragons up` creates in each user pool.
func DefaultUser() User {
	return User{Username: "dragonrider", Password: "Dragons-Local-2026", Email: "dragonrider@example.com"}
}

// FetchToken signs the local user in through Cognito's InitiateAuth
// (USER_PASSWORD_AUTH) on the edge and returns the ID token. The app client, the
// user's credentials and the region are read from the edge's stack details
// (StackDetailsPath).
func FetchToken(ctx context.Context, edgeURL string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, edgeURL+StackDetailsPath, nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("reach the local cloud at %s (is `dragons up` running?): %w", edgeURL, err)
	}
	defer resp.Body.Close()
	var st map[string]json.RawMessage
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return "", fmt.Errorf("read %s%s: %w", edgeURL, StackDetailsPath, err)
	}
	var resources map[string]json.RawMessage
	_ = json.Unmarshal(st["Resources"], &resources)
	var user struct{ Username, Password string }
	if err := json.Unmarshal(st["LocalUser"], &user); err != nil || user.Username == "" {
		return "", fmt.Errorf("the local cloud at %s has no local user", edgeURL)
	}
	clientID := ""
	for _, raw := range resources {
		var r struct {
			Type       string `json:"type"`
			PhysicalID string `json:"physicalId"`
		}
		if json.Unmarshal(raw, &r) == nil && r.Type == "AWS::Cognito::UserPoolClient" {
			clientID = r.PhysicalID
		}
	}
	if clientID == "" {
		return "", fmt.Errorf("the stack at %s has no Cognito user pool client", edgeURL)
	}
	region := "us-east-1"
	if raw, ok := st["Region"]; ok {
		if err := json.Unmarshal(raw, &region); err != nil || region == "" {
			return "", fmt.Errorf("the local cloud at %s reports no region", edgeURL)
		}
	}
	c := cip.New(cip.Options{Region: region, BaseEndpoint: aws.String(edgeURL),
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")})
	out, err := c.InitiateAuth(ctx, &cip.InitiateAuthInput{
		AuthFlow:       ciptypes.AuthFlowTypeUserPasswordAuth,
		ClientId:       aws.String(clientID),
		AuthParameters: map[string]string{"USERNAME": user.Username, "PASSWORD": user.Password},
	})
	if err != nil {
		return "", fmt.Errorf("initiate auth: %w", err)
	}
	if out.AuthenticationResult == nil || out.AuthenticationResult.IdToken == nil {
		return "", fmt.Errorf("initiate auth returned no ID token (challenge %s)", out.ChallengeName)
	}
	return *out.AuthenticationResult.IdToken, nil
}
