package catalog_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/dragons-dev/dragons/dragons"
	"github.com/dragons-dev/dragons/dragons/awstest"
	"github.com/dragons-dev/dragons/local/objstore"
)

// TestConcurrentAddsOnTheLocalS3 runs the concurrency check against the
// local cloud's S3 (local/objstore, in memory) through the SDK: 64 distinct
// names and 16 adds of one name end as exactly 65 records.
func TestConcurrentAddsOnTheLocalS3(t *testing.T) {
	t.Parallel() // both spend most of their time in backoff waits
	ctx := context.Background()
	store, err := objstore.New(objstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	if err := store.CreateBucket(ctx, bucket); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var statuses []int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		store.ServeHTTP(rec, r)
		mu.Lock()
		statuses = append(statuses, rec.Code)
		mu.Unlock()
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	}))
	t.Cleanup(srv.Close)
	api := s3.NewFromConfig(awstest.Config(), func(o *s3.Options) { o.BaseEndpoint = aws.String(srv.URL) })

	const distinct, same = 64, 16
	var wg sync.WaitGroup
	errs := make([]error, distinct+same)
	for i := range distinct + same {
		c := newCatalog(t, api) // the production defaults
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rec(fmt.Sprintf("Dragon %02d", i), "red")
			if i >= distinct {
				r = rec("Contested", "gold")
			}
			_, errs[i] = c.Add(ctx, fmt.Sprintf("exec-%02d", i), r)
		}()
	}
	wg.Wait()
	winners := 0
	for i, err := range errs {
		if i < distinct && err != nil {
			t.Errorf("add %d: %v", i, err)
		}
		if i >= distinct && err == nil {
			winners++
		}
	}
	if winners != 1 {
		t.Errorf("%d contested adds succeeded, want 1", winners)
	}
	out, err := api.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(loc.Key)})
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(out.Body)
	out.Body.Close()
	entries, err := dragons.DecodeCatalog(data)
	if err != nil || len(entries) != distinct+1 {
		t.Fatalf("%d records stored (%v), want %d", len(entries), err, distinct+1)
	}
	// And a warm read of the unchanged catalog is a 304 there too.
	c := newCatalog(t, api)
	if _, err := c.List(ctx, dragons.Filter{}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	statuses = nil
	mu.Unlock()
	got, err := c.List(ctx, dragons.Filter{DragonName: "contested"})
	if err != nil || len(got) != 1 {
		t.Fatalf("List(contested) = %+v, %v", got, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(statuses) != 1 || statuses[0] != http.StatusNotModified {
		t.Errorf("warm read answered %v, want one 304", statuses)
	}
}
