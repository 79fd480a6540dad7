package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/creack/pty"

	"github.com/roundhouse-ai/roundhouse/client"
	"github.com/roundhouse-ai/roundhouse/types"
)

// screen is a minimal terminal: it applies what a program writes (text,
// \r, \n, \b, and the CSI sequences mpb and colour use) to a grid of
// lines, so a test can read what a user would see, stale characters
// included.
type screen struct {
	lines    [][]rune
	row, col int
	pending  []byte
}

func (s *screen) Write(b []byte) (int, error) {
	data := append(s.pending, b...)
	s.pending = nil
	for i := 0; i < len(data); {
		c := data[i]
		switch {
		case c == 0x1b:
			n, ok := s.csi(data[i:])
			if !ok {
				s.pending = append([]byte(nil), data[i:]...)
				return len(b), nil
			}
			i += n
			continue
		case c == '\r':
			s.col = 0
		case c == '\n':
			s.row++
		case c == '\b':
			if s.col > 0 {
				s.col--
			}
		case c < 0x20:
		default:
			r, n := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && !utf8.FullRune(data[i:]) {
				s.pending = append([]byte(nil), data[i:]...)
				return len(b), nil
			}
			s.put(r)
			i += n
			continue
		}
		i++
	}
	return len(b), nil
}

func (s *screen) line() []rune {
	for len(s.lines) <= s.row {
		s.lines = append(s.lines, nil)
	}
	return s.lines[s.row]
}

func (s *screen) put(r rune) {
	l := s.line()
	for len(l) <= s.col {
		l = append(l, ' ')
	}
	l[s.col] = r
	s.lines[s.row] = l
	s.col++
}

// csi applies one escape sequence at the start of b and says how long it
// was; ok is false when b ends inside it.
func (s *screen) csi(b []byte) (int, bool) {
	if len(b) < 2 {
		return 0, false
	}
	if b[1] != '[' {
		return 2, true
	}
	for i := 2; i < len(b); i++ {
		if b[i] < 0x40 || b[i] > 0x7e {
			continue
		}
		params := strings.TrimPrefix(string(b[2:i]), "?")
		n, _ := strconv.Atoi(strings.Split(params, ";")[0])
		switch b[i] {
		case 'A':
			s.row = max(0, s.row-max(n, 1))
		case 'B':
			s.row += max(n, 1)
		case 'C':
			s.col += max(n, 1)
		case 'G':
			s.col = max(n, 1) - 1
		case 'K': // erase to the end of the line
			l := s.line()
			if s.col < len(l) {
				s.lines[s.row] = l[:s.col]
			}
		case 'J': // erase to the end of the screen
			l := s.line()
			if s.col < len(l) {
				s.lines[s.row] = l[:s.col]
			}
			s.lines = s.lines[:s.row+1]
		}
		return i + 1, true
	}
	return 0, false
}

func (s *screen) text() []string {
	var out []string
	for _, l := range s.lines {
		out = append(out, strings.TrimRight(string(l), " "))
	}
	return out
}

// barLine is one whole bar as drawn: in progress (rate and ETA, a Go
// duration) or finished.
var barLine = regexp.MustCompile(`^pulling [0-9a-f]{8}\s+\d+ %\s+\[[=>-]*\]\s+\S+ \S?B/\S+ \S?B ` +
	`(\S+ \S?B/s ETA (--|(\d+h)?(\d+m)?\d+s)|done in (\d+h)?(\d+m)?\d+(\.\d+)?m?s)$`)

// The emulator shows the bug the bars fix: a shorter line drawn over a
// longer one with only \r leaves the tail behind.
func TestScreenShowsStaleCharacters(t *testing.T) {
	var s screen
	fmt.Fprint(&s, "\rx 1.5 MB/s ETA 10s\rx 12 kB/s ETA 0s")
	if got := s.text()[0]; got != "x 12 kB/s ETA 0s0s" {
		t.Fatalf("%q", got)
	}
	for _, l := range []string{
		"pulling 1111aaaa  50 % [=====>-----] 1.5 GB/3.0 GB 12.0 kB/s ETA 0s0s",
		"pulling 1111aaaa  50 % [=====>-----] 1.5 GB/3.0 GB 12.0 kB/s ETA 0ss/s ETA 0s",
		"pulling 1111aaaa 100 % [===========] 3.0 GB/3.0 GB done in 1sB/s ETA 0s",
	} {
		if barLine.MatchString(l) {
			t.Errorf("stale line %q passes as a bar", l)
		}
	}
	for _, l := range []string{
		"pulling 1111aaaa  50 % [=====>-----] 1.5 GB/3.0 GB 12.0 kB/s ETA 1m2s",
		"pulling 1111aaaa 100 % [===========] 3.0 GB/3.0 GB done in 1s",
	} {
		if !barLine.MatchString(l) {
			t.Errorf("bar %q refused", l)
		}
	}
	s = screen{}
	fmt.Fprint(&s, "a\r\nlong line\r\n\x1b[2A\x1b[Jb\r\nshort\r\n")
	if got := strings.Join(s.text(), "|"); got != "b|short" {
		t.Fatalf("%q", got)
	}
}

// ptyRun runs the CLI (this test binary as roundhouse) in a terminal.
type ptyRun struct {
	t    *testing.T
	cmd  *exec.Cmd
	tty  *os.File
	mu   sync.Mutex
	out  bytes.Buffer
	done chan error
}

func startPTY(t *testing.T, args ...string) *ptyRun {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), envAsHost+"=1", "TERM=xterm")
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 150})
	if err != nil {
		t.Skipf("no pty here: %v", err)
	}
	p := &ptyRun{t: t, cmd: cmd, tty: tty, done: make(chan error, 1)}
	copied := make(chan struct{})
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := tty.Read(buf)
			p.mu.Lock()
			p.out.Write(buf[:n])
			p.mu.Unlock()
			if err != nil {
				close(copied)
				return
			}
		}
	}()
	go func() {
		err := cmd.Wait()
		// The reader gets EIO once the child and its output are gone.
		select {
		case <-copied:
		case <-time.After(5 * time.Second):
		}
		p.done <- err
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		tty.Close()
	})
	return p
}

func (p *ptyRun) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// waitFor waits until the output has n occurrences of s; the deadline
// only keeps a broken run from hanging the test.
func (p *ptyRun) waitFor(s string, n int) {
	p.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for strings.Count(p.output(), s) < n {
		if time.Now().After(deadline) {
			p.t.Fatalf("no %q (x%d) in the terminal:\n%s", s, n, p.output())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (p *ptyRun) send(s string) {
	p.t.Helper()
	if _, err := p.tty.Write([]byte(s)); err != nil {
		p.t.Fatal(err)
	}
}

func (p *ptyRun) wait() error {
	select {
	case err := <-p.done:
		return err
	case <-time.After(30 * time.Second):
		p.t.Fatalf("the CLI did not exit:\n%s", p.output())
		return nil
	}
}

// ndjson streams events, flushing each.
func ndjson(w http.ResponseWriter) func(any) {
	w.Header().Set("Content-Type", "application/x-ndjson")
	fl := w.(http.Flusher)
	enc := json.NewEncoder(w)
	return func(v any) {
		_ = enc.Encode(v)
		fl.Flush()
	}
}

// `models pull` on a terminal: one bar per layer, redrawn in place with
// rate and ETA; the screen at the end has each layer's bar once, whole,
// with no characters left over from longer lines drawn before.
func TestPTYModelsPull(t *testing.T) {
	layers := []struct {
		digest string
		total  int64
	}{{"sha256:1111aaaa", 3_000_000_000}, {"sha256:2222bbbb", 40_000_000}, {"sha256:3333cccc", 1_200}}
	// proceed paces the stream by the CLI's redraws: the next step is
	// sent once the terminal shows something new, so every step is drawn.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/models/pull" {
			http.NotFound(w, r)
			return
		}
		send := ndjson(w)
		send(client.ProgressEvent{ID: "p1", Status: "started", Model: "tiny"})
		send(client.ProgressEvent{Status: "pulling manifest"})
		const steps = 20
		for i := int64(0); i <= steps; i++ {
			for _, l := range layers {
				// The rate falls and the ETA shrinks: lines get shorter.
				send(client.ProgressEvent{Status: "pulling " + strings.TrimPrefix(l.digest, "sha256:"), Digest: l.digest,
					Total: l.total, Completed: l.total * i / steps})
			}
			time.Sleep(25 * time.Millisecond) // let the bars redraw between steps
		}
		send(client.ProgressEvent{Status: "verifying sha256 digest"})
		send(client.ProgressEvent{Status: "writing manifest"})
		send(client.ProgressEvent{Status: "success"})
	}))
	defer srv.Close()
	p := startPTY(t, "--host", srv.URL, "models", "pull", "tiny")
	if err := p.wait(); err != nil {
		t.Fatalf("exit: %v\n%s", err, p.output())
	}
	raw := p.output()
	// Every bar line, each time one is drawn, is one whole bar: in
	// progress (rate and ETA) or finished.
	var s screen
	draws := 0
	for i := range len(raw) {
		_, _ = s.Write([]byte{raw[i]})
		if raw[i] != '\n' || s.row == 0 {
			continue
		}
		l := strings.TrimRight(string(s.lines[s.row-1]), " ")
		if strings.HasPrefix(l, "pulling ") && strings.Contains(l, "[") {
			draws++
			if !barLine.MatchString(l) {
				t.Errorf("drawn bar line %q is not a whole bar (stale characters?)", l)
			}
		}
	}
	t.Logf("%d bar lines drawn", draws)
	if draws < 9 {
		t.Errorf("%d bar lines drawn, want redraws of the 3 bars", draws)
	}
	lines := s.text()
	if strings.Count(raw, "\x1b[J") < 3 {
		t.Errorf("the bars were drawn %d times; want redraws:\n%q", strings.Count(raw, "\x1b[J"), raw)
	}
	bar := regexp.MustCompile(`^pulling ([0-9a-f]{8})\s+100 %\s+\[=+\]\s+(\S+ \S?B)/(\S+ \S?B) done in \S+$`)
	seen := map[string]int{}
	for _, l := range lines {
		if !strings.HasPrefix(l, "pulling ") || !strings.Contains(l, "[") {
			continue
		}
		m := bar.FindStringSubmatch(l)
		if m == nil {
			t.Errorf("bar line %q is not one whole, finished bar (stale characters?)", l)
			continue
		}
		if m[2] != m[3] {
			t.Errorf("finished bar shows %s of %s", m[2], m[3])
		}
		seen[m[1]]++
	}
	for _, l := range layers {
		if d := strings.TrimPrefix(l.digest, "sha256:"); seen[d] != 1 {
			t.Errorf("layer %s has %d bars on the screen, want 1", d, seen[d])
		}
	}
	for _, want := range []string{"pulling tiny (pull id p1)", "pulling manifest", "verifying sha256 digest", "writing manifest", "success"} {
		n := 0
		for _, l := range lines {
			if l == want {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%q appears %d times on the screen, want once", want, n)
		}
	}
	for _, l := range lines {
		if strings.Count(l, "ETA") > 1 || strings.Contains(l, "ss/s") || strings.Contains(l, "s/s ETA") && strings.Contains(l, "done") {
			t.Errorf("stale characters: %q", l)
		}
	}
	if t.Failed() {
		t.Logf("screen:\n%s", strings.Join(lines, "\n"))
	}
}

// `chat` on a terminal: answers stream; a message of several lines
// between """; Ctrl-C stops the answer being written and the session goes
// on (the stopped question is not sent again), Ctrl-C at the prompt says
// how to leave; /bye leaves with exit 0.
func TestPTYChat(t *testing.T) {
	stopped := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/services/chat" {
			http.NotFound(w, r)
			return
		}
		var req types.ChatRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		send := ndjson(w)
		last := req.Messages[len(req.Messages)-1].Content
		if last == "slow" {
			// An answer that goes on until the client stops it.
			for i := 0; ; i++ {
				send(types.ChatChunk{Content: fmt.Sprintf("tick%d ", i)})
				select {
				case <-r.Context().Done():
					stopped <- struct{}{}
					return
				case <-time.After(20 * time.Millisecond):
				}
			}
		}
		// The answer tells how many messages the model was sent.
		for _, part := range []string{fmt.Sprintf("echo(%d): ", len(req.Messages)), strings.ReplaceAll(last, "\n", " / ")} {
			send(types.ChatChunk{Content: part})
		}
		send(types.ChatChunk{Done: true, FinishReason: "stop"})
	}))
	defer srv.Close()
	p := startPTY(t, "--host", srv.URL, "chat", "m")
	p.waitFor(">>> ", 1)
	p.send("hello\r")
	p.waitFor("echo(1): hello", 1)
	p.waitFor(">>> ", 2)
	p.send("\"\"\"\rline one\rline two\r\"\"\"\r")
	p.waitFor("echo(3): line one / line two", 1)
	p.waitFor(">>> ", 3)
	p.send("slow\r")
	p.waitFor("tick3", 1)
	p.send("\x03") // Ctrl-C: the terminal sends SIGINT
	select {
	case <-stopped:
	case <-time.After(30 * time.Second):
		t.Fatalf("Ctrl-C did not stop the answer:\n%s", p.output())
	}
	p.waitFor("(stopped)", 1)
	p.waitFor(">>> ", 4)
	// Still running, and the stopped question is left out: 5 messages.
	p.send("after\r")
	p.waitFor("echo(5): after", 1)
	p.waitFor(">>> ", 5)
	// Ctrl-C at the prompt does not leave either: it says how to.
	p.send("\x03")
	p.waitFor("(use /bye or Ctrl-D to leave)", 1)
	p.waitFor(">>> ", 6)
	p.send("/bye\r")
	if err := p.wait(); err != nil {
		t.Fatalf("exit after /bye: %v\n%s", err, p.output())
	}
}
