// Package queue is the local cloud's Amazon SQS: standard and FIFO queues with
// visibility timeouts, long polling, delays, dead-letter redrive and message move
// tasks, served over both SQS wire protocols (the JSON 1.0 protocol of current SDKs
// and the form-encoded query protocol of older clients such as AWS CLI v2 2.9) and
// offered to in-process callers through a small Go API.
//
// State lives in memory and, when Options.DataDir is set, in an append-only journal
// with group commit plus periodic snapshots, so that every acknowledged send, delete,
// purge or queue change survives a kill -9. Receive bookkeeping (receive counts,
// visibility deadlines) is journaled without waiting for the disk: after a clean
// restart in-flight messages stay hidden until their timeout and their receipt
// handles still work; after a crash such a message may become visible earlier
// than its timeout, never later, and is never lost. Message move tasks live in
// memory only: a restart forgets them (what they moved stays moved).
//
// Messages past their retention period are dropped when a receive reaches them,
// so the approximate counts may include them until then. ReceiveRequestAttemptId
// is accepted and ignored.
//
// It does not implement SQS permissions (AddPermission and RemovePermission are
// not served; a Policy attribute is stored but not enforced), server-side
// encryption, the 60-second QueueDeletedRecently and PurgeQueueInProgress rules,
// or the throughput quotas of real SQS.
package queue
