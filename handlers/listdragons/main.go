// Command listdragons is the ListDragonsFunction: GET /dragons.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/dragons-dev/dragons/handlers/internal/appenv"
)

func main() {
	env := appenv.MustLoad(context.Background(), "listDragons")
	lambda.Start((&Handler{Catalog: env.MustCatalog(), Log: env.Log}).Handle)
}
