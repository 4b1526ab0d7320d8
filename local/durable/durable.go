// Package durable writes files so that a crash at any moment leaves either the old
// or the new content, never a torn one. WriteFile and Remove sync to the disk, so
// what they wrote survives a kill -9 or a power loss. Journals append through
// Preallocated at a Level: Process (the bytes are in the operating system before
// the write returns, which survives kill -9) or Disk (also synced, which survives
// a power loss). It does not lock files or manage directories for callers.
package durable

import (
	"fmt"
	"os"
	"path/filepath"
)

// WriteFile atomically replaces path with data: it writes a temporary file in the
// same directory, syncs it, renames it over path and syncs the directory. Missing
// parent directories are created.
func WriteFile(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create directory %q: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("create temporary file for %q: %w", path, err)
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("write %q: %w", tmp, err)
	}
	if err := f.Chmod(perm); err != nil {
		return fmt.Errorf("chmod %q: %w", tmp, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync %q: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %q: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("rename %q to %q: %w", tmp, path, err)
	}
	ok = true
	return SyncDir(dir)
}

// SyncDir flushes a directory's entries (after a rename or remove in it).
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open directory %q: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync directory %q: %w", dir, err)
	}
	return nil
}

// Remove deletes path (a missing file is not an error) and syncs its directory.
func Remove(path string) error {
	if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("remove %q: %w", path, err)
	}
	return SyncDir(filepath.Dir(path))
}
