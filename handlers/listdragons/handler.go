package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	lambdaevents "github.com/aws/aws-lambda-go/events"

	"github.com/dragons-dev/dragons/dragons"
	"github.com/dragons-dev/dragons/dragons/catalog"
	"github.com/dragons-dev/dragons/handlers/internal/restapi"
	"github.com/dragons-dev/dragons/handlers/internal/telemetry"
)

// Lister is the part of the catalog GET /dragons uses. The catalog keeps
// the last version it read, so a warm invocation costs one conditional GET.
type Lister interface {
	List(ctx context.Context, f dragons.Filter) ([]dragons.Record, error)
}

// Handler serves GET /dragons[?dragonName=…][&family=…]: the stored
// dragons in the course format, filtered in process.
type Handler struct {
	Catalog Lister
	Log     *slog.Logger
}

// Handle answers one request.
func (h *Handler) Handle(ctx context.Context, req lambdaevents.APIGatewayProxyRequest) (lambdaevents.APIGatewayProxyResponse, error) {
	log := telemetry.ForInvocation(ctx, h.Log)
	f, problems := filterFrom(req)
	if len(problems) > 0 {
		return restapi.Error(http.StatusBadRequest, "invalid query", problems...), nil
	}
	ctx, span := telemetry.StartSpan(ctx, "ListDragons")
	span.Annotate(telemetry.AnnotationDragonName, f.DragonName)
	records, err := h.Catalog.List(ctx, f)
	span.End(err)
	if err != nil {
		var corrupt *catalog.CorruptError
		if errors.As(err, &corrupt) {
			log.Error("dragon catalog is unreadable", "error", err.Error(), "catalog", corrupt.Location.String())
			return restapi.Error(http.StatusInternalServerError, "the dragon catalog is unreadable; it was left as it is"), nil
		}
		log.Error("list dragons failed", "error", err.Error())
		return restapi.Error(http.StatusInternalServerError, "could not read the dragon catalog"), nil
	}
	log.Info("listed dragons", "count", len(records), "dragonName", f.DragonName, "family", f.Family)
	return restapi.JSON(http.StatusOK, records), nil
}

// filterFrom reads the filters from the query string. A filter given
// several times with different values is refused rather than guessed.
func filterFrom(req lambdaevents.APIGatewayProxyRequest) (dragons.Filter, []dragons.Problem) {
	var problems []dragons.Problem
	get := func(name string) string {
		values := req.MultiValueQueryStringParameters[name]
		for _, v := range values[min(1, len(values)):] {
			if v != values[0] {
				problems = append(problems, dragons.Problem{Path: name, Message: "is given more than once with different values"})
				return ""
			}
		}
		if len(values) > 0 {
			return values[0]
		}
		return req.QueryStringParameters[name]
	}
	f := dragons.Filter{DragonName: get("dragonName"), Family: get("family")}
	return f, problems
}
