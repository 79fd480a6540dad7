package client

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// uploadStateDir says where UploadBlob records its uploads: set (by
// WithUploadState) or the default under the user cache dir.
type uploadStateDir struct {
	set bool
	dir string
}

// WithUploadState makes UploadBlob keep its resume state in dir (""
// keeps none) instead of <user cache dir>/roundhouse/uploads.
func WithUploadState(dir string) Option {
	return func(c *Client) { c.uploads = uploadStateDir{set: true, dir: dir} }
}

func (u uploadStateDir) path() string {
	if u.set {
		return u.dir
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(base, "roundhouse", "uploads")
}

// fileKey names one version of a file: its absolute path, size and
// modification time. A file that changed is a new upload.
type fileKey struct {
	Path    string    `json:"path"`
	Size    int64     `json:"size"`
	ModTime time.Time `json:"mod_time"`
}

func (k fileKey) name() string {
	sum := sha256.Sum256([]byte(k.Path + "\x00" + strconv.FormatInt(k.Size, 10) + "\x00" + k.ModTime.UTC().Format(time.RFC3339Nano)))
	return hex.EncodeToString(sum[:16]) + ".json"
}

// uploadRecord is what UploadBlob remembers of a file: the session it is
// being uploaded in, per host (so a re-run after Ctrl-C continues it),
// and, once an upload finished, the file's digest (so a re-run asks the
// host whether it has the blob instead of sending it).
type uploadRecord struct {
	fileKey
	Digest   string            `json:"digest,omitempty"`
	Sessions map[string]string `json:"sessions,omitempty"`
}

// recordTTL: records older than this are removed when one is written
// (the host drops sessions after 24 h anyway).
const recordTTL = 30 * 24 * time.Hour

// loadRecord reads the record of k; a missing or unreadable one is empty.
func (u uploadStateDir) load(k fileKey) *uploadRecord {
	rec := &uploadRecord{fileKey: k}
	dir := u.path()
	if dir == "" {
		return rec
	}
	data, err := os.ReadFile(filepath.Join(dir, k.name()))
	if err != nil {
		return rec
	}
	var got uploadRecord
	if json.Unmarshal(data, &got) != nil || got.fileKey.Path != k.Path || got.Size != k.Size || !got.ModTime.Equal(k.ModTime) {
		return rec
	}
	return &got
}

// save writes rec (0600, in a 0700 directory) atomically. The state is a
// convenience: failing to write it costs a resume, not the upload, so the
// error is only returned for tests to see.
func (u uploadStateDir) save(rec *uploadRecord) error {
	dir := u.path()
	if dir == "" {
		return nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	data, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, rec.name())); err != nil {
		return err
	}
	u.prune(dir)
	return nil
}

func (u uploadStateDir) prune(dir string) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		if fi, err := e.Info(); err == nil && time.Since(fi.ModTime()) > recordTTL {
			_ = os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}
