//go:build !linux

package stepfunctions

import "os"

// datasync flushes f; without fdatasync this is a full sync.
func datasync(f *os.File) error { return f.Sync() }
