// Command auditdragon is the AuditDragonFunction: the sample consumer of
// DragonAdded events, subscribed by an EventBridge rule.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/dragons-dev/dragons/handlers/internal/appenv"
)

func main() {
	env := appenv.MustLoad(context.Background(), "auditDragon")
	lambda.Start((&Handler{S3: env.S3(), Bucket: env.Params.Bucket, Log: env.Log}).Handle)
}
