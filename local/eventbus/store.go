package eventbus

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/dragons-dev/dragons/local/durable"
)

// journal is an append-only file of JSON lines. Each append reaches the operating
// system before it returns (so it survives the process being killed); at the
// Disk level it is also synced before it returns, at the Process level in the
// background. A line torn by a crash is cut off when the file is opened again.
type journal struct {
	mu    sync.Mutex
	path  string
	level durable.Level       // Disk: append syncs before it returns
	bg    *durable.Background // Process: syncs the file now and then
	f     *os.File
}

// openJournal opens (creating if needed) the journal at path and returns its
// complete lines.
func openJournal(path string, level durable.Level, log *slog.Logger) (*journal, [][]byte, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, nil, fmt.Errorf("create directory for %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, nil, fmt.Errorf("open journal %s: %w", path, err)
	}
	var lines [][]byte
	var good int64
	r := bufio.NewReaderSize(f, 1<<16)
	for {
		line, err := r.ReadBytes('\n')
		if err == io.EOF {
			break // a last line without its newline is torn: drop it
		}
		if err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("read journal %s: %w", path, err)
		}
		body := bytes.TrimSpace(line)
		if len(body) > 0 && !json.Valid(body) {
			break // corrupt from here on: keep what came before
		}
		good += int64(len(line))
		if len(body) > 0 {
			lines = append(lines, body)
		}
	}
	if err := f.Truncate(good); err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("truncate journal %s: %w", path, err)
	}
	if _, err := f.Seek(good, io.SeekStart); err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("seek journal %s: %w", path, err)
	}
	j := &journal{path: path, level: level, f: f}
	if level == durable.Process {
		j.bg = durable.StartBackground(durable.SyncInterval, j.file, func(err error) { log.Warn("sync journal", "path", path, "err", err) })
	}
	return j, lines, nil
}

// file returns the journal's current file (nil once closed).
func (j *journal) file() *os.File {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.f
}

// append writes lines to the journal, each followed by a newline, in one write.
func (j *journal) append(lines ...[]byte) error {
	data := joinLines(lines)
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return fmt.Errorf("journal %s is closed", j.path)
	}
	if _, err := j.f.Write(data); err != nil {
		return fmt.Errorf("append to journal %s: %w", j.path, err)
	}
	if j.level == durable.Disk {
		if err := j.f.Sync(); err != nil {
			return fmt.Errorf("sync journal %s: %w", j.path, err)
		}
		return nil
	}
	if j.bg != nil {
		j.bg.Mark()
	}
	return nil
}

// rewrite atomically replaces the journal's content with lines.
func (j *journal) rewrite(lines [][]byte) error {
	data := joinLines(lines)
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return fmt.Errorf("journal %s is closed", j.path)
	}
	if err := durable.WriteFile(j.path, data, 0o644); err != nil {
		return fmt.Errorf("rewrite journal %s: %w", j.path, err)
	}
	f, err := os.OpenFile(j.path, os.O_RDWR|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("reopen journal %s: %w", j.path, err)
	}
	j.f.Close()
	j.f = f
	return nil
}

// joinLines returns lines each followed by a newline, ready for one write.
func joinLines(lines [][]byte) []byte {
	n := 0
	for _, l := range lines {
		n += len(l) + 1
	}
	buf := make([]byte, 0, n)
	for _, l := range lines {
		buf = append(buf, l...)
		buf = append(buf, '\n')
	}
	return buf
}

func (j *journal) close() error {
	if j.bg != nil {
		j.bg.Stop() // the file is synced below
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return nil
	}
	err := j.f.Sync()
	if cerr := j.f.Close(); err == nil {
		err = cerr
	}
	j.f = nil
	if err != nil {
		return fmt.Errorf("close journal %s: %w", j.path, err)
	}
	return nil
}

// pendingRecord is a journal line of the undelivered-events log: "put" when an
// event is accepted, "done" when every delivery of it has finished.
type pendingRecord struct {
	Op    string          `json:"op"`
	ID    string          `json:"id"`
	Bus   string          `json:"bus,omitempty"`
	At    int64           `json:"at,omitempty"`
	Event json.RawMessage `json:"event,omitempty"`
	Trace string          `json:"trace,omitempty"`
}

// pendingLog journals accepted events until they are delivered, so a restart
// resumes their delivery. It compacts itself when most of it is finished work.
type pendingLog struct {
	j     *journal
	mu    sync.Mutex
	live  map[string][]byte // event id -> its "put" line
	lines int
}

func openPendingLog(path string, level durable.Level, log *slog.Logger) (*pendingLog, []pendingRecord, error) {
	j, lines, err := openJournal(path, level, log)
	if err != nil {
		return nil, nil, err
	}
	p := &pendingLog{j: j, live: map[string][]byte{}}
	var order []string
	recs := map[string]pendingRecord{}
	for _, l := range lines {
		var r pendingRecord
		if err := json.Unmarshal(l, &r); err != nil || r.ID == "" {
			continue
		}
		switch r.Op {
		case "put":
			if _, seen := recs[r.ID]; !seen {
				order = append(order, r.ID)
			}
			recs[r.ID] = r
			p.live[r.ID] = l
		case "done":
			delete(recs, r.ID)
			delete(p.live, r.ID)
		}
	}
	var out []pendingRecord
	var keep [][]byte
	for _, id := range order {
		if r, ok := recs[id]; ok {
			out = append(out, r)
			keep = append(keep, p.live[id])
		}
	}
	if len(keep) != len(lines) {
		if err := j.rewrite(keep); err != nil {
			j.close()
			return nil, nil, err
		}
	}
	p.lines = len(keep)
	return p, out, nil
}

// add journals accepted events.
func (p *pendingLog) add(recs []pendingRecord) error {
	lines := make([][]byte, 0, len(recs))
	for _, r := range recs {
		l, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("encode journal record: %w", err)
		}
		lines = append(lines, l)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.j.append(lines...); err != nil {
		return err
	}
	for i, r := range recs {
		p.live[r.ID] = lines[i]
	}
	p.lines += len(lines)
	return nil
}

// done records that an event's deliveries are finished.
func (p *pendingLog) done(id string) error {
	l, _ := json.Marshal(pendingRecord{Op: "done", ID: id})
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.live, id)
	if err := p.j.append(l); err != nil {
		return err
	}
	p.lines++
	if p.lines > 4096 && p.lines > 4*len(p.live) {
		keep := make([][]byte, 0, len(p.live))
		for _, v := range p.live {
			keep = append(keep, v)
		}
		if err := p.j.rewrite(keep); err != nil {
			return err
		}
		p.lines = len(keep)
	}
	return nil
}

func (p *pendingLog) close() error { return p.j.close() }

// workQueue is an unbounded FIFO of jobs run by worker goroutines. Pushing never
// blocks, so retry timers and dispatchers cannot deadlock on a full queue.
type workQueue struct {
	mu     sync.Mutex
	cond   *sync.Cond
	jobs   []func()
	closed bool
}

func newWorkQueue() *workQueue {
	q := &workQueue{}
	q.cond = sync.NewCond(&q.mu)
	return q
}

// push adds a job; it reports false once the queue is closed.
func (q *workQueue) push(f func()) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return false
	}
	q.jobs = append(q.jobs, f)
	q.cond.Signal()
	return true
}

// run executes jobs until the queue is closed.
func (q *workQueue) run() {
	for {
		q.mu.Lock()
		for len(q.jobs) == 0 && !q.closed {
			q.cond.Wait()
		}
		if q.closed {
			q.mu.Unlock()
			return
		}
		f := q.jobs[0]
		q.jobs[0] = nil
		q.jobs = q.jobs[1:]
		q.mu.Unlock()
		f()
	}
}

// close stops the workers; queued jobs are dropped (undelivered events stay in
// the journal).
func (q *workQueue) close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	q.jobs = nil
	q.cond.Broadcast()
}

var errClosed = errors.New("event bus service is closed")
