// Command submitdragon is the SubmitDragonFunction: POST /dragons.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/dragons-dev/dragons/handlers/internal/appenv"
)

func main() {
	env := appenv.MustLoad(context.Background(), "submitDragon")
	machine, err := appenv.Getenv("STATE_MACHINE_ARN")
	if err != nil {
		env.Fail(err)
	}
	h := &Handler{
		S3: env.S3(), SFN: sfn.NewFromConfig(env.AWS), Bucket: env.Params.Bucket, StateMachineArn: machine,
		Validator: env.MustValidator(), Log: env.Log, Metrics: env.Metrics,
	}
	lambda.Start(h.Handle)
}
