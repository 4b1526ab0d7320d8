package objstore

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWriteBatchErrorsSayWhatFailed checks that a failed journal write names
// the step and keeps the cause.
func TestWriteBatchErrorsSayWhatFailed(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "j"))
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	for _, c := range []struct {
		name       string
		off, alloc int64
		want       string
	}{
		{"grow", 0, 0, "extend journal from 0 to"},
		{"in place", 0, 1 << 20, "write 3 bytes at offset 0"},
	} {
		_, err := writeBatch(f, []byte("abc"), c.off, c.alloc)
		if err == nil || !strings.Contains(err.Error(), c.want) || !errors.Is(err, os.ErrClosed) {
			t.Errorf("%s: writeBatch on a closed file = %v, want %q wrapping os.ErrClosed", c.name, err, c.want)
		}
	}
	if err := datasync(f); err == nil || !strings.Contains(err.Error(), f.Name()) {
		t.Errorf("datasync on a closed file = %v, want the file named", err)
	}
}
