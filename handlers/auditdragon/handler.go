package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	lambdaevents "github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/dragons-dev/dragons/events"
	"github.com/dragons-dev/dragons/handlers/internal/telemetry"
)

// ObjectPutter is the part of the S3 client this function uses.
type ObjectPutter interface {
	PutObject(ctx context.Context, in *s3.PutObjectInput, optFns ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

// Handler consumes DragonAdded events and writes one audit record per
// event, audit/{eventId}.json. Delivery is at least once; the record is
// created with If-None-Match: *, so a redelivery (or a second publish by a
// re-run of the same execution) finds it and changes nothing.
type Handler struct {
	S3     ObjectPutter
	Bucket string
	Log    *slog.Logger
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// AuditRecord is the content of audit/{eventId}.json.
type AuditRecord struct {
	EventID      string        `json:"eventId"`
	DeliveryID   string        `json:"deliveryId"` // the EventBridge event id of the first delivery
	PublishedAt  string        `json:"publishedAt"`
	RecordedAt   string        `json:"recordedAt"`
	ExecutionArn string        `json:"executionArn"`
	Dragon       events.Dragon `json:"dragon"`
}

// Key is the S3 key of the audit record of an event.
func Key(eventID string) string { return "audit/" + eventID + ".json" }

// Handle processes one event. Events that are not DragonAdded are ignored;
// a DragonAdded event that cannot be processed is an error, so that it is
// retried and ends in the rule's dead-letter queue.
func (h *Handler) Handle(ctx context.Context, ev lambdaevents.EventBridgeEvent) error {
	log := telemetry.ForInvocation(ctx, h.Log).With("deliveryId", ev.ID)
	if ev.Source != events.Source || ev.DetailType != events.DetailTypeDragonAdded {
		log.Warn("ignoring an event that is not DragonAdded", "source", ev.Source, "detailType", ev.DetailType)
		return nil
	}
	var detail events.DragonAdded
	if err := json.Unmarshal(ev.Detail, &detail); err != nil {
		return fmt.Errorf("decode DragonAdded detail of event %s: %w", ev.ID, err)
	}
	if err := detail.Check(); err != nil {
		return fmt.Errorf("event %s: %w", ev.ID, err)
	}
	ctx, span := telemetry.StartSpan(ctx, "AuditDragon")
	span.Annotate(telemetry.AnnotationExecutionID, detail.EventID)
	span.Annotate(telemetry.AnnotationDragonName, detail.Dragon.DragonName)
	created, err := h.record(ctx, ev, detail)
	span.End(err)
	switch {
	case err != nil:
		log.Error("audit record not written", "eventId", detail.EventID, "error", err.Error())
		return err
	case created:
		log.Info("audit record written", "eventId", detail.EventID, "dragonName", detail.Dragon.DragonName)
	default:
		log.Info("duplicate delivery; audit record already exists", "eventId", detail.EventID)
	}
	return nil
}

func (h *Handler) record(ctx context.Context, ev lambdaevents.EventBridgeEvent, d events.DragonAdded) (created bool, err error) {
	now := time.Now
	if h.Now != nil {
		now = h.Now
	}
	rec := AuditRecord{
		EventID:      d.EventID,
		DeliveryID:   ev.ID,
		PublishedAt:  ev.Time.UTC().Format(time.RFC3339),
		RecordedAt:   now().UTC().Format("2006-01-02T15:04:05.000Z07:00"),
		ExecutionArn: d.ExecutionArn,
		Dragon:       d.Dragon,
	}
	body, err := json.Marshal(rec)
	if err != nil {
		return false, fmt.Errorf("encode audit record: %w", err)
	}
	key := Key(d.EventID)
	_, err = h.S3.PutObject(ctx, &s3.PutObjectInput{
		Bucket:      aws.String(h.Bucket),
		Key:         aws.String(key),
		Body:        bytes.NewReader(body),
		ContentType: aws.String("application/json"),
		IfNoneMatch: aws.String("*"),
	})
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() == http.StatusPreconditionFailed {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("put object %q: %w", key, err)
	}
	return true, nil
}
