// Package taskerr decides what the add-dragon workflow does with an error
// returned by one of its Lambda tasks (validateDragon, addDragon). The
// workflow acts on error names, and aws-lambda-go names an error after its
// Go type, so Classify turns each failure into the type whose name the
// workflow retries or catches (see package events):
//
//   - a *events.DragonValidationException is a rejection: kept as it is;
//   - a catalog that cannot be parsed becomes an
//     *events.DragonCatalogCorruptException: never retried, sent to the
//     dead-letter queue;
//   - a failure that may pass (S3 throttling and 5xx answers that outlasted
//     the SDK's retries, network errors, a deadline, an add that kept losing
//     the conditional-write race) becomes an *events.DragonStorageException,
//     which the workflow retries with backoff;
//   - anything else (access denied, a missing bucket, a malformed workflow
//     input, a store that sends no ETag) is returned unchanged: no retry can
//     fix it, so the workflow sends it to the dead-letter queue.
//
// It does not log, count or retry anything itself.
package taskerr

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"

	"github.com/dragons-dev/dragons/dragons/catalog"
	"github.com/dragons-dev/dragons/events"
)

// Classify returns err as the workflow should see it (nil stays nil).
func Classify(err error) error {
	var rejected *events.DragonValidationException
	var storage *events.DragonStorageException
	var corruptEx *events.DragonCatalogCorruptException
	var corrupt *catalog.CorruptError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &rejected), errors.As(err, &storage), errors.As(err, &corruptEx):
		return err // already classified
	case errors.As(err, &corrupt):
		return &events.DragonCatalogCorruptException{Message: err.Error(), Err: err}
	case Transient(err):
		return &events.DragonStorageException{Message: err.Error(), Err: err}
	default:
		return err
	}
}

// Transient reports whether err is a failure that a later attempt of the
// same task may not meet: the add lost every round of the conditional-write
// race, the invocation ran out of time, or the AWS SDK itself considers the
// error retryable (throttling, 500/502/503/504, RequestTimeout, connection
// errors) and its own attempts were used up.
func Transient(err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, catalog.ErrContention), errors.Is(err, context.DeadlineExceeded):
		return true
	}
	return retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err) == aws.TrueTernary
}
