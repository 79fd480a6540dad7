package httpx

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
)

// Format is a streaming wire format.
type Format int

// Streaming formats.
const (
	SSE Format = iota
	NDJSON
)

// StreamFormat picks NDJSON when the client's Accept asks for it, SSE
// otherwise.
func StreamFormat(r *http.Request) Format {
	a := r.Header.Get("Accept")
	if strings.Contains(a, "application/x-ndjson") || strings.Contains(a, "application/ndjson") {
		return NDJSON
	}
	return SSE
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// Stream writes events and flushes each one at once: no buffering between
// the plugin and the client.
type Stream struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	format  Format
	started bool
}

// NewStream prepares a streaming response; headers go out with the first
// event, so an error before it can still be a plain JSON error.
func NewStream(w http.ResponseWriter, format Format) *Stream {
	return &Stream{w: w, rc: http.NewResponseController(w), format: format}
}

// Started reports whether any event went out.
func (s *Stream) Started() bool { return s.started }

func (s *Stream) start() {
	if s.started {
		return
	}
	s.started = true
	h := s.w.Header()
	if s.format == NDJSON {
		h.Set("Content-Type", "application/x-ndjson")
	} else {
		h.Set("Content-Type", "text/event-stream")
		h.Set("Cache-Control", "no-cache")
	}
	h.Set("X-Accel-Buffering", "no")
	s.w.WriteHeader(http.StatusOK)
}

// Send writes v as one event (SSE "data:" line or one NDJSON line).
func (s *Stream) Send(v any) error { return s.SendEvent("", v) }

// SendEvent writes v with an SSE event name (ignored for NDJSON).
func (s *Stream) SendEvent(event string, v any) error {
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufPool.Put(buf)
	if s.format == SSE {
		if event != "" {
			buf.WriteString("event: ")
			buf.WriteString(event)
			buf.WriteByte('\n')
		}
		buf.WriteString("data: ")
	}
	if err := json.NewEncoder(buf).Encode(v); err != nil { // Encode adds '\n'
		return err
	}
	if s.format == SSE {
		buf.WriteByte('\n')
	}
	return s.writeRaw(buf.Bytes())
}

// SendRaw writes pre-framed bytes (e.g. "data: [DONE]\n\n").
func (s *Stream) SendRaw(b []byte) error { return s.writeRaw(b) }

func (s *Stream) writeRaw(b []byte) error {
	s.start()
	if _, err := s.w.Write(b); err != nil {
		return err
	}
	return s.rc.Flush()
}
