package taskerr

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/dragons-dev/dragons/dragons"
	"github.com/dragons-dev/dragons/dragons/awstest"
	"github.com/dragons-dev/dragons/dragons/catalog"
	"github.com/dragons-dev/dragons/events"
)

const bucket = "dragons-bucket"

var loc = catalog.Location{Bucket: bucket, Key: "Dragons.json"}

// client returns an SDK client for url that makes two attempts per call
// without waiting, so that a retryable failure ends as the SDK's own
// "exceeded maximum number of attempts" error, as it does in a function.
func client(url string) *s3.Client {
	return s3.NewFromConfig(awstest.Config(), func(o *s3.Options) {
		o.BaseEndpoint = aws.String(url)
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = 2
			so.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
		})
	})
}

// addError runs one catalog add against srv with the given setup and
// returns its error, as addDragon would see it.
func addError(t *testing.T, setup func(srv *awstest.S3) (catalog.ObjectAPI, []catalog.Option)) error {
	t.Helper()
	srv := awstest.NewS3(bucket)
	t.Cleanup(srv.Close)
	api, opts := setup(srv)
	c, err := catalog.New(api, loc, opts...)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Add(context.Background(), "exec-1", dragons.Record{DragonName: "Ember", Family: "red"})
	if err == nil {
		t.Fatal("Add succeeded; the case must fail")
	}
	return err
}

func TestClassifyRealFailures(t *testing.T) {
	failPuts := func(n, status int, code string) func(*awstest.S3) (catalog.ObjectAPI, []catalog.Option) {
		return func(srv *awstest.S3) (catalog.ObjectAPI, []catalog.Option) {
			srv.FailNextPuts(n, status, code)
			return client(srv.URL()), nil
		}
	}
	cases := []struct {
		name  string
		setup func(*awstest.S3) (catalog.ObjectAPI, []catalog.Option)
		want  string // the Go type name the workflow sees, or "unchanged"
	}{
		{"503 SlowDown outlasting the SDK retries", failPuts(2, http.StatusServiceUnavailable, "SlowDown"), "DragonStorageException"},
		{"500 InternalError outlasting the SDK retries", failPuts(2, http.StatusInternalServerError, "InternalError"), "DragonStorageException"},
		{"403 AccessDenied", failPuts(1, http.StatusForbidden, "AccessDenied"), "unchanged"},
		{"400 InvalidRequest", failPuts(1, http.StatusBadRequest, "InvalidRequest"), "unchanged"},
		{"endless conditional-write conflicts", func(srv *awstest.S3) (catalog.ObjectAPI, []catalog.Option) {
			srv.FailNextPuts(3, http.StatusPreconditionFailed, "PreconditionFailed")
			return client(srv.URL()), []catalog.Option{catalog.WithMaxAttempts(3), catalog.WithBackoff(time.Millisecond, time.Millisecond)}
		}, "DragonStorageException"},
		{"unparseable catalog", func(srv *awstest.S3) (catalog.ObjectAPI, []catalog.Option) {
			srv.PutObject(bucket, loc.Key, []byte("{not json"))
			return client(srv.URL()), nil
		}, "DragonCatalogCorruptException"},
		{"missing bucket", func(srv *awstest.S3) (catalog.ObjectAPI, []catalog.Option) {
			return &otherBucket{client(srv.URL())}, nil
		}, "unchanged"},
		{"endpoint down", func(srv *awstest.S3) (catalog.ObjectAPI, []catalog.Option) {
			srv.Close()
			return client(srv.URL()), nil
		}, "DragonStorageException"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := addError(t, c.setup)
			got := Classify(err)
			if !errors.Is(got, err) {
				t.Errorf("Classify(%v) = %v, which does not wrap the original error", err, got)
			}
			if name := typeName(got); c.want == "unchanged" {
				if got != err {
					t.Errorf("Classify(%v) = %s %v, want it unchanged", err, name, got)
				}
			} else if name != c.want {
				t.Errorf("Classify(%v) is a %s, want %s", err, name, c.want)
			}
		})
	}
}

// otherBucket sends the catalog's reads to a bucket that does not exist.
type otherBucket struct{ *s3.Client }

func (o *otherBucket) GetObject(ctx context.Context, in *s3.GetObjectInput, f ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	in.Bucket = aws.String("no-such-bucket")
	return o.Client.GetObject(ctx, in, f...)
}

func typeName(err error) string {
	switch err.(type) {
	case *events.DragonStorageException:
		return "DragonStorageException"
	case *events.DragonCatalogCorruptException:
		return "DragonCatalogCorruptException"
	case *events.DragonValidationException:
		return "DragonValidationException"
	default:
		return fmt.Sprintf("%T", err)
	}
}

func TestClassifyKeepsWhatIsAlreadyClassified(t *testing.T) {
	if Classify(nil) != nil {
		t.Error("Classify(nil) != nil")
	}
	for _, err := range []error{
		&events.DragonValidationException{Message: "name taken"},
		fmt.Errorf("wrapped: %w", &events.DragonStorageException{Message: "m"}),
		&events.DragonCatalogCorruptException{Message: "m"},
	} {
		if got := Classify(err); got != err {
			t.Errorf("Classify(%v) = %v, want it unchanged", err, got)
		}
	}
}

func TestTransient(t *testing.T) {
	for err, want := range map[error]bool{
		nil:                           false,
		catalog.ErrContention:         true,
		context.DeadlineExceeded:      true,
		context.Canceled:              false,
		catalog.ErrNoETag:             false,
		errors.New("parse dragon: x"): false,
		fmt.Errorf("add: %w", catalog.ErrContention): true,
	} {
		if got := Transient(err); got != want {
			t.Errorf("Transient(%v) = %v, want %v", err, got, want)
		}
	}
}
