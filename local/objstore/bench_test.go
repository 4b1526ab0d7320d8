package objstore

import (
	"context"
	"encoding/base64"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Benchmarks drive the service through the SDK over HTTP, 8 concurrent
// clients (on 2 cores: -cpu 2 with parallelism 4), and report the p99
// latency. OBJSTORE_BENCH_ENDPOINT points them at another S3 endpoint (for
// comparisons) instead of an in-process server.

const benchParallelism = 4

func benchClient(b *testing.B, dataDir bool) *s3.Client {
	b.Helper()
	if ep := os.Getenv("OBJSTORE_BENCH_ENDPOINT"); ep != "" {
		return newClient(ep)
	}
	opts := Options{}
	if dataDir {
		opts.DataDir = b.TempDir()
	}
	s := newService(b, opts)
	return newClient(serve(b, s).URL)
}

func benchBucket(b *testing.B, c *s3.Client) string {
	b.Helper()
	name := fmt.Sprintf("bench-%d", time.Now().UnixNano())
	mustCreateBucket(b, c, name)
	return name
}

// latencies collects per-operation durations from parallel workers.
type latencies struct {
	mu  sync.Mutex
	all []time.Duration
}

func (l *latencies) add(d []time.Duration) {
	l.mu.Lock()
	l.all = append(l.all, d...)
	l.mu.Unlock()
}

func (l *latencies) report(b *testing.B) {
	sort.Slice(l.all, func(i, j int) bool { return l.all[i] < l.all[j] })
	if len(l.all) == 0 {
		return
	}
	p := func(q float64) float64 { return float64(l.all[int(q*float64(len(l.all)-1))].Microseconds()) / 1000 }
	b.ReportMetric(p(0.50), "p50-ms")
	b.ReportMetric(p(0.99), "p99-ms")
}

func runParallel(b *testing.B, op func(ctx context.Context, worker int64, i int) error) {
	var lat latencies
	var workers atomic.Int64
	ctx := context.Background()
	b.SetParallelism(benchParallelism)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		w := workers.Add(1)
		var mine []time.Duration
		for i := 0; pb.Next(); i++ {
			start := time.Now()
			if err := op(ctx, w, i); err != nil {
				b.Error(err)
				return
			}
			mine = append(mine, time.Since(start))
		}
		lat.add(mine)
	})
	b.StopTimer()
	lat.report(b)
}

var kib = strings.Repeat("x", 1024)

func benchPut(b *testing.B, disk bool) {
	c := benchClient(b, disk)
	bucket := benchBucket(b, c)
	runParallel(b, func(ctx context.Context, w int64, i int) error {
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(fmt.Sprintf("k/%d/%d", w, i%1000)), Body: strings.NewReader(kib)})
		return err
	})
}

func benchGet(b *testing.B, disk bool) {
	c := benchClient(b, disk)
	bucket := benchBucket(b, c)
	for i := range 100 {
		put(b, c, bucket, fmt.Sprintf("k/%d", i), kib)
	}
	runParallel(b, func(ctx context.Context, w int64, i int) error {
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(fmt.Sprintf("k/%d", (int(w)*7+i)%100))})
		if err != nil {
			return err
		}
		n, err := io.Copy(io.Discard, out.Body)
		out.Body.Close()
		if err == nil && n != 1024 {
			err = fmt.Errorf("read %d bytes", n)
		}
		return err
	})
}

// BenchmarkPut1KiB: 1 KiB PutObject, in memory and fsynced to disk.
func BenchmarkPut1KiB(b *testing.B) {
	b.Run("memory", func(b *testing.B) { benchPut(b, false) })
	b.Run("disk", func(b *testing.B) { benchPut(b, true) })
}

// BenchmarkGet1KiB: 1 KiB GetObject, in memory and disk-backed.
func BenchmarkGet1KiB(b *testing.B) {
	b.Run("memory", func(b *testing.B) { benchGet(b, false) })
	b.Run("disk", func(b *testing.B) { benchGet(b, true) })
}

// BenchmarkConditionalAppend: the read-modify-write loop appending to one
// JSON array (each op is one successful append, retries included).
func BenchmarkConditionalAppend(b *testing.B) {
	c := benchClient(b, true)
	bucket := benchBucket(b, c)
	var n atomic.Int64
	runParallel(b, func(ctx context.Context, w int64, i int) error {
		// Keep the document small: a new one every 200 appends.
		key := fmt.Sprintf("doc-%d.json", n.Add(1)/200)
		_, err := appendItem(ctx, c, bucket, key, fmt.Sprintf("w%d-%d", w, i))
		return err
	})
}

// discardWriter is a minimal http.ResponseWriter for handler benchmarks.
type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d *discardWriter) WriteHeader(int)             {}

// BenchmarkHandler measures the server alone (no network, no SDK): 1 KiB PUT
// and GET requests shaped like the SDK's, straight into ServeHTTP.
func BenchmarkHandler(b *testing.B) {
	for _, disk := range []bool{false, true} {
		name := "memory"
		opts := Options{}
		if disk {
			name, opts.DataDir = "disk", b.TempDir()
		}
		s := newService(b, opts)
		if err := s.CreateBucket(context.Background(), "bench"); err != nil {
			b.Fatal(err)
		}
		crc := crc32.ChecksumIEEE([]byte(kib))
		sum := base64.StdEncoding.EncodeToString([]byte{byte(crc >> 24), byte(crc >> 16), byte(crc >> 8), byte(crc)})
		var seq atomic.Int64
		b.Run("put-"+name, func(b *testing.B) {
			b.SetParallelism(benchParallelism)
			b.RunParallel(func(pb *testing.PB) {
				w := &discardWriter{h: http.Header{}}
				for pb.Next() {
					r := httptest.NewRequest(http.MethodPut, fmt.Sprintf("/bench/k/%d?x-id=PutObject", seq.Add(1)%1000), strings.NewReader(kib))
					r.Header.Set("Content-Type", "application/octet-stream")
					r.Header.Set("X-Amz-Sdk-Checksum-Algorithm", "CRC32")
					r.Header.Set("X-Amz-Checksum-Crc32", sum)
					r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0")
					clear(w.h)
					s.ServeHTTP(w, r)
				}
			})
		})
		b.Run("put-"+name+"-1writer", func(b *testing.B) {
			w := &discardWriter{h: http.Header{}}
			for i := 0; i < b.N; i++ {
				r := httptest.NewRequest(http.MethodPut, fmt.Sprintf("/bench/k/%d?x-id=PutObject", i%1000), strings.NewReader(kib))
				r.Header.Set("X-Amz-Checksum-Crc32", sum)
				clear(w.h)
				s.ServeHTTP(w, r)
			}
		})
		b.Run("get-"+name, func(b *testing.B) {
			b.SetParallelism(benchParallelism)
			b.RunParallel(func(pb *testing.PB) {
				w := &discardWriter{h: http.Header{}}
				for pb.Next() {
					r := httptest.NewRequest(http.MethodGet, fmt.Sprintf("/bench/k/%d?x-id=GetObject", seq.Add(1)%1000), nil)
					r.Header.Set("X-Amz-Checksum-Mode", "ENABLED")
					clear(w.h)
					s.ServeHTTP(w, r)
				}
			})
		})
	}
}
