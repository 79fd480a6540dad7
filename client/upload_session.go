package client

import (
	"context"
	"encoding"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"time"

	"github.com/cenkalti/backoff/v5"
)

// Retries: an attempt that got bytes to the host resets the count, so a
// long upload over a flaky link goes on while it progresses; maxAttempts
// bounds it in any case.
const (
	uploadTries = 10 // about 50 s of backoff: a host restart fits
	maxAttempts = 100
)

func uploadBackOff() *backoff.ExponentialBackOff {
	return &backoff.ExponentialBackOff{InitialInterval: 300 * time.Millisecond, RandomizationFactor: 0.5, Multiplier: 2, MaxInterval: 10 * time.Second}
}

// blobUpload is one UploadBlob through an upload session.
type blobUpload struct {
	c      *Client
	f      *os.File
	size   int64
	status string
	fn     func(ProgressEvent) error
	host   string
	rec    *uploadRecord

	session string
	offset  int64 // the host's offset, as last heard
	known   bool  // offset is current; false: ask with HEAD
	// h is the SHA-256 of the file's first hashed bytes.
	h      hash.Hash
	hashed int64
	// mark is h's state at markAt (where the last PATCH began): a retry
	// carries the hash on from there rather than from the start.
	mark   []byte
	markAt int64
	sent   int64 // bytes sent by the current attempt
	digest string
	noted  bool // "resuming at" said
}

func (u *blobUpload) run(ctx context.Context) (*BlobUpload, error) {
	u.session = u.rec.Sessions[u.host]
	b := uploadBackOff()
	tries := 0
	for attempt := 1; ; attempt++ {
		up, err := u.attempt(ctx)
		if err == nil {
			return up, nil
		}
		var perm *backoff.PermanentError
		if errors.As(err, &perm) {
			return nil, perm.Unwrap()
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if u.sent > 0 {
			b.Reset()
			tries = 0
		}
		if tries++; tries >= uploadTries || attempt >= maxAttempts {
			return nil, fmt.Errorf("uploading gave up after %d attempts (run it again to continue from what the host has): %w", attempt, err)
		}
		wait := b.NextBackOff()
		var se *StatusError
		if errors.As(err, &se) && se.RetryAfter > 0 {
			wait = max(wait, time.Duration(se.RetryAfter*float64(time.Second)))
		}
		if err := u.fn(ProgressEvent{Status: u.status, Total: u.size, Completed: u.offset,
			Message: fmt.Sprintf("upload interrupted (%v); retrying in %s", err, wait.Round(10*time.Millisecond))}); err != nil {
			return nil, err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

func statusOf(err error) int {
	var se *StatusError
	if errors.As(err, &se) {
		return se.StatusCode
	}
	return 0
}

// retryable says whether an attempt that failed with err is worth
// another: the connection failed, or the host is busy, restarting or
// answered a conflict (an offset that moved on, a session in use).
func retryable(err error) bool {
	switch statusOf(err) {
	case 0:
		return !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
	case http.StatusConflict, http.StatusTooManyRequests, http.StatusRequestTimeout, 499:
		return true
	default:
		return statusOf(err) >= 500
	}
}

func classify(err error) error {
	if retryable(err) {
		return err
	}
	return backoff.Permanent(err)
}

// forget drops the session: the next attempt starts a new one.
func (u *blobUpload) forget() {
	u.session, u.known = "", false
	delete(u.rec.Sessions, u.host)
	_ = u.c.uploads.save(u.rec)
}

func (u *blobUpload) attempt(ctx context.Context) (*BlobUpload, error) {
	u.sent = 0
	if u.session == "" {
		s, err := callJSON[UploadSession](ctx, u.c, http.MethodPost, "/v1/uploads", nil)
		if err != nil {
			// 501: a host whose session store is off until it restarts.
			if st := statusOf(err); st == http.StatusNotFound || st == http.StatusMethodNotAllowed || st == http.StatusNotImplemented {
				return nil, backoff.Permanent(errNoUploadSessions)
			}
			return nil, classify(err)
		}
		u.session, u.offset, u.known = s.ID, s.Offset, true
		if u.rec.Sessions == nil {
			u.rec.Sessions = map[string]string{}
		}
		u.rec.Sessions[u.host] = s.ID
		_ = u.c.uploads.save(u.rec)
	}
	if !u.known {
		off, err := u.head(ctx)
		if statusOf(err) == http.StatusNotFound {
			// Gone: expired, deleted, or finished by a PUT whose answer
			// was lost. In the last case the engine has the blob.
			if u.digest != "" {
				if has, herr := u.c.HasBlob(ctx, u.digest); herr == nil && has {
					return u.done(), nil
				}
			}
			u.forget()
			return nil, fmt.Errorf("the host no longer has the upload session; starting a new one: %w", err)
		}
		if err != nil {
			return nil, classify(err)
		}
		if off > u.size {
			_, _ = u.c.send(ctx, http.MethodDelete, "/v1/uploads/"+url.PathEscape(u.session), nil, 0, "", "application/json")
			u.forget()
			return nil, fmt.Errorf("the upload session holds %d bytes, more than the file's %d; starting a new one", off, u.size)
		}
		u.offset, u.known = off, true
	}
	if err := u.hashTo(ctx, u.offset); err != nil {
		return nil, backoff.Permanent(err)
	}
	if u.offset > 0 && u.offset < u.size && !u.noted {
		u.noted = true
		if err := u.fn(ProgressEvent{Status: u.status, Total: u.size, Completed: u.offset,
			Message: fmt.Sprintf("resuming at %d bytes: the host has them already", u.offset)}); err != nil {
			return nil, backoff.Permanent(err)
		}
	}
	if u.offset < u.size {
		if err := u.patch(ctx); err != nil {
			if statusOf(err) == http.StatusNotFound { // expired or deleted meanwhile
				u.forget()
				return nil, fmt.Errorf("the host no longer has the upload session; starting a new one: %w", err)
			}
			return nil, err
		}
	}
	u.digest = "sha256:" + hex.EncodeToString(u.h.Sum(nil))
	resp, err := u.c.send(ctx, http.MethodPut, "/v1/uploads/"+url.PathEscape(u.session)+"?digest="+url.QueryEscape(u.digest), nil, 0, "", "application/json")
	if err != nil {
		var se *StatusError
		if errors.As(err, &se) && se.StatusCode == http.StatusBadRequest && se.Field == "digest" {
			// What the host received is not this file: it changed while it
			// was being sent. Start over next run.
			_, _ = u.c.send(ctx, http.MethodDelete, "/v1/uploads/"+url.PathEscape(u.session), nil, 0, "", "application/json")
			u.forget()
			return nil, backoff.Permanent(fmt.Errorf("the host received other bytes than the file holds now (did it change while uploading?); run again to upload it afresh: %w", err))
		}
		if se != nil && se.StatusCode == http.StatusNotFound {
			// Finished by an earlier PUT whose answer was lost, or gone.
			if has, herr := u.c.HasBlob(ctx, u.digest); herr == nil && has {
				return u.done(), nil
			}
			u.forget()
			return nil, fmt.Errorf("the host no longer has the upload session; starting a new one: %w", err)
		}
		u.known = false
		return nil, classify(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return u.done(), nil
}

// done records the finished upload (its digest, for a re-run to skip).
func (u *blobUpload) done() *BlobUpload {
	u.rec.Digest = u.digest
	delete(u.rec.Sessions, u.host)
	_ = u.c.uploads.save(u.rec)
	_ = u.fn(ProgressEvent{Status: u.status, Total: u.size, Completed: u.size})
	return &BlobUpload{Digest: u.digest, Size: u.size}
}

func (u *blobUpload) head(ctx context.Context) (int64, error) {
	resp, err := u.c.send(ctx, http.MethodHead, "/v1/uploads/"+url.PathEscape(u.session), nil, 0, "", "*/*")
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	off, err := strconv.ParseInt(resp.Header.Get("Upload-Offset"), 10, 64)
	if err != nil || off < 0 {
		return 0, fmt.Errorf("the host answered HEAD /v1/uploads/%s without a valid Upload-Offset (%q)", u.session, resp.Header.Get("Upload-Offset"))
	}
	return off, nil
}

// hashTo makes h the hash of the file's first off bytes, reading (not
// sending) what it lacks: on from where it is, from the last mark, or
// from the start.
func (u *blobUpload) hashTo(ctx context.Context, off int64) error {
	if u.hashed > off {
		u.h.Reset()
		u.hashed = 0
		if u.mark != nil && u.markAt <= off {
			if err := u.h.(encoding.BinaryUnmarshaler).UnmarshalBinary(u.mark); err != nil {
				return err
			}
			u.hashed = u.markAt
		}
	}
	if u.hashed == off {
		return nil
	}
	r := &ctxReader{ctx: ctx, r: io.NewSectionReader(u.f, u.hashed, off-u.hashed)}
	n, err := io.Copy(u.h, r)
	u.hashed += n
	if err == nil && u.hashed != off {
		err = fmt.Errorf("%s: the file is shorter than it was (%d bytes read, want %d)", u.f.Name(), u.hashed, off)
	}
	return err
}

// patch sends the rest of the file from the host's offset, hashing it on
// the way.
func (u *blobUpload) patch(ctx context.Context) error {
	mark, err := u.h.(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		return backoff.Permanent(err)
	}
	u.mark, u.markAt = mark, u.offset
	rest := u.size - u.offset
	pr := &progressReader{ctx: ctx, r: &hashingReader{r: io.NewSectionReader(u.f, u.offset, rest), u: u}, fn: u.fn,
		ev: ProgressEvent{Status: u.status, Total: u.size, Completed: u.offset}}
	body := &gate{r: pr}
	resp, err := u.c.send(ctx, http.MethodPatch, "/v1/uploads/"+url.PathEscape(u.session), body, rest, "application/octet-stream", "application/json",
		"Upload-Offset", strconv.FormatInt(u.offset, 10),
		// The host answers a stale offset (409) before any byte is sent.
		"Expect", "100-continue")
	// The transport may still be reading the body after a failed request
	// returns: close the gate before the hash is looked at again.
	body.close()
	u.known = false
	if err != nil {
		if pr.err != nil {
			return backoff.Permanent(pr.err)
		}
		return classify(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	off, perr := strconv.ParseInt(resp.Header.Get("Upload-Offset"), 10, 64)
	if perr != nil || off != u.size || u.hashed != u.size {
		return fmt.Errorf("the host holds %s bytes of %d after the PATCH; asking again", resp.Header.Get("Upload-Offset"), u.size)
	}
	u.offset, u.known = off, true
	return pr.flush()
}
