package front

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	keyA = "sk-front-aaaaaaaaaaaaaaaaaaaa1111"
	keyB = "sk-front-bbbbbbbbbbbbbbbbbbbb2222"
	up   = "sk-upstream-cccccccccccccccc3333"
)

// upstream answers with the path and Authorization it saw, streaming
// /stream in several flushed pieces.
func upstream(t *testing.T) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if strings.HasSuffix(r.URL.Path, "/stream") {
			w.Header().Set("Content-Type", "text/event-stream")
			for i := 0; i < 10; i++ {
				w.Write([]byte("data: " + strings.Repeat("x", 50) + "\n\n"))
				w.(http.Flusher).Flush()
			}
			w.Write([]byte("data: [DONE]\n\n"))
			return
		}
		json.NewEncoder(w).Encode(map[string]string{"path": r.URL.Path, "auth": r.Header.Get("Authorization")})
	}))
	t.Cleanup(s.Close)
	return s
}

func start(t *testing.T, opts Options) *Front {
	t.Helper()
	f, err := Start(upstream(t).URL+"/base", opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	return f
}

type answer struct {
	status int
	header http.Header
	body   string
	err    error
}

func call(ctx context.Context, url, key string) answer {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(`{}`))
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return answer{err: err}
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return answer{status: res.StatusCode, header: res.Header, body: string(b), err: err}
}

func errorCode(t *testing.T, body string) string {
	t.Helper()
	var e struct {
		Error struct {
			Code    *string `json:"code"`
			Message string  `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error.Message == "" {
		t.Fatalf("not an OpenAI error body: %q", body)
	}
	if e.Error.Code == nil {
		return ""
	}
	return *e.Error.Code
}

func TestForwardAndAuth(t *testing.T) {
	f := start(t, Options{Keys: []string{keyA, keyB}, UpstreamKey: up})
	ctx := context.Background()
	a := call(ctx, f.URL+"/chat/completions", keyA)
	if a.status != 200 || !strings.Contains(a.body, `"path":"/base/chat/completions"`) || !strings.Contains(a.body, "Bearer "+up) {
		t.Fatalf("%+v", a)
	}
	a = call(ctx, f.URL+"/models", "sk-someone-else-000000000000zzzz")
	if a.status != 401 || errorCode(t, a.body) != "invalid_api_key" || strings.Contains(a.body, "000000000000") {
		t.Fatalf("%+v", a)
	}
	if a = call(ctx, f.URL+"/models", ""); a.status != 401 {
		t.Fatalf("%+v", a)
	}
	f.RevokeKey(keyA)
	f.RevokeKey(keyB)
	if a = call(ctx, f.URL+"/models", keyA); a.status != 401 {
		t.Fatalf("revoked: %+v", a)
	}
	f.AllowKey(keyB)
	if a = call(ctx, f.URL+"/models", keyB); a.status != 200 {
		t.Fatalf("allowed again: %+v", a)
	}
	recs := f.Records()
	if len(recs) != 5 || recs[0].Key != keyA || recs[0].Status != 200 || recs[1].Status != 401 || recs[1].Fault == "" {
		t.Fatalf("records %+v", recs)
	}
	if f.Count(keyA) != 2 || strings.Join(f.KeysUsed()[3:], ",") != keyA+","+keyB {
		t.Fatalf("used %v", f.KeysUsed())
	}
}

func TestPassAuthAndOpen(t *testing.T) {
	f := start(t, Options{PassAuth: true})
	a := call(context.Background(), f.URL+"/x", keyA)
	if a.status != 200 || !strings.Contains(a.body, "Bearer "+keyA) {
		t.Fatalf("%+v", a)
	}
	g := start(t, Options{})
	if a = call(context.Background(), g.URL+"/x", keyA); a.status != 200 || strings.Contains(a.body, "Bearer") {
		t.Fatalf("auth must not leak upstream by default: %+v", a)
	}
}

func TestFaults(t *testing.T) {
	f := start(t, Options{Keys: []string{keyA, keyB}})
	ctx := context.Background()
	f.Fail(keyA, RateLimited("12"), 2)
	f.Fail(keyA, Unauthorized(), 1)
	f.Fail(AnyKey, ServerError(), 1)
	want := []struct {
		key    string
		status int
		code   string
	}{
		{keyA, 429, "rate_limit_exceeded"},
		{keyA, 429, "rate_limit_exceeded"},
		{keyA, 401, "invalid_api_key"},
		{keyA, 500, ""}, // the AnyKey fault
		{keyA, 200, ""},
		{keyB, 200, ""},
	}
	for i, w := range want {
		a := call(ctx, f.URL+"/chat/completions", w.key)
		if a.status != w.status {
			t.Fatalf("%d: status %d, want %d (%s)", i, a.status, w.status, a.body)
		}
		if w.status != 200 && errorCode(t, a.body) != w.code {
			t.Fatalf("%d: body %s", i, a.body)
		}
		if w.status == 429 && a.header.Get("Retry-After") != "12" {
			t.Fatalf("%d: Retry-After %q", i, a.header.Get("Retry-After"))
		}
	}
	f.Fail(keyB, QuotaExceeded(), 0) // until cleared
	for i := 0; i < 3; i++ {
		if a := call(ctx, f.URL+"/x", keyB); a.status != 429 || errorCode(t, a.body) != "insufficient_quota" {
			t.Fatalf("%+v", a)
		}
	}
	f.Clear(keyB)
	if a := call(ctx, f.URL+"/x", keyB); a.status != 200 {
		t.Fatalf("%+v", a)
	}
	f.Fail(keyB, Fault{Status: 503, Message: "busy", Header: http.Header{"X-Test": {"1"}}}, 1)
	if a := call(ctx, f.URL+"/x", keyB); a.status != 503 || a.header.Get("X-Test") != "1" {
		t.Fatalf("%+v", a)
	}
	f.Fail(AnyKey, ServerError(), 0)
	f.ClearAll()
	if a := call(ctx, f.URL+"/x", keyB); a.status != 200 {
		t.Fatalf("%+v", a)
	}
}

func TestDelayHangupCut(t *testing.T) {
	f := start(t, Options{Keys: []string{keyA}})
	ctx := context.Background()

	f.Fail(keyA, Slow(150*time.Millisecond), 1)
	t0 := time.Now()
	if a := call(ctx, f.URL+"/x", keyA); a.status != 200 || time.Since(t0) < 150*time.Millisecond {
		t.Fatalf("%+v after %v", a, time.Since(t0))
	}
	// A delay ends early when the client gives up.
	f.Fail(keyA, Slow(time.Hour), 1)
	cctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	if a := call(cctx, f.URL+"/x", keyA); a.err == nil {
		t.Fatalf("%+v", a)
	}
	cancel()

	f.Fail(keyA, Fault{Hangup: true}, 1)
	if a := call(ctx, f.URL+"/x", keyA); a.err == nil {
		t.Fatalf("hang-up answered: %+v", a)
	}

	f.Fail(keyA, Fault{CutAfter: 120}, 1)
	a := call(ctx, f.URL+"/stream", keyA)
	if a.err == nil || a.status != 200 || len(a.body) != 120 {
		t.Fatalf("cut: err %v status %d, %d bytes", a.err, a.status, len(a.body))
	}
	if a = call(ctx, f.URL+"/stream", keyA); a.err != nil || !strings.HasSuffix(a.body, "data: [DONE]\n\n") {
		t.Fatalf("uncut: %+v", a)
	}

	// Wait for the handlers of the aborted requests to finish, then check
	// the records are in arrival order with their faults.
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		done := true
		for _, r := range f.Records() {
			if r.Duration == 0 {
				done = false
			}
		}
		if done {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	var faults []string
	for _, r := range f.Records() {
		faults = append(faults, r.Fault)
	}
	if got := strings.Join(faults, "|"); got != "delay 150ms|delay 1h0m0s|hangup|cut after 120 bytes|" {
		t.Fatalf("faults %q", got)
	}
}

func TestConcurrentUse(t *testing.T) {
	f := start(t, Options{Keys: []string{keyA, keyB}})
	f.Fail(AnyKey, RateLimited("1"), 10)
	var wg sync.WaitGroup
	for i := 0; i < 40; i++ {
		k := keyA
		if i%2 == 1 {
			k = keyB
		}
		wg.Go(func() { call(context.Background(), f.URL+"/x", k) })
	}
	wg.Wait()
	n429 := 0
	for _, r := range f.Records() {
		if r.Status == 429 {
			n429++
		}
	}
	if n429 != 10 || len(f.Records()) != 40 {
		t.Fatalf("%d 429s of %d requests", n429, len(f.Records()))
	}
}
