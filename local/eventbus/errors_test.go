package eventbus

import (
	"testing"

	"github.com/dragons-dev/dragons/local/awsproto/codecheck"
)

func TestEveryErrorCodeHasAStatus(t *testing.T) {
	codecheck.Check(t, ".", "eventsErrors", eventsErrors)
}
