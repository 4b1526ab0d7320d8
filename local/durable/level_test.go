package durable

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWritePreallocGrowsInChunksAndOverwritesInPlace(t *testing.T) {
	for _, level := range []Level{Process, Disk} {
		t.Run(level.String(), func(t *testing.T) {
			f, err := os.Create(filepath.Join(t.TempDir(), "journal"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			alloc, err := level.writePrealloc(f, []byte("first"), 0, 0, 64, true)
			if err != nil {
				t.Fatal(err)
			}
			if alloc != 64 {
				t.Fatalf("allocated %d bytes, want one chunk of 64", alloc)
			}
			alloc, err = level.writePrealloc(f, []byte("second"), 5, alloc, 64, true)
			if err != nil || alloc != 64 {
				t.Fatalf("write inside the chunk: alloc %d, %v; want 64, nil", alloc, err)
			}
			alloc, err = level.writePrealloc(f, []byte("xx"), 63, alloc, 64, true)
			if err != nil || alloc != 128 {
				t.Fatalf("write across the chunk's end: alloc %d, %v; want another chunk (128)", alloc, err)
			}
			big := bytes.Repeat([]byte("y"), 200)
			alloc, err = level.writePrealloc(f, big, 65, alloc, 64, true)
			if err != nil || alloc != 65+200 {
				t.Fatalf("write larger than a chunk: alloc %d, %v; want %d (grown by what does not fit)", alloc, err, 65+200)
			}
			got, err := os.ReadFile(f.Name())
			if err != nil {
				t.Fatal(err)
			}
			want := make([]byte, 65+200)
			copy(want, "firstsecond")
			copy(want[63:], "xx")
			copy(want[65:], big)
			if !bytes.Equal(got, want) {
				t.Fatalf("file = %q, want %q", got, want)
			}
		})
	}
}

func TestFlushErrorsNameTheFile(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "closed"))
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := Disk.Flush(f); err == nil || !strings.Contains(err.Error(), f.Name()) {
		t.Errorf("Disk.Flush of a closed file = %v, want an error naming it", err)
	}
	if err := Disk.FlushAll(f); err == nil || !strings.Contains(err.Error(), f.Name()) {
		t.Errorf("Disk.FlushAll of a closed file = %v, want an error naming it", err)
	}
	if err := Process.Flush(f); err != nil {
		t.Errorf("Process.Flush = %v, want nil (the bytes are already in the operating system)", err)
	}
	for _, c := range []struct {
		name       string
		off, alloc int64
		want       string
	}{
		{"grow", 0, 0, "extend " + f.Name() + " from 0 to 64 bytes"},
		{"in place", 0, 1 << 20, "write 3 bytes at offset 0 of " + f.Name()},
	} {
		_, err := Process.writePrealloc(f, []byte("abc"), c.off, c.alloc, 64, true)
		if err == nil || !strings.Contains(err.Error(), c.want) || !errors.Is(err, os.ErrClosed) {
			t.Errorf("%s: WritePrealloc on a closed file = %v, want %q wrapping os.ErrClosed", c.name, err, c.want)
		}
	}
	if err := Disk.FlushDir(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("Disk.FlushDir of a missing directory succeeded")
	}
	if err := Process.FlushDir(filepath.Join(t.TempDir(), "missing")); err != nil {
		t.Errorf("Process.FlushDir = %v, want nil", err)
	}
}

func TestLevelNames(t *testing.T) {
	if Process.String() != "process" || Disk.String() != "disk" {
		t.Fatalf("names %q, %q", Process, Disk)
	}
}
