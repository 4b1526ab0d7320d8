// Package params is the local cloud's SSM Parameter Store: an http.Handler that
// speaks the JSON 1.1 protocol (X-Amz-Target "AmazonSSM.<Op>") for PutParameter,
// GetParameter, GetParameters, GetParametersByPath, GetParameterHistory,
// DescribeParameters, DeleteParameter and DeleteParameters, and a Go API with the
// same operations plus Put/Get shortcuts for in-process callers such as the
// template loader.
//
// Parameters keep up to 100 versions, follow AWS's naming rules and value limits
// (4 KB for the standard tier, 8 KB for the advanced tier) and report errors with
// the names the SDKs decode into typed errors. With Options.DataDir set, every
// acknowledged change is written atomically (one file per parameter) before the
// call returns, and a new Service on the same directory serves the same state.
//
// It does NOT talk to KMS: SecureString values are stored in plain text under the
// data directory and returned encrypted (with a key that lives only as long as the
// Service) when WithDecryption is false. It does not implement labels, parameter
// policies, tags, resource policies or the integration/AMI data-type validations.
package params
