// Package awsproto holds the wire-protocol pieces that every local service shares:
// the error type that carries an AWS error name and HTTP status, writers for the
// error shapes of the JSON 1.0/1.1, REST-XML and query protocols, a dispatcher for
// JSON RPC services keyed by X-Amz-Target, request ids, and SigV4 scope parsing.
//
// It does not implement any service, check signatures or know about routing between
// services; the edge and the service packages do that.
package awsproto
