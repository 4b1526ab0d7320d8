package durable

import (
	"errors"
	"os"
	"syscall"
)

// reserve asks the file system to allocate n bytes of f from off, so that
// writes through a memory map there cannot fail for want of space (which
// would kill the process) on file systems that store zeros as holes. File
// systems without fallocate keep the zeros already written.
func reserve(f *os.File, off, n int64) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) {
		for {
			if ferr = syscall.Fallocate(int(fd), 0, off, n); ferr != syscall.EINTR {
				return
			}
		}
	}); err != nil {
		return err
	}
	if errors.Is(ferr, syscall.EOPNOTSUPP) || errors.Is(ferr, syscall.ENOSYS) {
		return nil
	}
	return ferr
}
