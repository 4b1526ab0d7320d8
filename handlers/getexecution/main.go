// Command getexecution is the GetExecutionFunction: GET /dragons/executions/{id}.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/dragons-dev/dragons/handlers/internal/appenv"
)

func main() {
	env := appenv.MustLoad(context.Background(), "getExecution")
	lambda.Start((&Handler{S3: env.S3(), Bucket: env.Params.Bucket, Log: env.Log}).Handle)
}
