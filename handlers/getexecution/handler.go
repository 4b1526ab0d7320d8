package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	lambdaevents "github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/dragons-dev/dragons/dragons"
	"github.com/dragons-dev/dragons/handlers/internal/restapi"
	"github.com/dragons-dev/dragons/handlers/internal/telemetry"
)

// ObjectGetter is the part of the S3 client this function uses.
type ObjectGetter interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// Handler serves GET /dragons/executions/{id}: the status record that
// submitDragon and the workflow keep under executions/.
type Handler struct {
	S3     ObjectGetter
	Bucket string
	Log    *slog.Logger
}

// Handle answers one request.
func (h *Handler) Handle(ctx context.Context, req lambdaevents.APIGatewayProxyRequest) (lambdaevents.APIGatewayProxyResponse, error) {
	log := telemetry.ForInvocation(ctx, h.Log)
	id := strings.ToLower(req.PathParameters["id"])
	if !dragons.ValidExecutionID(id) {
		return restapi.Error(http.StatusBadRequest, "invalid execution id",
			dragons.Problem{Path: "id", Message: "must be an execution id (a UUID) as returned by POST /dragons"}), nil
	}
	ctx, span := telemetry.StartSpan(ctx, "GetExecution")
	span.Annotate(telemetry.AnnotationExecutionID, id)
	exec, err := h.read(ctx, id)
	span.End(err)
	var nsk *types.NoSuchKey
	switch {
	case errors.As(err, &nsk):
		return restapi.Error(http.StatusNotFound, "no execution with id "+id), nil
	case err != nil:
		log.Error("read status record failed", "executionId", id, "error", err.Error())
		return restapi.Error(http.StatusInternalServerError, "could not read the execution status"), nil
	}
	span.Annotate(telemetry.AnnotationDragonName, dragonName(exec))
	resp := restapi.JSON(http.StatusOK, exec)
	resp.Headers["Cache-Control"] = "no-store"
	return resp, nil
}

func (h *Handler) read(ctx context.Context, id string) (dragons.Execution, error) {
	key := dragons.ExecutionKey(id)
	out, err := h.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(h.Bucket), Key: aws.String(key)})
	if err != nil {
		return dragons.Execution{}, fmt.Errorf("get object %q: %w", key, err)
	}
	defer out.Body.Close()
	data, err := io.ReadAll(out.Body)
	if err != nil {
		return dragons.Execution{}, fmt.Errorf("read object %q: %w", key, err)
	}
	var exec dragons.Execution
	if err := json.Unmarshal(data, &exec); err != nil {
		return dragons.Execution{}, fmt.Errorf("decode status record %q: %w", key, err)
	}
	if exec.ExecutionID != id {
		return dragons.Execution{}, fmt.Errorf("status record %q belongs to execution %q", key, exec.ExecutionID)
	}
	return exec, nil
}

func dragonName(e dragons.Execution) string {
	if e.Dragon == nil {
		return ""
	}
	return e.Dragon.DragonName
}
