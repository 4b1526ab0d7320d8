package objstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// appendItem runs the conditional read-modify-write loop once: read the JSON
// array and its ETag, append item, write it back with If-Match (If-None-Match
// when the object does not exist yet) and start over when another writer got
// there first. It returns how many attempts lost a race.
func appendItem(ctx context.Context, c *s3.Client, bucket, key, item string) (int, error) {
	for retries := 0; ; retries++ {
		if retries > 10000 {
			return retries, fmt.Errorf("append %q: too many conflicts", item)
		}
		var items []string
		in := &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), ContentType: aws.String("application/json")}
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		var nsk *types.NoSuchKey
		switch {
		case errors.As(err, &nsk):
			in.IfNoneMatch = aws.String("*")
		case err != nil:
			return retries, fmt.Errorf("read %s: %w", key, err)
		default:
			body, err := io.ReadAll(out.Body)
			out.Body.Close()
			if err != nil {
				return retries, fmt.Errorf("read %s body: %w", key, err)
			}
			if err := json.Unmarshal(body, &items); err != nil {
				return retries, fmt.Errorf("decode %s: %w", key, err)
			}
			in.IfMatch = out.ETag
		}
		items = append(items, item)
		body, _ := json.Marshal(items)
		in.Body = stringsReader(string(body))
		_, err = c.PutObject(ctx, in)
		switch st := httpStatus(err); {
		case err == nil:
			return retries, nil
		case st == 412 || st == 409 || st == 404:
			continue
		default:
			return retries, fmt.Errorf("write %s: %w", key, err)
		}
	}
}

// TestConditionalAppendLoop runs 8 writers that each append 50 items to one
// JSON array with the read-modify-write loop; no append may be lost.
func TestConditionalAppendLoop(t *testing.T) {
	s := newService(t, Options{DataDir: t.TempDir()})
	c := newClient(serve(t, s).URL)
	ctx := context.Background()
	mustCreateBucket(t, c, "cat")
	const writers, each = 8, 50
	var conflicts atomic.Int64
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				n, err := appendItem(ctx, c, "cat", "Dragons.json", fmt.Sprintf("w%d-%d", w, i))
				conflicts.Add(int64(n))
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	body, _ := get(t, c, &s3.GetObjectInput{Bucket: aws.String("cat"), Key: aws.String("Dragons.json")})
	var items []string
	if err := json.Unmarshal([]byte(body), &items); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, it := range items {
		if seen[it] {
			t.Fatalf("item %s appended twice", it)
		}
		seen[it] = true
	}
	for w := range writers {
		for i := range each {
			if !seen[fmt.Sprintf("w%d-%d", w, i)] {
				t.Fatalf("append w%d-%d lost", w, i)
			}
		}
	}
	if len(items) != writers*each {
		t.Fatalf("%d items, want %d", len(items), writers*each)
	}
	t.Logf("%d appends, %d lost races retried", len(items), conflicts.Load())
}
