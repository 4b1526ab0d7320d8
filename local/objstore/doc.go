// Package objstore is the local cloud's S3: buckets, objects, versions,
// conditional writes and multipart uploads, served over S3's REST-XML protocol
// (path-style and virtual-hosted requests, aws-chunked bodies with checksum
// trailers) and through a Go API for in-process callers.
//
// State is kept in memory and, when a data directory is set, in an append-only
// journal that is fsynced before a write is acknowledged (writes arriving
// together share one fsync); large bodies and multipart parts live in their
// own files. A restart replays the journal; a torn tail left by a crash is
// cut off. Reads never observe a change before it is durable.
//
// It does not check signatures or permissions, and it does not implement ACLs,
// policies, tagging, lifecycle rules, encryption, replication, object lock,
// UploadPartCopy or composite (per-part) checksums: multipart objects carry a
// whole-object checksum instead. A request with a query parameter it does not
// know for that resource and method is answered 501 NotImplemented naming the
// parameter, never served as some other operation.
package objstore
