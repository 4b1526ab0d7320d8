//go:build unix

package durable

import (
	"os"
	"syscall"
)

// mapShared maps size bytes of f from offset (a multiple of the page size)
// for reading and writing, shared with the file.
func mapShared(f *os.File, offset int64, size int) ([]byte, error) {
	return syscall.Mmap(int(f.Fd()), offset, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
}

func unmapShared(m []byte) error { return syscall.Munmap(m) }
