package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/roundhouse-ai/roundhouse/sdk"
)

// authOllama records the calls a pull or push with credentials makes, in
// order, as "verb name [insecure]".
type authOllama struct {
	mu    sync.Mutex
	calls []string
	fail  bool // pull/push answer an error mid-stream
}

func (a *authOllama) log(s string) {
	a.mu.Lock()
	a.calls = append(a.calls, s)
	a.mu.Unlock()
}

func (a *authOllama) start(t *testing.T) *fakeOllama {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/version", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, `{"version":"0.17.4"}`) })
	stream := func(verb string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			var req api.PullRequest
			json.NewDecoder(r.Body).Decode(&req)
			a.log(fmt.Sprintf("%s %s %v", verb, req.Model, req.Insecure))
			ndjson(w, api.ProgressResponse{Status: verb + "ing sha256:ab", Digest: "sha256:ab", Total: 10, Completed: 10})
			if a.fail {
				fmt.Fprint(w, `{"error":"403: {\"errors\":[{\"code\":\"DENIED\"}]}"}`+"\n")
				return
			}
			ndjson(w, api.ProgressResponse{Status: "success"})
		}
	}
	mux.HandleFunc("POST /api/pull", stream("pull"))
	mux.HandleFunc("POST /api/push", stream("push"))
	mux.HandleFunc("POST /api/copy", func(w http.ResponseWriter, r *http.Request) {
		var req api.CopyRequest
		json.NewDecoder(r.Body).Decode(&req)
		a.log("copy " + req.Source + " " + req.Destination)
	})
	mux.HandleFunc("DELETE /api/delete", func(w http.ResponseWriter, r *http.Request) {
		var req api.DeleteRequest
		json.NewDecoder(r.Body).Decode(&req)
		a.log("delete " + req.Model)
	})
	f := &fakeOllama{Server: httptest.NewServer(mux), aborted: make(chan struct{})}
	t.Cleanup(f.Close)
	return f
}

// With credentials, a pull goes to a temporary loopback name (insecure:
// the proxy speaks HTTP), is copied to the real name, and the temporary
// name is removed; "success" comes only after the copy. A failed pull
// removes the temporary name too, and copies nothing.
func TestPullWithAuthUsesTemporaryName(t *testing.T) {
	a := &authOllama{}
	p := attachedPlugin(t, a.start(t))
	ctx := ctxT(t, 10*time.Second)
	auth := &sdk.RegistryAuth{Host: "reg.example", Username: "me", Password: "pw"}
	var events []string
	err := p.PullModel(ctx, &sdk.PullRequest{Model: "reg.example/team/m:v1", Auth: auth}, func(pr *sdk.Progress) error {
		a.log("event " + pr.Status)
		events = append(events, pr.Status)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.calls) != 5 {
		t.Fatalf("calls %q", a.calls)
	}
	tmp := strings.Fields(a.calls[0])[1]
	if !strings.HasPrefix(tmp, "127.0.0.1:") || !strings.HasSuffix(tmp, "/m:v1") || a.calls[0] != "pull "+tmp+" true" {
		t.Fatalf("pulled %q, want the proxy's loopback name with insecure", a.calls[0])
	}
	want := []string{"pull " + tmp + " true", "event downloading", "copy " + tmp + " reg.example/team/m:v1", "event success", "delete " + tmp}
	if strings.Join(a.calls, "|") != strings.Join(want, "|") {
		t.Fatalf("calls\n%q\nwant\n%q", a.calls, want)
	}
	// The proxy is gone with the operation.
	if c, err := net.DialTimeout("tcp", strings.Split(tmp, "/")[0], time.Second); err == nil {
		c.Close()
		t.Fatal("the proxy still listens after the pull")
	}

	a.calls, a.fail = nil, true
	err = p.PullModel(ctx, &sdk.PullRequest{Model: "reg.example/team/m:v1", Auth: auth}, nil)
	if err == nil || len(a.calls) != 2 || !strings.HasPrefix(a.calls[1], "delete 127.0.0.1:") {
		t.Fatalf("failed pull: %v, calls %q; want the temporary name removed and nothing copied", err, a.calls)
	}
}

// With credentials, a push copies the model to the temporary name, pushes
// that, and removes it, whatever the outcome.
func TestPushWithAuthUsesTemporaryName(t *testing.T) {
	a := &authOllama{}
	p := attachedPlugin(t, a.start(t))
	ctx := ctxT(t, 10*time.Second)
	auth := &sdk.RegistryAuth{Host: "reg.example", Token: "tok"}
	if err := p.PushModel(ctx, &sdk.PushRequest{Model: "reg.example/team/m:v1", Auth: auth}, nil); err != nil {
		t.Fatal(err)
	}
	if len(a.calls) != 3 {
		t.Fatalf("calls %q", a.calls)
	}
	tmp := strings.Fields(a.calls[0])[2]
	want := []string{"copy reg.example/team/m:v1 " + tmp, "push " + tmp + " true", "delete " + tmp}
	if !strings.HasPrefix(tmp, "127.0.0.1:") || strings.Join(a.calls, "|") != strings.Join(want, "|") {
		t.Fatalf("calls\n%q\nwant\n%q", a.calls, want)
	}
	a.calls, a.fail = nil, true
	if err := p.PushModel(ctx, &sdk.PushRequest{Model: "reg.example/team/m:v1", Auth: auth}, nil); err == nil || len(a.calls) != 3 || !strings.HasPrefix(a.calls[2], "delete ") {
		t.Fatalf("failed push: %v, calls %q", err, a.calls)
	}
	// A name without a registry host cannot go through a proxy.
	wantCode(t, p.PushModel(ctx, &sdk.PushRequest{Model: "me/m", Auth: auth}, nil), sdk.CodeModelInvalidName)
}
