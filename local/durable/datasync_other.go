//go:build !linux

package durable

import "os"

// dataSync flushes f; without fdatasync that is a full sync.
func dataSync(f *os.File) error { return f.Sync() }
