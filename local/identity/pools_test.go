package identity

import (
	"context"
	"regexp"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

func TestPoolsAndClients(t *testing.T) {
	e := start(t, Options{})
	ctx := context.Background()
	c := e.client

	out, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{
		PoolName:              aws.String("dragons-users"),
		Policies:              &types.UserPoolPolicyType{PasswordPolicy: &types.PasswordPolicyType{MinimumLength: aws.Int32(12), RequireLowercase: true, RequireUppercase: true, RequireNumbers: true}},
		AdminCreateUserConfig: &types.AdminCreateUserConfigType{AllowAdminCreateUserOnly: true},
		Schema:                []types.SchemaAttributeType{{Name: aws.String("tier"), AttributeDataType: types.AttributeDataTypeString}},
	})
	if err != nil {
		t.Fatal(err)
	}
	p := out.UserPool
	id := aws.ToString(p.Id)
	if !regexp.MustCompile(`^us-east-1_[A-Za-z0-9]{9}$`).MatchString(id) {
		t.Fatalf("pool id %q", id)
	}
	if aws.ToString(p.Arn) != "arn:aws:cognito-idp:us-east-1:000000000000:userpool/"+id || aws.ToString(p.Name) != "dragons-users" {
		t.Fatalf("pool = %+v", p)
	}
	if pp := p.Policies.PasswordPolicy; aws.ToInt32(pp.MinimumLength) != 12 || pp.RequireSymbols || !pp.RequireNumbers || pp.TemporaryPasswordValidityDays != 7 {
		t.Fatalf("policy = %+v", pp)
	}
	if p.CreationDate == nil || p.CreationDate.IsZero() {
		t.Fatal("no creation date")
	}

	desc, err := c.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	if !desc.UserPool.AdminCreateUserConfig.AllowAdminCreateUserOnly || aws.ToString(desc.UserPool.Id) != id {
		t.Fatalf("described = %+v", desc.UserPool)
	}
	customFound := false
	for _, a := range desc.UserPool.SchemaAttributes {
		customFound = customFound || aws.ToString(a.Name) == "custom:tier"
	}
	if !customFound {
		t.Fatalf("schema = %+v", desc.UserPool.SchemaAttributes)
	}
	_, err = c.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String("us-east-1_nothere00")})
	wantErr[*types.ResourceNotFoundException](t, err)

	_, err = c.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("bad/name")})
	wantErr[*types.InvalidParameterException](t, err)
	_, err = c.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("x"), UsernameAttributes: []types.UsernameAttributeType{"email"}, AliasAttributes: []types.AliasAttributeType{"email"}})
	wantErr[*types.InvalidParameterException](t, err)
	_, err = c.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("x"), Policies: &types.UserPoolPolicyType{PasswordPolicy: &types.PasswordPolicyType{MinimumLength: aws.Int32(4)}}})
	wantErr[*types.InvalidParameterException](t, err)

	second := e.pool(t, &cip.CreateUserPoolInput{PoolName: aws.String("second")})
	seen := map[string]bool{}
	pages := cip.NewListUserPoolsPaginator(c, &cip.ListUserPoolsInput{MaxResults: aws.Int32(1)})
	n := 0
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n++
		for _, d := range page.UserPools {
			seen[aws.ToString(d.Id)] = true
		}
	}
	if !seen[id] || !seen[second] || len(seen) != 2 || n < 2 {
		t.Fatalf("listed %v in %d pages", seen, n)
	}
	_, err = c.ListUserPools(ctx, &cip.ListUserPoolsInput{MaxResults: aws.Int32(61)})
	wantErr[*types.InvalidParameterException](t, err)

	// Clients: defaults, secrets, flows.
	plain := e.appClient(t, id, false)
	if len(aws.ToString(plain.ClientId)) != 26 || plain.ClientSecret != nil {
		t.Fatalf("client = %+v", plain)
	}
	flows := map[types.ExplicitAuthFlowsType]bool{}
	for _, f := range plain.ExplicitAuthFlows {
		flows[f] = true
	}
	if !flows[types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth] || !flows[types.ExplicitAuthFlowsTypeAllowUserSrpAuth] || flows[types.ExplicitAuthFlowsTypeAllowUserPasswordAuth] {
		t.Fatalf("default flows = %v", plain.ExplicitAuthFlows)
	}
	if plain.AccessTokenValidity == nil || *plain.AccessTokenValidity != 60 || plain.TokenValidityUnits.AccessToken != types.TimeUnitsTypeMinutes || plain.RefreshTokenValidity != 30 || plain.TokenValidityUnits.RefreshToken != types.TimeUnitsTypeDays {
		t.Fatalf("validities = %v %v %+v", aws.ToInt32(plain.AccessTokenValidity), plain.RefreshTokenValidity, plain.TokenValidityUnits)
	}
	if plain.PreventUserExistenceErrors != types.PreventUserExistenceErrorTypesLegacy {
		t.Fatalf("prevent user existence errors = %s", plain.PreventUserExistenceErrors)
	}
	secret := e.appClient(t, id, true, passwordFlows...)
	if len(aws.ToString(secret.ClientSecret)) != 51 {
		t.Fatalf("secret = %q", aws.ToString(secret.ClientSecret))
	}
	dc, err := c.DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{UserPoolId: aws.String(id), ClientId: secret.ClientId})
	if err != nil || aws.ToString(dc.UserPoolClient.ClientSecret) != aws.ToString(secret.ClientSecret) || len(dc.UserPoolClient.ExplicitAuthFlows) != 3 {
		t.Fatalf("describe client = %+v, %v", dc, err)
	}
	_, err = c.DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{UserPoolId: aws.String(id), ClientId: aws.String("nope")})
	wantErr[*types.ResourceNotFoundException](t, err)
	_, err = c.DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{UserPoolId: aws.String(second), ClientId: secret.ClientId})
	wantErr[*types.ResourceNotFoundException](t, err)
	_, err = c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: aws.String(id), ClientName: aws.String("mixed"), ExplicitAuthFlows: []types.ExplicitAuthFlowsType{"USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}})
	wantErr[*types.InvalidParameterException](t, err)
	_, err = c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: aws.String(id), ClientName: aws.String("short"), AccessTokenValidity: aws.Int32(1), TokenValidityUnits: &types.TokenValidityUnitsType{AccessToken: types.TimeUnitsTypeMinutes}})
	wantErr[*types.InvalidParameterException](t, err)
	_, err = c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: aws.String("us-east-1_nothere00"), ClientName: aws.String("x")})
	wantErr[*types.ResourceNotFoundException](t, err)
	custom, err := c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: aws.String(id), ClientName: aws.String("custom"), AccessTokenValidity: aws.Int32(2), IdTokenValidity: aws.Int32(30), TokenValidityUnits: &types.TokenValidityUnitsType{IdToken: types.TimeUnitsTypeMinutes}})
	if err != nil || aws.ToInt32(custom.UserPoolClient.AccessTokenValidity) != 2 || custom.UserPoolClient.TokenValidityUnits.AccessToken != types.TimeUnitsTypeHours || custom.UserPoolClient.TokenValidityUnits.IdToken != types.TimeUnitsTypeMinutes {
		t.Fatalf("custom validities = %+v, %v", custom, err)
	}

	list, err := c.ListUserPoolClients(ctx, &cip.ListUserPoolClientsInput{UserPoolId: aws.String(id)})
	if err != nil || len(list.UserPoolClients) != 3 {
		t.Fatalf("clients = %+v, %v", list, err)
	}
	if _, err := c.DeleteUserPoolClient(ctx, &cip.DeleteUserPoolClientInput{UserPoolId: aws.String(id), ClientId: plain.ClientId}); err != nil {
		t.Fatal(err)
	}
	_, err = c.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: plain.ClientId, AuthFlow: types.AuthFlowTypeUserPasswordAuth, AuthParameters: map[string]string{"USERNAME": "u", "PASSWORD": "p"}})
	wantErr[*types.ResourceNotFoundException](t, err)

	if _, err := c.DeleteUserPool(ctx, &cip.DeleteUserPoolInput{UserPoolId: aws.String(id)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(id)})
	wantErr[*types.ResourceNotFoundException](t, err)
	_, err = c.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: secret.ClientId, AuthFlow: types.AuthFlowTypeUserPasswordAuth, AuthParameters: map[string]string{"USERNAME": "u", "PASSWORD": "p"}})
	wantErr[*types.ResourceNotFoundException](t, err)
	if _, err := e.svc.JWKS(id); err == nil {
		t.Fatal("JWKS of a deleted pool")
	}
}
