package httpx

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
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

// Stream writes events and flushes each one at once: no buffering between
// the plugin and the client. A caller that knows more events are already
// on their way (several events from one chunk, or chunks queued behind
// this one — see internal/streamhint) may Queue them and Flush once: one write and one
// flush syscall instead of one per event.
type Stream struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	format  Format
	started bool
	// buf holds queued events; enc encodes into it (one encoder per
	// stream, not per event).
	buf bytes.Buffer
	enc *json.Encoder
}

// NewStream prepares a streaming response; headers go out with the first
// event, so an error before it can still be a plain JSON error.
func NewStream(w http.ResponseWriter, format Format) *Stream {
	s := &Stream{w: w, rc: http.NewResponseController(w), format: format}
	s.enc = json.NewEncoder(&s.buf)
	return s
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

// Send writes v as one event (SSE "data:" line or one NDJSON line) and
// flushes it with anything queued before it.
func (s *Stream) Send(v any) error { return s.SendEvent("", v) }

// SendEvent writes v with an SSE event name (ignored for NDJSON) and
// flushes.
func (s *Stream) SendEvent(event string, v any) error {
	if err := s.QueueEvent(event, v); err != nil {
		return err
	}
	return s.Flush()
}

// Queue adds v as one event without sending it: the next Flush, Send or
// SendRaw sends it. Headers are not sent yet either, so an error before
// the first Flush can still be a plain JSON error.
func (s *Stream) Queue(v any) error { return s.QueueEvent("", v) }

// QueueEvent is Queue with an SSE event name (ignored for NDJSON).
func (s *Stream) QueueEvent(event string, v any) error {
	n := s.buf.Len()
	if s.format == SSE {
		if event != "" {
			s.buf.WriteString("event: ")
			s.buf.WriteString(event)
			s.buf.WriteByte('\n')
		}
		s.buf.WriteString("data: ")
	}
	if err := s.enc.Encode(v); err != nil { // Encode adds '\n'
		s.buf.Truncate(n) // drop the half-written event
		return err
	}
	if s.format == SSE {
		s.buf.WriteByte('\n')
	}
	return nil
}

// QueueRaw adds pre-framed bytes without sending them.
func (s *Stream) QueueRaw(b []byte) { s.buf.Write(b) }

// SendRaw writes pre-framed bytes (e.g. "data: [DONE]\n\n") after anything
// queued, and flushes.
func (s *Stream) SendRaw(b []byte) error {
	s.buf.Write(b)
	return s.Flush()
}

// Flush sends the queued events, if any, in one write and flushes them to
// the client.
func (s *Stream) Flush() error {
	if s.buf.Len() == 0 {
		return nil
	}
	s.start()
	_, err := s.w.Write(s.buf.Bytes())
	s.buf.Reset()
	if err != nil {
		return err
	}
	return s.rc.Flush()
}

// Queued reports whether events wait for a Flush.
func (s *Stream) Queued() bool { return s.buf.Len() > 0 }
