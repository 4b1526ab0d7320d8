// Package objstore is the local cloud's S3: buckets, objects, versions and
// conditional writes, served over S3's REST-XML protocol (path-style and
// virtual-hosted requests) and through a Go API for in-process callers.
//
// State is kept in memory and, when a data directory is set, in an append-only
// journal that is fsynced before a write is acknowledged (writes arriving
// together share one fsync); large bodies live in their own files. A restart
// replays the journal, and a torn tail left by a crash is discarded.
//
// It does not check signatures or permissions, and it does not implement ACLs,
// policies, tagging, lifecycle rules, encryption, replication, object lock or
// multipart uploads.
package objstore
