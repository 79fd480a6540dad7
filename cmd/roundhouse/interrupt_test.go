package main

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/roundhouse-ai/roundhouse/client"
)

// Ctrl-C on a long-running verb (a pull that never ends, followed or
// started) stops it with exit code 130, as shells, docker and kubectl
// do, says "interrupted", and the stream to the host is closed.
func TestPTYInterruptExits130(t *testing.T) {
	for _, args := range [][]string{{"pulls", "watch", "p1"}, {"models", "pull", "tiny"}} {
		t.Run(strings.Join(args, "_"), func(t *testing.T) {
			streaming := make(chan struct{}, 1)
			closed := make(chan struct{}, 1)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/v1/pulls/p1" && r.URL.Path != "/v1/models/pull" {
					http.NotFound(w, r)
					return
				}
				send := ndjson(w)
				send(client.ProgressEvent{ID: "p1", Status: "started", Model: "tiny"})
				for i := int64(0); ; i++ {
					// A pull that keeps going until the client leaves.
					send(client.ProgressEvent{Status: "pulling 1111aaaa", Digest: "sha256:1111aaaa",
						Total: 1 << 40, Completed: i})
					if i == 3 {
						streaming <- struct{}{}
					}
					select {
					case <-r.Context().Done():
						closed <- struct{}{}
						return
					case <-time.After(20 * time.Millisecond):
					}
				}
			}))
			defer srv.Close()
			p := startPTY(t, append([]string{"--host", srv.URL}, args...)...)
			select {
			case <-streaming:
			case <-time.After(30 * time.Second):
				t.Fatalf("the CLI never read the stream:\n%s", p.output())
			}
			p.send("\x03") // Ctrl-C: the terminal sends SIGINT
			err := p.wait()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != exitInterrupted {
				t.Fatalf("exit: %v, want code %d\n%s", err, exitInterrupted, p.output())
			}
			if !strings.Contains(p.output(), "interrupted") {
				t.Errorf("no \"interrupted\" on the terminal:\n%s", p.output())
			}
			select {
			case <-closed:
			case <-time.After(30 * time.Second):
				t.Error("the stream to the host stayed open after Ctrl-C")
			}
		})
	}
}

// The exit codes are documented in `roundhouse --help`, 130 included.
func TestHelpDocumentsInterrupt(t *testing.T) {
	var out strings.Builder
	if err := (&cli{out: &out, errOut: &out}).dispatch(t.Context(), []string{"--help"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "130  interrupted by Ctrl-C") {
		t.Errorf("--help does not document exit code 130:\n%s", out.String())
	}
}
