package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	lambdaevents "github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/google/uuid"

	"github.com/dragons-dev/dragons/dragons"
	"github.com/dragons-dev/dragons/handlers/internal/restapi"
	"github.com/dragons-dev/dragons/handlers/internal/telemetry"
)

// ObjectStore is the part of the S3 client this function uses.
type ObjectStore interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	PutObject(ctx context.Context, in *s3.PutObjectInput, optFns ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	DeleteObject(ctx context.Context, in *s3.DeleteObjectInput, optFns ...func(*s3.Options)) (*s3.DeleteObjectOutput, error)
}

// ExecutionStarter is the part of the Step Functions client this function
// uses.
type ExecutionStarter interface {
	StartExecution(ctx context.Context, in *sfn.StartExecutionInput, optFns ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error)
}

// DefaultClaimTTL is how long an Idempotency-Key whose execution has not
// started yet counts as in progress. It exceeds any API Gateway integration
// timeout, so an older claim belongs to an invocation that is gone.
const DefaultClaimTTL = time.Minute

// Handler serves POST /dragons: it validates the body, starts an Express
// execution of the add-dragon workflow named after a fresh execution id,
// records the ACCEPTED status and answers 202 with where to follow it.
type Handler struct {
	S3              ObjectStore
	SFN             ExecutionStarter
	Bucket          string
	StateMachineArn string
	Validator       *dragons.Validator
	Log             *slog.Logger
	Metrics         *telemetry.Metrics
	// Now, NewID and ClaimTTL default to time.Now, uuid.NewString and
	// DefaultClaimTTL.
	Now      func() time.Time
	NewID    func() string
	ClaimTTL time.Duration
}

// Accepted is the body of a 202 answer.
type Accepted struct {
	ExecutionArn string         `json:"executionArn"`
	ExecutionID  string         `json:"executionId"`
	Status       dragons.Status `json:"status"`
	StartDate    string         `json:"startDate"`
}

// idempotencyRecord is stored under idempotencyObjectKey(sub, key).
type idempotencyRecord struct {
	ExecutionID  string `json:"executionId"`
	RequestHash  string `json:"requestHash"`
	CreatedAt    string `json:"createdAt"`
	ExecutionArn string `json:"executionArn,omitempty"`
	StartDate    string `json:"startDate,omitempty"`
}

// Handle answers one request.
func (h *Handler) Handle(ctx context.Context, req lambdaevents.APIGatewayProxyRequest) (lambdaevents.APIGatewayProxyResponse, error) {
	log := telemetry.ForInvocation(ctx, h.Log)
	ctx, span := telemetry.StartSpan(ctx, "SubmitDragon")
	resp, err := h.handle(ctx, req, log, span)
	span.End(err)
	if err != nil {
		log.Error("submit failed", "error", err.Error())
		return restapi.Error(http.StatusInternalServerError, "could not accept the dragon"), nil
	}
	return resp, nil
}

func (h *Handler) handle(ctx context.Context, req lambdaevents.APIGatewayProxyRequest, log *slog.Logger, span *telemetry.Span) (lambdaevents.APIGatewayProxyResponse, error) {
	body, err := restapi.Body(req)
	if err != nil {
		h.Metrics.Count(telemetry.MetricDragonsRejected, 1)
		return restapi.Error(http.StatusBadRequest, "invalid dragon", dragons.Problem{Message: "body is not valid base64"}), nil
	}
	sub, err := h.Validator.ParseSubmission(body)
	var invalid *dragons.InvalidError
	if errors.As(err, &invalid) {
		h.Metrics.Count(telemetry.MetricDragonsRejected, 1)
		log.Info("dragon refused", "problems", len(invalid.Problems))
		return restapi.Error(http.StatusBadRequest, "invalid dragon", invalid.Problems...), nil
	}
	if err != nil {
		return lambdaevents.APIGatewayProxyResponse{}, err
	}
	span.Annotate(telemetry.AnnotationDragonName, sub.DragonName)
	dragonJSON, err := json.Marshal(sub)
	if err != nil {
		return lambdaevents.APIGatewayProxyResponse{}, fmt.Errorf("encode dragon: %w", err)
	}
	key := restapi.Header(req, "Idempotency-Key")
	if key != "" && !validIdempotencyKey(key) {
		return restapi.Error(http.StatusBadRequest, "invalid Idempotency-Key",
			dragons.Problem{Path: "Idempotency-Key", Message: "must be 1 to 255 printable ASCII characters"}), nil
	}

	id := h.newID()
	var held *claim
	if key != "" {
		var answer *lambdaevents.APIGatewayProxyResponse
		held, answer, err = h.claim(ctx, idempotencyObjectKey(restapi.CognitoSubject(req), key), requestHash(dragonJSON), id)
		if err != nil {
			return lambdaevents.APIGatewayProxyResponse{}, err
		}
		if answer != nil {
			return *answer, nil
		}
	}
	span.Annotate(telemetry.AnnotationExecutionID, id)
	log = log.With("executionId", id, "dragonName", sub.DragonName)

	input, err := json.Marshal(dragons.WorkflowInput{ExecutionID: id, SubmittedAt: h.now().UTC(), Dragon: dragonJSON})
	if err != nil {
		return lambdaevents.APIGatewayProxyResponse{}, fmt.Errorf("encode workflow input: %w", err)
	}
	start := &sfn.StartExecutionInput{StateMachineArn: aws.String(h.StateMachineArn), Name: aws.String(id), Input: aws.String(string(input))}
	if th := telemetry.TraceHeader(ctx); th != "" {
		start.TraceHeader = aws.String(th)
	}
	out, err := h.SFN.StartExecution(ctx, start)
	if err != nil {
		log.Error("start execution failed", "error", err.Error())
		if held != nil {
			h.release(ctx, held, log)
		}
		resp := restapi.Error(http.StatusServiceUnavailable, "could not start the add-dragon workflow; retry")
		resp.Headers["Retry-After"] = "1"
		return resp, nil
	}
	accepted := Accepted{
		ExecutionArn: aws.ToString(out.ExecutionArn),
		ExecutionID:  id,
		Status:       dragons.StatusAccepted,
		StartDate:    dragons.FormatTime(aws.ToTime(out.StartDate)),
	}
	h.recordAccepted(ctx, accepted, log)
	if held != nil {
		h.complete(ctx, held, accepted, log)
	}
	log.Info("dragon accepted", "executionArn", accepted.ExecutionArn)
	return acceptedResponse(accepted, false), nil
}

func acceptedResponse(a Accepted, replayed bool) lambdaevents.APIGatewayProxyResponse {
	resp := restapi.JSON(http.StatusAccepted, a)
	resp.Headers["Location"] = "/dragons/executions/" + a.ExecutionID
	if replayed {
		resp.Headers["Idempotent-Replayed"] = "true"
	}
	return resp
}

// recordAccepted writes the ACCEPTED status record unless the workflow has
// already written a later one. A failure here does not undo the accepted
// execution: the workflow's own record will follow.
func (h *Handler) recordAccepted(ctx context.Context, a Accepted, log *slog.Logger) {
	rec := dragons.Execution{
		ExecutionID: a.ExecutionID, ExecutionArn: a.ExecutionArn, Status: dragons.StatusAccepted,
		StartDate: a.StartDate, UpdatedAt: dragons.FormatTime(h.now()),
	}
	_, err := h.put(ctx, dragons.ExecutionKey(a.ExecutionID), rec, func(in *s3.PutObjectInput) { in.IfNoneMatch = aws.String("*") })
	switch {
	case status(err) == http.StatusPreconditionFailed:
		log.Info("the workflow already recorded its outcome; keeping it")
	case err != nil:
		log.Error("could not record the ACCEPTED status", "error", err.Error())
	}
}

// idempotencyObjectKey is where the record of an Idempotency-Key lives:
// idempotency/{sha256(sub NUL key)}.json. The NUL keeps the user's subject
// and the key apart, so ("ab", "c") and ("a", "bc") never share a record
// (a key is printable ASCII and cannot contain a NUL).
func idempotencyObjectKey(sub, key string) string {
	sum := sha256.Sum256([]byte(sub + "\x00" + key))
	return "idempotency/" + hex.EncodeToString(sum[:]) + ".json"
}

// claim is an Idempotency-Key this invocation holds.
type claim struct {
	key  string
	etag string
	rec  idempotencyRecord
}

// claim reserves an Idempotency-Key for execution id, or returns the answer
// to give instead: the first execution's 202, 409 while another request
// with the key is in progress, or 422 when the key was used for another
// body.
func (h *Handler) claim(ctx context.Context, key, hash, id string) (*claim, *lambdaevents.APIGatewayProxyResponse, error) {
	rec := idempotencyRecord{ExecutionID: id, RequestHash: hash, CreatedAt: dragons.FormatTime(h.now())}
	for range 3 {
		etag, err := h.put(ctx, key, rec, func(in *s3.PutObjectInput) { in.IfNoneMatch = aws.String("*") })
		if err == nil {
			return &claim{key: key, etag: etag, rec: rec}, nil, nil
		}
		if status(err) != http.StatusPreconditionFailed {
			return nil, nil, err
		}
		var existing idempotencyRecord
		existingETag, err := h.get(ctx, key, &existing)
		var nsk *types.NoSuchKey
		if errors.As(err, &nsk) {
			continue // released meanwhile: try to claim it again
		}
		if err != nil {
			return nil, nil, err
		}
		switch {
		case existing.RequestHash != hash:
			r := restapi.Error(http.StatusUnprocessableEntity, "this Idempotency-Key was used with a different dragon")
			return nil, &r, nil
		case existing.ExecutionArn != "":
			r := h.replay(ctx, existing)
			return nil, &r, nil
		case !h.stale(existing):
			r := restapi.Error(http.StatusConflict, "a request with this Idempotency-Key is in progress; retry shortly")
			r.Headers["Retry-After"] = "1"
			return nil, &r, nil
		}
		// The request that claimed the key died before starting its
		// execution: take the claim over.
		etag, err = h.put(ctx, key, rec, func(in *s3.PutObjectInput) { in.IfMatch = aws.String(existingETag) })
		if err == nil {
			return &claim{key: key, etag: etag, rec: rec}, nil, nil
		}
		if status(err) != http.StatusPreconditionFailed {
			return nil, nil, err
		}
	}
	r := restapi.Error(http.StatusConflict, "a request with this Idempotency-Key is in progress; retry shortly")
	r.Headers["Retry-After"] = "1"
	return nil, &r, nil
}

func (h *Handler) stale(r idempotencyRecord) bool {
	created, err := time.Parse(time.RFC3339Nano, r.CreatedAt)
	ttl := h.ClaimTTL
	if ttl <= 0 {
		ttl = DefaultClaimTTL
	}
	return err != nil || h.now().Sub(created) > ttl
}

// complete stores the started execution in the claim, so that retries
// replay it.
func (h *Handler) complete(ctx context.Context, c *claim, a Accepted, log *slog.Logger) {
	rec := c.rec
	rec.ExecutionArn, rec.StartDate = a.ExecutionArn, a.StartDate
	if _, err := h.put(ctx, c.key, rec, func(in *s3.PutObjectInput) { in.IfMatch = aws.String(c.etag) }); err != nil {
		log.Warn("could not record the execution under its Idempotency-Key", "error", err.Error())
	}
}

// release gives a claim up after its execution failed to start, so that a
// retry with the same key can try again.
func (h *Handler) release(ctx context.Context, c *claim, log *slog.Logger) {
	_, err := h.S3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(h.Bucket), Key: aws.String(c.key), IfMatch: aws.String(c.etag)})
	if err != nil {
		log.Warn("could not release the Idempotency-Key", "error", err.Error())
	}
}

// replay answers a retried request with the first execution, in its
// current status.
func (h *Handler) replay(ctx context.Context, r idempotencyRecord) lambdaevents.APIGatewayProxyResponse {
	a := Accepted{ExecutionArn: r.ExecutionArn, ExecutionID: r.ExecutionID, Status: dragons.StatusAccepted, StartDate: r.StartDate}
	var exec dragons.Execution
	if _, err := h.get(ctx, dragons.ExecutionKey(r.ExecutionID), &exec); err == nil && exec.Status != "" {
		a.Status = exec.Status
	}
	return acceptedResponse(a, true)
}

func (h *Handler) put(ctx context.Context, key string, v any, condition func(*s3.PutObjectInput)) (etag string, err error) {
	body, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode %s: %w", key, err)
	}
	in := &s3.PutObjectInput{Bucket: aws.String(h.Bucket), Key: aws.String(key), Body: bytes.NewReader(body), ContentType: aws.String("application/json")}
	condition(in)
	out, err := h.S3.PutObject(ctx, in)
	if err != nil {
		return "", fmt.Errorf("put object %q: %w", key, err)
	}
	return aws.ToString(out.ETag), nil
}

func (h *Handler) get(ctx context.Context, key string, v any) (etag string, err error) {
	out, err := h.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(h.Bucket), Key: aws.String(key)})
	if err != nil {
		return "", fmt.Errorf("get object %q: %w", key, err)
	}
	defer out.Body.Close()
	data, err := io.ReadAll(out.Body)
	if err != nil {
		return "", fmt.Errorf("read object %q: %w", key, err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return "", fmt.Errorf("decode object %q: %w", key, err)
	}
	return aws.ToString(out.ETag), nil
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func (h *Handler) newID() string {
	if h.NewID != nil {
		return h.NewID()
	}
	return uuid.NewString()
}

func requestHash(dragonJSON []byte) string {
	sum := sha256.Sum256(dragonJSON)
	return hex.EncodeToString(sum[:])
}

func validIdempotencyKey(k string) bool {
	if len(k) > 255 {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x20 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

func status(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}
