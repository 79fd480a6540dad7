package openaiwire

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// readAll drains r into events.
func readAllEvents(t *testing.T, r io.Reader, max int) ([]SSEEvent, error) {
	t.Helper()
	rd := NewSSEReader(r, max)
	var out []SSEEvent
	for {
		ev, err := rd.Next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return out, err
		}
		out = append(out, *ev)
	}
}

func datas(evs []SSEEvent) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = string(e.Data)
	}
	return out
}

func TestSSEBasicAndLineEndings(t *testing.T) {
	cases := map[string]string{
		"lf":    "data: a\n\ndata: b\n\n",
		"crlf":  "data: a\r\n\r\ndata: b\r\n\r\n",
		"cr":    "data: a\r\rdata: b\r\r",
		"mixed": "data: a\r\n\ndata: b\r\r\n",
		"bom":   "\xef\xbb\xbfdata: a\n\ndata: b\n\n",
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			evs, err := readAllEvents(t, strings.NewReader(in), 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			if got := datas(evs); strings.Join(got, "|") != "a|b" {
				t.Fatalf("events %q, want a|b", got)
			}
		})
	}
}

func TestSSEFieldsCommentsMultiline(t *testing.T) {
	in := ": this is a comment\n" +
		":another\n" +
		"event: error\nid: 7\nretry: 1000\ndata: {\"a\":\ndata:1}\n\n" + // two data lines, no space after colon
		"data\n\n" + // field without colon: empty data
		"unknown: x\n\n" + // no data: not dispatched
		"data:  two spaces\n\n"
	evs, err := readAllEvents(t, strings.NewReader(in), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 3 {
		t.Fatalf("got %d events %q", len(evs), datas(evs))
	}
	if evs[0].Event != "error" || evs[0].ID != "7" || string(evs[0].Data) != "{\"a\":\n1}" {
		t.Fatalf("first event %+v", evs[0])
	}
	if string(evs[1].Data) != "" || evs[1].Event != "" {
		t.Fatalf("second event %+v (event type must reset after dispatch)", evs[1])
	}
	if string(evs[2].Data) != " two spaces" {
		t.Fatalf("only one space is dropped: %q", evs[2].Data)
	}
}

// Every byte arriving in its own read must parse the same.
func TestSSESplitAcrossReads(t *testing.T) {
	in := "data: {\"x\": 1}\r\n\r\n: ping\r\ndata: second\r\n\r\ndata: [DONE]\r\n\r\n"
	for _, r := range []io.Reader{
		iotest.OneByteReader(strings.NewReader(in)),
		iotest.HalfReader(strings.NewReader(in)),
		iotest.DataErrReader(strings.NewReader(in)),
	} {
		evs, err := readAllEvents(t, r, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(datas(evs), "|"); got != `{"x": 1}|second|[DONE]` {
			t.Fatalf("got %q", got)
		}
	}
}

// A CR at the very end of one read and its LF at the start of the next
// must not make an extra blank line (which would split events).
func TestSSECRLFSplitExactlyBetweenReads(t *testing.T) {
	r := io.MultiReader(strings.NewReader("data: a\r"), strings.NewReader("\ndata: b\r"), strings.NewReader("\n\r\n"))
	evs, err := readAllEvents(t, r, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if got := datas(evs); len(got) != 1 || got[0] != "a\nb" {
		t.Fatalf("got %q, want one event a\\nb", got)
	}
}

func TestSSEHugeLine(t *testing.T) {
	big := strings.Repeat("x", 1<<20) // 1 MiB of data in one line
	in := "data: " + big + "\n\ndata: after\n\n"
	evs, err := readAllEvents(t, iotest.HalfReader(strings.NewReader(in)), 4<<20)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 || len(evs[0].Data) != 1<<20 || string(evs[1].Data) != "after" {
		t.Fatalf("got %d events, first %d bytes", len(evs), len(evs[0].Data))
	}
}

func TestSSETooLarge(t *testing.T) {
	in := "data: " + strings.Repeat("x", 5000) + "\n\n"
	_, err := readAllEvents(t, strings.NewReader(in), 1000)
	if !errors.Is(err, ErrSSETooLarge) {
		t.Fatalf("err = %v, want ErrSSETooLarge", err)
	}
	// Many small data lines adding up past the limit.
	in = strings.Repeat("data: "+strings.Repeat("y", 100)+"\n", 20) + "\n"
	_, err = readAllEvents(t, strings.NewReader(in), 1000)
	if !errors.Is(err, ErrSSETooLarge) {
		t.Fatalf("err = %v, want ErrSSETooLarge", err)
	}
}

func TestSSEGarbageAndMissingTerminator(t *testing.T) {
	// Binary junk, a line that is only a colon, then an event the server
	// never terminates with a blank line before closing.
	in := "\x00\x01\xff garbage\n:\n\ndata: last"
	evs, err := readAllEvents(t, strings.NewReader(in), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if got := datas(evs); len(got) != 1 || got[0] != "last" {
		t.Fatalf("got %q", got)
	}
}

func TestSSEReadErrorAfterData(t *testing.T) {
	boom := errors.New("connection reset")
	r := io.MultiReader(strings.NewReader("data: a\n\ndata: {\"partial\": true}"), iotest.ErrReader(boom))
	rd := NewSSEReader(r, 1<<20)
	ev, err := rd.Next()
	if err != nil || string(ev.Data) != "a" {
		t.Fatalf("first: %v %v", ev, err)
	}
	// The event cut short by the error is not dispatched: the error is.
	if ev, err = rd.Next(); !errors.Is(err, boom) {
		t.Fatalf("second: event %q, err %v; want %v", ev.Data, err, boom)
	}
}

func FuzzSSE(f *testing.F) {
	f.Add([]byte("data: a\r\n\r\n"))
	f.Add([]byte("\r\r\n\n:x\ndata\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		rd := NewSSEReader(bytes.NewReader(b), 1<<16)
		for i := 0; i < 10000; i++ {
			if _, err := rd.Next(); err != nil {
				return
			}
		}
		t.Fatal("no end after 10000 events")
	})
}
