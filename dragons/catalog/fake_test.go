package catalog

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/dragons-dev/dragons/dragons"
)

// racingStore is a hand fake of the S3 object calls that always loses the
// conditional write, as if another writer always got there first.
type racingStore struct {
	gets, puts int
	putErr     error
}

func (f *racingStore) GetObject(ctx context.Context, in *s3.GetObjectInput, _ ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	f.gets++
	return &s3.GetObjectOutput{Body: io.NopCloser(bytes.NewReader([]byte("[]"))), ETag: aws.String(`"v1"`)}, nil
}

func (f *racingStore) PutObject(ctx context.Context, in *s3.PutObjectInput, _ ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	f.puts++
	return nil, f.putErr
}

func statusError(code int) error {
	return &awshttp.ResponseError{ResponseError: &smithyhttp.ResponseError{
		Response: &smithyhttp.Response{Response: &http.Response{StatusCode: code}},
		Err:      errors.New(http.StatusText(code)),
	}}
}

func TestAddGivesUpUnderEndlessContention(t *testing.T) {
	f := &racingStore{putErr: statusError(http.StatusPreconditionFailed)}
	c, err := New(f, Location{Bucket: "b", Key: "k"}, WithMaxAttempts(5), WithBackoff(time.Microsecond, time.Microsecond))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Add(context.Background(), "e", dragons.Record{DragonName: "Ember"})
	if !errors.Is(err, ErrContention) {
		t.Fatalf("Add error = %v, want ErrContention", err)
	}
	if f.puts != 5 || f.gets != 5 {
		t.Errorf("gets/puts = %d/%d, want 5/5", f.gets, f.puts)
	}
}

func TestAddStopsWhenTheContextEnds(t *testing.T) {
	f := &racingStore{putErr: statusError(http.StatusConflict)}
	c, err := New(f, Location{Bucket: "b", Key: "k"}, WithBackoff(time.Hour, time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = c.Add(ctx, "e", dragons.Record{DragonName: "Ember"})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Add error = %v, want context.Canceled", err)
	}
	if f.puts != 1 {
		t.Errorf("puts = %d, want 1", f.puts)
	}
}

func TestLostRace(t *testing.T) {
	for code, want := range map[int]bool{412: true, 409: true, 500: false, 403: false, 400: false} {
		if got := lostRace(statusError(code)); got != want {
			t.Errorf("lostRace(%d) = %v, want %v", code, got, want)
		}
	}
	if lostRace(errors.New("dial tcp: refused")) {
		t.Error("lostRace(network error) = true")
	}
}
