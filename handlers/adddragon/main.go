// Command adddragon is the AddDragonFunction, the workflow's AddDragon task.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/dragons-dev/dragons/dragons"
	"github.com/dragons-dev/dragons/handlers/internal/appenv"
)

func main() {
	env := appenv.MustLoad(context.Background(), "addDragon")
	cat, err := env.Catalog(env.S3())
	if err != nil {
		env.Fail(err)
	}
	v, err := dragons.NewValidator()
	if err != nil {
		env.Fail(err)
	}
	lambda.Start((&Handler{Catalog: cat, Validator: v, Log: env.Log, Metrics: env.Metrics}).Handle)
}
