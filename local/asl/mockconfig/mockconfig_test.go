package mockconfig_test

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/dragons-dev/dragons/local/asl"
	"github.com/dragons-dev/dragons/local/asl/mockconfig"
)

func load(t *testing.T) (*asl.StateMachine, *mockconfig.Config) {
	t.Helper()
	def, err := os.ReadFile("testdata/orders.asl.json")
	if err != nil {
		t.Fatal(err)
	}
	sm, err := asl.Parse(def)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := mockconfig.Load("testdata/MockConfigFile.json")
	if err != nil {
		t.Fatal(err)
	}
	return sm, cfg
}

// TestOrders runs every test case of the mock file against the workflow.
func TestOrders(t *testing.T) {
	sm, cfg := load(t)
	cases := map[string]struct {
		wantErr string
		wantID  string
		elapsed time.Duration // virtual time spent in retry back-off
	}{
		"HappyPath": {wantID: "ch_1"},
		"RetryPath": {wantID: "ch_2", elapsed: 7 * time.Second},
		"Declined":  {wantErr: "PaymentDeclined"},
	}
	if got := cfg.TestCases("Orders"); len(got) != len(cases) {
		t.Fatalf("TestCases = %v", got)
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			tasks, err := cfg.Invoker("Orders", name, nil)
			if err != nil {
				t.Fatal(err)
			}
			start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
			clock := asl.NewFakeClock(start)
			out, err := sm.Run(context.Background(), map[string]any{"order": 1.0}, asl.RunOptions{Tasks: tasks, Clock: clock})
			if c.wantErr != "" {
				var ee *asl.ExecError
				if !errors.As(err, &ee) || ee.ErrorName != c.wantErr || ee.Cause != "card declined" {
					t.Fatalf("err = %v, want %s", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if id := out.(map[string]any)["charge"].(map[string]any)["chargeId"]; id != c.wantID {
				t.Errorf("chargeId = %v, want %s", id, c.wantID)
			}
			if got := clock.Now().Sub(start); got != c.elapsed {
				t.Errorf("back-off = %v, want %v", got, c.elapsed)
			}
		})
	}
}

func TestFallbackAndUnmocked(t *testing.T) {
	sm, _ := load(t)
	// Only Charge is mocked: Notify goes to the fallback, or fails without one.
	partial := []byte(`{"StateMachines":{"Orders":{"TestCases":{"OnlyCharge":{"Charge":"ok"}}}},"MockedResponses":{"ok":{"0":{"Return":{"Payload":{"chargeId":"c"}}}}}}`)
	pc, err := mockconfig.Parse(partial)
	if err != nil {
		t.Fatal(err)
	}
	var fallbackCalls int
	fallback := asl.TaskFunc(func(ctx context.Context, req *asl.TaskRequest) (any, error) {
		fallbackCalls++
		if req.StateName != "Notify" {
			t.Errorf("fallback called for %s", req.StateName)
		}
		return map[string]any{}, nil
	})
	inv, _ := pc.Invoker("Orders", "OnlyCharge", fallback)
	if _, err := sm.Run(context.Background(), map[string]any{}, asl.RunOptions{Tasks: inv, Clock: asl.NewFakeClock(time.Now())}); err != nil || fallbackCalls != 1 {
		t.Fatalf("with fallback: err %v, fallback calls %d", err, fallbackCalls)
	}
	inv, _ = pc.Invoker("Orders", "OnlyCharge", nil)
	_, err = sm.Run(context.Background(), map[string]any{}, asl.RunOptions{Tasks: inv, Clock: asl.NewFakeClock(time.Now())})
	var ee *asl.ExecError
	if !errors.As(err, &ee) || ee.ErrorName != asl.ErrTaskFailed {
		t.Fatalf("unmocked state: err = %v", err)
	}
}

func TestParseErrors(t *testing.T) {
	for name, doc := range map[string]string{
		"not json":            `{`,
		"unknown field":       `{"StateMachines":{},"MockedResponses":{},"Extra":1}`,
		"undefined response":  `{"StateMachines":{"M":{"TestCases":{"T":{"S":"missing"}}}},"MockedResponses":{}}`,
		"bad index":           `{"MockedResponses":{"r":{"x":{"Return":1}}}}`,
		"bad range":           `{"MockedResponses":{"r":{"2-1":{"Return":1}}}}`,
		"gap":                 `{"MockedResponses":{"r":{"0":{"Return":1},"2":{"Return":2}}}}`,
		"not from zero":       `{"MockedResponses":{"r":{"1":{"Return":1}}}}`,
		"both":                `{"MockedResponses":{"r":{"0":{"Return":1,"Throw":{"Error":"E"}}}}}`,
		"neither":             `{"MockedResponses":{"r":{"0":{}}}}`,
		"throw without error": `{"MockedResponses":{"r":{"0":{"Throw":{"Cause":"c"}}}}}`,
	} {
		if _, err := mockconfig.Parse([]byte(doc)); err == nil {
			t.Errorf("%s: Parse succeeded", name)
		}
	}
	_, cfg := load(t)
	if _, err := cfg.Invoker("Nope", "HappyPath", nil); err == nil {
		t.Error("unknown machine accepted")
	}
	if _, err := cfg.Invoker("Orders", "Nope", nil); err == nil {
		t.Error("unknown test case accepted")
	}
	if _, err := mockconfig.Load("testdata/missing.json"); err == nil {
		t.Error("missing file accepted")
	}
}

func FuzzParse(f *testing.F) {
	b, err := os.ReadFile("testdata/MockConfigFile.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(b))
	f.Add(`{"MockedResponses":{"r":{"0-3":{"Throw":{"Error":"E"}}}}}`)
	f.Fuzz(func(t *testing.T, doc string) {
		cfg, err := mockconfig.Parse([]byte(doc))
		if err != nil {
			return
		}
		for m := range map[string]bool{"Orders": true} {
			for _, tc := range cfg.TestCases(m) {
				if _, err := cfg.Invoker(m, tc, nil); err != nil {
					t.Fatalf("listed test case %s does not build: %v", tc, err)
				}
			}
		}
	})
}
