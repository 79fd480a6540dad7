package client

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
)

// uploadWhole is UploadBlob for a host without /v1/uploads: the file is
// hashed, then sent whole with POST /api/blobs/{digest} unless the engine
// has it already (an interrupted upload starts again from zero).
func (c *Client) uploadWhole(ctx context.Context, f *os.File, path string, fn func(ProgressEvent) error) (*BlobUpload, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := st.Size()
	h := sha256.New()
	pr := &progressReader{ctx: ctx, r: f, fn: fn, ev: ProgressEvent{Status: "hashing " + filepath.Base(path), Total: size}}
	if err := fn(pr.ev); err != nil {
		return nil, err
	}
	if _, err := io.Copy(h, pr); err != nil {
		return nil, err
	}
	if err := pr.flush(); err != nil {
		return nil, err
	}
	up := &BlobUpload{Digest: "sha256:" + hex.EncodeToString(h.Sum(nil)), Size: size}
	has, err := c.HasBlob(ctx, up.Digest)
	if err != nil {
		return nil, err
	}
	if has {
		up.Skipped = true
		if err := fn(ProgressEvent{Status: "uploading " + filepath.Base(path), Digest: up.Digest, Total: size, Completed: size,
			Message: "the host has this blob already; not sending it again"}); err != nil {
			return nil, err
		}
		return up, nil
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	// The second read is checked too: a file that changed since it was
	// hashed is refused by the host (digest mismatch) rather than stored
	// under the wrong name.
	pr = &progressReader{ctx: ctx, r: io.LimitReader(f, size), fn: fn,
		ev: ProgressEvent{Status: "uploading " + filepath.Base(path), Digest: up.Digest, Total: size}}
	if err := fn(pr.ev); err != nil {
		return nil, err
	}
	resp, err := c.send(ctx, http.MethodPost, "/api/blobs/"+url.PathEscape(up.Digest), pr, size, "application/octet-stream", "application/json")
	if err != nil {
		if pr.err != nil {
			return nil, pr.err
		}
		return nil, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err := pr.flush(); err != nil {
		return nil, err
	}
	return up, nil
}
