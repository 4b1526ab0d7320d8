package identity

import "github.com/dragons-dev/dragons/local/epochtime"

// The request and response shapes of the operations, named and tagged as in
// the Cognito user pools API. Fields the local service does not use are
// accepted (and ignored) by the JSON decoder.

// PasswordPolicy is a pool's password policy.
type PasswordPolicy struct {
	MinimumLength                 int  `json:"MinimumLength"`
	RequireUppercase              bool `json:"RequireUppercase"`
	RequireLowercase              bool `json:"RequireLowercase"`
	RequireNumbers                bool `json:"RequireNumbers"`
	RequireSymbols                bool `json:"RequireSymbols"`
	TemporaryPasswordValidityDays int  `json:"TemporaryPasswordValidityDays"`
}

// UserPoolPolicy holds a pool's policies.
type UserPoolPolicy struct {
	PasswordPolicy *PasswordPolicy `json:"PasswordPolicy,omitempty"`
}

// SchemaAttribute declares a standard attribute's settings or a custom
// attribute.
type SchemaAttribute struct {
	Name                       string         `json:"Name"`
	AttributeDataType          string         `json:"AttributeDataType,omitempty"`
	DeveloperOnlyAttribute     bool           `json:"DeveloperOnlyAttribute,omitempty"`
	Mutable                    *bool          `json:"Mutable,omitempty"`
	Required                   bool           `json:"Required,omitempty"`
	NumberAttributeConstraints map[string]any `json:"NumberAttributeConstraints,omitempty"`
	StringAttributeConstraints map[string]any `json:"StringAttributeConstraints,omitempty"`
}

// AdminCreateUserConfig is a pool's administrator-created-user settings.
type AdminCreateUserConfig struct {
	AllowAdminCreateUserOnly  bool `json:"AllowAdminCreateUserOnly"`
	UnusedAccountValidityDays int  `json:"UnusedAccountValidityDays,omitempty"`
}

// UsernameConfiguration sets user name case sensitivity.
type UsernameConfiguration struct {
	CaseSensitive *bool `json:"CaseSensitive,omitempty"`
}

// CreateUserPoolInput is the CreateUserPool request.
type CreateUserPoolInput struct {
	PoolName               string                 `json:"PoolName"`
	Policies               *UserPoolPolicy        `json:"Policies,omitempty"`
	AutoVerifiedAttributes []string               `json:"AutoVerifiedAttributes,omitempty"`
	AliasAttributes        []string               `json:"AliasAttributes,omitempty"`
	UsernameAttributes     []string               `json:"UsernameAttributes,omitempty"`
	Schema                 []SchemaAttribute      `json:"Schema,omitempty"`
	MfaConfiguration       string                 `json:"MfaConfiguration,omitempty"`
	UserPoolTags           map[string]string      `json:"UserPoolTags,omitempty"`
	AdminCreateUserConfig  *AdminCreateUserConfig `json:"AdminCreateUserConfig,omitempty"`
	UsernameConfiguration  *UsernameConfiguration `json:"UsernameConfiguration,omitempty"`
	DeletionProtection     string                 `json:"DeletionProtection,omitempty"`
}

// UserPool describes a pool (UserPoolType).
type UserPool struct {
	ID                     string                 `json:"Id"`
	Name                   string                 `json:"Name"`
	Arn                    string                 `json:"Arn"`
	Policies               UserPoolPolicy         `json:"Policies"`
	LambdaConfig           map[string]any         `json:"LambdaConfig"`
	CreationDate           epochtime.Time         `json:"CreationDate"`
	LastModifiedDate       epochtime.Time         `json:"LastModifiedDate"`
	SchemaAttributes       []SchemaAttribute      `json:"SchemaAttributes"`
	AutoVerifiedAttributes []string               `json:"AutoVerifiedAttributes,omitempty"`
	AliasAttributes        []string               `json:"AliasAttributes,omitempty"`
	UsernameAttributes     []string               `json:"UsernameAttributes,omitempty"`
	MfaConfiguration       string                 `json:"MfaConfiguration"`
	EstimatedNumberOfUsers int                    `json:"EstimatedNumberOfUsers"`
	AdminCreateUserConfig  AdminCreateUserConfig  `json:"AdminCreateUserConfig"`
	UserPoolTags           map[string]string      `json:"UserPoolTags,omitempty"`
	UsernameConfiguration  *UsernameConfiguration `json:"UsernameConfiguration,omitempty"`
	DeletionProtection     string                 `json:"DeletionProtection"`
}

// CreateUserPoolOutput is the CreateUserPool response.
type CreateUserPoolOutput struct {
	UserPool UserPool `json:"UserPool"`
}

// DescribeUserPoolInput is the DescribeUserPool request.
type DescribeUserPoolInput struct {
	UserPoolID string `json:"UserPoolId"`
}

// DescribeUserPoolOutput is the DescribeUserPool response.
type DescribeUserPoolOutput struct {
	UserPool UserPool `json:"UserPool"`
}

// ListUserPoolsInput is the ListUserPools request.
type ListUserPoolsInput struct {
	MaxResults int    `json:"MaxResults"`
	NextToken  string `json:"NextToken,omitempty"`
}

// UserPoolDescription is one pool in a ListUserPools page.
type UserPoolDescription struct {
	ID               string         `json:"Id"`
	Name             string         `json:"Name"`
	LambdaConfig     map[string]any `json:"LambdaConfig"`
	CreationDate     epochtime.Time `json:"CreationDate"`
	LastModifiedDate epochtime.Time `json:"LastModifiedDate"`
}

// ListUserPoolsOutput is the ListUserPools response.
type ListUserPoolsOutput struct {
	UserPools []UserPoolDescription `json:"UserPools"`
	NextToken string                `json:"NextToken,omitempty"`
}

// DeleteUserPoolInput is the DeleteUserPool request.
type DeleteUserPoolInput struct {
	UserPoolID string `json:"UserPoolId"`
}

// Empty is the response of operations that return nothing.
type Empty struct{}

// TokenValidityUnits gives the units of a client's token validities.
type TokenValidityUnits struct {
	AccessToken  string `json:"AccessToken,omitempty"`
	IDToken      string `json:"IdToken,omitempty"`
	RefreshToken string `json:"RefreshToken,omitempty"`
}

// CreateUserPoolClientInput is the CreateUserPoolClient request.
type CreateUserPoolClientInput struct {
	UserPoolID                      string              `json:"UserPoolId"`
	ClientName                      string              `json:"ClientName"`
	GenerateSecret                  bool                `json:"GenerateSecret,omitempty"`
	RefreshTokenValidity            int                 `json:"RefreshTokenValidity,omitempty"`
	AccessTokenValidity             int                 `json:"AccessTokenValidity,omitempty"`
	IDTokenValidity                 int                 `json:"IdTokenValidity,omitempty"`
	TokenValidityUnits              *TokenValidityUnits `json:"TokenValidityUnits,omitempty"`
	ReadAttributes                  []string            `json:"ReadAttributes,omitempty"`
	WriteAttributes                 []string            `json:"WriteAttributes,omitempty"`
	ExplicitAuthFlows               []string            `json:"ExplicitAuthFlows,omitempty"`
	SupportedIdentityProviders      []string            `json:"SupportedIdentityProviders,omitempty"`
	CallbackURLs                    []string            `json:"CallbackURLs,omitempty"`
	LogoutURLs                      []string            `json:"LogoutURLs,omitempty"`
	AllowedOAuthFlows               []string            `json:"AllowedOAuthFlows,omitempty"`
	AllowedOAuthScopes              []string            `json:"AllowedOAuthScopes,omitempty"`
	AllowedOAuthFlowsUserPoolClient bool                `json:"AllowedOAuthFlowsUserPoolClient,omitempty"`
	PreventUserExistenceErrors      string              `json:"PreventUserExistenceErrors,omitempty"`
	EnableTokenRevocation           *bool               `json:"EnableTokenRevocation,omitempty"`
	AuthSessionValidity             int                 `json:"AuthSessionValidity,omitempty"`
}

// UserPoolClient describes an app client (UserPoolClientType).
type UserPoolClient struct {
	UserPoolID                      string             `json:"UserPoolId"`
	ClientName                      string             `json:"ClientName"`
	ClientID                        string             `json:"ClientId"`
	ClientSecret                    string             `json:"ClientSecret,omitempty"`
	CreationDate                    epochtime.Time     `json:"CreationDate"`
	LastModifiedDate                epochtime.Time     `json:"LastModifiedDate"`
	RefreshTokenValidity            int                `json:"RefreshTokenValidity"`
	AccessTokenValidity             int                `json:"AccessTokenValidity"`
	IDTokenValidity                 int                `json:"IdTokenValidity"`
	TokenValidityUnits              TokenValidityUnits `json:"TokenValidityUnits"`
	ReadAttributes                  []string           `json:"ReadAttributes,omitempty"`
	WriteAttributes                 []string           `json:"WriteAttributes,omitempty"`
	ExplicitAuthFlows               []string           `json:"ExplicitAuthFlows"`
	SupportedIdentityProviders      []string           `json:"SupportedIdentityProviders,omitempty"`
	CallbackURLs                    []string           `json:"CallbackURLs,omitempty"`
	LogoutURLs                      []string           `json:"LogoutURLs,omitempty"`
	AllowedOAuthFlows               []string           `json:"AllowedOAuthFlows,omitempty"`
	AllowedOAuthScopes              []string           `json:"AllowedOAuthScopes,omitempty"`
	AllowedOAuthFlowsUserPoolClient bool               `json:"AllowedOAuthFlowsUserPoolClient"`
	PreventUserExistenceErrors      string             `json:"PreventUserExistenceErrors"`
	EnableTokenRevocation           bool               `json:"EnableTokenRevocation"`
	AuthSessionValidity             int                `json:"AuthSessionValidity"`
}

// CreateUserPoolClientOutput is the CreateUserPoolClient response.
type CreateUserPoolClientOutput struct {
	UserPoolClient UserPoolClient `json:"UserPoolClient"`
}

// DescribeUserPoolClientInput is the DescribeUserPoolClient request.
type DescribeUserPoolClientInput struct {
	UserPoolID string `json:"UserPoolId"`
	ClientID   string `json:"ClientId"`
}

// DescribeUserPoolClientOutput is the DescribeUserPoolClient response.
type DescribeUserPoolClientOutput struct {
	UserPoolClient UserPoolClient `json:"UserPoolClient"`
}

// ListUserPoolClientsInput is the ListUserPoolClients request.
type ListUserPoolClientsInput struct {
	UserPoolID string `json:"UserPoolId"`
	MaxResults int    `json:"MaxResults,omitempty"`
	NextToken  string `json:"NextToken,omitempty"`
}

// UserPoolClientDescription is one client in a ListUserPoolClients page.
type UserPoolClientDescription struct {
	ClientID   string `json:"ClientId"`
	UserPoolID string `json:"UserPoolId"`
	ClientName string `json:"ClientName"`
}

// ListUserPoolClientsOutput is the ListUserPoolClients response.
type ListUserPoolClientsOutput struct {
	UserPoolClients []UserPoolClientDescription `json:"UserPoolClients"`
	NextToken       string                      `json:"NextToken,omitempty"`
}

// DeleteUserPoolClientInput is the DeleteUserPoolClient request.
type DeleteUserPoolClientInput struct {
	UserPoolID string `json:"UserPoolId"`
	ClientID   string `json:"ClientId"`
}

// Attribute is a user attribute.
type Attribute struct {
	Name  string `json:"Name"`
	Value string `json:"Value"`
}

// User describes a user (UserType).
type User struct {
	Username             string         `json:"Username"`
	Attributes           []Attribute    `json:"Attributes"`
	UserCreateDate       epochtime.Time `json:"UserCreateDate"`
	UserLastModifiedDate epochtime.Time `json:"UserLastModifiedDate"`
	Enabled              bool           `json:"Enabled"`
	UserStatus           string         `json:"UserStatus"`
}

// AdminCreateUserInput is the AdminCreateUser request.
type AdminCreateUserInput struct {
	UserPoolID             string      `json:"UserPoolId"`
	Username               string      `json:"Username"`
	UserAttributes         []Attribute `json:"UserAttributes,omitempty"`
	ValidationData         []Attribute `json:"ValidationData,omitempty"`
	TemporaryPassword      string      `json:"TemporaryPassword,omitempty"`
	ForceAliasCreation     bool        `json:"ForceAliasCreation,omitempty"`
	MessageAction          string      `json:"MessageAction,omitempty"`
	DesiredDeliveryMediums []string    `json:"DesiredDeliveryMediums,omitempty"`
}

// AdminCreateUserOutput is the AdminCreateUser response.
type AdminCreateUserOutput struct {
	User User `json:"User"`
}

// AdminSetUserPasswordInput is the AdminSetUserPassword request.
type AdminSetUserPasswordInput struct {
	UserPoolID string `json:"UserPoolId"`
	Username   string `json:"Username"`
	Password   string `json:"Password"`
	Permanent  bool   `json:"Permanent,omitempty"`
}

// AdminUserInput names a user of a pool (AdminGetUser, AdminDeleteUser,
// AdminConfirmSignUp, AdminEnableUser, AdminDisableUser).
type AdminUserInput struct {
	UserPoolID string `json:"UserPoolId"`
	Username   string `json:"Username"`
}

// AdminGetUserOutput is the AdminGetUser response.
type AdminGetUserOutput struct {
	Username             string         `json:"Username"`
	UserAttributes       []Attribute    `json:"UserAttributes"`
	UserCreateDate       epochtime.Time `json:"UserCreateDate"`
	UserLastModifiedDate epochtime.Time `json:"UserLastModifiedDate"`
	Enabled              bool           `json:"Enabled"`
	UserStatus           string         `json:"UserStatus"`
}

// SignUpInput is the SignUp request.
type SignUpInput struct {
	ClientID       string      `json:"ClientId"`
	SecretHash     string      `json:"SecretHash,omitempty"`
	Username       string      `json:"Username"`
	Password       string      `json:"Password"`
	UserAttributes []Attribute `json:"UserAttributes,omitempty"`
	ValidationData []Attribute `json:"ValidationData,omitempty"`
}

// CodeDeliveryDetails says where a code was (notionally) sent.
type CodeDeliveryDetails struct {
	Destination    string `json:"Destination"`
	DeliveryMedium string `json:"DeliveryMedium"`
	AttributeName  string `json:"AttributeName"`
}

// SignUpOutput is the SignUp response.
type SignUpOutput struct {
	UserConfirmed       bool                 `json:"UserConfirmed"`
	CodeDeliveryDetails *CodeDeliveryDetails `json:"CodeDeliveryDetails,omitempty"`
	UserSub             string               `json:"UserSub"`
}

// ConfirmSignUpInput is the ConfirmSignUp request.
type ConfirmSignUpInput struct {
	ClientID           string `json:"ClientId"`
	SecretHash         string `json:"SecretHash,omitempty"`
	Username           string `json:"Username"`
	ConfirmationCode   string `json:"ConfirmationCode"`
	ForceAliasCreation bool   `json:"ForceAliasCreation,omitempty"`
}

// ResendConfirmationCodeInput is the ResendConfirmationCode request.
type ResendConfirmationCodeInput struct {
	ClientID   string `json:"ClientId"`
	SecretHash string `json:"SecretHash,omitempty"`
	Username   string `json:"Username"`
}

// ResendConfirmationCodeOutput is the ResendConfirmationCode response.
type ResendConfirmationCodeOutput struct {
	CodeDeliveryDetails *CodeDeliveryDetails `json:"CodeDeliveryDetails,omitempty"`
}

// InitiateAuthInput is the InitiateAuth request.
type InitiateAuthInput struct {
	AuthFlow       string            `json:"AuthFlow"`
	AuthParameters map[string]string `json:"AuthParameters,omitempty"`
	ClientMetadata map[string]string `json:"ClientMetadata,omitempty"`
	ClientID       string            `json:"ClientId"`
}

// AdminInitiateAuthInput is the AdminInitiateAuth request.
type AdminInitiateAuthInput struct {
	UserPoolID     string            `json:"UserPoolId"`
	ClientID       string            `json:"ClientId"`
	AuthFlow       string            `json:"AuthFlow"`
	AuthParameters map[string]string `json:"AuthParameters,omitempty"`
	ClientMetadata map[string]string `json:"ClientMetadata,omitempty"`
}

// AuthenticationResult carries the tokens of a successful sign-in.
type AuthenticationResult struct {
	AccessToken  string `json:"AccessToken"`
	ExpiresIn    int    `json:"ExpiresIn"`
	TokenType    string `json:"TokenType"`
	RefreshToken string `json:"RefreshToken,omitempty"`
	IDToken      string `json:"IdToken"`
}

// AuthOutput is the response of InitiateAuth, AdminInitiateAuth,
// RespondToAuthChallenge and AdminRespondToAuthChallenge: tokens, or a
// challenge with its session.
type AuthOutput struct {
	ChallengeName        string                `json:"ChallengeName,omitempty"`
	Session              string                `json:"Session,omitempty"`
	ChallengeParameters  map[string]string     `json:"ChallengeParameters"`
	AuthenticationResult *AuthenticationResult `json:"AuthenticationResult,omitempty"`
}

// RespondToAuthChallengeInput is the RespondToAuthChallenge request.
type RespondToAuthChallengeInput struct {
	ClientID           string            `json:"ClientId"`
	ChallengeName      string            `json:"ChallengeName"`
	Session            string            `json:"Session,omitempty"`
	ChallengeResponses map[string]string `json:"ChallengeResponses,omitempty"`
	ClientMetadata     map[string]string `json:"ClientMetadata,omitempty"`
}

// AdminRespondToAuthChallengeInput is the AdminRespondToAuthChallenge request.
type AdminRespondToAuthChallengeInput struct {
	UserPoolID         string            `json:"UserPoolId"`
	ClientID           string            `json:"ClientId"`
	ChallengeName      string            `json:"ChallengeName"`
	Session            string            `json:"Session,omitempty"`
	ChallengeResponses map[string]string `json:"ChallengeResponses,omitempty"`
	ClientMetadata     map[string]string `json:"ClientMetadata,omitempty"`
}

// GetUserInput is the GetUser request.
type GetUserInput struct {
	AccessToken string `json:"AccessToken"`
}

// GetUserOutput is the GetUser response.
type GetUserOutput struct {
	Username       string      `json:"Username"`
	UserAttributes []Attribute `json:"UserAttributes"`
}
