package objstore

import (
	"fmt"
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
)

func s3err(status int, code, format string, args ...any) *awsproto.Error {
	return &awsproto.Error{Code: code, Message: fmt.Sprintf(format, args...), Status: status, Sender: status < 500}
}

func errNoSuchBucket(bucket string) *awsproto.Error {
	return s3err(http.StatusNotFound, CodeNoSuchBucket, "The specified bucket does not exist: %s", bucket)
}

func errNoSuchKey(key string) *awsproto.Error {
	return s3err(http.StatusNotFound, CodeNoSuchKey, "The specified key does not exist: %s", key)
}

func errNoSuchVersion(id string) *awsproto.Error {
	return s3err(http.StatusNotFound, CodeNoSuchVersion, "The specified version does not exist: %s", id)
}

func errPrecondition(condition string) *awsproto.Error {
	return s3err(http.StatusPreconditionFailed, CodePreconditionFailed, "At least one of the pre-conditions you specified did not hold (%s)", condition)
}

func errNotModified() *awsproto.Error {
	return &awsproto.Error{Code: CodeNotModified, Message: "Not Modified", Status: http.StatusNotModified}
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
