package queue

import (
	"fmt"
	"net/http"

	"github.com/dragons-dev/dragons/local/awsproto"
)

// Error codes of the errors this package returns. They are the error names of SQS's
// JSON protocol; the query protocol sends the legacy code from errorTable instead.
const (
	CodeQueueDoesNotExist            = "QueueDoesNotExist"
	CodeQueueNameExists              = "QueueNameExists"
	CodeReceiptHandleIsInvalid       = "ReceiptHandleIsInvalid"
	CodeMessageNotInflight           = "MessageNotInflight"
	CodeInvalidParameterValue        = "InvalidParameterValue"
	CodeMissingParameter             = "MissingParameter"
	CodeInvalidAttributeName         = "InvalidAttributeName"
	CodeInvalidAttributeValue        = "InvalidAttributeValue"
	CodeInvalidMessageContents       = "InvalidMessageContents"
	CodeEmptyBatchRequest            = "EmptyBatchRequest"
	CodeTooManyEntriesInBatchRequest = "TooManyEntriesInBatchRequest"
	CodeBatchEntryIdsNotDistinct     = "BatchEntryIdsNotDistinct"
	CodeBatchRequestTooLong          = "BatchRequestTooLong"
	CodeInvalidBatchEntryID          = "InvalidBatchEntryId"
	CodeResourceNotFound             = "ResourceNotFoundException"
	CodeUnsupportedOperation         = "UnsupportedOperation"
	CodeInvalidAction                = "InvalidAction"
)

// errorInfo is how one error code travels on the wire.
type errorInfo struct {
	query  string // the query protocol's <Code> and the x-amzn-query-error code
	status int
}

// errorTable maps each JSON error name to its query-protocol code and HTTP status,
// as SQS's service model declares them.
var errorTable = map[string]errorInfo{
	CodeQueueDoesNotExist:            {"AWS.SimpleQueueService.NonExistentQueue", http.StatusBadRequest},
	CodeQueueNameExists:              {"QueueAlreadyExists", http.StatusBadRequest},
	CodeReceiptHandleIsInvalid:       {"ReceiptHandleIsInvalid", http.StatusNotFound},
	CodeMessageNotInflight:           {"AWS.SimpleQueueService.MessageNotInflight", http.StatusBadRequest},
	CodeInvalidParameterValue:        {"InvalidParameterValue", http.StatusBadRequest},
	CodeMissingParameter:             {"MissingParameter", http.StatusBadRequest},
	CodeInvalidAttributeName:         {"InvalidAttributeName", http.StatusBadRequest},
	CodeInvalidAttributeValue:        {"InvalidAttributeValue", http.StatusBadRequest},
	CodeInvalidMessageContents:       {"InvalidMessageContents", http.StatusBadRequest},
	CodeEmptyBatchRequest:            {"AWS.SimpleQueueService.EmptyBatchRequest", http.StatusBadRequest},
	CodeTooManyEntriesInBatchRequest: {"AWS.SimpleQueueService.TooManyEntriesInBatchRequest", http.StatusBadRequest},
	CodeBatchEntryIdsNotDistinct:     {"AWS.SimpleQueueService.BatchEntryIdsNotDistinct", http.StatusBadRequest},
	CodeBatchRequestTooLong:          {"AWS.SimpleQueueService.BatchRequestTooLong", http.StatusBadRequest},
	CodeInvalidBatchEntryID:          {"AWS.SimpleQueueService.InvalidBatchEntryId", http.StatusBadRequest},
	CodeResourceNotFound:             {"ResourceNotFoundException", http.StatusNotFound},
	CodeUnsupportedOperation:         {"AWS.SimpleQueueService.UnsupportedOperation", http.StatusBadRequest},
	CodeInvalidAction:                {"InvalidAction", http.StatusBadRequest},
	"PurgeQueueInProgress":           {"AWS.SimpleQueueService.PurgeQueueInProgress", http.StatusForbidden},
	"QueueDeletedRecently":           {"AWS.SimpleQueueService.QueueDeletedRecently", http.StatusBadRequest},
	"OverLimit":                      {"OverLimit", http.StatusForbidden},
	"InvalidAddress":                 {"InvalidAddress", http.StatusNotFound},
}

// queryCode returns the query-protocol code for a JSON error name.
func queryCode(code string) string {
	if info, ok := errorTable[code]; ok {
		return info.query
	}
	return code
}

// sqsError returns a client-fault error with the status errorTable gives code.
func sqsError(code, format string, args ...any) *awsproto.Error {
	status := http.StatusBadRequest
	if info, ok := errorTable[code]; ok {
		status = info.status
	}
	return &awsproto.Error{Code: code, Message: fmt.Sprintf(format, args...), Status: status, Sender: true}
}

func errNoQueue() *awsproto.Error {
	return sqsError(CodeQueueDoesNotExist, "The specified queue does not exist.")
}

func errInvalidParam(format string, args ...any) *awsproto.Error {
	return sqsError(CodeInvalidParameterValue, format, args...)
}

func errMissing(name string) *awsproto.Error {
	return sqsError(CodeMissingParameter, "The request must contain the parameter %s.", name)
}

func errBadValue(name string, value any, reason string) *awsproto.Error {
	return errInvalidParam("Value %v for parameter %s is invalid. Reason: %s", value, name, reason)
}

// withQueryError is the JSON service's error hook: SQS's JSON protocol names the
// legacy query code in x-amzn-query-error so that query-compatible SDKs keep
// reporting the codes they always did.
func withQueryError(w http.ResponseWriter, e *awsproto.Error) {
	fault := "Receiver"
	if e.Sender {
		fault = "Sender"
	}
	w.Header().Set("x-amzn-query-error", queryCode(e.Code)+";"+fault)
}
