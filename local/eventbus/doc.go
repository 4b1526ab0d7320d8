// Package eventbus is the local Amazon EventBridge service. It speaks the JSON 1.1
// protocol (X-Amz-Target "AWSEvents.<Operation>") through awsproto.JSONService and
// offers the same operations as Go methods for in-process callers.
//
// It keeps event buses (the "default" bus always exists), rules with event
// patterns (compiled by package eventpattern), targets, archives and replays.
// PutEvents returns once events are accepted; delivery to the targets of matching
// rules happens in the background, at least once: SQS targets through a
// QueueSender, other targets (Lambda, Step Functions) through Invokers registered
// per ARN service. Targets may shape their input with Input, InputPath or an
// InputTransformer, retry with exponential backoff under their RetryPolicy, and
// send what they cannot deliver to a dead-letter queue with EventBridge's message
// attributes. With a data directory, the configuration, archived events and
// accepted but undelivered events survive restarts.
//
// It does not run scheduled rules (ScheduleExpression is validated and stored but
// never fires), API destinations, partner or cross-account buses, resource
// policies, global endpoints, or deliver to FIFO queues with a message group.
package eventbus
