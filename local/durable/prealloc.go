package durable

import (
	"fmt"
	"os"
)

// Preallocated appends records to a file whose blocks past the records are
// already allocated (zeros), growing the file a chunk at a time. At the
// Process level it writes through a shared memory map of the allocated
// part: no system call per record, and the bytes are in the operating
// system's page cache as soon as the copy ends, so they survive kill -9. At
// the Disk level it writes with pwrite and flushes with fdatasync.
//
// A Preallocated is not safe for concurrent use; its owner serializes
// Append and Release.
type Preallocated struct {
	f     *os.File
	level Level
	chunk int64
	off   int64 // end of the records
	alloc int64 // size of the file
	m     []byte
	mBase int64 // file offset of m[0]
	noMap bool  // mapping failed once: write with pwrite from now on
}

// NewPreallocated appends to f from off, which is also f's current size.
func NewPreallocated(f *os.File, level Level, off, chunk int64) *Preallocated {
	return &Preallocated{f: f, level: level, chunk: chunk, off: off, alloc: off, noMap: level == Disk}
}

// Offset is the end of the records appended so far.
func (p *Preallocated) Offset() int64 { return p.off }

// Allocated is the file's size, zeros included.
func (p *Preallocated) Allocated() int64 { return p.alloc }

// Append writes buf after the records and makes it as durable as the level
// asks.
func (p *Preallocated) Append(buf []byte) error { return p.write(buf, true) }

// Write writes buf after the records without the Disk level's flush: for
// records whose loss in a machine crash costs little (a later Append, or
// the Process level's background sync, makes them durable).
func (p *Preallocated) Write(buf []byte) error { return p.write(buf, false) }

func (p *Preallocated) write(buf []byte, flush bool) error {
	if p.noMap {
		alloc, err := p.level.writePrealloc(p.f, buf, p.off, p.alloc, p.chunk, flush)
		p.alloc = alloc
		if err != nil {
			return err
		}
		p.off += int64(len(buf))
		return nil
	}
	if len(buf) == 0 {
		return nil // nothing to map, nothing to flush at the Process level
	}
	end := p.off + int64(len(buf))
	if end > p.alloc || p.m == nil {
		if err := p.remap(end); err != nil {
			return err
		}
		if p.noMap { // mapping failed: write this one with pwrite too
			return p.write(buf, flush)
		}
	}
	copy(p.m[p.off-p.mBase:], buf)
	p.off = end
	return nil
}

// remap extends the file to hold end (when needed) and maps its allocated
// part from the page holding the end of the records.
func (p *Preallocated) remap(end int64) error {
	if end > p.alloc {
		alloc, err := p.level.extend(p.f, p.alloc, end, p.chunk)
		if err != nil {
			return err
		}
		p.alloc = alloc
	}
	if err := p.unmap(); err != nil {
		return err
	}
	base := p.off &^ int64(os.Getpagesize()-1)
	m, err := mapShared(p.f, base, int(p.alloc-base))
	if err != nil {
		p.noMap = true // pwrite works everywhere
		return nil
	}
	p.m, p.mBase = m, base
	return nil
}

func (p *Preallocated) unmap() error {
	if p.m == nil {
		return nil
	}
	m := p.m
	p.m = nil
	if err := unmapShared(m); err != nil {
		return fmt.Errorf("unmap %s: %w", p.f.Name(), err)
	}
	return nil
}

// Release unmaps the file; the file itself stays open and the records
// written stay in the operating system. A later Append maps it again.
func (p *Preallocated) Release() error { return p.unmap() }
