package api

import (
	"net"
	"net/http"
	"slices"
	"sync"

	"github.com/roundhouse-ai/roundhouse/sdk"
)

// cors allows browser apps from the configured origins only. With no
// origins configured no CORS headers are sent, so browsers block
// cross-origin calls to the loopback API (a web page cannot drive it).
func cors(origins []string, next http.Handler) http.Handler {
	if len(origins) == 0 {
		return next
	}
	any := slices.Contains(origins, "*")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin != "" && (any || slices.Contains(origins, origin)) {
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", origin)
			h.Add("Vary", "Origin")
			h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Accept")
			h.Set("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS")
			if r.Method == http.MethodOptions {
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// streamLimiter caps concurrent streams per client address.
type streamLimiter struct {
	max int
	mu  sync.Mutex
	n   map[string]int
}

func newStreamLimiter(max int) *streamLimiter { return &streamLimiter{max: max, n: map[string]int{}} }

// acquire reserves a stream slot for r's client, or returns a
// CodeRateLimited error.
func (l *streamLimiter) acquire(r *http.Request) (func(), error) {
	if l == nil || l.max <= 0 {
		return func() {}, nil
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.n[host] >= l.max {
		return nil, sdk.Errorf(sdk.CodeRateLimited,
			"too many concurrent streams from %s (limit %d, limits.max_streams_per_client); finish or cancel one", host, l.max)
	}
	l.n[host]++
	return func() {
		l.mu.Lock()
		l.n[host]--
		if l.n[host] == 0 {
			delete(l.n, host)
		}
		l.mu.Unlock()
	}, nil
}
