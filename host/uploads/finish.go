package uploads

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/roundhouse-ai/roundhouse/sdk"
)

// ParseDigest checks a blob digest, "sha256:" and 64 hex digits, and
// returns it with the hex in lower case (how the engine names blobs).
func ParseDigest(d string) (string, error) {
	hexPart, ok := strings.CutPrefix(d, "sha256:")
	if !ok || len(hexPart) != 64 {
		return "", sdk.FieldError("digest", "%q is not a blob digest: want sha256:<64 hex digits>", d)
	}
	if _, err := hex.DecodeString(hexPart); err != nil {
		return "", sdk.FieldError("digest", "%q is not a blob digest: want sha256:<64 hex digits>", d)
	}
	return "sha256:" + strings.ToLower(hexPart), nil
}

// Handoff takes the finished upload: the staged file's bytes (size of
// them) under digest. The PUT route passes the engine's CreateBlob.
type Handoff func(ctx context.Context, digest string, body io.Reader, size int64) error

// Finish checks that the bytes received hash to digest, then hands them
// to hand and, once it succeeded, removes the session and its file. A
// digest that does not match is CodeInvalidArgument naming "digest", and
// the session is kept (as is it when hand fails), so the client can look
// at it, PUT again or DELETE it.
func (s *Store) Finish(ctx context.Context, id, digest string, hand Handoff) (Info, error) {
	ss, err := s.get(id)
	if err != nil {
		return Info{}, err
	}
	want, err := ParseDigest(digest)
	if err != nil {
		return ss.info(), err
	}
	if !ss.tryLock() {
		return ss.info(), busy(id)
	}
	defer ss.unlock()
	st := ss.snapshot()
	h, err := st.hasher()
	if err != nil {
		return st.info(), sdk.WrapError(sdk.CodeInternal, err, "%v", err)
	}
	got := "sha256:" + hex.EncodeToString(h.Sum(nil))
	if got != want {
		return st.info(), sdk.FieldError("digest", "the %d bytes of upload %s hash to %s, not %s: the session is kept; "+
			"send the missing bytes if the upload is incomplete, or DELETE /v1/uploads/%s and upload the file again", st.Offset, id, got, want, id)
	}
	f, err := os.Open(dataPath(s.dir, id))
	if err != nil {
		return st.info(), sdk.WrapError(sdk.CodeInternal, err, "upload %s: %v", id, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return st.info(), sdk.WrapError(sdk.CodeInternal, err, "upload %s: %v", id, err)
	}
	if fi.Size() < st.Offset {
		return st.info(), &sdk.Error{Code: sdk.CodeInternal, Message: fmt.Sprintf("upload %s: the staged file has %d bytes, the session %d: DELETE it and upload again", id, fi.Size(), st.Offset)}
	}
	if err := hand(ctx, want, io.LimitReader(f, st.Offset), st.Offset); err != nil {
		return st.info(), err
	}
	s.drop(id)
	return st.info(), nil
}
