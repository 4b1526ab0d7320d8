package objstore

import (
	"net/http"

	"github.com/dragons-dev/dragons/local/awsproto"
)

// S3 error names this package reports.
const (
	CodeNoSuchBucket            = "NoSuchBucket"
	CodeNoSuchKey               = "NoSuchKey"
	CodeNoSuchVersion           = "NoSuchVersion"
	CodeBucketAlreadyOwnedByYou = "BucketAlreadyOwnedByYou"
	CodeBucketNotEmpty          = "BucketNotEmpty"
	CodeInvalidBucketName       = "InvalidBucketName"
	CodePreconditionFailed      = "PreconditionFailed"
	CodeNotModified             = "NotModified"
	CodeInvalidRange            = "InvalidRange"
	CodeInvalidArgument         = "InvalidArgument"
	CodeInvalidRequest          = "InvalidRequest"
	CodeMethodNotAllowed        = "MethodNotAllowed"
	CodeMalformedXML            = "MalformedXML"
	CodeBadDigest               = "BadDigest"
	CodeInvalidDigest           = "InvalidDigest"
	CodeIncompleteBody          = "IncompleteBody"
	CodeEntityTooLarge          = "EntityTooLarge"
	CodeNotImplemented          = "NotImplemented"
	CodeKeyTooLong              = "KeyTooLongError"
	CodeMetadataTooLarge        = "MetadataTooLarge"
	CodeNoSuchUpload            = "NoSuchUpload"
	CodeInvalidPart             = "InvalidPart"
	CodeInvalidPartOrder        = "InvalidPartOrder"
	CodeEntityTooSmall          = "EntityTooSmall"
	CodeContentSHA256Mismatch   = "XAmzContentSHA256Mismatch"
)

// s3Errors gives the HTTP status S3 sends with each error name this package
// reports. Every error is built with s3Errors.New; errors_test.go checks that
// each code used has an entry.
var s3Errors = awsproto.ErrorTable{
	CodeNoSuchBucket:            http.StatusNotFound,
	CodeNoSuchKey:               http.StatusNotFound,
	CodeNoSuchVersion:           http.StatusNotFound,
	CodeNoSuchUpload:            http.StatusNotFound,
	CodeBucketAlreadyOwnedByYou: http.StatusConflict,
	CodeBucketNotEmpty:          http.StatusConflict,
	CodeInvalidBucketName:       http.StatusBadRequest,
	CodePreconditionFailed:      http.StatusPreconditionFailed,
	CodeNotModified:             http.StatusNotModified,
	CodeInvalidRange:            http.StatusRequestedRangeNotSatisfiable,
	CodeInvalidArgument:         http.StatusBadRequest,
	CodeInvalidRequest:          http.StatusBadRequest,
	CodeMethodNotAllowed:        http.StatusMethodNotAllowed,
	CodeMalformedXML:            http.StatusBadRequest,
	CodeBadDigest:               http.StatusBadRequest,
	CodeInvalidDigest:           http.StatusBadRequest,
	CodeIncompleteBody:          http.StatusBadRequest,
	CodeEntityTooLarge:          http.StatusBadRequest,
	CodeEntityTooSmall:          http.StatusBadRequest,
	CodeInvalidPart:             http.StatusBadRequest,
	CodeInvalidPartOrder:        http.StatusBadRequest,
	CodeNotImplemented:          http.StatusNotImplemented,
	CodeKeyTooLong:              http.StatusBadRequest,
	CodeMetadataTooLarge:        http.StatusBadRequest,
	CodeContentSHA256Mismatch:   http.StatusBadRequest,
}

func errNoSuchBucket(bucket string) *awsproto.Error {
	return s3Errors.New(CodeNoSuchBucket, "The specified bucket does not exist: %s", bucket)
}

func errNoSuchKey(key string) *awsproto.Error {
	return s3Errors.New(CodeNoSuchKey, "The specified key does not exist: %s", key)
}

func errNoSuchVersion(id string) *awsproto.Error {
	return s3Errors.New(CodeNoSuchVersion, "The specified version does not exist: %s", id)
}

func errPrecondition(condition string) *awsproto.Error {
	return s3Errors.New(CodePreconditionFailed, "At least one of the pre-conditions you specified did not hold (%s)", condition)
}

func errNotModified() *awsproto.Error {
	return s3Errors.New(CodeNotModified, "Not Modified")
}

// deleteMarkerError marks an error about a delete marker: the response carries
// x-amz-delete-marker (and the marker's version id).
func deleteMarkerError(e *awsproto.Error, versionID string) *awsproto.Error {
	h := http.Header{}
	h.Set("x-amz-delete-marker", "true")
	if versionID != "" {
		h.Set("x-amz-version-id", versionID)
	}
	e.Header = h
	return e
}
