package uploads

import (
	"context"
	"crypto/sha256"
	"fmt"
	"hash"
	"io"
	"os"
	"sync"
	"time"

	"github.com/roundhouse-ai/roundhouse/sdk"
)

// session is one upload in memory. use is held by the request using it
// (a PATCH, the PUT, a DELETE): one at a time, and a second is refused
// rather than queued, as tus does. meta guards st, which HEAD and GET
// read while a PATCH runs.
type session struct {
	use  chan struct{} // capacity 1: a lock that can be waited on with a deadline
	meta sync.Mutex
	st   state
}

func newSession(st state) *session { return &session{use: make(chan struct{}, 1), st: st} }

func (ss *session) tryLock() bool {
	select {
	case ss.use <- struct{}{}:
		return true
	default:
		return false
	}
}

func (ss *session) unlock() { <-ss.use }

// settle waits, at most d or until ctx ends, for the request using the
// session to end, and reports whether it did.
func (ss *session) settle(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case ss.use <- struct{}{}:
		<-ss.use
		return true
	case <-t.C:
	case <-ctx.Done():
	}
	return false
}

func newHash() hash.Hash { return sha256.New() }

func (st *state) info() Info { return Info{ID: st.ID, Offset: st.Offset, ExpiresAt: st.ExpiresAt} }

func (ss *session) info() Info {
	ss.meta.Lock()
	defer ss.meta.Unlock()
	return ss.st.info()
}

func (ss *session) expiresAt() time.Time {
	ss.meta.Lock()
	defer ss.meta.Unlock()
	return ss.st.ExpiresAt
}

func (ss *session) snapshot() state {
	ss.meta.Lock()
	defer ss.meta.Unlock()
	return ss.st
}

// Append writes body at offset, which must be the session's offset (else
// CodeFailedPrecondition naming Upload-Offset, with the offset to resume
// from). It keeps whatever arrived: a body cut short advances the offset
// by the bytes written, and the error is the body's. The Info answered is
// the session's state after the call (also on error, when the session
// exists), so a caller can always report the offset.
func (s *Store) Append(ctx context.Context, id string, offset int64, body io.Reader) (Info, error) {
	ss, err := s.get(id)
	if err != nil {
		return Info{}, err
	}
	if !ss.tryLock() {
		return ss.info(), busy(id)
	}
	defer ss.unlock()
	st := ss.snapshot()
	if offset != st.Offset {
		return st.info(), &sdk.Error{Code: sdk.CodeFailedPrecondition, Field: "Upload-Offset",
			Message: fmt.Sprintf("is %d, but upload %s holds %d bytes: send the rest from offset %d (HEAD /v1/uploads/%s answers it in Upload-Offset)",
				offset, id, st.Offset, st.Offset, id)}
	}
	h, err := st.hasher()
	if err != nil {
		return st.info(), sdk.WrapError(sdk.CodeInternal, err, "%v", err)
	}
	f, err := os.OpenFile(dataPath(s.dir, id), os.O_WRONLY, 0)
	if err != nil {
		return st.info(), sdk.WrapError(sdk.CodeInternal, err, "upload %s: %v", id, err)
	}
	defer f.Close()
	// Bytes past the offset are from a write that failed before it was
	// recorded: drop them, so the file and the hash state agree.
	if err := f.Truncate(st.Offset); err != nil {
		return st.info(), sdk.WrapError(sdk.CodeInternal, err, "upload %s: %v", id, err)
	}
	if _, err := f.Seek(st.Offset, io.SeekStart); err != nil {
		return st.info(), sdk.WrapError(sdk.CodeInternal, err, "upload %s: %v", id, err)
	}
	commit := func(n int64) error {
		if err := f.Sync(); err != nil {
			return err
		}
		next := st
		next.Offset += n
		next.ExpiresAt = s.opts.Now().Add(s.opts.TTL)
		if err := next.setHash(h); err != nil {
			return err
		}
		if err := writeState(s.dir, &next); err != nil {
			return err
		}
		ss.meta.Lock()
		ss.st = next
		ss.meta.Unlock()
		st = next
		return nil
	}
	buf := make([]byte, 1<<20)
	var pending int64 // written since the last commit
	var bodyErr error
	for {
		if err := ctx.Err(); err != nil {
			bodyErr = err
			break
		}
		n, rerr := body.Read(buf)
		if n > 0 {
			if _, werr := f.Write(buf[:n]); werr != nil {
				if cerr := commit(pending); cerr != nil {
					return ss.info(), sdk.WrapError(sdk.CodeInternal, cerr, "upload %s: %v", id, cerr)
				}
				return ss.info(), sdk.WrapError(sdk.CodeInternal, werr, "upload %s: writing the staged file: %v", id, werr)
			}
			h.Write(buf[:n])
			pending += int64(n)
			if pending >= s.opts.Checkpoint {
				if err := commit(pending); err != nil {
					return ss.info(), sdk.WrapError(sdk.CodeInternal, err, "upload %s: %v", id, err)
				}
				pending = 0
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			bodyErr = rerr
			break
		}
	}
	if err := commit(pending); err != nil {
		return ss.info(), sdk.WrapError(sdk.CodeInternal, err, "upload %s: %v", id, err)
	}
	return ss.info(), bodyErr
}
