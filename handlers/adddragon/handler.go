package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/dragons-dev/dragons/dragons"
	"github.com/dragons-dev/dragons/dragons/catalog"
	"github.com/dragons-dev/dragons/events"
	"github.com/dragons-dev/dragons/handlers/internal/taskerr"
	"github.com/dragons-dev/dragons/handlers/internal/telemetry"
)

// Adder is the part of the catalog this task uses.
type Adder interface {
	Add(ctx context.Context, executionID string, r dragons.Record) (catalog.Added, error)
}

// Handler is the AddDragon task: the conditional-write add to the catalog,
// which is the authority on duplicates and is idempotent per execution.
type Handler struct {
	Catalog   Adder
	Validator *dragons.Validator
	Log       *slog.Logger
	Metrics   *telemetry.Metrics
}

// Output is what the task returns; the workflow keeps it at $.added.
type Output struct {
	Record  dragons.Record `json:"record"`
	Version int            `json:"version"`
}

// Handle adds the dragon of one execution. It returns a
// *events.DragonValidationException when the dragon is invalid or its name
// is taken, an *events.DragonStorageException for a storage failure that a
// retry may fix, an *events.DragonCatalogCorruptException for an unreadable
// catalog (which is never overwritten), and a plain error for anything else
// (see package taskerr).
func (h *Handler) Handle(ctx context.Context, in dragons.WorkflowInput) (Output, error) {
	log := telemetry.ForInvocation(ctx, h.Log).With("executionId", in.ExecutionID)
	ctx, span := telemetry.StartSpan(ctx, "AddDragon")
	span.Annotate(telemetry.AnnotationExecutionID, in.ExecutionID)
	start := time.Now()
	out, added, err := h.add(ctx, in, span)
	err = taskerr.Classify(err)
	span.End(err)
	// Metrics count outcomes, not attempts (see package telemetry): a
	// retryable failure is not counted, since the workflow tries again.
	var rejected *events.DragonValidationException
	var transient *events.DragonStorageException
	var corrupt *catalog.CorruptError
	switch {
	case errors.As(err, &rejected):
		h.Metrics.Count(telemetry.MetricDragonsRejected, 1)
		log.Info("dragon rejected", "reason", rejected.Message)
	case errors.As(err, &transient):
		log.Warn("add failed; the workflow will retry", "error", err.Error())
	case errors.As(err, &corrupt):
		h.Metrics.Count(telemetry.MetricDragonsFailed, 1)
		log.Error("dragon catalog is unreadable; not overwriting it", "catalog", corrupt.Location.String(), "error", err.Error())
	case err != nil:
		h.Metrics.Count(telemetry.MetricDragonsFailed, 1)
		log.Error("add failed", "error", err.Error())
	case added.Created:
		h.Metrics.Count(telemetry.MetricDragonsAdded, 1)
		h.Metrics.Duration(telemetry.MetricAddLatency, time.Since(start))
		log.Info("dragon added", "dragonName", out.Record.DragonName, "version", out.Version)
	default:
		log.Info("dragon was already added by this execution", "dragonName", out.Record.DragonName, "version", out.Version)
	}
	return out, err
}

func (h *Handler) add(ctx context.Context, in dragons.WorkflowInput, span *telemetry.Span) (Output, catalog.Added, error) {
	if !dragons.ValidExecutionID(in.ExecutionID) {
		return Output{}, catalog.Added{}, fmt.Errorf("workflow input has no valid executionId (got %q)", in.ExecutionID)
	}
	sub, err := h.Validator.ParseSubmission(in.Dragon)
	var invalid *dragons.InvalidError
	if errors.As(err, &invalid) {
		return Output{}, catalog.Added{}, &events.DragonValidationException{Message: invalid.Error()}
	}
	if err != nil {
		return Output{}, catalog.Added{}, fmt.Errorf("parse dragon: %w", err)
	}
	rec := sub.Record()
	span.Annotate(telemetry.AnnotationDragonName, rec.DragonName)
	added, err := h.Catalog.Add(ctx, in.ExecutionID, rec)
	var dup *catalog.DuplicateError
	if errors.As(err, &dup) {
		return Output{}, catalog.Added{}, &events.DragonValidationException{
			Message: fmt.Sprintf("a dragon named %q already exists", dup.Existing.DragonName),
		}
	}
	if err != nil {
		return Output{}, catalog.Added{}, err
	}
	return Output{Record: added.Record, Version: added.Version}, added, nil
}
