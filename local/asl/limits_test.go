package asl

import (
	"context"
	"strings"
	"testing"
)

func TestJSONSize(t *testing.T) {
	for _, s := range []string{`null`, `true`, `false`, `1.5`, `-2`, `"a\"b\\c\n\u0001é"`, `[]`, `{}`, `[1,"x",{"a":[true,null]}]`, `{"k":"v","n":{"m":1e21}}`} {
		v := js(t, s)
		if got, want := jsonSize(v, 1<<20), len(compactJSON(v)); got != want {
			t.Errorf("jsonSize(%s) = %d, want %d", s, got, want)
		}
	}
	if exceedsPayloadLimit(map[string]any{"a": strings.Repeat("x", 100)}, 50) != true {
		t.Error("limit not detected")
	}
}

func TestDataLimitExceeded(t *testing.T) {
	big := strings.Repeat("x", MaxPayloadBytes)
	tasks := withTasks(map[string]taskFn{lambdaInvoke: func(context.Context, *TaskRequest, int) (any, error) { return big, nil }})
	r := run(t, task(`"Catch":[{"ErrorEquals":["States.ALL"],"Next":"Caught"}],`), `{}`, tasks)
	r.wantError(t, ErrDataLimitExceeded)
	r = run(t, task(`"Catch":[{"ErrorEquals":["States.DataLimitExceeded"],"Next":"Caught"}],`), `{}`, tasks)
	r.wantOutput(t, `{"Error":"States.DataLimitExceeded","Cause":`+jsonString(r.out, "Cause")+`}`)
}
