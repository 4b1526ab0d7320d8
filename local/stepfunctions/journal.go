package stepfunctions

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/dragons-dev/dragons/local/durable"
)

// expressRecord is one line of the Express journal: an accepted execution
// ("start", with everything needed to run it again) or its end ("end", the
// ARN only).
type expressRecord struct {
	Op       string    `json:"op"`
	ARN      string    `json:"arn"`
	Name     string    `json:"name,omitempty"`
	Machine  string    `json:"machine,omitempty"`
	TestCase string    `json:"testCase,omitempty"`
	Input    string    `json:"input,omitempty"`
	Trace    string    `json:"trace,omitempty"`
	Start    time.Time `json:"start,omitzero"`
}

const (
	opStart = "start"
	opEnd   = "end"
)

// Journal tuning.
const (
	// journalPrealloc is how far the file is extended with zeros at a
	// time, so most commits overwrite existing blocks and a data-only sync
	// suffices.
	journalPrealloc = 1 << 20
	// compactAfter is how many finished executions may accumulate in the
	// file before it is rewritten with the unfinished ones only (and only
	// when they outnumber those).
	compactAfter = 512
)

var castagnoliTable = crc32.MakeTable(crc32.Castagnoli)

// expressJournal is the append-only record of accepted Express executions.
// Each line is the CRC-32C of a JSON record (8 hex digits), a space and
// the record. A start is durable (group-committed: concurrent starters share
// one sync) before StartExecution answers; an end is written without waiting
// (losing it only means the execution runs again). Lines after the first
// torn or corrupt one are ignored at load. The file is rewritten with the
// unfinished executions at open and whenever finished ones dominate it.
type expressJournal struct {
	path  string
	level durable.Level       // how far a wait takes a record
	bg    *durable.Background // syncs the file now and then at the Process level

	mu       sync.Mutex
	cond     *sync.Cond
	f        *os.File
	w        *durable.Preallocated // writes to f; one writer at a time
	buf      []byte                // appended, not yet written
	appended uint64                // sequence number of the last appended record
	synced   uint64                // sequence number of the last durable record
	syncing  bool
	err      error // sticky write failure
	live     map[string]expressRecord
	finished int // finished executions still in the file
}

// openExpressJournal opens the journal at path (creating it) and returns it
// with the executions it records as unfinished, in the order they started.
func openExpressJournal(path string, level durable.Level, log *slog.Logger) (*expressJournal, []expressRecord, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, nil, fmt.Errorf("create journal directory: %w", err)
	}
	j := &expressJournal{path: path, level: level, live: map[string]expressRecord{}}
	j.cond = sync.NewCond(&j.mu)
	var order []string
	f, err := os.Open(path)
	switch {
	case err == nil:
		err = readJournal(f, func(r expressRecord) {
			switch r.Op {
			case opStart:
				if _, dup := j.live[r.ARN]; !dup {
					order = append(order, r.ARN)
				}
				j.live[r.ARN] = r
			case opEnd:
				delete(j.live, r.ARN)
			}
		})
		f.Close()
		if err != nil {
			return nil, nil, fmt.Errorf("read journal %q: %w", path, err)
		}
	case !errors.Is(err, os.ErrNotExist):
		return nil, nil, fmt.Errorf("open journal %q: %w", path, err)
	}
	var pending []expressRecord
	for _, arn := range order {
		if r, ok := j.live[arn]; ok {
			pending = append(pending, r)
		}
	}
	// Start from a clean file: the unfinished executions only.
	j.mu.Lock()
	err = j.rewriteLocked()
	j.mu.Unlock()
	if err != nil {
		return nil, nil, err
	}
	if level == durable.Process {
		j.bg = durable.StartBackground(durable.SyncInterval, j.file, func(err error) { log.Warn("sync the Express journal", "err", err) })
	}
	return j, pending, nil
}

// file returns the journal's current file.
func (j *expressJournal) file() *os.File {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.f
}

// readJournal calls apply for each intact record of r, in order, and stops
// at the first torn or corrupt line (a crash's tail, or preallocated zeros).
func readJournal(r io.Reader, apply func(expressRecord)) error {
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := br.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			return nil // a last line without its newline is torn
		}
		if err != nil {
			return err
		}
		rec, ok := parseJournalLine(line[:len(line)-1])
		if !ok {
			return nil
		}
		apply(rec)
	}
}

// parseJournalLine decodes one line (without its newline).
func parseJournalLine(line []byte) (expressRecord, bool) {
	var rec expressRecord
	if len(line) < 10 || line[8] != ' ' {
		return rec, false
	}
	var sum [4]byte
	if _, err := hex.Decode(sum[:], line[:8]); err != nil {
		return rec, false
	}
	body := line[9:]
	want := uint32(sum[0])<<24 | uint32(sum[1])<<16 | uint32(sum[2])<<8 | uint32(sum[3])
	if crc32.Checksum(body, castagnoliTable) != want {
		return rec, false
	}
	if err := json.Unmarshal(body, &rec); err != nil || rec.ARN == "" || (rec.Op != opStart && rec.Op != opEnd) {
		return rec, false
	}
	return rec, true
}

// appendJournalLine frames rec as one line.
func appendJournalLine(dst []byte, rec expressRecord) ([]byte, error) {
	body, err := json.Marshal(rec)
	if err != nil {
		return dst, fmt.Errorf("encode journal record for %s: %w", rec.ARN, err)
	}
	if bytes.IndexByte(body, '\n') >= 0 {
		return dst, fmt.Errorf("journal record for %s contains a newline", rec.ARN)
	}
	sum := crc32.Checksum(body, castagnoliTable)
	dst = hex.AppendEncode(dst, []byte{byte(sum >> 24), byte(sum >> 16), byte(sum >> 8), byte(sum)})
	dst = append(dst, ' ')
	dst = append(dst, body...)
	return append(dst, '\n'), nil
}

// started records an accepted execution and returns once the record is
// durable.
func (j *expressJournal) started(rec expressRecord) error {
	rec.Op = opStart
	j.mu.Lock()
	if j.err != nil {
		err := j.err
		j.mu.Unlock()
		return err
	}
	buf, err := appendJournalLine(j.buf, rec)
	if err != nil {
		j.mu.Unlock()
		return err
	}
	j.buf = buf
	j.appended++
	seq := j.appended
	j.live[rec.ARN] = rec
	defer j.mu.Unlock()
	return j.waitLocked(seq)
}

// ended records that an execution finished. It does not wait for the disk.
func (j *expressJournal) ended(arn string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if _, ok := j.live[arn]; !ok || j.err != nil {
		return
	}
	delete(j.live, arn)
	j.finished++
	if j.finished >= compactAfter && j.finished > len(j.live) && !j.syncing {
		if err := j.rewriteLocked(); err != nil {
			j.err = err
		}
		return
	}
	buf, err := appendJournalLine(j.buf, expressRecord{Op: opEnd, ARN: arn})
	if err != nil {
		return
	}
	j.buf = buf
	j.appended++
	// Hand the record to the file now (no sync) unless a commit is under
	// way, which will carry it.
	if !j.syncing {
		if err := j.w.Write(j.buf); err != nil {
			j.err = fmt.Errorf("write journal %q: %w", j.path, err)
			return
		}
		j.buf = j.buf[:0]
		if j.bg != nil {
			j.bg.Mark()
		}
	}
}

// waitLocked returns once record seq is durable. The first waiter writes
// and syncs everything appended so far; the others wait for it. j.mu is
// held (and released while syncing).
func (j *expressJournal) waitLocked(seq uint64) error {
	for j.synced < seq {
		if j.err != nil {
			return j.err
		}
		if j.syncing {
			j.cond.Wait()
			continue
		}
		j.syncing = true
		buf, upto, w := j.buf, j.appended, j.w
		j.buf = nil
		j.mu.Unlock()
		err := w.Append(buf)
		if err == nil && j.bg != nil {
			j.bg.Mark()
		}
		j.mu.Lock()
		j.syncing = false
		if err != nil {
			j.err = fmt.Errorf("write journal %q: %w", j.path, err)
		} else {
			j.synced = max(j.synced, upto)
		}
		j.cond.Broadcast()
	}
	return nil
}

// rewriteLocked replaces the file with one holding the unfinished
// executions only, atomically. j.mu is held and no commit is under way.
func (j *expressJournal) rewriteLocked() error {
	for j.syncing {
		j.cond.Wait()
	}
	var data []byte
	for _, rec := range j.live {
		var err error
		if data, err = appendJournalLine(data, rec); err != nil {
			return err
		}
	}
	if err := durable.WriteFile(j.path, data, 0o644); err != nil {
		return fmt.Errorf("compact journal: %w", err)
	}
	f, err := os.OpenFile(j.path, os.O_RDWR, 0o644)
	if err != nil {
		return fmt.Errorf("reopen journal %q: %w", j.path, err)
	}
	if j.f != nil {
		if err := j.w.Release(); err != nil {
			f.Close()
			return fmt.Errorf("compact journal: %w", err)
		}
		j.f.Close()
	}
	j.f = f
	j.w = durable.NewPreallocated(f, j.level, int64(len(data)), journalPrealloc)
	j.buf = nil
	j.synced = j.appended
	j.finished = 0
	j.cond.Broadcast()
	return nil
}

// pending reports how many executions the journal holds as unfinished.
func (j *expressJournal) pending() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return len(j.live)
}

// close writes what is buffered, trims the preallocated tail and closes the
// file.
func (j *expressJournal) close() error {
	if j.bg != nil {
		j.bg.Stop() // the file is synced below
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return nil
	}
	err := j.waitLocked(j.appended)
	if rerr := j.w.Release(); err == nil {
		err = rerr
	}
	if err == nil && j.w.Allocated() > j.w.Offset() {
		err = j.f.Truncate(j.w.Offset())
	}
	if err == nil {
		err = j.f.Sync()
	}
	if cerr := j.f.Close(); cerr != nil && err == nil {
		err = cerr
	}
	j.f = nil
	j.err = errors.New("journal closed")
	if err != nil {
		return fmt.Errorf("close journal %q: %w", j.path, err)
	}
	return nil
}
