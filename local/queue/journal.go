package queue

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
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/dragons-dev/dragons/local/durable"
)

// On disk, DataDir holds snapshot-N files (the whole state, written atomically)
// and journal-N files (records appended after snapshot N was started). Every
// record is framed as a 4-byte length, a 4-byte CRC-32C of the payload and the
// payload. Recovery loads the newest snapshot N and replays journals N, N+1, ...
// in order; a torn record at a journal's end (a write cut by a crash) ends that
// journal.

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

const frameHeader = 8

// maxRecord bounds one record (a 1 MiB message plus its attributes and framing).
const maxRecord = 8 << 20

// batch is one group commit: every record appended while it was current becomes
// durable together.
type batch struct {
	done chan struct{}
	err  error
}

func newBatch() *batch { return &batch{done: make(chan struct{})} }

// wait blocks until the batch is on disk; a nil batch (in-memory service) is
// durable at once.
func (b *batch) wait() error {
	if b == nil {
		return nil
	}
	<-b.done
	return b.err
}

func failedBatch(err error) *batch {
	b := newBatch()
	b.err = err
	close(b.done)
	return b
}

// journal is the append-only log with group commit and background snapshots.
type journal struct {
	dir   string
	level durable.Level // how far a commit takes the records
	limit int64
	snap  func(emit func([]byte) error) error
	log   *slog.Logger

	mu      sync.Mutex
	buf     []byte
	cur     *batch
	failed  error
	closing bool
	kick    chan struct{}
	stopped chan struct{}

	bg *durable.Background // syncs f now and then at the Process level

	// Owned by the committer goroutine (f is also read under mu).
	f        *os.File
	num      uint64
	size     int64
	spare    []byte
	snapping atomic.Bool
	snapWG   sync.WaitGroup
}

func fileName(kind string, n uint64) string { return fmt.Sprintf("%s-%020d", kind, n) }

func parseFileName(name string) (kind string, n uint64, ok bool) {
	kind, num, found := strings.Cut(name, "-")
	if !found || (kind != "snapshot" && kind != "journal") || len(num) != 20 {
		return "", 0, false
	}
	n, err := strconv.ParseUint(num, 10, 64)
	return kind, n, err == nil
}

// openJournal recovers the state in dir through apply, writes a fresh snapshot of
// it through snap and starts a new journal.
func openJournal(dir string, level durable.Level, limit int64, apply func([]byte) error, snap func(func([]byte) error) error, log *slog.Logger) (*journal, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("list data directory: %w", err)
	}
	var snaps, journals []uint64
	var last uint64
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") && strings.Contains(e.Name(), ".tmp") {
			_ = os.Remove(filepath.Join(dir, e.Name()))
			continue
		}
		kind, n, ok := parseFileName(e.Name())
		if !ok {
			continue
		}
		last = max(last, n)
		if kind == "snapshot" {
			snaps = append(snaps, n)
		} else {
			journals = append(journals, n)
		}
	}
	sort.Slice(journals, func(i, k int) bool { return journals[i] < journals[k] })
	var base uint64
	if len(snaps) > 0 {
		sort.Slice(snaps, func(i, k int) bool { return snaps[i] < snaps[k] })
		base = snaps[len(snaps)-1]
		path := filepath.Join(dir, fileName("snapshot", base))
		if _, err := replayFile(path, apply, false); err != nil {
			return nil, fmt.Errorf("load snapshot %s: %w", path, err)
		}
	}
	for _, n := range journals {
		if n < base {
			continue
		}
		path := filepath.Join(dir, fileName("journal", n))
		if _, err := replayFile(path, apply, true); err != nil {
			return nil, fmt.Errorf("replay journal %s: %w", path, err)
		}
	}
	j := &journal{
		dir: dir, level: level, limit: limit, snap: snap, log: log,
		cur:     newBatch(),
		kick:    make(chan struct{}, 1),
		stopped: make(chan struct{}),
	}
	next := last + 1
	if err := j.writeSnapshot(next); err != nil {
		return nil, err
	}
	if err := j.openFile(next); err != nil {
		return nil, err
	}
	j.removeOlder(next)
	if level == durable.Process {
		j.bg = durable.StartBackground(durable.SyncInterval, j.file, func(err error) { log.Warn("sync the queue journal", "err", err) })
	}
	go j.run()
	return j, nil
}

// replayFile feeds every complete record of path to apply. A torn tail is
// tolerated in journals (torn=true): it is where a crash cut the last write.
func replayFile(path string, apply func([]byte) error, torn bool) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	var off int64
	var hdr [frameHeader]byte
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			if err == io.EOF || torn && errors.Is(err, io.ErrUnexpectedEOF) {
				return off, nil
			}
			return off, fmt.Errorf("at offset %d: %w", off, err)
		}
		n := binary.BigEndian.Uint32(hdr[:4])
		if n > maxRecord {
			if torn {
				return off, nil
			}
			return off, fmt.Errorf("at offset %d: record length %d too large", off, n)
		}
		payload := make([]byte, n)
		if _, err := io.ReadFull(r, payload); err != nil {
			if torn {
				return off, nil
			}
			return off, fmt.Errorf("at offset %d: %w", off, err)
		}
		if crc32.Checksum(payload, castagnoli) != binary.BigEndian.Uint32(hdr[4:]) {
			if torn {
				return off, nil
			}
			return off, fmt.Errorf("at offset %d: checksum mismatch", off)
		}
		if err := apply(payload); err != nil {
			return off, fmt.Errorf("at offset %d: %w", off, err)
		}
		off += frameHeader + int64(n)
	}
}

func appendFrame(buf, rec []byte) []byte {
	buf = binary.BigEndian.AppendUint32(buf, uint32(len(rec)))
	buf = binary.BigEndian.AppendUint32(buf, crc32.Checksum(rec, castagnoli))
	return append(buf, rec...)
}

// append queues rec for the next group commit and returns that commit.
func (j *journal) append(rec []byte) *batch {
	j.mu.Lock()
	if j.failed != nil {
		err := j.failed
		j.mu.Unlock()
		return failedBatch(err)
	}
	if j.closing {
		j.mu.Unlock()
		return failedBatch(errClosed())
	}
	j.buf = appendFrame(j.buf, rec)
	b := j.cur
	j.mu.Unlock()
	select {
	case j.kick <- struct{}{}:
	default:
	}
	return b
}

// run is the committer: it writes and syncs whatever accumulated since the last
// commit, then releases that commit's waiters.
func (j *journal) run() {
	defer close(j.stopped)
	for range j.kick {
		j.mu.Lock()
		buf, b, closing := j.buf, j.cur, j.closing
		j.buf, j.cur = j.spare[:0], newBatch()
		j.mu.Unlock()
		if len(buf) > 0 {
			err := j.write(buf)
			if err != nil {
				j.mu.Lock()
				j.failed = err
				j.mu.Unlock()
				j.log.Error("queue journal write failed", "err", err)
			}
			b.err = err
		}
		close(b.done)
		j.spare = buf
		if closing {
			return
		}
		if j.size > j.limit && !j.snapping.Load() {
			j.rotate()
		}
	}
}

func (j *journal) write(buf []byte) error {
	if _, err := j.f.Write(buf); err != nil {
		return fmt.Errorf("append to queue journal: %w", err)
	}
	if err := j.level.FlushAll(j.f); err != nil {
		return fmt.Errorf("queue journal: %w", err)
	}
	if j.bg != nil {
		j.bg.Mark()
	}
	j.size += int64(len(buf))
	return nil
}

// file returns the current journal file.
func (j *journal) file() *os.File {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.f
}

func (j *journal) openFile(n uint64) error {
	path := filepath.Join(j.dir, fileName("journal", n))
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("create journal: %w", err)
	}
	if err := durable.SyncDir(j.dir); err != nil {
		_ = f.Close()
		return err
	}
	j.mu.Lock()
	j.f = f
	j.mu.Unlock()
	j.num, j.size = n, 0
	return nil
}

// rotate starts journal num+1 and writes snapshot num+1 in the background; once
// that snapshot is durable the older files are removed.
func (j *journal) rotate() {
	old := j.f
	next := j.num + 1
	if err := j.openFile(next); err != nil {
		j.log.Error("queue journal rotation failed", "err", err)
		return
	}
	_ = old.Close()
	j.snapping.Store(true)
	j.snapWG.Add(1)
	go func() {
		defer j.snapWG.Done()
		defer j.snapping.Store(false)
		if err := j.writeSnapshot(next); err != nil {
			j.log.Error("queue snapshot failed", "err", err)
			return
		}
		j.removeOlder(next)
	}()
}

// writeSnapshot writes the current state as snapshot n, atomically.
func (j *journal) writeSnapshot(n uint64) error {
	path := filepath.Join(j.dir, fileName("snapshot", n))
	f, err := os.CreateTemp(j.dir, "."+fileName("snapshot", n)+".tmp-*")
	if err != nil {
		return fmt.Errorf("create snapshot: %w", err)
	}
	tmp := f.Name()
	w := bufio.NewWriterSize(f, 1<<20)
	var frame []byte
	err = j.snap(func(rec []byte) error {
		frame = appendFrame(frame[:0], rec)
		_, err := w.Write(frame)
		return err
	})
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write snapshot %s: %w", path, err)
	}
	return durable.SyncDir(j.dir)
}

// removeOlder deletes snapshots and journals numbered below n.
func (j *journal) removeOlder(n uint64) {
	entries, err := os.ReadDir(j.dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if _, k, ok := parseFileName(e.Name()); ok && k < n {
			_ = os.Remove(filepath.Join(j.dir, e.Name()))
		}
	}
	_ = durable.SyncDir(j.dir)
}

// close commits what is pending, waits for a running snapshot and closes the file.
func (j *journal) close() error {
	j.mu.Lock()
	j.closing = true
	j.mu.Unlock()
	select {
	case j.kick <- struct{}{}:
	default:
	}
	<-j.stopped
	j.snapWG.Wait()
	if j.bg != nil {
		j.bg.Stop()
	}
	j.mu.Lock()
	err := j.failed
	j.mu.Unlock()
	if err == nil {
		if serr := j.f.Sync(); serr != nil {
			err = fmt.Errorf("sync queue journal: %w", serr)
		}
	}
	if cerr := j.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close queue journal: %w", cerr)
	}
	return err
}
