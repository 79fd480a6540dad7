package client

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// UploadBlob sends the file at path to the host's local engine as a blob,
// for CreateModel's Files. The file is read once: it is hashed while it
// is sent (PATCH /v1/uploads/{id}), and the host checks that digest when
// the upload is finished (PUT). An interrupted upload (a network error, a
// host restart) is retried with jittered backoff from the offset the host
// reports: only the missing bytes are sent again, the bytes before it are
// read locally to carry the hash on. The client remembers the upload
// under the user cache dir (roundhouse/uploads, keyed by the file's
// absolute path, size and modification time; see WithUploadState), so
// running it again after Ctrl-C continues where it stopped, and running
// it again after it finished asks the host (HEAD /api/blobs/{digest})
// instead of sending the file. A host without /v1/uploads (or with them
// off: 501) gets the whole file in one POST /api/blobs/{digest}, hashed
// first.
//
// fn (may be nil) gets progress events: status "uploading <file>" with
// Total and Completed in bytes (what the host holds), and notes in
// Message ("resuming at N bytes", a retry); returning an error from it
// stops the upload. On error the result is nil.
func (c *Client) UploadBlob(ctx context.Context, path string, fn func(ProgressEvent) error) (*BlobUpload, error) {
	fn = orNop(fn)
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	u := &blobUpload{c: c, f: f, size: st.Size(), status: "uploading " + filepath.Base(path), fn: fn, host: c.base.String(),
		rec: c.uploads.load(fileKey{Path: abs, Size: st.Size(), ModTime: st.ModTime()}), h: sha256.New()}
	if u.rec.Digest != "" {
		has, err := c.HasBlob(ctx, u.rec.Digest)
		if err != nil {
			return nil, err
		}
		if has {
			if err := fn(ProgressEvent{Status: u.status, Digest: u.rec.Digest, Total: u.size, Completed: u.size,
				Message: "the host has this blob already; not sending it again"}); err != nil {
				return nil, err
			}
			return &BlobUpload{Digest: u.rec.Digest, Size: u.size, Skipped: true}, nil
		}
	}
	up, err := u.run(ctx)
	if errors.Is(err, errNoUploadSessions) {
		return c.uploadWhole(ctx, f, path, fn)
	}
	return up, err
}

// errNoUploadSessions: the host predates /v1/uploads.
var errNoUploadSessions = errors.New("the host has no resumable uploads")
