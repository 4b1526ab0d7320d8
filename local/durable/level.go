package durable

import (
	"fmt"
	"os"
)

// Level says how far an appended record travels before the write that
// appended it is acknowledged.
type Level int

const (
	// Process hands the bytes to the operating system before the answer: an
	// acknowledged write survives the local cloud's process being killed at
	// any moment (kill -9, a crash, Ctrl-C), which is the local cloud's
	// contract. Journals at this level also sync in the background every
	// SyncInterval (see Background), so a crash of the machine itself takes
	// at most about that much of the last writes.
	Process Level = iota
	// Disk also forces the bytes to the disk (fdatasync) before the answer,
	// so acknowledged writes survive a power loss too, at the cost of a disk
	// flush on every group commit.
	Disk
)

// String names the level as `dragons up` prints it.
func (l Level) String() string {
	if l == Disk {
		return "disk"
	}
	return "process"
}

// Flush makes the data written to f as durable as the level asks: nothing
// more for Process (the bytes are already in the operating system), a data
// sync for Disk. Use it after overwriting blocks that already exist.
func (l Level) Flush(f *os.File) error {
	if l != Disk {
		return nil
	}
	if err := dataSync(f); err != nil {
		return fmt.Errorf("flush %s: %w", f.Name(), err)
	}
	return nil
}

// FlushAll is Flush for writes that also changed the file's size: Disk
// syncs the metadata as well.
func (l Level) FlushAll(f *os.File) error {
	if l != Disk {
		return nil
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("flush %s: %w", f.Name(), err)
	}
	return nil
}

// FlushDir makes the entries of dir (after a create, rename or remove in
// it) as durable as the level asks.
func (l Level) FlushDir(dir string) error {
	if l != Disk {
		return nil
	}
	return SyncDir(dir)
}

// writePrealloc writes buf at off in a file whose blocks up to alloc
// already exist (zeros after the written records) and, when flush is set,
// flushes it as the level asks. When buf does not fit before alloc, the file
// is first extended with at least chunk bytes of zeros. Writing over existing
// blocks keeps the size unchanged, so a data-only flush suffices for most
// writes. It returns the file's new allocated size.
func (l Level) writePrealloc(f *os.File, buf []byte, off, alloc, chunk int64, flush bool) (int64, error) {
	end := off + int64(len(buf))
	if end > alloc {
		grown, err := l.extend(f, alloc, end, chunk)
		if err != nil {
			return alloc, err
		}
		alloc = grown
	}
	if len(buf) > 0 {
		if _, err := f.WriteAt(buf, off); err != nil {
			return alloc, fmt.Errorf("write %d bytes at offset %d of %s: %w", len(buf), off, f.Name(), err)
		}
	}
	if !flush {
		return alloc, nil
	}
	return alloc, l.Flush(f)
}

// extend appends zeros to f (size alloc) so that it holds end bytes, by at
// least chunk, and returns the new size. The zeros are real blocks, so a
// full disk shows here, as an error.
func (l Level) extend(f *os.File, alloc, end, chunk int64) (int64, error) {
	grow := max(chunk, end-alloc)
	if _, err := f.WriteAt(make([]byte, grow), alloc); err != nil {
		return alloc, fmt.Errorf("extend %s from %d to %d bytes: %w", f.Name(), alloc, alloc+grow, err)
	}
	if err := reserve(f, alloc, grow); err != nil {
		return alloc, fmt.Errorf("reserve %d bytes of %s at %d: %w", grow, f.Name(), alloc, err)
	}
	if err := l.FlushAll(f); err != nil { // the size changed
		return alloc, err
	}
	return alloc + grow, nil
}
