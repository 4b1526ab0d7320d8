// Package eventpattern compiles Amazon EventBridge event patterns and matches
// events against them.
//
// Compile validates a pattern with EventBridge's rules (an invalid pattern gets an
// error whose reason names the problem) and builds a matcher once; Match and
// MatchValue then test events against it. Every operator EventBridge offers is
// supported: exact strings, numbers, booleans and null; prefix and suffix (each
// optionally case-insensitive); equals-ignore-case; wildcard; anything-but with a
// value, a list, or a prefix, suffix, wildcard or equals-ignore-case condition;
// numeric comparisons and ranges; exists; cidr (IPv4 and IPv6); $or; nested
// objects; and EventBridge's array semantics (an array in the event matches when any
// element matches, and the fields a pattern object names must all come from the
// same element of an array of objects).
//
// It does not route events, hold rules, or transform inputs; the event bus service
// does that.
package eventpattern
