// Package events holds the wire contract that the dragons application shares
// with its workflow and with downstream consumers: the DragonAdded event
// published on the dragons bus, and the error types that the Step Functions
// workflow retries or catches by name.
//
// It is deliberately a leaf package: it imports nothing else from this module,
// so a consumer can depend on it alone. It does not publish events, talk to
// AWS or validate documents against the JSON Schemas in schemas/; it only
// defines the Go shapes.
package events

import (
	"fmt"
	"regexp"
)

// Identity of the DragonAdded event on the bus.
const (
	// BusName is the EventBridge bus the application publishes to.
	BusName = "dragons"
	// Source is the "source" field of every event the application emits.
	Source = "dragons.app"
	// DetailTypeDragonAdded is the "detail-type" of DragonAdded events.
	DetailTypeDragonAdded = "DragonAdded"
	// DragonAddedVersion is the current version of the DragonAdded detail
	// shape. It changes only on incompatible changes.
	DragonAddedVersion = 1
)

// Dragon is a stored dragon record in the course format, as carried inside
// events. It has exactly the fields of the record in package dragons, so the
// two convert into each other with a plain Go conversion.
type Dragon struct {
	DragonName   string `json:"dragon_name_str"`
	Family       string `json:"family_str"`
	Description  string `json:"description_str"`
	City         string `json:"location_city_str"`
	State        string `json:"location_state_str"`
	Country      string `json:"location_country_str"`
	Neighborhood string `json:"location_neighborhood_str"`
}

// DragonAdded is the "detail" of the event published once per successful
// add. Delivery is at least once: consumers deduplicate on EventID, which is
// the workflow's execution id and therefore the same on every redelivery and
// on every re-run of the same execution.
type DragonAdded struct {
	EventID      string `json:"eventId"`
	Version      int    `json:"version"`
	ExecutionArn string `json:"executionArn"`
	Dragon       Dragon `json:"dragon"`
}

// eventIDPattern is what an event id may look like: it is used as an S3 key
// segment by consumers, so it is restricted to a safe alphabet.
var eventIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// Check reports what is wrong with a DragonAdded detail that a consumer
// received, or nil when it can be processed.
func (d DragonAdded) Check() error {
	if !eventIDPattern.MatchString(d.EventID) {
		return fmt.Errorf("DragonAdded: eventId %q is not a safe identifier", d.EventID)
	}
	if d.Version != DragonAddedVersion {
		return fmt.Errorf("DragonAdded: unsupported version %d (want %d)", d.Version, DragonAddedVersion)
	}
	if d.Dragon.DragonName == "" {
		return fmt.Errorf("DragonAdded %s: dragon has no name", d.EventID)
	}
	return nil
}

// DragonValidationException is returned by the validateDragon and addDragon
// functions when a dragon is invalid or its name is already taken. The Go
// type name is the error name that the workflow catches: aws-lambda-go
// reports it as the invocation's errorType, so do not rename it.
type DragonValidationException struct {
	Message string
}

func (e *DragonValidationException) Error() string { return e.Message }

// DragonStorageException is returned by the workflow's Lambda tasks when
// the storage behind the catalog failed in a way that may pass: S3 throttling
// or 5xx answers that outlasted the SDK's own retries, network errors,
// timeouts, or an add that kept losing the conditional-write race. The
// workflow retries it with backoff; the tasks are safe to repeat (validation
// only reads, and the add is idempotent per execution). The Go type name is
// the error name the workflow retries, so do not rename it.
type DragonStorageException struct {
	Message string
	Err     error // the underlying failure, for errors.Is and errors.As
}

func (e *DragonStorageException) Error() string { return e.Message }

func (e *DragonStorageException) Unwrap() error { return e.Err }

// DragonCatalogCorruptException is returned by the workflow's Lambda tasks
// when the catalog object exists but cannot be parsed. No retry can fix
// that, and the object is never overwritten: the workflow sends the
// execution to its dead-letter queue at once, for an operator to repair the
// catalog and redrive. The Go type name is the error name the workflow
// catches, so do not rename it.
type DragonCatalogCorruptException struct {
	Message string
	Err     error // the underlying failure, for errors.Is and errors.As
}

func (e *DragonCatalogCorruptException) Error() string { return e.Message }

func (e *DragonCatalogCorruptException) Unwrap() error { return e.Err }

// CaughtErrorNames lists the error names that the workflow definition names
// in its Retry and Catch rules, each equal to the name of a Go error type in
// this package. Any other error a task returns is neither retried (unless it
// is one of the Lambda service's own errors) nor treated as a rejection: the
// execution goes to the dead-letter queue.
func CaughtErrorNames() []string {
	return []string{"DragonValidationException", "DragonStorageException", "DragonCatalogCorruptException"}
}
