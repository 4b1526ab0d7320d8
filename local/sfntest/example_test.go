package sfntest_test

import (
	"context"
	"fmt"

	"github.com/dragons-dev/dragons/local/sfntest"
)

func ExampleMachine_Run() {
	def := []byte(`{"StartAt":"Greet","States":{"Greet":{"Type":"Task",
		"Resource":"arn:aws:states:::lambda:invoke",
		"Parameters":{"FunctionName":"greet","Payload.$":"$"},
		"Retry":[{"ErrorEquals":["Lambda.TooManyRequestsException"],"IntervalSeconds":60}],
		"ResultSelector":{"greeting.$":"$.Payload"},"End":true}}}`)
	cfg, _ := sfntest.ParseMockConfig([]byte(`{
		"StateMachines":{"Greeter":{"TestCases":{"Throttled":{"Greet":"ThrottledOnce"}}}},
		"MockedResponses":{"ThrottledOnce":{
			"0":{"Throw":{"Error":"Lambda.TooManyRequestsException","Cause":"slow down"}},
			"1":{"Return":{"StatusCode":200,"Payload":"hello, dragon"}}}}}`))

	m, _ := sfntest.New("Greeter", def)
	res, _ := m.Run(context.Background(), cfg, "Throttled", map[string]any{"name": "dragon"})
	fmt.Println(res.Status, res.OutputJSON, len(res.CallsTo("Greet")), "calls")
	// Output: SUCCEEDED {"greeting":"hello, dragon"} 2 calls
}
