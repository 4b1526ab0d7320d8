//go:build !unix

package durable

import (
	"errors"
	"os"
)

// mapShared is not available here: Preallocated writes with pwrite.
func mapShared(*os.File, int64, int) ([]byte, error) {
	return nil, errors.New("memory maps are not supported on this system")
}

func unmapShared([]byte) error { return nil }
