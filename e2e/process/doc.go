// Package process tests the dragons command the way a developer runs it:
// `dragons up` as a separate operating-system process, started on free ports,
// stopped with Ctrl-C, killed with SIGKILL under load and restarted on the
// same data directory, and driven from outside by aws-sdk-go-v2, the AWS CLI
// (v1 and Debian's v2) and boto3 against its edge endpoint.
//
// It holds only tests. It does not start the local cloud in-process (package
// e2e does that) and does not check each service's protocol in depth (the
// service packages do).
package process
