package params

import (
	"testing"

	"github.com/dragons-dev/dragons/local/awsproto/codecheck"
)

func TestEveryErrorCodeHasAStatus(t *testing.T) {
	codecheck.Check(t, ".", "ssmErrors", ssmErrors)
}
