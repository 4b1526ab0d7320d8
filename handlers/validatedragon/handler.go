package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/dragons-dev/dragons/dragons"
	"github.com/dragons-dev/dragons/events"
	"github.com/dragons-dev/dragons/handlers/internal/taskerr"
	"github.com/dragons-dev/dragons/handlers/internal/telemetry"
)

// Finder is the part of the catalog this task uses.
type Finder interface {
	Lookup(ctx context.Context, name string) (dragons.StoredRecord, bool, error)
}

// Handler is the ValidateDragon task: it checks the submitted dragon
// against the schema and the catalog. The check is advisory (addDragon's
// conditional write is the authority), but it turns most bad submissions
// into a REJECTED status before anything is written.
type Handler struct {
	Catalog   Finder
	Validator *dragons.Validator
	Log       *slog.Logger
	Metrics   *telemetry.Metrics
}

// Result is the task's output when the dragon is acceptable.
type Result struct {
	Valid      bool   `json:"valid"`
	DragonName string `json:"dragonName"`
}

// Handle validates the dragon of one execution. It returns a
// *events.DragonValidationException for an invalid or duplicate dragon, an
// *events.DragonStorageException for a storage failure that a retry may
// fix, an *events.DragonCatalogCorruptException for an unreadable catalog,
// and a plain error for anything else (see package taskerr).
func (h *Handler) Handle(ctx context.Context, in dragons.WorkflowInput) (Result, error) {
	log := telemetry.ForInvocation(ctx, h.Log).With("executionId", in.ExecutionID)
	ctx, span := telemetry.StartSpan(ctx, "ValidateDragon")
	span.Annotate(telemetry.AnnotationExecutionID, in.ExecutionID)
	res, err := h.validate(ctx, in, span)
	err = taskerr.Classify(err)
	span.End(err)
	var rejected *events.DragonValidationException
	var transient *events.DragonStorageException
	switch {
	case errors.As(err, &rejected):
		h.Metrics.Count(telemetry.MetricDragonsRejected, 1)
		log.Info("dragon rejected", "reason", rejected.Message)
	case errors.As(err, &transient):
		// Not counted: the workflow tries again (see package telemetry).
		log.Warn("validation failed; the workflow will retry", "error", err.Error())
	case err != nil:
		h.Metrics.Count(telemetry.MetricDragonsFailed, 1)
		log.Error("validation failed", "error", err.Error())
	default:
		log.Info("dragon is valid", "dragonName", res.DragonName)
	}
	return res, err
}

func (h *Handler) validate(ctx context.Context, in dragons.WorkflowInput, span *telemetry.Span) (Result, error) {
	if !dragons.ValidExecutionID(in.ExecutionID) {
		return Result{}, fmt.Errorf("workflow input has no valid executionId (got %q)", in.ExecutionID)
	}
	sub, err := h.Validator.ParseSubmission(in.Dragon)
	var invalid *dragons.InvalidError
	if errors.As(err, &invalid) {
		return Result{}, &events.DragonValidationException{Message: invalid.Error()}
	}
	if err != nil {
		return Result{}, fmt.Errorf("parse dragon: %w", err)
	}
	rec := sub.Record()
	span.Annotate(telemetry.AnnotationDragonName, rec.DragonName)
	existing, found, err := h.Catalog.Lookup(ctx, rec.DragonName)
	if err != nil {
		return Result{}, fmt.Errorf("look up %q: %w", rec.DragonName, err)
	}
	if found && existing.ExecutionID != in.ExecutionID {
		return Result{}, &events.DragonValidationException{
			Message: fmt.Sprintf("a dragon named %q already exists", existing.DragonName),
		}
	}
	return Result{Valid: true, DragonName: rec.DragonName}, nil
}
