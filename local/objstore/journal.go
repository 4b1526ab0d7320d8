package objstore

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/dragons-dev/dragons/local/durable"
)

// Journal framing: every record is an 8-byte header (payload length and the
// payload's CRC-32C, little endian) followed by the payload. A payload is one
// kind byte, the length of the JSON metadata (4 bytes), the metadata and the
// raw object data, if any.
const (
	recHeaderSize = 8
	maxRecordSize = 1 << 30
)

// errTornRecord marks a journal tail that a crash left incomplete.
var errTornRecord = errors.New("torn journal record")

// journal is an append-only log. Appends are buffered in memory and made
// durable by wait: the first waiter writes (and, at the Disk level, syncs)
// everything buffered so far while later waiters queue behind it, so
// concurrent writers share writes and syncs.
type journal struct {
	path  string
	level durable.Level // how far wait takes a record

	mu       sync.Mutex
	cond     *sync.Cond
	f        *os.File
	w        *durable.Preallocated // writes to f; used by one waiter at a time
	bg       *durable.Background   // syncs f now and then at the Process level
	buf      []byte                // appended, not yet written
	spare    []byte
	appended uint64 // sequence number of the last appended record
	syncing  bool
	err      error // sticky write failure
	size     int64 // bytes in the file plus bytes in buf

	synced atomic.Uint64 // sequence number of the last durable record
}

// openJournal opens (creating if needed) the journal at path, calls apply for
// each intact record in order and cuts off a torn tail.
func openJournal(path string, level durable.Level, log *slog.Logger, apply func(kind byte, meta, data []byte) error) (*journal, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("create journal directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open journal %q: %w", path, err)
	}
	good, err := replay(f, apply)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("replay journal %q: %w", path, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("stat journal %q: %w", path, err)
	}
	if st.Size() != good {
		if err := f.Truncate(good); err != nil {
			f.Close()
			return nil, fmt.Errorf("cut torn tail of journal %q: %w", path, err)
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return nil, fmt.Errorf("sync journal %q: %w", path, err)
		}
	}
	if _, err := f.Seek(good, io.SeekStart); err != nil {
		f.Close()
		return nil, fmt.Errorf("seek journal %q: %w", path, err)
	}
	if err := durable.SyncDir(filepath.Dir(path)); err != nil {
		f.Close()
		return nil, fmt.Errorf("open journal %q: %w", path, err)
	}
	j := &journal{path: path, level: level, f: f, w: durable.NewPreallocated(f, level, good, preallocChunk), size: good}
	j.cond = sync.NewCond(&j.mu)
	if level == durable.Process {
		j.bg = durable.StartBackground(durable.SyncInterval, j.file, func(err error) { log.Warn("sync the object journal", "err", err) })
	}
	return j, nil
}

// replay applies the records of r and returns the offset just past the last
// intact one.
func replay(r io.Reader, apply func(kind byte, meta, data []byte) error) (int64, error) {
	br := bufio.NewReaderSize(r, 256<<10)
	var off int64
	for {
		payload, err := readRecord(br)
		if errors.Is(err, io.EOF) || errors.Is(err, errTornRecord) {
			return off, nil
		}
		if err != nil {
			return off, err
		}
		kind, meta, data, err := splitPayload(payload)
		if err != nil {
			return off, fmt.Errorf("record at offset %d: %w", off, err)
		}
		if err := apply(kind, meta, data); err != nil {
			return off, fmt.Errorf("record at offset %d: %w", off, err)
		}
		off += recHeaderSize + int64(len(payload))
	}
}

// readRecord reads one framed record. It returns io.EOF at a clean end and
// errTornRecord for an incomplete or corrupt one.
func readRecord(br *bufio.Reader) ([]byte, error) {
	var hdr [recHeaderSize]byte
	n, err := io.ReadFull(br, hdr[:])
	if n == 0 && err == io.EOF {
		return nil, io.EOF
	}
	if err != nil {
		return nil, errTornRecord
	}
	size := binary.LittleEndian.Uint32(hdr[0:4])
	sum := binary.LittleEndian.Uint32(hdr[4:8])
	if size > maxRecordSize || size < 5 {
		return nil, errTornRecord
	}
	payload := make([]byte, size)
	if _, err := io.ReadFull(br, payload); err != nil {
		return nil, errTornRecord
	}
	if crc32.Checksum(payload, castagnoli()) != sum {
		return nil, errTornRecord
	}
	return payload, nil
}

func splitPayload(p []byte) (kind byte, meta, data []byte, err error) {
	if len(p) < 5 {
		return 0, nil, nil, errors.New("short record")
	}
	ml := binary.LittleEndian.Uint32(p[1:5])
	if uint64(ml) > uint64(len(p)-5) {
		return 0, nil, nil, errors.New("metadata length exceeds record")
	}
	return p[0], p[5 : 5+ml], p[5+ml:], nil
}

// encodeRecord appends one framed record to dst.
func encodeRecord(dst []byte, kind byte, meta, data []byte) []byte {
	size := 5 + len(meta) + len(data)
	start := len(dst)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(size))
	dst = binary.LittleEndian.AppendUint32(dst, 0) // checksum, filled below
	dst = append(dst, kind)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(meta)))
	dst = append(dst, meta...)
	dst = append(dst, data...)
	sum := crc32.Checksum(dst[start+recHeaderSize:], castagnoli())
	binary.LittleEndian.PutUint32(dst[start+4:], sum)
	return dst
}

// append buffers one record and returns its sequence number and framed size.
// Callers append in the order they change state.
func (j *journal) append(kind byte, meta, data []byte) (uint64, int64) {
	j.mu.Lock()
	defer j.mu.Unlock()
	before := len(j.buf)
	j.buf = encodeRecord(j.buf, kind, meta, data)
	n := int64(len(j.buf) - before)
	j.size += n
	j.appended++
	return j.appended, n
}

// wait returns once the record with sequence number seq is durable.
func (j *journal) wait(seq uint64) error {
	if j.synced.Load() >= seq {
		return nil
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	for j.synced.Load() < seq {
		if j.err != nil {
			return j.err
		}
		if j.syncing {
			j.cond.Wait()
			continue
		}
		j.syncing = true
		buf, upto, w := j.buf, j.appended, j.w
		j.buf, j.spare = j.spare[:0], nil
		j.mu.Unlock()
		err := w.Append(buf)
		if err == nil && j.bg != nil {
			j.bg.Mark()
		}
		j.mu.Lock()
		j.syncing = false
		if err != nil {
			j.err = fmt.Errorf("write journal %q: %w", j.path, err)
		} else if j.w == w {
			if j.synced.Load() < upto {
				j.synced.Store(upto)
			}
		}
		if cap(buf) <= 4<<20 {
			j.spare = buf[:0]
		}
		j.cond.Broadcast()
	}
	return nil
}

// preallocChunk is how far the journal file is extended with zeros at a time.
const preallocChunk = 2 << 20

// replace swaps the journal for the one that write produces, which must hold
// the whole current state. The caller keeps appends out while it runs.
func (j *journal) replace(write func(w io.Writer) error) error {
	tmp := j.path + ".compact"
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("create %q: %w", tmp, err)
	}
	cw := &countingWriter{w: f}
	bw := bufio.NewWriterSize(cw, 256<<10)
	err = write(bw)
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("write compacted journal: %w", err)
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	for j.syncing {
		j.cond.Wait()
	}
	if err := os.Rename(tmp, j.path); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("install compacted journal: %w", err)
	}
	if err := durable.SyncDir(filepath.Dir(j.path)); err != nil {
		f.Close()
		return fmt.Errorf("install compacted journal: %w", err)
	}
	if err := j.w.Release(); err != nil {
		f.Close()
		return fmt.Errorf("install compacted journal: %w", err)
	}
	old := j.f
	j.f = f
	j.w = durable.NewPreallocated(f, j.level, cw.n, preallocChunk)
	j.size = cw.n
	j.buf = j.buf[:0]
	j.synced.Store(j.appended)
	j.err = nil
	j.cond.Broadcast()
	old.Close()
	return nil
}

// file returns the journal's current file.
func (j *journal) file() *os.File {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.f
}

// fileSize reports the journal's size including buffered records.
func (j *journal) fileSize() int64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.size
}

// close flushes buffered records and closes the file.
func (j *journal) close() error {
	if j.bg != nil {
		j.bg.Stop() // the file is synced below
	}
	j.mu.Lock()
	upto := j.appended
	j.mu.Unlock()
	werr := j.wait(upto)
	j.mu.Lock()
	defer j.mu.Unlock()
	for j.syncing {
		j.cond.Wait()
	}
	if err := j.w.Release(); err != nil && werr == nil {
		werr = err
	}
	if werr == nil && j.err == nil {
		// Leave no preallocated zeros behind after a clean shutdown, and
		// everything on the disk at any level.
		if j.w.Allocated() > j.w.Offset() {
			if err := j.f.Truncate(j.w.Offset()); err != nil {
				werr = fmt.Errorf("trim journal: %w", err)
			}
		}
		if err := j.f.Sync(); err != nil && werr == nil {
			werr = fmt.Errorf("sync journal: %w", err)
		}
	}
	if err := j.f.Close(); err != nil && werr == nil {
		werr = fmt.Errorf("close journal: %w", err)
	}
	j.err = errors.New("journal closed")
	return werr
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
