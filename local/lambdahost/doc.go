// Package lambdahost runs Lambda functions on this machine the way Lambda does: each
// function is a native binary started as a child process whose AWS_LAMBDA_RUNTIME_API
// points at a Runtime API server of its own (next, response, error and init/error;
// chunked bodies and the error trailers of a failed response stream). One process
// handles one invocation at a time; concurrency means more processes, up to the
// function's reserved concurrency (beyond which invocations are throttled) or the
// host's per-function process cap (beyond which they wait). A process idle for
// Options.IdleTimeout is stopped. A timeout kills the process, a crash restarts
// it, and stdout/stderr go to a log sink with START/END/REPORT lines.
//
// It also serves the Lambda Invoke API (RequestResponse with an optional log
// tail, Event with retries, a dead-letter queue and an OnFailure destination,
// DryRun), GetFunction and ListFunctions.
//
// It does not build binaries from templates (Build is a helper for that), emulate
// layers, versions or aliases, response streaming to the caller, or isolate
// processes from the host.
package lambdahost
