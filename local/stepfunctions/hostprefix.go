package stepfunctions

import (
	"context"

	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// NoHostPrefix is an aws-sdk-go-v2 API option that stops the SDK from
// prefixing the endpoint host with "sync-" for StartSyncExecution and
// TestState, so those operations reach a local endpoint such as
// http://127.0.0.1:4566 like every other operation:
//
//	client := sfn.NewFromConfig(cfg, func(o *sfn.Options) {
//		o.BaseEndpoint = aws.String("http://127.0.0.1:4566")
//		o.APIOptions = append(o.APIOptions, stepfunctions.NoHostPrefix)
//	})
//
// It only sets smithy-go's per-request "disable host prefix" flag, which the
// generated sfn middleware honours. Leave it out when talking to AWS, where
// the sync- endpoint is the one that serves these operations.
func NoHostPrefix(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("DisableEndpointHostPrefix",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			return next.HandleInitialize(smithyhttp.DisableEndpointHostPrefix(ctx, true), in)
		}), middleware.Before)
}
