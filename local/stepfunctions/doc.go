// Package stepfunctions is the local AWS Step Functions service: the JSON 1.0
// API (AWSStepFunctions.*) for state machines and executions, run on the
// local/asl engine, with the Lambda, SQS, EventBridge, nested Step Functions
// and S3 (AWS SDK) task integrations behind small interfaces, execution
// logging in Step Functions' CloudWatch Logs record shape, X-Ray segments per
// execution and TestState.
//
// Standard executions keep their history and are described, listed and
// stopped through the API; Express executions are not (the API rejects their
// ARNs as AWS does): their results come back from StartSyncExecution or go to
// the execution logs. With Options.DataDir, state machines and Standard
// execution records (with their histories) survive a restart. A Standard
// execution waiting in a top-level Wait state holds no goroutine (it is
// parked and woken on the service's clock) and resumes after a restart; one
// that was in any other state when the process stopped is not re-run: it is
// reported ABORTED with the error States.Runtime. Accepted Express
// executions are journaled and those that had not finished run again after a
// restart (at least once, as in AWS).
//
// It does not implement activities, task tokens (SendTask*), versions and
// aliases, Map runs, redrive, tags beyond storing them, or IAM: the role ARN
// is stored and never checked.
package stepfunctions
