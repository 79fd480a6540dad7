package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"time"

	"github.com/roundhouse-ai/roundhouse/client"
	"github.com/roundhouse-ai/roundhouse/host/backend"
	"github.com/roundhouse-ai/roundhouse/host/httpx"
	"github.com/roundhouse-ai/roundhouse/host/uploads"
	"github.com/roundhouse-ai/roundhouse/sdk"
)

// Resumable blob uploads (POST, HEAD, GET, PATCH, PUT, DELETE
// /v1/uploads...), modelled on OCI blob-upload sessions and tus: Ollama's
// POST /api/blobs/{digest} takes a file in one request, and an upload of
// gigabytes cut off halfway starts again from zero. Here the host keeps
// what arrived (package uploads) and the client continues from the
// offset the host reports; the final PUT hands the staged file to the
// engine the way POST /api/blobs/{digest} does.

// uploadStore is the sessions' store, opened once per host and shared by
// every Server built as the configuration reloads (err says why it could
// not open; the routes then answer 503).
type uploadStore struct {
	st  *uploads.Store
	err error
}

// openUploads opens the sessions' store under the data directory.
func openUploads(dataDir string) *uploadStore {
	st, err := uploads.Open(uploadsDir(dataDir), uploads.Options{PruneEvery: time.Hour})
	return &uploadStore{st: st, err: err}
}

func uploadsDir(dataDir string) string { return filepath.Join(dataDir, "uploads") }

func (s *Server) uploadSessions(w http.ResponseWriter, r *http.Request) *uploads.Store {
	if s.uploads == nil || s.uploads.st == nil {
		// Unimplemented (501), not unavailable: the store is opened once
		// per host, so this lasts until a restart, and a client should
		// send the file whole rather than retry.
		msg := "upload sessions are not available on this host"
		if s.uploads != nil && s.uploads.err != nil {
			msg += ": " + s.uploads.err.Error() + " (check data_dir and restart)"
		}
		writeError(w, r, s.log, sdk.Errorf(sdk.CodeUnimplemented, "%s; POST /api/blobs/{digest} still takes a whole file", msg))
		return nil
	}
	return s.uploads.st
}

// uploadHeaders are tus's: where the upload is, and until when it is kept.
func uploadHeaders(w http.ResponseWriter, info uploads.Info) {
	if info.ID == "" {
		return
	}
	w.Header().Set("Upload-Offset", strconv.FormatInt(info.Offset, 10))
	w.Header().Set("Upload-Expires", info.ExpiresAt.UTC().Format(http.TimeFormat))
	w.Header().Set("Cache-Control", "no-store")
}

func sessionView(info uploads.Info) client.UploadSession {
	return client.UploadSession{ID: info.ID, Offset: info.Offset, ExpiresAt: info.ExpiresAt}
}

func (s *Server) createUpload(w http.ResponseWriter, r *http.Request) {
	st := s.uploadSessions(w, r)
	if st == nil {
		return
	}
	info, err := st.Create(r.Context())
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	uploadHeaders(w, info)
	w.Header().Set("Location", "/v1/uploads/"+info.ID)
	httpx.WriteJSON(w, http.StatusCreated, sessionView(info))
}

// settleWait is how long HEAD and GET wait for a PATCH in progress to end
// before they answer its offset (uploads.Store.Settled).
const settleWait = 5 * time.Second

func (s *Server) headUpload(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.settledUpload(w, r); ok {
		w.WriteHeader(http.StatusNoContent)
	}
}

func (s *Server) getUpload(w http.ResponseWriter, r *http.Request) {
	if info, ok := s.settledUpload(w, r); ok {
		httpx.WriteJSON(w, http.StatusOK, sessionView(info))
	}
}

// settledUpload finds the session of the request (once a PATCH in
// progress has recorded its bytes) and sets its headers; on an error it
// has answered.
func (s *Server) settledUpload(w http.ResponseWriter, r *http.Request) (uploads.Info, bool) {
	st := s.uploadSessions(w, r)
	if st == nil {
		return uploads.Info{}, false
	}
	info, err := st.Settled(r.Context(), r.PathValue("id"), settleWait)
	if err != nil {
		writeError(w, r, s.log, err)
		return uploads.Info{}, false
	}
	uploadHeaders(w, info)
	return info, true
}

// patchUpload appends the body at Upload-Offset. What arrives is kept
// even when the body is cut short: the answer (if the client still reads
// it) and the next HEAD say how far it got.
func (s *Server) patchUpload(w http.ResponseWriter, r *http.Request) {
	st := s.uploadSessions(w, r)
	if st == nil {
		return
	}
	offset, err := strconv.ParseInt(r.Header.Get("Upload-Offset"), 10, 64)
	if err != nil || offset < 0 {
		writeError(w, r, s.log, sdk.FieldError("Upload-Offset", "header %q is not a byte offset: send Upload-Offset: <the offset HEAD /v1/uploads/{id} answers>",
			r.Header.Get("Upload-Offset")))
		return
	}
	body := io.Reader(http.NoBody)
	if r.Body != nil {
		body = r.Body
	}
	// limits.max_blob_bytes caps the whole blob, not one PATCH.
	if capBytes := s.limits.MaxBlobBytes; capBytes > 0 {
		if offset > capBytes || (r.ContentLength > 0 && offset+r.ContentLength > capBytes) {
			guardError(w, r, http.StatusRequestEntityTooLarge, sdk.CodeInvalidArgument, "body",
				fmt.Sprintf("the upload would grow past %d bytes, the most limits.max_blob_bytes allows for one blob", capBytes))
			return
		}
		body = http.MaxBytesReader(w, r.Body, capBytes-offset)
	}
	info, err := st.Append(r.Context(), r.PathValue("id"), offset, body)
	uploadHeaders(w, info)
	var tooLarge *http.MaxBytesError
	switch {
	case err == nil:
		w.WriteHeader(http.StatusNoContent)
	case errors.As(err, &tooLarge):
		guardError(w, r, http.StatusRequestEntityTooLarge, sdk.CodeInvalidArgument, "body",
			fmt.Sprintf("the upload grew past %d bytes, the most limits.max_blob_bytes allows for one blob; the first %d bytes are kept",
				s.limits.MaxBlobBytes, info.Offset))
	case !errors.As(err, new(*sdk.Error)):
		// The body failed (cut, too slow, the client gone; the store's
		// own errors are *sdk.Error): say where to resume, as a client
		// error, not a host failure.
		writeError(w, r, s.log, &sdk.Error{Code: sdk.CodeInvalidArgument, Field: "body", Err: err,
			Message: fmt.Sprintf("the body ended early (%v); the upload holds %d bytes: resume from there", err, info.Offset)})
	default:
		writeError(w, r, s.log, err)
	}
}

// putUpload finishes an upload: the digest the host computed while
// receiving must be the one named, then the staged file goes to the
// engine as that blob (as POST /api/blobs/{digest} sends it) and is
// removed.
func (s *Server) putUpload(w http.ResponseWriter, r *http.Request) {
	st := s.uploadSessions(w, r)
	if st == nil {
		return
	}
	q := r.URL.Query()
	digest := q.Get("digest")
	if digest == "" {
		writeError(w, r, s.log, sdk.FieldError("digest", "is required: PUT /v1/uploads/{id}?digest=sha256:<hex of the whole file>"))
		return
	}
	rt := backend.Route{Plugin: q.Get("plugin")}
	info, err := st.Finish(r.Context(), r.PathValue("id"), digest, func(ctx context.Context, d string, body io.Reader, size int64) error {
		ctx, cancel := context.WithTimeout(ctx, handoffDeadline(size))
		defer cancel()
		has, err := s.b.CheckBlob(ctx, rt, d)
		if err != nil || has {
			return err // the engine has it: nothing to send (as POST /api/blobs answers)
		}
		return s.b.CreateBlob(ctx, rt, d, body)
	})
	uploadHeaders(w, info)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	d, _ := uploads.ParseDigest(digest)
	httpx.WriteJSON(w, http.StatusCreated, client.BlobUpload{Digest: d, Size: info.Offset})
}

// handoffDeadline bounds handing a staged file to the engine: a minute,
// plus a second per 20 MB (a slow disk still finishes; a stuck engine
// does not hold the session forever).
func handoffDeadline(size int64) time.Duration {
	return time.Minute + time.Duration(size/(20<<20))*time.Second
}

func (s *Server) deleteUpload(w http.ResponseWriter, r *http.Request) {
	st := s.uploadSessions(w, r)
	if st == nil {
		return
	}
	if err := st.Delete(r.PathValue("id")); err != nil {
		writeError(w, r, s.log, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// uploadRoutes are the table's entries for the sessions.
func uploadRoutes() []nativeRoute {
	id := func(g *schemaGen, summary string, ok map[string]any, extra map[string]any) map[string]any {
		op := map[string]any{"summary": summary,
			"parameters": []any{map[string]any{"name": "id", "in": "path", "required": true, "schema": map[string]any{"type": "string"}}},
			"responses":  map[string]any{"default": g.errResp()}}
		for k, v := range ok {
			op["responses"].(map[string]any)[k] = v
		}
		for k, v := range extra {
			op[k] = v
		}
		return op
	}
	offsetHeader := map[string]any{"Upload-Offset": map[string]any{"schema": map[string]any{"type": "integer"}, "description": "bytes the host holds"}}
	return []nativeRoute{
		{method: "POST", path: "/v1/uploads", handle: (*Server).createUpload, status: http.StatusCreated, resp: typ[client.UploadSession](),
			summary: "Start a resumable blob upload (manage scope; OCI/tus-like): answers the session (Location: /v1/uploads/{id}); send the bytes with PATCH, finish with PUT. Sessions expire 24 h after their last change"},
		{method: "HEAD", path: "/v1/uploads/{id}", handle: (*Server).headUpload, op: func(g *schemaGen) map[string]any {
			return id(g, "An upload's offset (manage scope): 204 with Upload-Offset, the bytes the host holds", map[string]any{
				"204": map[string]any{"description": "the session", "headers": offsetHeader}}, nil)
		}},
		{method: "GET", path: "/v1/uploads/{id}", handle: (*Server).getUpload, summary: "An upload session (manage scope): its offset and expiry", resp: typ[client.UploadSession]()},
		{method: "PATCH", path: "/v1/uploads/{id}", handle: (*Server).patchUpload, op: func(g *schemaGen) map[string]any {
			return id(g, "Append bytes to an upload (manage scope): Upload-Offset must be the host's offset (else 409 naming it, with the offset in Upload-Offset); "+
				"Content-Type: application/octet-stream; a body cut short keeps what arrived. The blob is capped by limits.max_blob_bytes",
				map[string]any{"204": map[string]any{"description": "appended", "headers": offsetHeader}},
				map[string]any{"requestBody": map[string]any{"required": true, "content": map[string]any{"application/octet-stream": map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}}}}})
		}},
		{method: "PUT", path: "/v1/uploads/{id}", handle: (*Server).putUpload, status: http.StatusCreated, resp: typ[client.BlobUpload](),
			summary: "Finish an upload (manage scope): the host checks the SHA-256 it computed while receiving against digest (400 naming digest on a mismatch; the session is kept), " +
				"hands the file to the local engine as that blob (like POST /api/blobs/{digest}) and removes the session; then name the digest in files of POST /v1/models/create",
			query: map[string]string{"digest": "sha256:<64 hex> of the whole file (required)", "plugin": "the local plugin to store the blob (default: the first local plugin)"}},
		{method: "DELETE", path: "/v1/uploads/{id}", handle: (*Server).deleteUpload, status: http.StatusNoContent, summary: "Abandon an upload (manage scope): its bytes are removed"},
	}
}
