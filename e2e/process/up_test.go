package process

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dragons-dev/dragons/local/cloud"
)

// build is what every test of the package shares: the dragons binary, built
// once per run, and a directory of warm handler binaries (the contents of a
// data directory's build/ folder) that each new data directory starts from.
type build struct {
	bin   string // the dragons binary
	cache string // a warm DATA_DIR/build, shared by runs on this checkout
	lock  string // flock file guarding cache
}

// pkg is set up by TestMain and read-only afterwards.
var pkg build

func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

func TestMain(m *testing.M) {
	work, err := os.MkdirTemp("", "dragons-process")
	if err != nil {
		fmt.Fprintln(os.Stderr, "process:", err)
		os.Exit(1)
	}
	code, err := setUp(work, m)
	os.RemoveAll(work)
	if err != nil {
		fmt.Fprintln(os.Stderr, "process:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

func setUp(work string, m *testing.M) (int, error) {
	root := repoRoot()
	pkg.bin = filepath.Join(work, "dragons")
	cmd := exec.Command("go", "build", "-o", pkg.bin, "./cmd/dragons")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("build the dragons command: %w\n%s", err, out)
	}
	// One warm handler cache per checkout, kept between runs.
	sum := sha256.Sum256([]byte(root))
	pkg.cache = filepath.Join(os.TempDir(), "dragons-process-build-"+hex.EncodeToString(sum[:6]))
	pkg.lock = pkg.cache + ".lock"
	began := time.Now()
	if err := warmCache(work); err != nil {
		return 0, err
	}
	fmt.Fprintf(os.Stderr, "process: handler build cache ready in %s\n", time.Since(began).Round(time.Millisecond))
	return m.Run(), nil
}

// withLock runs f holding the cache lock (exclusive or shared), so runs of
// this package from several shells do not rebuild into one another's cache.
func withLock(exclusive bool, f func() error) error {
	fd, err := os.OpenFile(pkg.lock, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return fmt.Errorf("open build cache lock: %w", err)
	}
	defer fd.Close()
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	if err := syscall.Flock(int(fd.Fd()), how); err != nil {
		return fmt.Errorf("lock build cache: %w", err)
	}
	defer syscall.Flock(int(fd.Fd()), syscall.LOCK_UN)
	return f()
}

// warmCache brings the shared handler cache up to date by starting the local
// cloud once on a scratch data directory seeded from the cache (the cloud
// rebuilds only when the module's sources changed) and keeping its build/.
func warmCache(work string) error {
	return withLock(true, func() error {
		data := filepath.Join(work, "warm")
		if err := copyTree(pkg.cache, filepath.Join(data, "build")); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		p, err := launch(pkg.bin, data)
		if err != nil {
			return err
		}
		defer p.forceStop()
		if err := p.waitReady(context.Background(), 5*time.Minute); err != nil {
			return fmt.Errorf("warm-up start: %w", err)
		}
		if _, err := p.interrupt(30 * time.Second); err != nil {
			return fmt.Errorf("warm-up stop: %w", err)
		}
		old, _ := os.ReadFile(filepath.Join(pkg.cache, "build-state.json"))
		fresh, err := os.ReadFile(filepath.Join(data, "build", "build-state.json"))
		if err != nil {
			return fmt.Errorf("warm-up left no build state: %w", err)
		}
		if bytes.Equal(old, fresh) {
			return nil
		}
		if err := os.RemoveAll(pkg.cache); err != nil {
			return fmt.Errorf("replace build cache: %w", err)
		}
		if err := os.Rename(filepath.Join(data, "build"), pkg.cache); err != nil {
			return copyTree(filepath.Join(data, "build"), pkg.cache)
		}
		return nil
	})
}

// newDataDir returns a fresh data directory whose build/ is a copy of the warm
// handler cache.
func newDataDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	err := withLock(false, func() error { return copyTree(pkg.cache, filepath.Join(dir, "build")) })
	if err != nil {
		t.Fatalf("seed the data directory with warm handler binaries: %v", err)
	}
	return dir
}

// copyTree copies the regular files under src to dst (real copies: the
// toolchain may rewrite a binary in place, which must never reach the cache).
func copyTree(src, dst string) error {
	if _, err := os.Stat(src); err != nil {
		return err
	}
	return filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		in, err := os.Open(path)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, info.Mode().Perm())
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return fmt.Errorf("copy %s: %w", path, err)
		}
		if err := out.Close(); err != nil {
			return err
		}
		// Keep modification times: the cloud's build fingerprint covers
		// sources only, but identical trees are easier to reason about.
		return os.Chtimes(target, info.ModTime(), info.ModTime())
	})
}

// upProcess is one `dragons up` child process.
type upProcess struct {
	cmd     *exec.Cmd
	dataDir string
	started time.Time
	stdout  *lines
	stderr  *lockedBuffer

	exited  chan struct{}
	waitErr error

	edgeURL, apiURL string
	printedReady    string // the duration `up` printed
}

var (
	apiLine   = regexp.MustCompile(`^\s+API\s+(http://\S+)`)
	edgeLine  = regexp.MustCompile(`^\s+Edge\s+(http://\S+)`)
	readyLine = regexp.MustCompile(`ready in (\S+)`)
)

// launch starts `dragons up` on free loopback ports with dataDir.
func launch(bin, dataDir string) (*upProcess, error) {
	cmd := exec.Command(bin, "up", "--data-dir", dataDir, "--edge-addr", "127.0.0.1:0", "--api-addr", "127.0.0.1:0",
		"--template", filepath.Join(repoRoot(), "template.yaml"))
	cmd.Dir = repoRoot()
	p := &upProcess{cmd: cmd, dataDir: dataDir, stdout: newLines(), stderr: &lockedBuffer{}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.stdout, p.stderr
	// Handler processes might inherit nothing of ours, but never let a
	// straggler keep Wait from returning.
	cmd.WaitDelay = 2 * time.Second
	p.started = time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start dragons up: %w", err)
	}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

// startUp launches `dragons up` on dataDir and waits until it is ready; the
// process is killed at the end of the test if still running.
func startUp(t *testing.T, dataDir string) *upProcess {
	t.Helper()
	p, err := launch(pkg.bin, dataDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.forceStop)
	if err := p.waitReady(context.Background(), 2*time.Minute); err != nil {
		t.Fatal(err)
	}
	return p
}

// waitReady waits for the printed addresses and then for GET /_local/health to
// answer 200 with ready=true.
func (p *upProcess) waitReady(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for p.edgeURL == "" || p.apiURL == "" {
		grew := p.stdout.changed() // before reading, so no write is missed
		for _, l := range p.stdout.all() {
			if m := edgeLine.FindStringSubmatch(l); m != nil {
				p.edgeURL = m[1]
			}
			if m := apiLine.FindStringSubmatch(l); m != nil {
				p.apiURL = m[1]
			}
			if m := readyLine.FindStringSubmatch(l); m != nil {
				p.printedReady = m[1]
			}
		}
		if p.edgeURL != "" && p.apiURL != "" {
			break
		}
		select {
		case <-p.exited:
			return fmt.Errorf("dragons up exited before printing its addresses (%v)\nstdout:\n%s\nstderr:\n%s", p.waitErr, p.stdout, p.stderr)
		case <-grew:
		case <-time.After(time.Until(deadline)):
			return fmt.Errorf("dragons up printed no addresses within %s\nstdout:\n%s\nstderr:\n%s", timeout, p.stdout, p.stderr)
		}
	}
	for {
		h, err := p.health(ctx)
		if err == nil && h["ready"] == true {
			if h["edge"] != p.edgeURL || h["api"] != p.apiURL {
				return fmt.Errorf("health reports edge %v and api %v, but up printed %s and %s", h["edge"], h["api"], p.edgeURL, p.apiURL)
			}
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("GET %s/_local/health never answered ready within %s: %v %v\nstderr:\n%s", p.edgeURL, timeout, h, err, p.stderr)
		}
		select {
		case <-p.exited:
			return fmt.Errorf("dragons up exited while starting (%v)\nstderr:\n%s", p.waitErr, p.stderr)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// health reads GET /_local/health; it is an error unless the answer is 200.
func (p *upProcess) health(ctx context.Context) (map[string]any, error) {
	var h map[string]any
	status, err := getJSON(ctx, p.edgeURL+"/_local/health", &h)
	if err == nil && status != http.StatusOK {
		err = fmt.Errorf("GET /_local/health = %d", status)
	}
	return h, err
}

// stack reads GET /_local/stack: each logical id's physical id, ARN or URL.
func (p *upProcess) stack(t *testing.T) map[string]any {
	t.Helper()
	return p.getMap(t, "/_local/stack")
}

// details reads the stack details: resources with types and attributes, the
// addresses and the local user.
func (p *upProcess) details(t *testing.T) map[string]any {
	t.Helper()
	return p.getMap(t, cloud.StackDetailsPath)
}

func (p *upProcess) getMap(t *testing.T, path string) map[string]any {
	t.Helper()
	var m map[string]any
	status, err := getJSON(context.Background(), p.edgeURL+path, &m)
	if err != nil || status != http.StatusOK {
		t.Fatalf("GET %s = %d, %v", path, status, err)
	}
	return m
}

// interrupt sends SIGINT (Ctrl-C) and waits up to timeout for the exit; it
// returns how long the exit took.
func (p *upProcess) interrupt(timeout time.Duration) (time.Duration, error) {
	began := time.Now()
	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		return 0, fmt.Errorf("send SIGINT: %w", err)
	}
	select {
	case <-p.exited:
		return time.Since(began), nil
	case <-time.After(timeout):
		return time.Since(began), fmt.Errorf("dragons up still running %s after SIGINT\nstdout:\n%s\nstderr:\n%s", timeout, p.stdout, p.stderr)
	}
}

// kill sends SIGKILL and waits for the exit.
func (p *upProcess) kill() error {
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		return fmt.Errorf("send SIGKILL: %w", err)
	}
	select {
	case <-p.exited:
		return nil
	case <-time.After(30 * time.Second):
		return errors.New("dragons up did not die within 30s of SIGKILL")
	}
}

// forceStop kills the process if it still runs, and any handler process it
// left behind.
func (p *upProcess) forceStop() {
	select {
	case <-p.exited:
	default:
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
	for _, pid := range handlerProcesses(p.dataDir) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}

// addrOf returns the host:port of a URL.
func addrOf(u string) string {
	parsed, err := url.Parse(u)
	if err != nil {
		return u
	}
	return parsed.Host
}

// portFree reports whether addr can be bound again.
func portFree(addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return l.Close()
}

// handlerProcesses lists running processes whose executable lives under the
// data directory's build/ folder: the Lambda handler processes of that cloud.
func handlerProcesses(dataDir string) []int {
	prefix, err := filepath.Abs(filepath.Join(dataDir, "build"))
	if err != nil {
		return nil
	}
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		exe, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe"))
		if err == nil && strings.HasPrefix(exe, prefix+string(filepath.Separator)) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// waitNoHandlers waits up to timeout for the cloud's handler processes to be
// gone and returns the ones still running.
func waitNoHandlers(dataDir string, timeout time.Duration) []int {
	deadline := time.Now().Add(timeout)
	for {
		left := handlerProcesses(dataDir)
		if len(left) == 0 || time.Now().After(deadline) {
			return left
		}
		time.Sleep(50 * time.Millisecond)
	}
}

var httpClient = &http.Client{Timeout: 15 * time.Second}

// getJSON GETs url and decodes a JSON answer into v.
func getJSON(ctx context.Context, u string, v any) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, err
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, fmt.Errorf("read %s: %w", u, err)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return resp.StatusCode, fmt.Errorf("GET %s: not JSON: %w: %.200s", u, err, body)
	}
	return resp.StatusCode, nil
}

// token runs `dragons token` against the cloud's edge and returns the token.
func (p *upProcess) token(t *testing.T) string {
	t.Helper()
	cmd := exec.Command(pkg.bin, "token", "--edge-addr", addrOf(p.edgeURL))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("dragons token: %v\n%s", err, stderr.String())
	}
	tok := strings.TrimSuffix(string(out), "\n")
	if strings.ContainsAny(tok, " \n") || len(strings.Split(tok, ".")) != 3 {
		t.Fatalf("dragons token printed %q, want one JWT alone on stdout", out)
	}
	return tok
}

// stackRef returns the physical id of a logical id in /_local/stack.
func stackRef(t *testing.T, st map[string]any, logicalID string) string {
	t.Helper()
	id, _ := st[logicalID].(string)
	if id == "" {
		t.Fatalf("/_local/stack has no physical id for %s: %v", logicalID, st[logicalID])
	}
	return id
}

// lines collects a process's output and tells waiters when it grows.
type lines struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	notify  chan struct{}
	partial string
	done    []string
}

func newLines() *lines { return &lines{notify: make(chan struct{})} }

func (l *lines) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(b)
	sc := bufio.NewScanner(strings.NewReader(l.partial + string(b)))
	var got []string
	for sc.Scan() {
		got = append(got, sc.Text())
	}
	l.partial = ""
	if len(b) > 0 && b[len(b)-1] != '\n' && len(got) > 0 {
		l.partial = got[len(got)-1]
		got = got[:len(got)-1]
	}
	l.done = append(l.done, got...)
	close(l.notify)
	l.notify = make(chan struct{})
	return len(b), nil
}

// all returns the complete lines written so far.
func (l *lines) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.done...)
}

// changed returns a channel closed at the next write.
func (l *lines) changed() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.notify
}

func (l *lines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
