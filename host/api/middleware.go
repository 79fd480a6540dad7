package api

import (
	"context"
	"net/http"
	"strconv"
	"sync"

	"github.com/roundhouse-ai/roundhouse/host/backend"
	"github.com/roundhouse-ai/roundhouse/sdk"
)

// cors lets pages of the allowed origins read the API's answers and pass
// its preflights. Pages of other origins never get here (crossSiteGuard
// refuses them); with no origins allowed no CORS headers are sent at all.
func cors(op originPolicy, next http.Handler) http.Handler {
	if len(op.patterns) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin != "" && op.allows(origin) {
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", origin)
			h.Add("Vary", "Origin")
			h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Accept, X-Api-Key, X-Roundhouse-Policy, X-Roundhouse-Plugin, "+
				"X-Roundhouse-Provider, X-Roundhouse-App, X-Request-Id, Idempotency-Key")
			// Pages may read who answered.
			h.Set("Access-Control-Expose-Headers", "X-Roundhouse-Plugin, X-Roundhouse-Provider, X-Roundhouse-Model, X-Roundhouse-Cache, X-Request-Id")
			h.Set("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS")
			if r.Method == http.MethodOptions {
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// streamLimiter caps concurrent streams per caller (API key, or client
// address without keys).
type streamLimiter struct {
	max int
	mu  sync.Mutex
	n   map[string]int
}

// acquire reserves a stream slot for ctx's caller, or returns a
// CodeRateLimited error.
func (l *streamLimiter) acquire(ctx context.Context) (func(), error) {
	id := backend.CallerFrom(ctx).ID()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.n[id] >= l.max {
		return nil, &sdk.Error{Code: sdk.CodeRateLimited, Retryable: true,
			Message: "too many concurrent streams from this client (limit " + strconv.Itoa(l.max) + ", limits.max_streams_per_client); finish or cancel one"}
	}
	l.n[id]++
	return func() {
		l.mu.Lock()
		l.n[id]--
		if l.n[id] == 0 {
			delete(l.n, id)
		}
		l.mu.Unlock()
	}, nil
}

// streamLimited applies the per-client stream limit to every streaming
// call of a Backend, so the native routes and every compatible surface
// (which all stream through the Backend) share one limit.
type streamLimited struct {
	backend.Backend
	l *streamLimiter
}

// limitStreams wraps b with a per-client stream limit (max <= 0: none).
func limitStreams(b backend.Backend, max int) backend.Backend {
	if max <= 0 {
		return b
	}
	return &streamLimited{Backend: b, l: &streamLimiter{max: max, n: map[string]int{}}}
}

func (s *streamLimited) ChatStream(ctx context.Context, rt backend.Route, req *sdk.ChatRequest, send func(*sdk.ChatChunk) error) error {
	release, err := s.l.acquire(ctx)
	if err != nil {
		return err
	}
	defer release()
	return s.Backend.ChatStream(ctx, rt, req, send)
}

func (s *streamLimited) GenerateStream(ctx context.Context, rt backend.Route, req *sdk.GenerateRequest, send func(*sdk.GenerateChunk) error) error {
	release, err := s.l.acquire(ctx)
	if err != nil {
		return err
	}
	defer release()
	return s.Backend.GenerateStream(ctx, rt, req, send)
}

func (s *streamLimited) SpeechToTextLive(ctx context.Context, rt backend.Route, cfg *sdk.SpeechToTextRequest,
	recv func() (*sdk.LiveSpeechInput, error), send func(*sdk.LiveSpeechOutput) error) error {
	release, err := s.l.acquire(ctx)
	if err != nil {
		return err
	}
	defer release()
	return s.Backend.SpeechToTextLive(ctx, rt, cfg, recv, send)
}
