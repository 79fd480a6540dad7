package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roundhouse-ai/roundhouse/internal/openaitest/fake"
	"github.com/roundhouse-ai/roundhouse/internal/openaitest/front"
	"github.com/roundhouse-ai/roundhouse/sdk"
	"github.com/roundhouse-ai/roundhouse/sdk/wire/openaiwire"
)

// Two keys A and B behind a front before the fake.
func frontSetup(t *testing.T, opts fake.Options, nkeys int) (*plugin, *front.Front, []string) {
	t.Helper()
	srv := startFake(t, opts)
	ks := make([]string, nkeys)
	for i := range ks {
		ks[i] = testKey(i + 1)
	}
	f := startFront(t, srv.URL, ks...)
	p := newTestPlugin(t)
	configure(t, p, prov("main", f.URL, ks...))
	return p, f, ks
}

func TestRateLimitRotatesAndHonoursRetryAfter(t *testing.T) {
	p, f, ks := frontSetup(t, fake.Options{}, 2)
	a, b := ks[0], ks[1]
	f.Fail(a, front.RateLimited("30"), 1)
	start := time.Now()
	resp, err := p.Chat(context.Background(), userChat("gpt-4o-mini", "hi"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Message.Content != "echo: hi" {
		t.Fatalf("resp %+v", resp)
	}
	if used := f.KeysUsed(); len(used) != 2 || used[0] != a || used[1] != b {
		t.Fatalf("keys used %v, want A then B", used)
	}
	st := keyStatus(t, p, "main", sdk.MaskKey(a))
	if st.State != stateCooling || st.Failures != 1 || !strings.Contains(st.LastError, "429") {
		t.Fatalf("key A %+v", st)
	}
	if d := time.Unix(st.CooldownUntil, 0).Sub(start); d < 29*time.Second || d > 32*time.Second {
		t.Fatalf("cooldown ends in %v, want ~30s (Retry-After)", d)
	}
	// While A cools down every request goes to B.
	f.Reset()
	for i := 0; i < 3; i++ {
		if _, err := p.Chat(context.Background(), userChat("gpt-4o-mini", "hi")); err != nil {
			t.Fatal(err)
		}
	}
	if f.Count(a) != 0 || f.Count(b) != 3 {
		t.Fatalf("used %v", f.KeysUsed())
	}
	// Now B is limited too: both rest, the error says when to come back.
	f.Fail(b, front.RateLimited("5"), 1)
	_, err = p.Chat(context.Background(), userChat("gpt-4o-mini", "hi"))
	e := wantCode(t, err, sdk.CodeUpstreamRateLimited)
	if !e.Retryable || e.RetryAfter < 4*time.Second || e.RetryAfter > 5*time.Second {
		t.Fatalf("error %+v: want retryable, RetryAfter ~5s (B's rest is the shortest)", e)
	}
	_, err = p.Chat(context.Background(), userChat("gpt-4o-mini", "hi"))
	wantCode(t, err, sdk.CodeUpstreamRateLimited) // no upstream call while all rest
	if n := len(f.KeysUsed()); n != 4 {
		t.Fatalf("%d requests reached the front, want 4", n)
	}
}

func TestRateLimitHTTPDateAndStream(t *testing.T) {
	p, f, ks := frontSetup(t, fake.Options{}, 2)
	f.Fail(ks[0], front.RateLimited(time.Now().Add(90*time.Second).UTC().Format(http.TimeFormat)), 1)
	var text strings.Builder
	err := p.ChatStream(context.Background(), userChat("gpt-4o-mini", "streamed"), func(c *sdk.ChatChunk) error {
		text.WriteString(c.Content)
		return nil
	})
	if err != nil || text.String() != "echo: streamed" {
		t.Fatalf("err %v text %q", err, text.String())
	}
	st := keyStatus(t, p, "main", sdk.MaskKey(ks[0]))
	if d := time.Until(time.Unix(st.CooldownUntil, 0)); st.State != stateCooling || d < 85*time.Second || d > 92*time.Second {
		t.Fatalf("key A %+v (rests %v)", st, d)
	}
}

// frontSetupClock is frontSetup with key states on a settable clock.
func frontSetupClock(t *testing.T, opts fake.Options, nkeys int) (*plugin, *front.Front, []string, *clock) {
	t.Helper()
	srv := startFake(t, opts)
	ks := make([]string, nkeys)
	for i := range ks {
		ks[i] = testKey(i + 1)
	}
	f := startFront(t, srv.URL, ks...)
	c := newClock()
	p := newPluginWith(&http.Client{Transport: openaiwire.NewTransport()}, c.now)
	t.Cleanup(p.client.CloseIdleConnections)
	configure(t, p, prov("main", f.URL, ks...))
	return p, f, ks, c
}

// A 401 rests the key instead of killing it: after the rest one request
// tests it, and a key that works again serves again.
func TestUnauthorizedKeyRestsThenRecovers(t *testing.T) {
	logs := captureLogs(t)
	p, f, ks, c := frontSetupClock(t, fake.Options{}, 2)
	a, b := ks[0], ks[1]
	f.RevokeKey(a) // the front now answers 401 invalid_api_key for A, echoing it starred
	for i := 0; i < 3; i++ {
		if _, err := p.Chat(context.Background(), userChat("gpt-4o-mini", "hi")); err != nil {
			t.Fatal(err)
		}
	}
	if f.Count(a) != 1 || f.Count(b) != 3 {
		t.Fatalf("used %v: A once (then resting), B every time", f.KeysUsed())
	}
	st := keyStatus(t, p, "main", sdk.MaskKey(a))
	rest := time.Unix(st.CooldownUntil, 0).Sub(c.now())
	if st.State != stateUnauthorized || !strings.Contains(st.Reason, "HTTP 401") || strings.Contains(st.Reason, a[:12]) ||
		rest < 24*time.Second || rest > 37*time.Second {
		t.Fatalf("key A %+v (rests %v, want ~30s)", st, rest)
	}
	// B is refused too: no usable key; the error says why and when.
	f.RevokeKey(b)
	_, err := p.Chat(context.Background(), userChat("gpt-4o-mini", "hi"))
	e := wantCode(t, err, sdk.CodeNoUsableKey)
	for _, k := range ks {
		if strings.Contains(e.Message, k) || strings.Contains(e.Message, k[:10]) {
			t.Fatalf("error leaks a key: %q", e.Message)
		}
	}
	if !strings.Contains(e.Message, sdk.MaskKey(a)+" is unauthorized") || !strings.Contains(e.Message, "POST /v1/providers") ||
		e.RetryAfter <= 0 || e.RetryAfter > 37*time.Second {
		t.Fatalf("error %+v", e)
	}
	// The keys work again (a revocation undone); after the rest the next
	// request tests a key, and from then on both serve.
	f.AllowKey(a)
	f.AllowKey(b)
	f.Reset()
	if _, err := p.Chat(context.Background(), userChat("gpt-4o-mini", "hi")); sdk.ErrorCode(err) != sdk.CodeNoUsableKey || len(f.KeysUsed()) != 0 {
		t.Fatalf("no request may reach the upstream while both keys rest: %v, %v", err, f.KeysUsed())
	}
	c.advance(40 * time.Second)
	for i := 0; i < 4; i++ {
		if _, err := p.Chat(context.Background(), userChat("gpt-4o-mini", "back")); err != nil {
			t.Fatalf("chat %d after the rest: %v", i, err)
		}
	}
	for _, k := range ks {
		if st := keyStatus(t, p, "main", sdk.MaskKey(k)); st.State != stateOK || st.CooldownUntil != 0 {
			t.Fatalf("key %s after recovery: %+v", sdk.MaskKey(k), st)
		}
	}
	if f.Count(a) == 0 || f.Count(b) == 0 {
		t.Fatalf("used %v: both keys serve again", f.KeysUsed())
	}
	out := logs()
	for _, k := range ks {
		if strings.Contains(out, k) || strings.Contains(out, k[:10]) {
			t.Fatalf("logs leak a key:\n%s", out)
		}
	}
	if !strings.Contains(out, "one request will test it") || !strings.Contains(out, "accepted again") {
		t.Fatalf("want log lines for the refused and the recovered key:\n%s", out)
	}
}

// fakeWithClock is a fake that takes any key, and a plugin on a settable
// clock with provider "main" on it using keys.
func fakeWithClock(t *testing.T, intercept func(r *http.Request, key string) *fake.APIError, keys ...string) (*plugin, *fake.Server, *clock) {
	t.Helper()
	srv := startFake(t, fake.Options{Keys: []string{}, Intercept: intercept})
	c := newClock()
	p := newPluginWith(&http.Client{Transport: openaiwire.NewTransport()}, c.now)
	t.Cleanup(p.client.CloseIdleConnections)
	configure(t, p, prov("main", srv.URL, keys...))
	return p, srv, c
}

// chatsByKey counts the chat requests the fake got, by key and model.
func chatsByKey(srv *fake.Server) map[string]int {
	n := map[string]int{}
	for _, r := range srv.Requests() {
		if r.Path == "/v1/chat/completions" {
			n[r.Key+" "+fmt.Sprint(r.JSON()["model"])]++
		}
	}
	return n
}

// OpenAI's 403 for a project without access to a model forbids the key
// for that model only: the request moves to another key, and the key
// keeps serving the other models.
func TestForbiddenModelDoesNotBlockOtherModels(t *testing.T) {
	var forbidden sync.Map // key → refused for gpt-4o
	a, b := testKey(1), testKey(2)
	p, srv, c := fakeWithClock(t, func(r *http.Request, key string) *fake.APIError {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		if _, no := forbidden.Load(key); no && bytes.Contains(body, []byte(`"model":"gpt-4o"`)) {
			return &fake.APIError{Status: http.StatusForbidden, Type: "invalid_request_error", Code: "model_not_found",
				Message: "Project `proj_JMo3Q9spNIEWhSxusokLegJY` does not have access to model `gpt-4o`"}
		}
		return nil
	}, a, b)
	forbidden.Store(a, true)

	for i := 0; i < 4; i++ {
		if _, err := p.Chat(context.Background(), userChat("gpt-4o", "hi")); err != nil {
			t.Fatalf("gpt-4o must move on to key B: %v", err)
		}
		if _, err := p.Chat(context.Background(), userChat("gpt-4o-mini", "hi")); err != nil {
			t.Fatal(err)
		}
	}
	n := chatsByKey(srv)
	if n[a+" gpt-4o"] != 1 || n[b+" gpt-4o"] != 4 || n[a+" gpt-4o-mini"] == 0 {
		t.Fatalf("requests %v: A refused once for gpt-4o then not used for it, B serves gpt-4o, A still serves gpt-4o-mini", n)
	}
	st := keyStatus(t, p, "main", sdk.MaskKey(a))
	if st.State != stateOK || !strings.Contains(st.Reason, "forbidden for model gpt-4o") || !strings.Contains(st.Reason, "does not have access") {
		t.Fatalf("key A %+v", st)
	}
	// Both keys forbidden for gpt-4o: that model has no key; the others do.
	forbidden.Store(b, true)
	c.advance(time.Hour) // A's rest is over too: its probe is refused again
	_, err := p.Chat(context.Background(), userChat("gpt-4o", "hi"))
	e := wantCode(t, err, sdk.CodeNoUsableKey)
	if !strings.Contains(e.Message, `for model "gpt-4o"`) || e.RetryAfter <= 0 {
		t.Fatalf("error %+v", e)
	}
	if _, err := p.Chat(context.Background(), userChat("gpt-4o-mini", "hi")); err != nil {
		t.Fatalf("gpt-4o-mini: %v", err)
	}
	// The access is granted: after the rest a probe finds it.
	forbidden.Delete(a)
	forbidden.Delete(b)
	c.advance(time.Hour)
	for i := 0; i < 3; i++ {
		if _, err := p.Chat(context.Background(), userChat("gpt-4o", "hi")); err != nil {
			t.Fatalf("gpt-4o after access was granted: %v", err)
		}
	}
}

// While a refused key is being tested, other requests do not reach the
// upstream with it: they get the no-usable-key error at once.
func TestProbeIsOneRequestAtATime(t *testing.T) {
	var (
		refuse, holding atomic.Bool
		hold            = make(chan struct{})
		entered         = make(chan struct{}, 10)
	)
	p, srv, c := fakeWithClock(t, func(r *http.Request, key string) *fake.APIError {
		if refuse.Load() {
			return &fake.APIError{Status: http.StatusUnauthorized, Code: "invalid_api_key", Message: "Incorrect API key provided."}
		}
		if holding.Load() {
			entered <- struct{}{}
			<-hold
		}
		return nil
	}, testKey(1))
	refuse.Store(true)
	_, err := p.Chat(context.Background(), userChat("gpt-4o-mini", "hi"))
	wantCode(t, err, sdk.CodeNoUsableKey)
	refuse.Store(false)
	holding.Store(true)
	c.advance(time.Hour)

	probe := make(chan error, 1)
	go func() {
		_, err := p.Chat(context.Background(), userChat("gpt-4o-mini", "probe"))
		probe <- err
	}()
	select {
	case <-entered:
	case err := <-probe:
		t.Fatalf("the refused key was not tested after its rest: %v", err)
	}
	var wg sync.WaitGroup
	for i := 0; i < 5; i++ {
		wg.Go(func() {
			_, err := p.Chat(context.Background(), userChat("gpt-4o-mini", "meanwhile"))
			if e := sdk.AsError(err); e == nil || e.Code != sdk.CodeNoUsableKey || !strings.Contains(e.Message, "testing it now") {
				t.Errorf("a request during the probe: %v", err)
			}
		})
	}
	wg.Wait()
	if n := chatsByKey(srv)[testKey(1)+" gpt-4o-mini"]; n != 2 {
		t.Fatalf("%d requests reached the upstream, want 2 (the refused one and the probe)", n)
	}
	holding.Store(false)
	close(hold)
	if err := <-probe; err != nil {
		t.Fatalf("probe: %v", err)
	}
	for i := 0; i < 3; i++ {
		if _, err := p.Chat(context.Background(), userChat("gpt-4o-mini", "after")); err != nil {
			t.Fatalf("after the probe: %v", err)
		}
	}
}

func TestQuotaExceeded(t *testing.T) {
	p, f, ks := frontSetup(t, fake.Options{}, 1)
	f.Fail(ks[0], front.QuotaExceeded(), 1)
	_, err := p.Chat(context.Background(), userChat("gpt-4o-mini", "hi"))
	e := wantCode(t, err, sdk.CodeUpstreamQuota)
	if e.Retryable {
		t.Fatal("quota is not retryable")
	}
	if st := keyStatus(t, p, "main", sdk.MaskKey(ks[0])); st.State != stateCooling || st.Reason != "quota" {
		t.Fatalf("key %+v", st)
	}
}

func TestServerErrorsAreRetriedBounded(t *testing.T) {
	p, f, ks := frontSetup(t, fake.Options{}, 2)
	f.Fail(front.AnyKey, front.ServerError(), 1)
	if _, err := p.Chat(context.Background(), userChat("gpt-4o-mini", "hi")); err != nil {
		t.Fatal(err)
	}
	if used := f.KeysUsed(); len(used) != 2 || used[0] == used[1] {
		t.Fatalf("used %v: want a retry on the other key", used)
	}
	// A persistent 500: 1 try + 2 retries, then the upstream error.
	f.Reset()
	f.Fail(front.AnyKey, front.ServerError(), 0)
	_, err := p.Chat(context.Background(), userChat("gpt-4o-mini", "hi"))
	e := wantCode(t, err, sdk.CodeUpstreamError)
	if !e.Retryable || !strings.Contains(e.Message, "HTTP 500") {
		t.Fatalf("error %+v", e)
	}
	if n := len(f.KeysUsed()); n != 1+defaultMaxRetries {
		t.Fatalf("%d attempts, want %d", n, 1+defaultMaxRetries)
	}
	for _, k := range ks {
		if st := keyStatus(t, p, "main", sdk.MaskKey(k)); st.State != stateOK {
			t.Fatalf("a 500 must not rest or kill a key: %+v", st)
		}
	}
	// settings.max_retries 0: one attempt only.
	f.Reset()
	if err := p.Configure(context.Background(), &sdk.Config{Settings: map[string]any{"max_retries": 0.0},
		Providers: []sdk.ProviderConfig{prov("main", f.URL, ks...)}}); err != nil {
		t.Fatal(err)
	}
	_, err = p.Chat(context.Background(), userChat("gpt-4o-mini", "hi"))
	wantCode(t, err, sdk.CodeUpstreamError)
	if n := len(f.KeysUsed()); n != 1 {
		t.Fatalf("%d attempts with max_retries 0", n)
	}
}

func TestSingleKeyRetriesTransientOnSameKey(t *testing.T) {
	p, f, ks := frontSetup(t, fake.Options{}, 1)
	f.Fail(ks[0], front.Fault{Hangup: true}, 1)
	if _, err := p.Chat(context.Background(), userChat("gpt-4o-mini", "hi")); err != nil {
		t.Fatal(err)
	}
	if n := f.Count(ks[0]); n != 2 {
		t.Fatalf("%d attempts, want 2 (hang-up, then retry)", n)
	}
}

func TestTimeoutRetriedOnAnotherKey(t *testing.T) {
	srv := startFake(t, fake.Options{})
	ks := []string{testKey(1), testKey(2)}
	f := startFront(t, srv.URL, ks...)
	p := newTestPlugin(t)
	pc := prov("main", f.URL, ks...)
	pc.Timeout = 0.3
	configure(t, p, pc)
	f.Fail(ks[0], front.Slow(3*time.Second), 1)
	start := time.Now()
	if _, err := p.Chat(context.Background(), userChat("gpt-4o-mini", "hi")); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("took %v: the slow attempt was not cut at the 0.3s timeout", d)
	}
	if used := f.KeysUsed(); len(used) != 2 || used[1] != ks[1] {
		t.Fatalf("used %v", used)
	}
	st := keyStatus(t, p, "main", sdk.MaskKey(ks[0]))
	if st.Failures != 1 || !strings.Contains(st.LastError, "did not answer within 300ms") {
		t.Fatalf("key A %+v", st)
	}
	// A stream whose headers do not come within the timeout moves on too;
	// once started, a stream has no time limit but the caller's.
	f.Reset()
	f.Fail(front.AnyKey, front.Slow(3*time.Second), 1)
	start = time.Now()
	var text strings.Builder
	err := p.ChatStream(context.Background(), userChat("gpt-4o-mini", "slow start"), func(c *sdk.ChatChunk) error {
		text.WriteString(c.Content)
		return nil
	})
	if err != nil || text.String() != "echo: slow start" || time.Since(start) > 2*time.Second {
		t.Fatalf("stream: err %v text %q after %v", err, text.String(), time.Since(start))
	}
	if used := f.KeysUsed(); len(used) != 2 || used[0] == used[1] {
		t.Fatalf("used %v", used)
	}

	// Every attempt times out: CodeUpstreamTimeout.
	f.Fail(front.AnyKey, front.Slow(3*time.Second), 0)
	_, err = p.Chat(context.Background(), userChat("gpt-4o-mini", "hi"))
	if e := wantCode(t, err, sdk.CodeUpstreamTimeout); !e.Retryable {
		t.Fatalf("%+v", e)
	}
}

func TestStreamNotRetriedAfterStart(t *testing.T) {
	p, f, ks := frontSetup(t, fake.Options{}, 2)
	f.Fail(front.AnyKey, front.Fault{CutAfter: 400}, 1)
	n := 0
	err := p.ChatStream(context.Background(), userChat("gpt-4o-mini", strings.Repeat("word ", 50)), func(c *sdk.ChatChunk) error {
		n++
		return nil
	})
	e := wantCode(t, err, sdk.CodeUpstreamError)
	if e.Retryable || n == 0 {
		t.Fatalf("error %+v after %d chunks: want a non-retryable error after some chunks", e, n)
	}
	if got := len(f.KeysUsed()); got != 1 {
		t.Fatalf("%d requests: a started stream must not be retried", got)
	}
	// A 5xx before the stream starts is retried.
	f.Reset()
	f.Fail(front.AnyKey, front.ServerError(), 1)
	var text strings.Builder
	err = p.ChatStream(context.Background(), userChat("gpt-4o-mini", "again"), func(c *sdk.ChatChunk) error {
		text.WriteString(c.Content)
		return nil
	})
	if err != nil || text.String() != "echo: again" || len(f.KeysUsed()) != 2 {
		t.Fatalf("err %v text %q used %v", err, text.String(), f.KeysUsed())
	}
	_ = ks
}

// A stream cut before any finish reason and without [DONE] is an error,
// not a short answer.
func TestStreamWithoutDone(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := readBody(r) // before answering: HTTP/1 servers may not read the body after
		w.Header().Set("Content-Type", "text/event-stream")
		fl := w.(http.Flusher)
		write := func(s string) { w.Write([]byte(s)); fl.Flush() }
		write(`data: {"choices":[{"index":0,"delta":{"role":"assistant","content":"par"}}]}` + "\n\n")
		if strings.Contains(body, "finish") {
			write(`data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}` + "\n\n")
		}
	}))
	t.Cleanup(srv.Close)
	p := newTestPlugin(t)
	configure(t, p, sdk.ProviderConfig{Name: "local", BaseURL: srv.URL, AuthType: "none"})
	err := p.ChatStream(context.Background(), userChat("m", "cut"), func(*sdk.ChatChunk) error { return nil })
	wantCode(t, err, sdk.CodeUpstreamError)
	// With a finish reason but no [DONE] (some servers): complete.
	var last *sdk.ChatChunk
	err = p.ChatStream(context.Background(), userChat("m", "finish"), func(c *sdk.ChatChunk) error { last = c; return nil })
	if err != nil || !last.Done || last.FinishReason != "stop" {
		t.Fatalf("err %v last %+v", err, last)
	}
}

func readBody(r *http.Request) string {
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := r.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			return b.String()
		}
	}
}

func TestStreamGarbageAndErrorEvents(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		body := readBody(r)
		w.Write([]byte(": keep-alive\r\n\r\n"))
		w.Write([]byte("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}\r\n\r\n"))
		if strings.Contains(body, "fail") {
			w.Write([]byte(`data: {"error":{"message":"overloaded","type":"server_error","code":null}}` + "\n\n"))
			return
		}
		w.Write([]byte("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"b\"},\"finish_reason\":\"length\"}]}\n\n"))
		w.Write([]byte("data: {\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,\"total_tokens\":5}}\n\n"))
		w.Write([]byte("data: [DONE]\n\n"))
	}))
	t.Cleanup(srv.Close)
	p := newTestPlugin(t)
	configure(t, p, sdk.ProviderConfig{Name: "local", BaseURL: srv.URL, AuthType: "none"})
	var text strings.Builder
	var last *sdk.ChatChunk
	err := p.ChatStream(context.Background(), userChat("m", "ok"), func(c *sdk.ChatChunk) error {
		text.WriteString(c.Content)
		last = c
		return nil
	})
	if err != nil || text.String() != "ab" || last.FinishReason != "length" || last.Usage.TotalTokens != 5 {
		t.Fatalf("err %v text %q last %+v", err, text.String(), last)
	}
	err = p.ChatStream(context.Background(), userChat("m", "fail"), func(*sdk.ChatChunk) error { return nil })
	if e := wantCode(t, err, sdk.CodeUpstreamError); e.Retryable || !strings.Contains(e.Message, "overloaded") {
		t.Fatalf("%+v", e)
	}
}

func TestCancelClosesUpstream(t *testing.T) {
	closed := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		readBody(r) // the server notices a client hang-up only once the body is read
		w.Header().Set("Content-Type", "text/event-stream")
		w.Write([]byte("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"first\"}}]}\n\n"))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
		close(closed)
	}))
	t.Cleanup(srv.Close)
	p := newTestPlugin(t)
	configure(t, p, sdk.ProviderConfig{Name: "local", BaseURL: srv.URL, AuthType: "none"})
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		errc <- p.ChatStream(ctx, userChat("m", "x"), func(*sdk.ChatChunk) error {
			cancel()
			return nil
		})
	}()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) || sdk.ErrorCode(err) != sdk.CodeCanceled {
			t.Fatalf("err %v (code %s)", err, sdk.ErrorCode(err))
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ChatStream did not return after cancel")
	}
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("the upstream request was not closed")
	}

	// A unary call too.
	hold := make(chan struct{})
	srv2 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		readBody(r)
		<-r.Context().Done()
		close(hold)
	}))
	t.Cleanup(srv2.Close)
	configure(t, p, sdk.ProviderConfig{Name: "local", BaseURL: srv2.URL, AuthType: "none"})
	ctx, cancel = context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := p.Chat(ctx, userChat("m", "x"))
	if sdk.ErrorCode(err) != sdk.CodeTimeout {
		t.Fatalf("err %v (code %s): the caller's deadline is a timeout", err, sdk.ErrorCode(err))
	}
	select {
	case <-hold:
	case <-time.After(5 * time.Second):
		t.Fatal("the upstream request was not closed")
	}
}

func TestHotReconfigure(t *testing.T) {
	srv := startFake(t, fake.Options{StreamDelay: 30 * time.Millisecond})
	ks := []string{testKey(1), testKey(2), testKey(3)}
	f := startFront(t, srv.URL, ks...)
	p := newTestPlugin(t)
	configure(t, p, prov("main", f.URL, ks[0], ks[1]))
	for i := 0; i < 4; i++ {
		if _, err := p.Chat(context.Background(), userChat("gpt-4o-mini", "warm")); err != nil {
			t.Fatal(err)
		}
	}
	// Kill A so we can check its health survives a reconfigure.
	f.RevokeKey(ks[0])
	if _, err := p.Chat(context.Background(), userChat("gpt-4o-mini", "x")); err != nil {
		t.Fatal(err)
	}
	before := keyStatus(t, p, "main", sdk.MaskKey(ks[1]))

	// Start a slow stream, reconfigure in its middle: it finishes on the
	// old configuration.
	started := make(chan struct{})
	var once sync.Once
	var text strings.Builder
	errc := make(chan error, 1)
	go func() {
		errc <- p.ChatStream(context.Background(), userChat("gpt-4o-mini", "one two three four five six"), func(c *sdk.ChatChunk) error {
			text.WriteString(c.Content)
			once.Do(func() { close(started) })
			return nil
		})
	}()
	<-started
	pc := prov("main", f.URL, ks[1], ks[0], ks[2])
	pc.KeyStrategy = strategyPriority
	pc.APIKeys[1].Priority = 9
	configure(t, p, pc, prov("other", srv.URL, fakeKey))
	if err := <-errc; err != nil || text.String() != "echo: one two three four five six" {
		t.Fatalf("in-flight stream: err %v text %q", err, text.String())
	}
	list, _ := p.ListProviders(context.Background())
	if len(list) != 2 || list[0].KeyStrategy != strategyPriority || len(list[0].Keys) != 3 {
		t.Fatalf("providers %+v", list)
	}
	after := keyStatus(t, p, "main", sdk.MaskKey(ks[1]))
	if after.Requests != before.Requests+1 { // +1: the stream that ran across the swap
		t.Fatalf("B's stats did not survive: before %+v after %+v", before, after)
	}
	if a := keyStatus(t, p, "main", sdk.MaskKey(ks[0])); a.State != stateUnauthorized {
		t.Fatalf("A's health did not survive: %+v", a)
	}
	if c := keyStatus(t, p, "main", sdk.MaskKey(ks[2])); c.Requests != 0 || c.State != stateOK {
		t.Fatalf("C is new: %+v", c)
	}
	// Dropping a key drops it; changing base_url gives dead keys a new chance.
	f.AllowKey(ks[0])
	configure(t, p, prov("main", strings.Replace(f.URL, "127.0.0.1", "localhost", 1), ks[0]))
	if a := keyStatus(t, p, "main", sdk.MaskKey(ks[0])); a.State != stateOK {
		t.Fatalf("A after a base_url change: %+v", a)
	}
	list, _ = p.ListProviders(context.Background())
	if len(list) != 1 || len(list[0].Keys) != 1 {
		t.Fatalf("providers %+v", list)
	}
}

// badConfigs are configurations Configure and ValidateConfig refuse, each
// with the field the error must name; good is a valid provider.
func badConfigs(good sdk.ProviderConfig, k string) []struct {
	field string
	cfg   sdk.Config
} {
	return []struct {
		field string
		cfg   sdk.Config
	}{
		{"providers[1].name", sdk.Config{Providers: []sdk.ProviderConfig{good, prov("main", "http://x/v1")}}},
		{"providers[0].name", sdk.Config{Providers: []sdk.ProviderConfig{prov("Bad/Name", "http://x/v1")}}},
		{"providers[0].name", sdk.Config{Providers: []sdk.ProviderConfig{prov(" ", "http://x/v1")}}},
		{"providers[0].base_url", sdk.Config{Providers: []sdk.ProviderConfig{prov("a", "ftp://x")}}},
		{"providers[0].base_url", sdk.Config{Providers: []sdk.ProviderConfig{prov("a", "")}}},
		{"providers[2].base_url", sdk.Config{Providers: []sdk.ProviderConfig{good, prov("b", "http://x"), prov("c", "http://%zz")}}},
		{"providers[0].key_strategy", sdk.Config{Providers: []sdk.ProviderConfig{{Name: "a", BaseURL: "http://x", KeyStrategy: "random"}}}},
		{"providers[0].auth_type", sdk.Config{Providers: []sdk.ProviderConfig{{Name: "a", BaseURL: "http://x", AuthType: "signature"}}}},
		{"providers[0].auth_type", sdk.Config{Providers: []sdk.ProviderConfig{{Name: "a", BaseURL: "http://x", AuthType: "none", APIKeys: []sdk.APIKey{{Value: k}}}}}},
		{"providers[0].timeout", sdk.Config{Providers: []sdk.ProviderConfig{{Name: "a", BaseURL: "http://x", Timeout: -1}}}},
		{"providers[0].models[1]", sdk.Config{Providers: []sdk.ProviderConfig{{Name: "a", BaseURL: "http://x", Models: []string{"m", " "}}}}},
		{"providers[0].api_keys[1].value", sdk.Config{Providers: []sdk.ProviderConfig{prov("a", "http://x", k, " ")}}},
		{"providers[0].api_keys[1].value", sdk.Config{Providers: []sdk.ProviderConfig{prov("a", "http://x", k, k)}}},
		{"providers[0].api_keys[1].value", sdk.Config{Providers: []sdk.ProviderConfig{prov("a", "http://x", k, k[:5]+" "+k[5:])}}},
		{"providers[0].api_keys[0]", sdk.Config{Providers: []sdk.ProviderConfig{{Name: "a", BaseURL: "http://x", APIKeys: []sdk.APIKey{{Value: k, RPM: -1}}}}}},
		{"providers[0].headers", sdk.Config{Providers: []sdk.ProviderConfig{{Name: "a", BaseURL: "http://x", Headers: map[string]string{"Bad Header": "v"}}}}},
		{"providers[0].headers.X-A", sdk.Config{Providers: []sdk.ProviderConfig{{Name: "a", BaseURL: "http://x", Headers: map[string]string{"X-A": "v\r\nX-B: w"}}}}},
		{"settings.max_retries", sdk.Config{Settings: map[string]any{"max_retries": 1.5}}},
		{"settings.max_tokens_field", sdk.Config{Settings: map[string]any{"max_tokens_field": "n"}}},
		{"settings.max_retries", sdk.Config{Settings: map[string]any{"max_retries": 11.0}}},
		{"settings.max_retrys", sdk.Config{Settings: map[string]any{"max_retrys": 2.0}}},
	}
}

func TestConfigureIsAtomicAndValidates(t *testing.T) {
	p := newTestPlugin(t)
	good := prov("main", "https://api.openai.com/v1", testKey(1))
	configure(t, p, good)
	k := testKey(2)
	for _, c := range badConfigs(good, k) {
		err := p.Configure(context.Background(), &c.cfg)
		e := wantCode(t, err, sdk.CodeInvalidArgument)
		if e.Field != c.field {
			t.Errorf("field %q, want %q (%s)", e.Field, c.field, e.Message)
		}
		if strings.Contains(e.Error(), k) {
			t.Errorf("error leaks a key: %s", e.Error())
		}
	}
	list, _ := p.ListProviders(context.Background())
	if len(list) != 1 || list[0].Name != "main" {
		t.Fatalf("a failed Configure must keep the old providers: %+v", list)
	}
	// An empty list removes every provider.
	configure(t, p)
	if list, _ := p.ListProviders(context.Background()); len(list) != 0 {
		t.Fatalf("%+v", list)
	}
}

// ValidateConfig runs Configure's checks, names the same fields, and
// changes nothing: not the providers, not the settings, not the limits
// and labels of keys the refused configuration shares with the live one.
func TestValidateConfig(t *testing.T) {
	var _ interface {
		ValidateConfig(context.Context, *sdk.Config) error
	} = (*plugin)(nil) // the host's sdk.ConfigValidator
	srv := startFake(t, fake.Options{})
	p := newTestPlugin(t)
	good := prov("main", srv.URL, fakeKey)
	good.APIKeys[0].Label = "live"
	configure(t, p, good)
	k := testKey(2)
	for _, c := range badConfigs(good, k) {
		err := p.ValidateConfig(context.Background(), &c.cfg)
		e := wantCode(t, err, sdk.CodeInvalidArgument)
		if e.Field != c.field {
			t.Errorf("field %q, want %q (%s)", e.Field, c.field, e.Message)
		}
		if strings.Contains(e.Error(), k) {
			t.Errorf("error leaks a key: %s", e.Error())
		}
	}
	// Valid configurations pass, and are not applied either.
	for _, cfg := range []*sdk.Config{nil, {}, {Settings: map[string]any{"max_retries": 0}, Providers: []sdk.ProviderConfig{
		prov("other", "http://localhost:1/v1", k), {Name: "azure", BaseURL: "https://x.openai.azure.com/openai", AuthType: "api-key",
			APIKeys: []sdk.APIKey{{Value: testKey(3), RPM: 10}}, Headers: map[string]string{"X-Org": "o"}, KeyStrategy: strategyPriority}}}} {
		if err := p.ValidateConfig(context.Background(), cfg); err != nil {
			t.Fatalf("ValidateConfig(%+v): %v", cfg, err)
		}
	}
	// A refused configuration that keeps the live key with other limits.
	changed := prov("main", srv.URL, fakeKey)
	changed.APIKeys[0].Label, changed.APIKeys[0].RPM = "changed", 1
	bad := &sdk.Config{Providers: []sdk.ProviderConfig{changed, prov("b", "ftp://x")}}
	if err := p.ValidateConfig(context.Background(), bad); err == nil {
		t.Fatal("want an error for providers[1].base_url")
	}
	if err := p.Configure(context.Background(), bad); err == nil {
		t.Fatal("want an error for providers[1].base_url")
	}
	list, _ := p.ListProviders(context.Background())
	if len(list) != 1 || list[0].Name != "main" || list[0].Keys[0].Label != "live" {
		t.Fatalf("validation changed the live configuration: %+v", list)
	}
	if p.maxRetries() != defaultMaxRetries {
		t.Fatalf("validation changed the settings: max_retries %d", p.maxRetries())
	}
	for i := 0; i < 3; i++ { // more than the refused rpm of 1
		if _, err := p.Chat(context.Background(), userChat("gpt-4o-mini", "still here")); err != nil {
			t.Fatalf("chat %d on the live configuration: %v", i, err)
		}
	}
}

func TestListProvidersMasksKeys(t *testing.T) {
	p := newTestPlugin(t)
	secret := "sk-proj-0123456789ABCDEFGHIJklmnopqrstuvWXYZ"
	configure(t, p, sdk.ProviderConfig{Name: "main", BaseURL: "https://user:pass@api.openai.com/v1?x=1",
		APIKeys: []sdk.APIKey{{Value: secret, Label: "prod", RPM: 60}, {Value: "tiny-key"}}, Models: []string{"gpt-4o"}})
	list, _ := p.ListProviders(context.Background())
	data, _ := json.Marshal(list)
	s := string(data)
	for _, leak := range []string{secret, "0123", "tiny-key", "pass"} {
		if strings.Contains(s, leak) {
			t.Fatalf("ListProviders leaks %q: %s", leak, s)
		}
	}
	ps := list[0]
	if ps.BaseURL != "https://api.openai.com/v1" || ps.KeyStrategy != strategyRoundRobin || ps.Models[0] != "gpt-4o" {
		t.Fatalf("%+v", ps)
	}
	if ps.Keys[0].Masked != "sk-…WXYZ" || ps.Keys[0].Label != "prod" || ps.Keys[0].State != stateOK || ps.Keys[1].Masked != "****" {
		t.Fatalf("keys %+v", ps.Keys)
	}
}

func TestRouting(t *testing.T) {
	one := startFake(t, fake.Options{Models: []string{"alpha", "shared"}})
	two := startFake(t, fake.Options{Models: []string{"beta", "shared", "tiny:latest"}})
	three := startFake(t, fake.Options{Models: []string{"gamma"}})
	p := newTestPlugin(t)
	first := prov("first", one.URL, fakeKey)
	first.Models = []string{"alpha", "shared"}
	configure(t, p, first, prov("second", two.URL, fakeKey), prov("third", three.URL, fakeKey))
	ctx := context.Background()
	route := func(model, pinned string) string {
		t.Helper()
		pr, err := p.route(ctx, model, pinned)
		if err != nil {
			t.Fatal(err)
		}
		return pr.name
	}
	cases := []struct{ model, pinned, want string }{
		{"alpha", "", "first"},   // configured list
		{"shared", "", "first"},  // configured list beats discovery
		{"beta", "", "second"},   // discovered via GET /models
		{"tiny", "", "second"},   // "tiny" matches "tiny:latest"
		{"gamma", "", "third"},   // discovered
		{"unknown", "", "first"}, // nobody has it: the first provider answers (and says so)
		{"alpha", "third", "third"},
		{"", "", "first"},
	}
	for _, c := range cases {
		if got := route(c.model, c.pinned); got != c.want {
			t.Errorf("route(%q, %q) = %s, want %s", c.model, c.pinned, got, c.want)
		}
	}
	if _, err := p.route(ctx, "alpha", "nope"); sdk.ErrorCode(err) != sdk.CodeNotFound {
		t.Fatalf("unknown pinned provider: %v", err)
	}
	// Discovery is cached: one GET /models per provider.
	n := 0
	for _, r := range two.Requests() {
		if r.Path == "/v1/models" {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d GET /models, want 1 (cached)", n)
	}
	list, _ := p.ListProviders(ctx)
	if strings.Join(list[1].Models, ",") != "beta,shared,tiny:latest" {
		t.Fatalf("discovered models are listed: %+v", list[1])
	}
	// A request to "beta" really goes to the second provider.
	if _, err := p.Chat(ctx, userChat("beta", "hi")); err != nil {
		t.Fatal(err)
	}
	if _, ok := two.LastRequest("/v1/chat/completions"); !ok {
		t.Fatal("chat did not reach the second provider")
	}
}

func TestTestProvider(t *testing.T) {
	srv := startFake(t, fake.Options{Models: []string{"m1", "m2"}})
	p := newTestPlugin(t)
	configure(t, p, prov("good", srv.URL, fakeKey), prov("badkey", srv.URL, testKey(9)))
	res, err := p.TestProvider(context.Background(), "good")
	if err != nil || !res.OK || strings.Join(res.Models, ",") != "m1,m2" || res.Latency <= 0 {
		t.Fatalf("%+v %v", res, err)
	}
	res, err = p.TestProvider(context.Background(), "badkey")
	if err != nil || res.OK || !strings.Contains(res.Message, "401") || strings.Contains(res.Message, testKey(9)[:12]) {
		t.Fatalf("%+v %v", res, err)
	}
	if _, err := p.TestProvider(context.Background(), "missing"); sdk.ErrorCode(err) != sdk.CodeNotFound {
		t.Fatalf("%v", err)
	}

	// No /models on this server: a one-token chat stands in.
	noModels := startFake(t, fake.Options{Models: []string{"m1"}, Intercept: func(r *http.Request, key string) *fake.APIError {
		if r.URL.Path == "/v1/models" {
			return &fake.APIError{Status: 404, Message: "Invalid URL (GET /v1/models)"}
		}
		return nil
	}})
	pc := prov("nomodels", noModels.URL, fakeKey)
	pc.Models = []string{"m1"}
	configure(t, p, pc)
	res, err = p.TestProvider(context.Background(), "nomodels")
	if err != nil || !res.OK || !strings.Contains(res.Message, "1-token chat") {
		t.Fatalf("%+v %v", res, err)
	}
	r, _ := noModels.LastRequest("/v1/chat/completions")
	if r.JSON()["max_tokens"] != 1.0 {
		t.Fatalf("probe body %v", r.JSON())
	}
}

func TestAuthModesAndHeaders(t *testing.T) {
	var mu sync.Mutex
	var got []http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Header.Clone())
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"object":"list","data":[{"id":"m"}]}`))
	}))
	t.Cleanup(srv.Close)
	p := newTestPlugin(t)
	k := testKey(1)
	configure(t, p,
		sdk.ProviderConfig{Name: "bearer", BaseURL: srv.URL, APIKeys: []sdk.APIKey{{Value: k}}, Headers: map[string]string{"OpenAI-Organization": "org-1"}},
		sdk.ProviderConfig{Name: "azure", BaseURL: srv.URL, AuthType: "api-key", APIKeys: []sdk.APIKey{{Value: k}}},
		sdk.ProviderConfig{Name: "none", BaseURL: srv.URL, AuthType: "none"},
	)
	for _, name := range []string{"bearer", "azure", "none"} {
		if res, err := p.TestProvider(context.Background(), name); err != nil || !res.OK {
			t.Fatalf("%s: %+v %v", name, res, err)
		}
	}
	if got[0].Get("Authorization") != "Bearer "+k || got[0].Get("Openai-Organization") != "org-1" {
		t.Fatalf("bearer headers %v", openaiwire.RedactHeaders(got[0]))
	}
	if got[1].Get("Api-Key") != k || got[1].Get("Authorization") != "" {
		t.Fatalf("azure headers %v", openaiwire.RedactHeaders(got[1]))
	}
	if got[2].Get("Authorization") != "" || got[2].Get("Api-Key") != "" {
		t.Fatalf("none headers %v", openaiwire.RedactHeaders(got[2]))
	}
	if r := openaiwire.RedactHeaders(got[0]); r.Get("Authorization") != "[redacted]" {
		t.Fatalf("redactHeaders: %v", r)
	}
}

func TestMaxTokensFieldForOpenAI(t *testing.T) {
	p := newTestPlugin(t)
	configure(t, p, prov("oa", "https://api.openai.com/v1", testKey(1)), prov("compat", "http://127.0.0.1:1/v1", testKey(2)))
	set := p.set.Load()
	max := 9
	req := userChat("gpt-4o", "x")
	req.Options = &sdk.Options{MaxTokens: &max}
	body := func(pr *provider, r *sdk.ChatRequest) map[string]any {
		b, err := p.wire(pr).BuildChat(r, false)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		json.Unmarshal(b, &m)
		return m
	}
	if b := body(set.byName["oa"], req); b["max_completion_tokens"] != 9.0 || b["max_tokens"] != nil {
		t.Fatalf("api.openai.com: %v", b)
	}
	if b := body(set.byName["compat"], req); b["max_tokens"] != 9.0 || b["max_completion_tokens"] != nil {
		t.Fatalf("compatible: %v", b)
	}
	req.Extra = map[string]any{"max_tokens": 3}
	if b := body(set.byName["oa"], req); b["max_tokens"] != 3.0 || b["max_completion_tokens"] != nil {
		t.Fatalf("extra wins: %v", b)
	}
	req.Extra = nil
	if err := p.Configure(context.Background(), &sdk.Config{Settings: map[string]any{"max_tokens_field": "max_completion_tokens"},
		Providers: []sdk.ProviderConfig{prov("compat", "http://127.0.0.1:1/v1")}}); err != nil {
		t.Fatal(err)
	}
	if b := body(p.set.Load().byName["compat"], req); b["max_completion_tokens"] != 9.0 || b["max_tokens"] != nil {
		t.Fatalf("setting: %v", b)
	}
}

// A server that ignores "stream": true and answers JSON is relayed as one
// chunk and a done chunk.
func TestStreamIgnoredByServer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		readBody(r)
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		if strings.HasSuffix(r.URL.Path, "/completions") && !strings.Contains(r.URL.Path, "chat") {
			w.Write([]byte(`{"model":"m","choices":[{"index":0,"text":"plain","finish_reason":"stop"}]}`))
			return
		}
		w.Write([]byte(`{"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"whole",
			"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":{"a":1}}}]},"finish_reason":"tool_calls"}],
			"usage":{"prompt_tokens":1,"completion_tokens":2}}`))
	}))
	t.Cleanup(srv.Close)
	p := newTestPlugin(t)
	configure(t, p, sdk.ProviderConfig{Name: "local", BaseURL: srv.URL, AuthType: "none"})
	var chunks []*sdk.ChatChunk
	err := p.ChatStream(context.Background(), userChat("m", "x"), func(c *sdk.ChatChunk) error {
		chunks = append(chunks, c)
		return nil
	})
	if err != nil || len(chunks) != 3 || chunks[0].Content != "whole" || chunks[1].ToolCalls[0].Arguments != `{"a":1}` ||
		!chunks[2].Done || chunks[2].FinishReason != "tool_calls" || chunks[2].Usage.TotalTokens != 3 {
		t.Fatalf("err %v chunks %d", err, len(chunks))
	}
	var gen []*sdk.GenerateChunk
	err = p.GenerateStream(context.Background(), &sdk.GenerateRequest{Model: "m", Prompt: "x"}, func(c *sdk.GenerateChunk) error {
		gen = append(gen, c)
		return nil
	})
	if err != nil || len(gen) != 2 || gen[0].Text != "plain" || !gen[1].Done {
		t.Fatalf("err %v chunks %+v", err, gen)
	}
}

// A stream event the plugin cannot read ends the stream with an error
// naming the event; the content before it was relayed, no Done chunk
// follows, and the event's payload (which may hold anything) is not
// quoted.
func TestStreamMalformedEventsEndWithError(t *testing.T) {
	const secret = "sk-leaked-0123456789abcdefghij"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := readBody(r)
		w.Header().Set("Content-Type", "text/event-stream")
		fl := w.(http.Flusher)
		write := func(s string) { w.Write([]byte(s)); fl.Flush() }
		write(`data: {"choices":[{"index":0,"delta":{"role":"assistant","content":"a"}}]}` + "\n\n")
		switch {
		case strings.Contains(body, "badjson"):
			write(`data: {"choices":[{"index":0,"delta":{"content":"` + secret + `"}` + "\n\n")
		case strings.Contains(body, "shape"):
			write(`data: ["` + secret + `"]` + "\n\n")
		case strings.Contains(body, "errevent"):
			write("event: error\ndata: Internal error, try again\n\n")
		case strings.Contains(body, "cutmid"):
			// The connection dies in the middle of an event.
			write(`data: {"choices":[{"index":0,"delta":{"content":"b"},"finish_reason":"stop"}]}`)
			panic(http.ErrAbortHandler)
		case strings.Contains(body, "cutafter"):
			// A finish reason, then the connection dies before [DONE].
			write(`data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}` + "\n\n")
			panic(http.ErrAbortHandler)
		}
		write(`data: {"choices":[{"index":0,"delta":{"content":"b"},"finish_reason":"stop"}]}` + "\n\n")
		write("data: [DONE]\n\n")
	}))
	t.Cleanup(srv.Close)
	p := newTestPlugin(t)
	configure(t, p, sdk.ProviderConfig{Name: "local", BaseURL: srv.URL, AuthType: "none"})
	for _, c := range []struct{ prompt, want string }{
		{"badjson", "event 2 of the stream"},
		{"shape", "wrong shape"},
		{"errevent", "Internal error, try again"},
		{"cutmid", "the stream broke off"},
		{"cutafter", "the stream broke off"},
	} {
		t.Run(c.prompt, func(t *testing.T) {
			var chunks []*sdk.ChatChunk
			err := p.ChatStream(context.Background(), userChat("m", c.prompt), func(ch *sdk.ChatChunk) error {
				chunks = append(chunks, ch)
				return nil
			})
			e := wantCode(t, err, sdk.CodeUpstreamError)
			if e.Retryable || !strings.Contains(e.Message, c.want) || !strings.Contains(e.Message, `provider "local"`) {
				t.Fatalf("error %+v, want it to say %q", e, c.want)
			}
			if strings.Contains(e.Error(), secret) {
				t.Fatalf("error quotes the event: %s", e.Error())
			}
			if len(chunks) == 0 || chunks[0].Content != "a" {
				t.Fatalf("chunks %+v: the content before the bad event must be relayed", chunks)
			}
			for _, ch := range chunks {
				if ch.Done {
					t.Fatalf("a Done chunk after a broken stream: %+v", ch)
				}
			}
		})
	}
	// The well-formed stream passes.
	var text strings.Builder
	if err := p.ChatStream(context.Background(), userChat("m", "fine"), func(ch *sdk.ChatChunk) error {
		text.WriteString(ch.Content)
		return nil
	}); err != nil || text.String() != "ab" {
		t.Fatalf("err %v text %q", err, text.String())
	}
}
