package stepfunctions

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/dragons-dev/dragons/local/sfntest"
)

func TestStepFunctionsLocalTestCases(t *testing.T) {
	cfg, err := sfntest.ParseMockConfig([]byte(`{
		"StateMachines":{"mocked":{"TestCases":{"Rejected":{"Validate":"Reject"}}}},
		"MockedResponses":{"Reject":{"0":{"Throw":{"Error":"DragonValidationException","Cause":"taken"}}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	fl := &fakeLambda{fn: lambdaBehaviour}
	_, c := newTestService(t, Options{Lambda: fl, MockConfig: cfg})
	def := `{"StartAt":"Validate","States":{
		"Validate":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"echo","Payload.$":"$"},"ResultPath":null,"Next":"Echo"},
		"Echo":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:000000000000:function:echo","End":true}}}`
	arn := createMachine(t, c, "mocked", "STANDARD", def)
	ctx := context.Background()

	// The test case mocks Validate; the plain run calls the function.
	s, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn + "#Rejected"), Input: aws.String(`{"n":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	d := waitDone(t, c, *s.ExecutionArn)
	if d.Status != types.ExecutionStatusFailed || *d.Error != "DragonValidationException" || *d.Cause != "taken" || len(fl.Calls()) != 0 {
		t.Fatalf("mocked run = %+v, %d real calls", d, len(fl.Calls()))
	}
	s, err = c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Input: aws.String(`{"n":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	if d := waitDone(t, c, *s.ExecutionArn); d.Status != types.ExecutionStatusSucceeded || len(fl.Calls()) != 2 {
		t.Fatalf("plain run = %+v, %d real calls", d, len(fl.Calls()))
	}
	_, err = c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn + "#Nope")})
	wantAPIError[*types.InvalidName](t, err)
}
