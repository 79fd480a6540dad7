package api

import (
	"io"
	"math"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/roundhouse-ai/roundhouse/host/config"
	"github.com/roundhouse-ai/roundhouse/sdk"
)

// Defaults for limits a config leaves at zero.
const (
	defaultMaxJSONBody       = 8 << 20
	defaultBodyReadTimeout   = 60 * time.Second
	defaultMaxConcurrent     = 256
	defaultMaxInflightBodies = 256 << 20
)

// admission bounds what the host holds at once, so no client (or many)
// can grow its memory without limit: a cap on concurrent requests, a cap
// on request-body bytes in flight (reserved from Content-Length, or the
// route's limit for a chunked body), a per-route body limit (small for
// JSON, larger for audio and images), and a deadline for the body to
// arrive. Past a cap the request is refused at once with 429 and
// Retry-After, before its body is read.
type admission struct {
	slots       chan struct{}
	bytes       *semaphore.Weighted
	maxBytes    int64
	maxJSON     int64
	maxMedia    int64
	maxBlob     int64 // 0 = no cap
	readTimeout time.Duration
}

// blobReserve is what a blob upload counts against the in-flight bytes:
// its body is streamed to the plugin a chunk at a time, never held whole.
const blobReserve = 1 << 20

func newAdmission(l config.Limits) *admission {
	a := &admission{maxJSON: l.MaxJSONBodyBytes, maxMedia: l.MaxBodyBytes, readTimeout: l.BodyReadTimeout, maxBytes: l.MaxInflightBodyBytes,
		maxBlob: max(l.MaxBlobBytes, 0)}
	if a.maxMedia <= 0 {
		a.maxMedia = 32 << 20
	}
	if a.maxJSON <= 0 {
		a.maxJSON = min(defaultMaxJSONBody, a.maxMedia)
	}
	if a.readTimeout <= 0 {
		a.readTimeout = defaultBodyReadTimeout
	}
	n := l.MaxConcurrentRequests
	if n <= 0 {
		n = defaultMaxConcurrent
	}
	a.slots = make(chan struct{}, n)
	if a.maxBytes <= 0 {
		a.maxBytes = defaultMaxInflightBodies
	}
	a.maxBytes = max(a.maxBytes, a.maxMedia) // one largest body always fits
	a.bytes = semaphore.NewWeighted(a.maxBytes)
	return a
}

// mediaRoute reports whether a route carries audio or images, which get
// the larger body limit.
func mediaRoute(p string) bool {
	switch p {
	case "/v1/services/text-to-image", "/v1/services/image-to-image", "/v1/services/text-to-speech", "/v1/services/speech-to-text":
		return true
	}
	return strings.HasPrefix(p, "/v1/audio/") || strings.HasPrefix(p, "/v1/images/")
}

// multipartRoute reports whether a route takes multipart/form-data (OpenAI's
// audio uploads) instead of JSON.
func multipartRoute(p string) bool {
	return p == "/v1/audio/transcriptions" || p == "/v1/audio/translations" || p == "/v1/images/edits"
}

// blobRoute reports whether a route takes a blob upload: any content
// type, streamed (Ollama's POST /api/blobs/:digest).
func blobRoute(p string) bool { return strings.HasPrefix(p, "/api/blobs/") }

// archiveUpload reports whether r uploads a plugin archive (POST
// /v1/plugins/install with an application/gzip body): streamed like a
// blob, within limits.max_blob_bytes.
func archiveUpload(r *http.Request) bool {
	if r.URL.Path != "/v1/plugins/install" {
		return false // without parsing Content-Type: two allocations per request
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return mt == "application/gzip"
}

// uploadPatch reports whether r appends to a resumable upload (PATCH
// /v1/uploads/{id}): streamed like a blob, within limits.max_blob_bytes.
func uploadPatch(r *http.Request) bool {
	return r.Method == http.MethodPatch && strings.HasPrefix(r.URL.Path, "/v1/uploads/")
}

// streamed reports whether r's body is streamed rather than decoded.
func streamed(r *http.Request) bool {
	return blobRoute(r.URL.Path) || archiveUpload(r) || uploadPatch(r)
}

// limit is the body limit of r's route (math.MaxInt64: none).
func (a *admission) limit(r *http.Request) int64 {
	if streamed(r) {
		if a.maxBlob > 0 {
			return a.maxBlob
		}
		return math.MaxInt64
	}
	if mediaRoute(r.URL.Path) {
		return a.maxMedia
	}
	return a.maxJSON
}

func (a *admission) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if routeScope(r) == scopeNone {
			next.ServeHTTP(w, r) // health checks work even when the host is full
			return
		}
		limit := a.limit(r)
		hasBody := r.ContentLength != 0 && r.Body != nil && r.Body != http.NoBody
		if hasBody {
			if r.ContentLength > limit {
				guardError(w, r, http.StatusRequestEntityTooLarge, sdk.CodeInvalidArgument, "body",
					"request body is "+strconv.FormatInt(r.ContentLength, 10)+" bytes; this route takes at most "+strconv.FormatInt(limit, 10)+
						" (limits.max_json_body_bytes, or limits.max_body_bytes for audio and images, limits.max_blob_bytes for blobs)")
				return
			}
			if msg := contentTypeProblem(r); msg != "" {
				guardError(w, r, http.StatusUnsupportedMediaType, sdk.CodeInvalidArgument, "Content-Type", msg)
				return
			}
		}
		select {
		case a.slots <- struct{}{}:
		default:
			busy(w, r, "too many requests in flight (limits.max_concurrent_requests); retry shortly")
			return
		}
		defer func() { <-a.slots }()
		blob := streamed(r)
		if hasBody {
			reserve := r.ContentLength
			if reserve < 0 {
				reserve = limit // chunked: reserve what it may grow to
			}
			if blob { // streamed: one chunk at a time
				reserve = min(blobReserve, a.maxBytes)
				if r.ContentLength >= 0 {
					reserve = min(reserve, r.ContentLength)
				}
			}
			if !a.bytes.TryAcquire(reserve) {
				busy(w, r, "too many request bytes in flight (limits.max_inflight_body_bytes); retry shortly")
				return
			}
			defer a.bytes.Release(reserve)
			rc := http.NewResponseController(w)
			// A deadline on the connection bounds a client that trickles
			// its body; it is lifted when the body ends, because a read
			// deadline left on the connection would cancel a long stream.
			_ = rc.SetReadDeadline(time.Now().Add(a.readTimeout))
			body := r.Body
			if limit < math.MaxInt64 {
				body = http.MaxBytesReader(w, body, limit)
			}
			db := &deadlineBody{ReadCloser: body, rc: rc}
			if blob {
				// A blob of gigabytes takes longer than the body timeout:
				// the deadline bounds a pause, renewed as bytes arrive.
				db.renew = a.readTimeout
			}
			r.Body = db
		}
		next.ServeHTTP(w, r)
	})
}

func busy(w http.ResponseWriter, r *http.Request, msg string) {
	w.Header().Set("Retry-After", "1")
	guardError(w, r, http.StatusTooManyRequests, sdk.CodeRateLimited, "", msg)
}

// contentTypeProblem says what is wrong with a body's Content-Type, or "".
// JSON routes require application/json: browsers may send text/plain,
// form and multipart bodies cross-site without asking (a "simple"
// request), but application/json forces a CORS preflight that a page from
// an origin not allowed cannot pass.
func contentTypeProblem(r *http.Request) string {
	if uploadPatch(r) {
		// Raw bytes, but typed: application/octet-stream is not a type a
		// page may send cross-site without a preflight (tus's
		// application/offset+octet-stream is taken too).
		mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if mt == "application/octet-stream" || mt == "application/offset+octet-stream" {
			return ""
		}
		return "send the bytes with Content-Type: application/octet-stream, not " + quoteType(r.Header.Get("Content-Type"))
	}
	if streamed(r) {
		return "" // raw bytes; the routes are admin- or manage-scoped (routeScope)
	}
	ct := r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if multipartRoute(r.URL.Path) {
		if err == nil && mt == "multipart/form-data" {
			return ""
		}
		return "this route takes multipart/form-data, not " + quoteType(ct)
	}
	if err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json")) {
		return ""
	}
	return "send the JSON body with Content-Type: application/json, not " + quoteType(ct) +
		" (curl: -H 'Content-Type: application/json')"
}

func quoteType(ct string) string {
	if ct == "" {
		return "no Content-Type"
	}
	return strconv.Quote(ct)
}

// deadlineBody lifts the connection's read deadline once the body has
// been read to its end. After a failed read the deadline stays: the
// server then drains what is left of the body before answering, and
// that drain must not wait on a client that stopped sending.
type deadlineBody struct {
	io.ReadCloser
	rc   *http.ResponseController
	done bool
	// renew, when set, moves the deadline this far ahead as bytes arrive
	// (at most once a second), so it bounds a pause, not the whole body.
	renew   time.Duration
	renewed time.Time
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if b.renew > 0 && n > 0 && err == nil && !b.done {
		if now := time.Now(); now.Sub(b.renewed) >= time.Second {
			b.renewed = now
			_ = b.rc.SetReadDeadline(now.Add(b.renew))
		}
	}
	if err == io.EOF && !b.done {
		b.done = true
		_ = b.rc.SetReadDeadline(time.Time{})
	}
	return n, err
}
