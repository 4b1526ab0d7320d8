// Command adddragon is the AddDragonFunction, the workflow's AddDragon task.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/dragons-dev/dragons/handlers/internal/appenv"
)

func main() {
	env := appenv.MustLoad(context.Background(), "addDragon")
	lambda.Start((&Handler{Catalog: env.MustCatalog(), Validator: env.MustValidator(), Log: env.Log, Metrics: env.Metrics}).Handle)
}
