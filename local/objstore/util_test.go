package objstore

import (
	"io"
	"strings"
)

// stringsReader returns a seekable body, as the SDK prefers.
func stringsReader(s string) io.ReadSeeker { return strings.NewReader(s) }
