package durable

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestPreallocatedAppendsAcrossChunksAndReleases appends records of every
// size around the chunk size, releases the mapping halfway, and checks the
// file's bytes after each step through an ordinary read.
func TestPreallocatedAppendsAcrossChunksAndReleases(t *testing.T) {
	for _, level := range []Level{Process, Disk} {
		t.Run(level.String(), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "journal")
			if err := os.WriteFile(path, []byte("head"), 0o644); err != nil {
				t.Fatal(err)
			}
			f, err := os.OpenFile(path, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			const chunk = 8192
			p := NewPreallocated(f, level, 4, chunk)
			want := []byte("head")
			for i, n := range []int{0, 10, 5000, 3000, 200, chunk, 3 * chunk, 1, 4095, 4097} {
				rec := bytes.Repeat([]byte{byte('a' + i)}, n)
				write := p.Append
				if i%2 == 1 {
					write = p.Write // the same bytes, without the Disk level's flush
				}
				if err := write(rec); err != nil {
					t.Fatalf("append %d bytes: %v", n, err)
				}
				want = append(want, rec...)
				if i == 4 {
					if err := p.Release(); err != nil {
						t.Fatal(err)
					}
				}
				got, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				if p.Offset() != int64(len(want)) || p.Allocated() != int64(len(got)) || p.Allocated() < p.Offset() {
					t.Fatalf("after %d bytes: offset %d, allocated %d, file %d bytes; want offset %d", n, p.Offset(), p.Allocated(), len(got), len(want))
				}
				if !bytes.Equal(got[:len(want)], want) || len(bytes.Trim(got[len(want):], "\x00")) != 0 {
					t.Fatalf("after %d bytes: the file does not hold the records followed by zeros", n)
				}
			}
			if level == Process && p.noMap {
				t.Fatal("the Process level fell back to pwrite: the file could not be mapped")
			}
			if err := p.Release(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestPreallocatedReportsAFailedExtension(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "closed"))
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	for _, level := range []Level{Process, Disk} {
		err := NewPreallocated(f, level, 0, 64).Append([]byte("x"))
		if want := fmt.Sprintf("extend %s from 0 to 64 bytes", f.Name()); err == nil || !bytes.Contains([]byte(err.Error()), []byte(want)) {
			t.Errorf("%v: append to a closed file = %v, want %q", level, err, want)
		}
	}
}
