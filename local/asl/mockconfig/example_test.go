package mockconfig_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/dragons-dev/dragons/local/asl"
	"github.com/dragons-dev/dragons/local/asl/mockconfig"
)

// A workflow test in a few lines: the definition, the mock file Step
// Functions Local users already have, one test case, virtual time.
func Example() {
	def, _ := os.ReadFile("testdata/orders.asl.json")
	sm, _ := asl.Parse(def)
	cfg, _ := mockconfig.Load("testdata/MockConfigFile.json")
	tasks, _ := cfg.Invoker("Orders", "RetryPath", nil)

	out, err := sm.Run(context.Background(), map[string]any{"order": 7}, asl.RunOptions{
		Tasks: tasks,
		Clock: asl.NewFakeClock(time.Now()), // retries back off in virtual time
	})
	fmt.Println(out.(map[string]any)["charge"], err)
	// Output: map[chargeId:ch_2] <nil>
}
