// Command listdragons is the ListDragonsFunction: GET /dragons.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/dragons-dev/dragons/handlers/internal/appenv"
)

func main() {
	env := appenv.MustLoad(context.Background(), "listDragons")
	cat, err := env.Catalog(env.S3())
	if err != nil {
		env.Fail(err)
	}
	lambda.Start((&Handler{Catalog: cat, Log: env.Log}).Handle)
}
