package openaiwire

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// MaxEventSize bounds one SSE line and one event's data, so a broken or
// hostile upstream cannot make the plugin buffer without end. Real chunks
// are tiny; a long base64 payload fits easily.
const MaxEventSize = 32 << 20

// SSEEvent is one server-sent event.
type SSEEvent struct {
	Event string // the "event:" field; "" means "message"
	Data  []byte // the "data:" lines joined with "\n"
	ID    string
}

// SSEReader parses a text/event-stream per the WHATWG HTML "server-sent
// events" rules, robustly:
//
//   - lines end in LF, CRLF or a lone CR, split across reads anywhere;
//   - a UTF-8 BOM at the start is dropped; comment lines (":...") ignored;
//   - several data lines join with "\n"; one space after the colon is
//     dropped; lines without a colon are a field with an empty value;
//   - an event is dispatched at a blank line; one still pending at a clean
//     end of the stream is dispatched too (the standard drops it, but
//     servers that close without the final blank line are common), one
//     pending at a read error is not: the error is returned;
//   - a line or event larger than max is an error, not a memory blow-up.
type SSEReader struct {
	r       io.Reader
	max     int
	buf     []byte
	start   int
	end     int
	err     error // sticky read error, returned once buffered data is used
	skipLF  bool  // the previous line ended in CR: drop an LF right after
	started bool
	line    []byte
}

// NewSSEReader reads events from r; max bounds a line and an event.
func NewSSEReader(r io.Reader, max int) *SSEReader {
	return &SSEReader{r: r, max: max, buf: make([]byte, 4096)}
}

// ErrSSETooLarge is the error for a line or an event over the bound.
var ErrSSETooLarge = errors.New("server-sent event too large")

// readLine returns the next line without its terminator. At the end of
// the stream it returns a final unterminated line (if any) and then the
// read error (io.EOF at a clean end).
func (s *SSEReader) readLine() ([]byte, error) {
	scanFrom := s.start
	for {
		if s.skipLF && s.start < s.end {
			if s.buf[s.start] == '\n' {
				s.start++
			}
			s.skipLF = false
			scanFrom = s.start
		}
		if i := lineEnd(s.buf[scanFrom:s.end]); i >= 0 {
			i += scanFrom
			line := s.buf[s.start:i]
			if s.buf[i] == '\r' {
				s.skipLF = true
			}
			s.start = i + 1
			return line, nil
		}
		scanFrom = s.end
		if s.err != nil {
			if s.start < s.end {
				line := s.buf[s.start:s.end]
				s.start = s.end
				return line, nil
			}
			return nil, s.err
		}
		if s.end-s.start > s.max {
			return nil, fmt.Errorf("%w: a line is longer than %d bytes", ErrSSETooLarge, s.max)
		}
		// Make room: move the partial line to the front, grow if full.
		if s.start > 0 {
			n := copy(s.buf, s.buf[s.start:s.end])
			scanFrom -= s.start
			s.start, s.end = 0, n
		}
		if s.end == len(s.buf) {
			nb := make([]byte, len(s.buf)*2)
			copy(nb, s.buf[:s.end])
			s.buf = nb
		}
		n, err := s.r.Read(s.buf[s.end:])
		s.end += n
		if err != nil {
			s.err = err
		}
	}
}

// lineEnd is the index of the first CR or LF in b, or -1. Two IndexByte
// scans (assembly) beat bytes.IndexAny, which checks byte by byte; the CR
// scan only covers the bytes before the first LF.
func lineEnd(b []byte) int {
	lf := bytes.IndexByte(b, '\n')
	if lf < 0 {
		return bytes.IndexByte(b, '\r')
	}
	if cr := bytes.IndexByte(b[:lf], '\r'); cr >= 0 {
		return cr
	}
	return lf
}

// Next returns the next event, or io.EOF (or the read error) at the end.
func (s *SSEReader) Next() (*SSEEvent, error) {
	var (
		ev      SSEEvent
		data    []byte
		hasData bool
	)
	for {
		line, err := s.readLine()
		if err != nil {
			// At a clean end a pending event is dispatched (see above); a
			// read error means the event was cut short, and half an event
			// must not pass for a whole one.
			if hasData && errors.Is(err, io.EOF) {
				ev.Data = data
				return &ev, nil
			}
			return nil, err
		}
		if !s.started {
			s.started = true
			line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf"))
		}
		if len(line) == 0 {
			if hasData {
				ev.Data = data
				return &ev, nil
			}
			ev = SSEEvent{}
			continue
		}
		if line[0] == ':' {
			continue
		}
		field, value := line, []byte(nil)
		if i := bytes.IndexByte(line, ':'); i >= 0 {
			field, value = line[:i], line[i+1:]
			if len(value) > 0 && value[0] == ' ' {
				value = value[1:]
			}
		}
		switch string(field) {
		case "data":
			if len(data)+len(value)+1 > s.max {
				return nil, fmt.Errorf("%w: an event holds more than %d bytes", ErrSSETooLarge, s.max)
			}
			if hasData {
				data = append(data, '\n')
			}
			data = append(data, value...)
			hasData = true
		case "event":
			ev.Event = string(value)
		case "id":
			if bytes.IndexByte(value, 0) < 0 {
				ev.ID = string(value)
			}
		}
		// "retry" and unknown fields are ignored.
	}
}
