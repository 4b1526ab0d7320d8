package asl_test

import (
	"context"
	"fmt"

	"github.com/dragons-dev/dragons/local/asl"
)

func Example() {
	def := []byte(`{
	  "StartAt": "Greet",
	  "States": {
	    "Greet": {
	      "Type": "Task",
	      "Resource": "arn:aws:states:::lambda:invoke",
	      "Parameters": {"FunctionName": "greeter", "Payload": {"name.$": "$.name"}},
	      "ResultSelector": {"greeting.$": "$.Payload"},
	      "ResultPath": "$.result",
	      "End": true
	    }
	  }
	}`)
	sm, err := asl.Parse(def)
	if err != nil {
		fmt.Println(err)
		return
	}
	tasks := asl.TaskFunc(func(ctx context.Context, req *asl.TaskRequest) (any, error) {
		payload := req.Input.(map[string]any)["Payload"].(map[string]any)
		return map[string]any{"Payload": "Hello, " + payload["name"].(string)}, nil
	})
	out, err := sm.Run(context.Background(), map[string]any{"name": "Smaug"}, asl.RunOptions{Tasks: tasks})
	fmt.Println(out, err)
	// Output: map[name:Smaug result:map[greeting:Hello, Smaug]] <nil>
}

func ExampleParse_invalid() {
	_, err := asl.Parse([]byte(`{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"}}}`))
	fmt.Println(err)
	// Output: Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: Missing 'Next' target: B at /States/A/Next, MISSING_END_STATE: Workflow has no terminal state'
}
