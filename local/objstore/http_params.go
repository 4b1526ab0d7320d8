package objstore

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// Query parameters, per addressed resource and method, that this package
// understands: the subresources that select an operation and the parameters of
// the operations it implements. A request with any other parameter is answered
// 501 NotImplemented naming it, instead of being served as the plain operation
// (GET /bucket?acl is not a ListObjects).
var (
	responseParams = []string{
		"response-content-type", "response-content-language", "response-expires",
		"response-cache-control", "response-content-disposition", "response-content-encoding",
	}
	serviceParams = map[string][]string{
		http.MethodGet: {"max-buckets", "continuation-token", "prefix", "bucket-region"},
	}
	bucketParams = map[string][]string{
		http.MethodGet: {
			"list-type", "prefix", "delimiter", "max-keys", "continuation-token", "start-after",
			"fetch-owner", "encoding-type", "marker", "versions", "key-marker", "version-id-marker",
			"uploads", "upload-id-marker", "max-uploads", "versioning", "location",
		},
		http.MethodPut:  {"versioning"},
		http.MethodPost: {"delete"},
	}
	objectParams = map[string][]string{
		http.MethodGet:    append([]string{"versionId", "uploadId", "max-parts", "part-number-marker", "encoding-type"}, responseParams...),
		http.MethodHead:   append([]string{"versionId"}, responseParams...),
		http.MethodPut:    {"partNumber", "uploadId"},
		http.MethodPost:   {"uploads", "uploadId"},
		http.MethodDelete: {"versionId", "uploadId"},
	}
)

// anywhereParam reports whether a parameter may appear on any request: the
// operation hint the SDKs add (x-id) and the parameters of presigned URLs.
func anywhereParam(name string) bool {
	switch name {
	case "x-id", "AWSAccessKeyId", "Signature", "Expires":
		return true
	}
	return len(name) >= len("X-Amz-") && strings.EqualFold(name[:len("X-Amz-")], "X-Amz-")
}

// unknownParams returns, sorted, the query parameters of a request this package
// does not understand for the resource and method it addresses.
func unknownParams(bucket, key, method string, q url.Values) []string {
	table := objectParams
	switch {
	case bucket == "":
		table = serviceParams
	case key == "":
		table = bucketParams
	}
	known := table[method]
	var out []string
	for name := range q {
		if !anywhereParam(name) && !slices.Contains(known, name) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}
