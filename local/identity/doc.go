// Package identity is the local cloud's Cognito user pools service
// (cognito-idp): an http.Handler speaking the JSON 1.1 protocol
// (X-Amz-Target "AWSCognitoIdentityProviderService.<Op>") and a Go API with the
// same operations for in-process callers (the template loader, `dragons token`).
//
// Supported: user pools and app clients (create, describe, list, delete; client
// secrets with SECRET_HASH checks; ExplicitAuthFlows; token validities), users
// (AdminCreateUser with temporary passwords, AdminSetUserPassword,
// AdminGetUser, AdminDeleteUser, AdminEnable/DisableUser, SignUp,
// ConfirmSignUp, AdminConfirmSignUp, ResendConfirmationCode, GetUser), and sign-in
// with USER_PASSWORD_AUTH / ADMIN_USER_PASSWORD_AUTH, REFRESH_TOKEN_AUTH and the
// NEW_PASSWORD_REQUIRED challenge. Pools may use email or phone number as the
// user name (UsernameAttributes) or as aliases, and enforce their password
// policy and attribute schema.
//
// Tokens: ID and access tokens are RS256 JWTs with Cognito's claims, signed by a
// per-pool RSA key whose public half is served as JWKS at
// /<poolId>/.well-known/jwks.json (JWKSHandler). The issuer is
// Options.IssuerBase + "/" + poolId. Refresh tokens and challenge sessions are
// opaque (AES-GCM sealed with a per-pool key), so they need no server-side state.
// The package tokenverify verifies what this package issues.
//
// Messages: nothing is emailed or texted. A confirmation code or invitation is
// logged, kept as the user's last message and readable with LastMessage or the
// local-only endpoint served by LocalHandler. Options.FixedConfirmationCode makes
// every code a known value for scripted tests.
//
// State lives under Options.DataDir, one file per pool written atomically before
// a call returns; "" keeps it in memory. Passwords are stored as salted
// PBKDF2-SHA256 hashes.
//
// It does NOT implement SRP, custom auth, MFA, hosted UI/OAuth endpoints,
// groups, identity providers, Lambda triggers, token revocation or password
// reset flows.
package identity
