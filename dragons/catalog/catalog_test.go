package catalog_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/dragons-dev/dragons/dragons"
	"github.com/dragons-dev/dragons/dragons/awstest"
	"github.com/dragons-dev/dragons/dragons/catalog"
)

const bucket = "dragons-bucket"

var loc = catalog.Location{Bucket: bucket, Key: "Dragons.json"}

// newS3 starts an S3-compatible endpoint with real conditional-write
// semantics and returns an SDK client pointed at it.
func newS3(t *testing.T) (*awstest.S3, *s3.Client) {
	t.Helper()
	srv := awstest.NewS3(bucket)
	t.Cleanup(srv.Close)
	return srv, s3.NewFromConfig(awstest.Config(), func(o *s3.Options) { o.BaseEndpoint = aws.String(srv.URL()) })
}

func newCatalog(t *testing.T, api catalog.ObjectAPI, opts ...catalog.Option) *catalog.Catalog {
	t.Helper()
	c, err := catalog.New(api, loc, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func rec(name, family string) dragons.Record {
	return dragons.Record{DragonName: name, Family: family, Description: "about " + name}
}

func stored(t *testing.T, srv *awstest.S3) []dragons.StoredRecord {
	t.Helper()
	data, _, ok := srv.Object(bucket, loc.Key)
	if !ok {
		t.Fatal("catalog object does not exist")
	}
	entries, err := dragons.DecodeCatalog(data)
	if err != nil {
		t.Fatalf("stored catalog does not decode: %v\n%s", err, data)
	}
	return entries
}

func TestNewValidatesArguments(t *testing.T) {
	_, api := newS3(t)
	if _, err := catalog.New(nil, loc); err == nil {
		t.Error("New(nil client) succeeded")
	}
	if _, err := catalog.New(api, catalog.Location{Bucket: bucket}); err == nil {
		t.Error("New without key succeeded")
	}
	if _, err := catalog.New(api, loc, catalog.WithMaxAttempts(0)); err == nil {
		t.Error("WithMaxAttempts(0) accepted")
	}
	if _, err := catalog.New(api, loc, catalog.WithBackoff(time.Second, time.Millisecond)); err == nil {
		t.Error("WithBackoff(max < base) accepted")
	}
}

func TestMissingCatalogIsEmptyAndCreatedOnFirstAdd(t *testing.T) {
	ctx := context.Background()
	srv, api := newS3(t)
	c := newCatalog(t, api)
	got, err := c.List(ctx, dragons.Filter{})
	if err != nil || got == nil || len(got) != 0 {
		t.Fatalf("List(missing) = %#v, %v; want an empty list", got, err)
	}
	added, err := c.Add(ctx, "exec-1", rec("Ember", "red"))
	if err != nil {
		t.Fatalf("Add: %v", err)
	}
	if !added.Created || added.Version != 1 || added.Record != rec("Ember", "red") {
		t.Errorf("Add = %+v", added)
	}
	entries := stored(t, srv)
	if len(entries) != 1 || entries[0].ExecutionID != "exec-1" || entries[0].Record != rec("Ember", "red") {
		t.Errorf("stored = %+v", entries)
	}
	_, firstETag, _ := srv.Object(bucket, loc.Key)
	if _, err := c.Add(ctx, "exec-2", rec("Frost", "blue")); err != nil {
		t.Fatal(err)
	}
	if len(stored(t, srv)) != 2 {
		t.Errorf("second add did not append")
	}
	// The first write was a create (If-None-Match: *, not a blind put); the
	// second replaced exactly the object the first one wrote (If-Match).
	var puts []awstest.Request
	for _, r := range srv.Requests() {
		if r.Method == http.MethodPut && r.Key == loc.Key {
			puts = append(puts, r)
		}
	}
	if len(puts) != 2 {
		t.Fatalf("catalog PUTs = %+v, want 2", puts)
	}
	if puts[0].IfNoneMatch != "*" || puts[0].IfMatch != "" {
		t.Errorf("first PUT had If-None-Match %q, If-Match %q; want * and none", puts[0].IfNoneMatch, puts[0].IfMatch)
	}
	if puts[1].IfMatch != firstETag || puts[1].IfNoneMatch != "" {
		t.Errorf("second PUT had If-Match %q, If-None-Match %q; want %q and none", puts[1].IfMatch, puts[1].IfNoneMatch, firstETag)
	}
}

func TestAddKeepsExistingCourseRecordsAndServesCourseFormat(t *testing.T) {
	ctx := context.Background()
	srv, api := newS3(t)
	course := `[{"description_str":"x","dragon_name_str":"Atlas","family_str":"red","location_city_str":"anchorage","location_country_str":"usa","location_neighborhood_str":"w fireweed ln","location_state_str":"alaska"}]`
	srv.PutObject(bucket, loc.Key, []byte(course))
	c := newCatalog(t, api)
	if _, err := c.Add(ctx, "exec-1", rec("Ember", "red")); err != nil {
		t.Fatal(err)
	}
	entries := stored(t, srv)
	if len(entries) != 2 || entries[0].DragonName != "Atlas" || entries[0].City != "anchorage" || entries[0].ExecutionID != "" {
		t.Fatalf("stored = %+v", entries)
	}
	list, err := c.List(ctx, dragons.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(list)
	if strings.Contains(string(b), "execution_id_str") {
		t.Errorf("List leaks the execution id: %s", b)
	}
	if len(list) != 2 || list[1] != rec("Ember", "red") {
		t.Errorf("List = %+v", list)
	}
}

func TestDuplicateNamesIgnoringCaseAndSpaces(t *testing.T) {
	ctx := context.Background()
	_, api := newS3(t)
	c := newCatalog(t, api)
	if _, err := c.Add(ctx, "exec-1", rec("Ember", "red")); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"Ember", "ember", "  EMBER  ", "\u00a0Ember"} {
		_, err := c.Add(ctx, "exec-other", rec(name, "gold"))
		var dup *catalog.DuplicateError
		if !errors.As(err, &dup) {
			t.Errorf("Add(%q) error = %v, want *DuplicateError", name, err)
			continue
		}
		if dup.Existing.DragonName != "Ember" {
			t.Errorf("DuplicateError.Existing = %+v", dup.Existing)
		}
	}
	if _, err := c.Add(ctx, "", rec("   ", "red")); err == nil {
		t.Error("Add of a blank name succeeded")
	}
}

func TestAddIsIdempotentPerExecution(t *testing.T) {
	ctx := context.Background()
	srv, api := newS3(t)
	c := newCatalog(t, api)
	first, err := c.Add(ctx, "exec-1", rec("Ember", "red"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Add(ctx, "exec-2", rec("Frost", "blue")); err != nil {
		t.Fatal(err)
	}
	_, etagBefore, _ := srv.Object(bucket, loc.Key)
	// A re-run of exec-1, from another container, with the name spelled
	// differently by nothing but case: a success that writes nothing.
	again, err := newCatalog(t, api).Add(ctx, "exec-1", rec("ember", "red"))
	if err != nil {
		t.Fatalf("re-run: %v", err)
	}
	if again.Created || again.Version != first.Version || again.Record != first.Record {
		t.Errorf("re-run = %+v, want the first add %+v, not created", again, first)
	}
	if _, etagAfter, _ := srv.Object(bucket, loc.Key); etagAfter != etagBefore {
		t.Error("re-run rewrote the catalog")
	}
	if n := len(stored(t, srv)); n != 2 {
		t.Errorf("%d records stored, want 2", n)
	}
}

func TestUnparseableCatalogFailsLoudlyAndIsNeverOverwritten(t *testing.T) {
	ctx := context.Background()
	for name, content := range map[string]string{
		"truncated":     `[{"dragon_name_str":"Atlas"`,
		"not an array":  `{"dragons":[]}`,
		"unknown field": `[{"dragon_name_str":"Atlas","wings":"2"}]`,
		"html":          `<html>oops</html>`,
	} {
		t.Run(name, func(t *testing.T) {
			srv, api := newS3(t)
			srv.PutObject(bucket, loc.Key, []byte(content))
			c := newCatalog(t, api)
			_, err := c.Add(ctx, "exec-1", rec("Ember", "red"))
			var corrupt *catalog.CorruptError
			if !errors.As(err, &corrupt) || corrupt.Location != loc {
				t.Fatalf("Add error = %v, want *CorruptError for %s", err, loc)
			}
			if _, err := c.List(ctx, dragons.Filter{}); !errors.As(err, &corrupt) {
				t.Fatalf("List error = %v, want *CorruptError", err)
			}
			if data, _, _ := srv.Object(bucket, loc.Key); string(data) != content {
				t.Fatalf("catalog changed to %q", data)
			}
			for _, r := range srv.Requests() {
				if r.Method == http.MethodPut {
					t.Fatalf("a PUT was sent: %+v", r)
				}
			}
		})
	}
}

func TestFiltersAreSafeForAnyCharacters(t *testing.T) {
	ctx := context.Background()
	_, api := newS3(t)
	c := newCatalog(t, api)
	for i, r := range []dragons.Record{
		rec(`O'Brien "the Bold"`, "red"),
		rec("龍神", "gold"),
		rec("Ember", "red"),
		rec(`x' OR '1'='1`, "Ñandú's kin"),
	} {
		if _, err := c.Add(ctx, fmt.Sprint("exec-", i), r); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		f    dragons.Filter
		want []string
	}{
		{dragons.Filter{DragonName: `o'brien "THE BOLD"`}, []string{`O'Brien "the Bold"`}},
		{dragons.Filter{DragonName: "龍神"}, []string{"龍神"}},
		{dragons.Filter{DragonName: `' OR '1'='1`}, nil},
		{dragons.Filter{Family: "ñandú's KIN"}, []string{`x' OR '1'='1`}},
		{dragons.Filter{Family: "red"}, []string{`O'Brien "the Bold"`, "Ember"}},
		{dragons.Filter{Family: "red", DragonName: "Ember"}, []string{"Ember"}},
		{dragons.Filter{Family: "gold", DragonName: "Ember"}, nil},
	}
	for _, tc := range cases {
		got, err := c.List(ctx, tc.f)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, r := range got {
			names = append(names, r.DragonName)
		}
		if strings.Join(names, "|") != strings.Join(tc.want, "|") {
			t.Errorf("List(%+v) = %q, want %q", tc.f, names, tc.want)
		}
	}
}

func TestWarmReadIsOneNotModified(t *testing.T) {
	ctx := context.Background()
	srv, api := newS3(t)
	srv.PutObject(bucket, loc.Key, []byte(`[]`))
	c := newCatalog(t, api)
	if _, err := c.List(ctx, dragons.Filter{}); err != nil {
		t.Fatal(err)
	}
	srv.ResetRequests()
	if _, err := c.List(ctx, dragons.Filter{Family: "red"}); err != nil {
		t.Fatal(err)
	}
	reqs := srv.Requests()
	if len(reqs) != 1 || reqs[0].Method != http.MethodGet || reqs[0].Status != http.StatusNotModified {
		t.Fatalf("warm read requests = %+v, want one GET answered 304", reqs)
	}
	// A change by another writer is seen on the next read.
	srv.PutObject(bucket, loc.Key, []byte(`[{"dragon_name_str":"Ember","family_str":"red","description_str":"","location_city_str":"","location_state_str":"","location_country_str":"","location_neighborhood_str":""}]`))
	got, err := c.List(ctx, dragons.Filter{})
	if err != nil || len(got) != 1 {
		t.Fatalf("List after an outside change = %+v, %v", got, err)
	}
	// After our own add, the catalog remembers what it wrote: the next read
	// is a 304 again.
	if _, err := c.Add(ctx, "exec-1", rec("Frost", "blue")); err != nil {
		t.Fatal(err)
	}
	srv.ResetRequests()
	got, err = c.List(ctx, dragons.Filter{})
	if err != nil || len(got) != 2 {
		t.Fatalf("List after add = %+v, %v", got, err)
	}
	if reqs := srv.Requests(); len(reqs) != 1 || reqs[0].Status != http.StatusNotModified {
		t.Fatalf("read after own add = %+v, want one 304", reqs)
	}
}

func TestConflictsAreRetried(t *testing.T) {
	ctx := context.Background()
	srv, api := newS3(t)
	c := newCatalog(t, api, catalog.WithBackoff(time.Millisecond, 2*time.Millisecond))
	srv.FailNextPuts(2, http.StatusConflict, "ConditionalRequestConflict")
	srv.FailNextPuts(1, http.StatusPreconditionFailed, "PreconditionFailed")
	added, err := c.Add(ctx, "exec-1", rec("Ember", "red"))
	if err != nil || !added.Created {
		t.Fatalf("Add = %+v, %v", added, err)
	}
	puts := 0
	for _, r := range srv.Requests() {
		if r.Method == http.MethodPut {
			puts++
		}
	}
	if puts != 4 {
		t.Errorf("%d PUTs, want 4 (3 refused, 1 stored)", puts)
	}
}

// TestExistingCatalogWithoutETagIsNeverReplaced reads the catalog through a
// proxy that drops the ETag of every GET answer: the catalog can still be
// listed, but Add must fail rather than write with an empty If-Match (or
// none at all).
func TestExistingCatalogWithoutETagIsNeverReplaced(t *testing.T) {
	ctx := context.Background()
	srv, _ := newS3(t)
	original := []byte(`[{"dragon_name_str":"Atlas","family_str":"red"}]`)
	srv.PutObject(bucket, loc.Key, original)
	target, err := url.Parse(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.ModifyResponse = func(r *http.Response) error {
		if r.Request.Method == http.MethodGet {
			r.Header.Del("ETag")
		}
		return nil
	}
	front := httptest.NewServer(proxy)
	t.Cleanup(front.Close)
	api := s3.NewFromConfig(awstest.Config(), func(o *s3.Options) { o.BaseEndpoint = aws.String(front.URL) })
	c := newCatalog(t, api)
	if got, err := c.List(ctx, dragons.Filter{}); err != nil || len(got) != 1 {
		t.Fatalf("List = %+v, %v", got, err)
	}
	srv.ResetRequests()
	_, err = c.Add(ctx, "exec-1", rec("Ember", "red"))
	if !errors.Is(err, catalog.ErrNoETag) {
		t.Fatalf("Add error = %v, want ErrNoETag", err)
	}
	for _, r := range srv.Requests() {
		if r.Method == http.MethodPut {
			t.Errorf("Add sent a PUT (If-Match %q): %+v", r.IfMatch, r)
		}
	}
	if data, _, _ := srv.Object(bucket, loc.Key); string(data) != string(original) {
		t.Errorf("catalog changed: %s", data)
	}
}

func TestOtherErrorsAreNotRetried(t *testing.T) {
	ctx := context.Background()
	srv, api := newS3(t)
	c := newCatalog(t, api)
	srv.FailNextPuts(1, http.StatusForbidden, "AccessDenied")
	_, err := c.Add(ctx, "exec-1", rec("Ember", "red"))
	if err == nil || !strings.Contains(err.Error(), "AccessDenied") {
		t.Fatalf("Add error = %v, want AccessDenied", err)
	}
	if _, _, ok := srv.Object(bucket, loc.Key); ok {
		t.Error("catalog was written")
	}
	// A missing bucket is an error too, not an empty catalog.
	other, err := catalog.New(api, catalog.Location{Bucket: "no-such-bucket", Key: "Dragons.json"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.List(ctx, dragons.Filter{}); err == nil || !strings.Contains(err.Error(), "NoSuchBucket") {
		t.Fatalf("List(missing bucket) error = %v", err)
	}
}

// TestConcurrentAdds runs 64 adds of distinct names and 16 adds of one name
// at once, from separate catalogs as separate function instances would, and
// checks that exactly 65 records are stored: no update lost, no duplicate.
func TestConcurrentAdds(t *testing.T) {
	t.Parallel() // both spend most of their time in backoff waits
	ctx := context.Background()
	srv, api := newS3(t)
	const distinct, same = 64, 16
	var wg sync.WaitGroup
	errs := make([]error, distinct+same)
	results := make([]catalog.Added, distinct+same)
	// The production defaults (catalog.New without options, as the
	// functions build it): the test shows they are enough for this load.
	shared := newCatalog(t, api)
	cats := make([]*catalog.Catalog, distinct+same)
	for i := range cats {
		cats[i] = shared
		if i%2 == 0 { // half of them with a catalog of their own
			cats[i] = newCatalog(t, api)
		}
	}
	for i := range distinct + same {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := cats[i]
			r := rec(fmt.Sprintf("Dragon %02d", i), "red")
			if i >= distinct {
				r = rec([]string{"Contested", "  CONTESTED "}[i%2], "gold")
			}
			results[i], errs[i] = c.Add(ctx, fmt.Sprintf("exec-%02d", i), r)
		}()
	}
	wg.Wait()

	winners := 0
	for i, err := range errs {
		switch {
		case i < distinct && err != nil:
			t.Errorf("add %d: %v", i, err)
		case i >= distinct && err == nil:
			winners++
		case i >= distinct:
			var dup *catalog.DuplicateError
			if !errors.As(err, &dup) {
				t.Errorf("contested add %d error = %v, want *DuplicateError", i, err)
			}
		}
	}
	if winners != 1 {
		t.Errorf("%d contested adds succeeded, want exactly 1", winners)
	}
	entries := stored(t, srv)
	if len(entries) != distinct+1 {
		t.Fatalf("%d records stored, want %d", len(entries), distinct+1)
	}
	byExec := map[string]dragons.StoredRecord{}
	names := map[string]bool{}
	versions := map[int]bool{}
	for _, e := range entries {
		byExec[e.ExecutionID] = e
		key := dragons.NameKey(e.DragonName)
		if names[key] {
			t.Errorf("name %q stored twice", e.DragonName)
		}
		names[key] = true
	}
	for i := range distinct {
		e, ok := byExec[fmt.Sprintf("exec-%02d", i)]
		if !ok || e.DragonName != fmt.Sprintf("Dragon %02d", i) {
			t.Errorf("add %d lost: %+v", i, e)
		}
		if versions[results[i].Version] {
			t.Errorf("version %d reported twice", results[i].Version)
		}
		versions[results[i].Version] = true
		if got := entries[results[i].Version-1]; got.ExecutionID != fmt.Sprintf("exec-%02d", i) {
			t.Errorf("add %d reported version %d, which holds %+v", i, results[i].Version, got)
		}
	}
}
