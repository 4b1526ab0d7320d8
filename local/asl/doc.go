// Package asl is an embeddable Amazon States Language engine: it parses a
// Step Functions state machine definition once into a typed tree,
// validates it the way CreateStateMachine does, and runs executions in
// process with the semantics AWS Step Functions shows.
//
// What it covers:
//
//   - every state type (Task, Pass, Choice, Wait, Succeed, Fail, Parallel,
//     Map with ItemsPath/Items, ItemSelector, ItemProcessor or the legacy
//     Iterator/Parameters, MaxConcurrency, tolerated failures, ItemReader
//     and ItemBatcher through the TaskInvoker);
//   - both query languages: JSONPath (InputPath, Parameters with ".$" keys
//     and the 18 intrinsic functions, ResultSelector, ResultPath, OutputPath,
//     the context object $$) and JSONata (Arguments, Output, Condition,
//     Items, $states), per machine or per state;
//   - workflow variables (Assign) with Step Functions' scoping;
//   - Retry (with MaxDelaySeconds and JitterStrategy), Catch, task timeouts
//     and heartbeats, execution timeouts, and the States.* error names;
//   - history events shaped like GetExecutionHistory's;
//   - TestState, the single-state test run of the Step Functions API;
//   - Suspended/Resume, so a Standard execution parked in a long Wait needs
//     no goroutine.
//
// Subpackages: jsonpath (the path dialect) and intrinsic (the States.*
// functions). Workflow tests with Step Functions Local mock files live in
// local/sfntest.
//
// Parse returns a *StateMachine or a *DefinitionError listing every
// problem with its location. (*StateMachine).Run executes it: Task states
// call a TaskInvoker that the embedder supplies, time comes from a Clock
// (FakeClock runs Wait states and back-off in virtual time), and history
// events go to an optional callback. A failed execution returns an
// *ExecError with the error name and cause.
//
// What it does NOT do: it makes no network calls and knows no AWS service
// (integrations are the TaskInvoker's job), it has no HTTP API, it does not
// persist executions (see Suspended for parking waiting executions), and it
// does not write Distributed Map results (ResultWriter is accepted and
// ignored). Objects are map[string]any, so key order is not preserved.
package asl
