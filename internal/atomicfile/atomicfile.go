// Package atomicfile replaces a small file whole, readable by its owner
// only: the host's 0600 stores (provider keys, registry credentials,
// upload sessions) must never be seen half-written after a crash, nor
// readable by other users for an instant.
package atomicfile

import (
	"os"
	"path/filepath"
)

// Write replaces path with data: a temporary file in the same directory
// (created 0600, so the bytes are never readable by others), written and
// synced, then renamed over path. A crash leaves the old content or the
// new, never half of one. The directory is created 0700 if missing.
func Write(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // a no-op after the rename
	// CreateTemp makes files 0600 already; say so for umask-free clarity.
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
