package objstore

import (
	"bufio"
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dragons-dev/dragons/internal/crashtest"

	"github.com/dragons-dev/dragons/local/durable"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// dump describes the whole visible state of a service: every version of
// every key with its metadata and body digest.
func dump(t *testing.T, s *Service) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	buckets, err := s.ListBuckets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, bk := range buckets {
		status, err := s.GetBucketVersioning(ctx, bk.Name)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "bucket %s %s %q\n", bk.Name, bk.CreationDate.Format(time.RFC3339Nano), status)
		res, err := s.ListObjectVersions(ctx, bk.Name, VersionListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range res.Versions {
			line := fmt.Sprintf("  %s %s latest=%v dm=%v size=%d etag=%s mod=%s ct=%q meta=%v %s=%s",
				v.Key, v.VersionID, v.IsLatest, v.DeleteMarker, v.Size, v.ETag, v.LastModified.Format(time.RFC3339Nano), v.ContentType, v.Metadata, v.ChecksumAlgorithm, v.Checksum)
			if !v.DeleteMarker {
				obj, err := s.GetObject(ctx, bk.Name, v.Key, GetOptions{VersionID: v.VersionID})
				if err != nil {
					t.Fatalf("get %s/%s@%s: %v", bk.Name, v.Key, v.VersionID, err)
				}
				body, err := io.ReadAll(obj.Body)
				obj.Body.Close()
				if err != nil {
					t.Fatal(err)
				}
				sum := md5.Sum(body)
				if got := `"` + hex.EncodeToString(sum[:]) + `"`; got != v.ETag {
					t.Fatalf("%s/%s@%s: body md5 %s, etag %s", bk.Name, v.Key, v.VersionID, got, v.ETag)
				}
				line += fmt.Sprintf(" body=%d", len(body))
			}
			b.WriteString(line + "\n")
		}
		uploads, err := s.ListMultipartUploads(ctx, bk.Name, "")
		if err != nil {
			t.Fatal(err)
		}
		for _, up := range uploads {
			_, parts, err := s.ListParts(ctx, bk.Name, up.Key, up.UploadID)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "  upload %s %s %s parts=%+v\n", up.Key, up.UploadID, up.Initiated.Format(time.RFC3339Nano), parts)
		}
	}
	return b.String()
}

func populate(t *testing.T, s *Service) {
	t.Helper()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	putS := func(bucket, key, body string, opts PutOptions) {
		t.Helper()
		_, err := s.PutObject(ctx, bucket, key, strings.NewReader(body), opts)
		must(err)
	}
	big := strings.Repeat("large body ", 1000) // above the 4 KiB inline limit
	must(s.CreateBucket(ctx, "plain"))
	must(s.CreateBucket(ctx, "versioned"))
	must(s.CreateBucket(ctx, "gone"))
	must(s.PutBucketVersioning(ctx, "versioned", VersioningEnabled))
	putS("plain", "a.json", `{"a":1}`, PutOptions{ContentType: "application/json", Metadata: map[string]string{"k": "v"}, ChecksumAlgorithm: AlgSHA256})
	putS("plain", "big.bin", big, PutOptions{})
	putS("plain", "big.bin", big+"v2", PutOptions{}) // replaces a blob
	putS("plain", "deleted", "x", PutOptions{})
	_, err := s.DeleteObject(ctx, "plain", "deleted", DeleteOptions{})
	must(err)
	putS("plain", "bigdeleted", big, PutOptions{})
	_, err = s.DeleteObject(ctx, "plain", "bigdeleted", DeleteOptions{})
	must(err)
	_, _, err = s.CopyObject(ctx, "plain", "big.bin", "versioned", "copied-big", CopyOptions{})
	must(err)
	putS("versioned", "doc", "one", PutOptions{})
	putS("versioned", "doc", big, PutOptions{})
	_, err = s.DeleteObject(ctx, "versioned", "doc", DeleteOptions{})
	must(err)
	putS("versioned", "doc", "three", PutOptions{})
	id, err := s.CreateMultipartUpload(ctx, "gone", "abandoned", PutOptions{})
	must(err)
	_, err = s.UploadPart(ctx, "gone", "abandoned", id, 1, strings.NewReader("lost with its bucket"), PartOptions{})
	must(err)
	must(s.DeleteBucket(ctx, "gone"))
	id, err = s.CreateMultipartUpload(ctx, "plain", "in-progress", PutOptions{ChecksumAlgorithm: AlgSHA256})
	must(err)
	_, err = s.UploadPart(ctx, "plain", "in-progress", id, 2, strings.NewReader("second"), PartOptions{})
	must(err)
}

func blobCount(t *testing.T, dir string) int {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}

func TestRestartServesSameState(t *testing.T) {
	for _, level := range []durable.Level{durable.Process, durable.Disk} {
		t.Run(level.String(), func(t *testing.T) { testRestartServesSameState(t, level) })
	}
}

func testRestartServesSameState(t *testing.T, level durable.Level) {
	dir := t.TempDir()
	s, err := New(Options{DataDir: dir, Durability: level, InlineLimit: 4096})
	if err != nil {
		t.Fatal(err)
	}
	populate(t, s)
	before := dump(t, s)
	if !strings.Contains(before, "upload in-progress") || strings.Contains(before, "abandoned") {
		t.Fatalf("populated state lacks the upload in progress or kept the abandoned one:\n%s", before)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// big.bin, copied-big, the large version of doc and the uploaded part are
	// in blob files; the replaced and deleted large bodies and the part of the
	// upload whose bucket was deleted are gone.
	if n := blobCount(t, dir); n != 4 {
		t.Fatalf("%d blob files, want 4", n)
	}
	s2 := newService(t, Options{DataDir: dir, Durability: level, InlineLimit: 4096})
	if after := dump(t, s2); after != before {
		t.Fatalf("state after restart differs:\n--- before\n%s--- after\n%s", before, after)
	}
	// The restarted service keeps working and the new write survives too.
	if _, err := s2.PutObject(context.Background(), "plain", "later", strings.NewReader("later"), PutOptions{}); err != nil {
		t.Fatal(err)
	}
	want := dump(t, s2)
	s2.Close()
	s3 := newService(t, Options{DataDir: dir, Durability: level, InlineLimit: 4096})
	if got := dump(t, s3); got != want {
		t.Fatalf("second restart differs:\n%s\nvs\n%s", want, got)
	}
}

func TestTornJournalTailIsDiscarded(t *testing.T) {
	dir := t.TempDir()
	s, err := New(Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	populate(t, s)
	before := dump(t, s)
	s.Close()
	path := filepath.Join(dir, "objstore.journal")
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// A crash in the middle of appending leaves a prefix of a record.
	rec := encodeRecord(nil, kindVersionPut, []byte(`{"b":"plain","k":"torn","v":{"id":"null","sz":3}}`), []byte("abc"))
	// Tails: a cut header, a cut payload, a corrupt last byte, and a cut
	// record followed by the zeros a crash leaves in a preallocated file.
	withZeros := append(bytes.Clone(rec[:len(rec)-5]), make([]byte, 4096)...)
	for _, tail := range [][]byte{rec[:3], rec[:len(rec)-1], append(bytes.Clone(rec[:len(rec)-1]), 'X'), withZeros, make([]byte, 100)} {
		if err := os.WriteFile(path, append(bytes.Clone(good), tail...), 0o644); err != nil {
			t.Fatal(err)
		}
		s2, err := New(Options{DataDir: dir})
		if err != nil {
			t.Fatalf("open with torn tail: %v", err)
		}
		if got := dump(t, s2); got != before {
			t.Fatalf("state with torn tail differs:\n%s\nvs\n%s", before, got)
		}
		// The tail was cut, so records appended now are found after a restart.
		if _, err := s2.PutObject(context.Background(), "plain", "after-torn", strings.NewReader("ok"), PutOptions{}); err != nil {
			t.Fatal(err)
		}
		s2.Close()
		s3 := newService(t, Options{DataDir: dir})
		if _, err := s3.HeadObject(context.Background(), "plain", "after-torn", GetOptions{}); err != nil {
			t.Fatalf("write after torn tail lost: %v", err)
		}
		if _, err := s3.DeleteObject(context.Background(), "plain", "after-torn", DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		s3.Close()
		if good, err = os.ReadFile(path); err != nil {
			t.Fatal(err)
		}
	}
	// A corrupt record in the middle is not silently skipped past: it ends the
	// log there, as a torn tail would.
	if err := os.WriteFile(path, append(rec[:len(rec)-1:len(rec)-1], good...), 0o644); err != nil {
		t.Fatal(err)
	}
	s4 := newService(t, Options{DataDir: dir})
	if b, _ := s4.ListBuckets(context.Background()); len(b) != 0 {
		t.Fatalf("buckets after a corrupt first record: %v", b)
	}
}

func TestJournalCompaction(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	s, err := New(Options{DataDir: dir, CompactBytes: 8 << 10, InlineLimit: 4096})
	if err != nil {
		t.Fatal(err)
	}
	populate(t, s)
	body := strings.Repeat("x", 300)
	for i := range 300 {
		if _, err := s.PutObject(ctx, "plain", "hot", strings.NewReader(fmt.Sprint(body, i)), PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// 300 overwrites wrote ~100 kB; compaction keeps the journal near its live
	// size (the file itself also holds preallocated zeros while open).
	if size := s.j.fileSize(); size > 3*(8<<10) {
		t.Fatalf("journal holds %d bytes after compaction", size)
	}
	before := dump(t, s)
	if !strings.Contains(before, "hot null") || !strings.Contains(before, "doc ") {
		t.Fatalf("state lost in compaction:\n%s", before)
	}
	s.Close()
	s2 := newService(t, Options{DataDir: dir, CompactBytes: 8 << 10, InlineLimit: 4096})
	if after := dump(t, s2); after != before {
		t.Fatalf("state after compaction and restart differs:\n%s\nvs\n%s", before, after)
	}
	obj, err := s2.GetObject(ctx, "plain", "hot", GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(obj.Body)
	obj.Body.Close()
	if string(got) != fmt.Sprint(body, 299) {
		t.Fatalf("hot = %q", got)
	}
}

// TestHelperProcess is the child of TestKillNineLosesNothingAcknowledged: it
// serves a disk-backed store until it is killed.
func TestHelperProcess(t *testing.T) {
	dir := os.Getenv("OBJSTORE_HELPER_DIR")
	if dir == "" {
		t.Skip("helper process for TestKillNineLosesNothingAcknowledged; runs only as its child")
	}
	s, err := New(Options{DataDir: dir, InlineLimit: 2048, CompactBytes: 256 << 10})
	if err != nil {
		fmt.Println("ERROR", err)
		os.Exit(1)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println("ERROR", err)
		os.Exit(1)
	}
	fmt.Println("ADDR", ln.Addr().String())
	_ = http.Serve(ln, s)
	os.Exit(0)
}

// TestKillNineLosesNothingAcknowledged writes to a child process under load,
// kills it with SIGKILL and checks that every acknowledged write survived and
// every stored object is intact.
func TestKillNineLosesNothingAcknowledged(t *testing.T) {
	dir := t.TempDir()
	child := crashtest.Start(t, "TestHelperProcess", "OBJSTORE_HELPER_DIR="+dir)
	stdout := child.Stdout
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "ADDR ") {
		t.Fatalf("child said %q (%v)", line, err)
	}
	c := newClient("http://" + strings.TrimSpace(strings.TrimPrefix(line, "ADDR ")))
	ctx := context.Background()
	mustCreateBucket(t, c, "crash")

	var mu sync.Mutex
	acked := map[string]string{}    // key -> md5 of the acknowledged body
	inFlight := map[string]string{} // key -> md5 of a body sent but not acknowledged
	var appended []string
	var stop atomic.Bool
	var acks atomic.Int64
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for i := 0; !stop.Load(); i++ {
				if w%2 == 0 {
					item := fmt.Sprintf("w%d-%d", w, i)
					if _, err := appendItem(ctx, c, "crash", "doc.json", item); err != nil {
						return // the child is gone
					}
					mu.Lock()
					appended = append(appended, item)
					mu.Unlock()
				} else {
					key := fmt.Sprintf("obj/%d/%d", w, i%40) // overwrites keys too
					body := strings.Repeat(fmt.Sprintf("%d:%d;", w, i), 1+rng.IntN(600))
					mu.Lock()
					inFlight[key] = md5hex(body)
					mu.Unlock()
					if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("crash"), Key: aws.String(key), Body: stringsReader(body)}); err != nil {
						return
					}
					mu.Lock()
					acked[key] = md5hex(body)
					delete(inFlight, key)
					mu.Unlock()
				}
				acks.Add(1)
			}
		}()
	}
	deadline := time.Now().Add(5 * time.Second)
	for acks.Load() < 600 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if err := child.Kill(); err != nil {
		t.Fatal(err)
	}
	child.Wait()
	stop.Store(true)
	wg.Wait()
	if acks.Load() < 50 {
		t.Fatalf("only %d writes acknowledged before the kill", acks.Load())
	}

	s := newService(t, Options{DataDir: dir, InlineLimit: 2048})
	dump(t, s) // reads every version and checks its body against its ETag
	for key, sum := range acked {
		info, err := s.HeadObject(ctx, "crash", key, GetOptions{})
		if err != nil {
			t.Fatalf("acknowledged %s lost: %v", key, err)
		}
		// A later write that was in flight at the kill may have landed too.
		if info.ETag != `"`+sum+`"` && info.ETag != `"`+inFlight[key]+`"` {
			t.Fatalf("%s has etag %s, want %s", key, info.ETag, sum)
		}
	}
	obj, err := s.GetObject(ctx, "crash", "doc.json", GetOptions{})
	if err != nil {
		t.Fatalf("doc.json: %v", err)
	}
	body, _ := io.ReadAll(obj.Body)
	obj.Body.Close()
	var items []string
	if err := json.Unmarshal(body, &items); err != nil {
		t.Fatalf("doc.json does not parse: %v", err)
	}
	have := map[string]bool{}
	for _, it := range items {
		have[it] = true
	}
	for _, it := range appended {
		if !have[it] {
			t.Fatalf("acknowledged append %s lost (doc has %d items)", it, len(items))
		}
	}
	keys := sortedKeys(acked)
	sort.Strings(keys)
	t.Logf("killed after %d acknowledged writes (%d keys, %d appends); all present", acks.Load(), len(keys), len(appended))
}

// TestCompactionUnderConcurrentWrites compacts a small journal again and again
// while writers and readers run, then checks the final state survives a
// restart.
func TestCompactionUnderConcurrentWrites(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	opts := Options{DataDir: dir, CompactBytes: 16 << 10, InlineLimit: 1500}
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateBucket(ctx, "churn"); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	last := make([]string, 8)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 60 {
				body := strings.Repeat(fmt.Sprintf("%d-%d ", w, i), 1+(i*37)%300) // some above the inline limit
				key := fmt.Sprintf("k%d", w)
				if _, err := s.PutObject(ctx, "churn", key, strings.NewReader(body), PutOptions{}); err != nil {
					t.Error(err)
					return
				}
				last[w] = body
				if obj, err := s.GetObject(ctx, "churn", key, GetOptions{}); err != nil {
					t.Error(err)
					return
				} else {
					got, err := io.ReadAll(obj.Body)
					obj.Body.Close()
					if err != nil || string(got) != body {
						t.Errorf("read back %s: %d bytes, %v", key, len(got), err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	before := dump(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, "objstore.journal"))
	if err != nil || st.Size() > 64<<10 {
		t.Fatalf("journal not compacted: %v %v", st.Size(), err)
	}
	s2 := newService(t, opts)
	if after := dump(t, s2); after != before {
		t.Fatalf("state differs after restart:\n%s\nvs\n%s", before, after)
	}
	for w, body := range last {
		obj, err := s2.GetObject(ctx, "churn", fmt.Sprintf("k%d", w), GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(obj.Body)
		obj.Body.Close()
		if string(got) != body {
			t.Fatalf("k%d after restart: %d bytes, want %d", w, len(got), len(body))
		}
	}
	if n := blobCount(t, dir); n > 8 {
		t.Fatalf("%d blob files for at most 8 live large bodies", n)
	}
}

// TestProcessLevelSyncsInTheBackground checks that a data directory at the
// default level syncs its journal within a few intervals of a write, and
// that the Disk level, which syncs every write, runs no background sync.
func TestProcessLevelSyncsInTheBackground(t *testing.T) {
	ctx := context.Background()
	s := newService(t, Options{DataDir: t.TempDir()})
	if s.j.bg == nil {
		t.Fatal("no background sync at the Process level")
	}
	time.Sleep(2 * durable.SyncInterval)
	if n := s.j.bg.Syncs(); n != 0 {
		t.Fatalf("%d background syncs before any write", n)
	}
	if err := s.CreateBucket(ctx, "bg-sync"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutObject(ctx, "bg-sync", "k", strings.NewReader("v"), PutOptions{}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * durable.SyncInterval)
	for s.j.bg.Syncs() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if s.j.bg.Syncs() == 0 {
		t.Fatalf("the journal was not synced within %v of a write", 20*durable.SyncInterval)
	}
	if d := newService(t, Options{DataDir: t.TempDir(), Durability: durable.Disk}); d.j.bg != nil {
		t.Fatal("the Disk level runs a background sync")
	}
}
