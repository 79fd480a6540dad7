package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	oai "github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/roundhouse-ai/roundhouse/client"
	"github.com/roundhouse-ai/roundhouse/host/config"
	"github.com/roundhouse-ai/roundhouse/internal/hosttest"
	"github.com/roundhouse-ai/roundhouse/internal/openaitest/fake"
	"github.com/roundhouse-ai/roundhouse/internal/openaitest/front"
	"github.com/roundhouse-ai/roundhouse/internal/testbed"
	"github.com/roundhouse-ai/roundhouse/sdk"
)

// mockModel is what the fake upstream serves: in no plugin's manifest.
const mockModel = "mock-model"

// TestDispatchEndToEnd runs the dispatch chain on the real test bed: the
// ollama plugin attached to a real Ollama (stopped during the test) and
// the openai plugin with two providers, each behind a fault front before
// a protocol-faithful OpenAI upstream that serves only mock-model.
func TestDispatchEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: skipped in -short mode")
	}
	if runtime.GOOS != "linux" {
		t.Skip("the real test bed runs on Linux")
	}
	o := testbed.NewOllama(t)
	up := fake.NewServer(fake.Options{NoAuth: true, Models: []string{mockModel}, StreamDelay: 20 * time.Millisecond})
	t.Cleanup(up.Close)
	fr1, err := front.Start(up.URL, front.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fr1.Close)
	fr2, err := front.Start(up.URL, front.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fr2.Close)

	_, plugins := binaries(t)
	settings := map[string]any{"engine_host": o.Host(), "manage_engine": "false"}
	p1, p2 := "openai:p1/"+mockModel, "openai:p2/"+mockModel
	var logs syncBuffer
	h := hosttest.Start(t, hosttest.Options{
		Log:        &logs,
		NoEcho:     true,
		ExtraRoots: []string{only(t, plugins, "ollama", "openai")},
		Mutate: func(c *config.Config) {
			c.HealthInterval = 200 * time.Millisecond
			c.Plugins["ollama"] = config.PluginConfig{Settings: settings}
			c.Plugins["openai"] = config.PluginConfig{
				// The chain retries; the plugin's own retries would hide it.
				Settings: map[string]any{"max_retries": 0},
				Providers: []sdk.ProviderConfig{
					{Name: "p1", BaseURL: fr1.URL, APIKeys: []sdk.APIKey{{Value: "sk-dispatch-p1-0000000000000001"}}},
					{Name: "p2", BaseURL: fr2.URL, APIKeys: []sdk.APIKey{{Value: "sk-dispatch-p2-0000000000000002"}}},
				},
			}
			c.Routing = config.Routing{
				Retry:   config.Retry{MaxAttempts: 2, Initial: 10 * time.Millisecond, Max: 50 * time.Millisecond, MaxElapsed: 5 * time.Second},
				Breaker: config.Breaker{Failures: 3, OpenFor: 2 * time.Second},
				Groups: map[string]config.RouteGroup{
					"smart":  {Targets: []config.GroupTarget{{Target: "ollama/tiny"}, {Target: p1}}},
					"pair":   {Targets: []config.GroupTarget{{Target: p1}, {Target: p2}}},
					"shared": {Strategy: "round_robin", Targets: []config.GroupTarget{{Target: p1}, {Target: p2}}},
					"canary": {Targets: []config.GroupTarget{{Target: p1}, {Target: p2}},
						Canary: &config.Canary{Target: p2, Percent: 50, Window: time.Minute, Margin: 0.3, MinRequests: 3}},
				},
			}
		},
	})
	ctx := ctxFor(t, 5*time.Minute)
	c, err := client.New(h.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	chats := func(f *front.Front) int {
		n := 0
		for _, r := range f.Records() {
			if strings.HasSuffix(r.Path, "/chat/completions") {
				n++
			}
		}
		return n
	}
	// chat posts a native chat; it returns the answer and its headers.
	chat := func(t *testing.T, body string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, h.URL+"/v1/services/chat", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	msg := `"messages":[{"role":"user","content":"hello there"}]`
	routes := func(t *testing.T) *client.RouteTable {
		t.Helper()
		rt, err := c.Routes(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return rt
	}
	target := func(rt *client.RouteTable, name string) client.RouteTarget {
		for _, tv := range rt.Targets {
			if tv.Target == name {
				return tv
			}
		}
		return client.RouteTarget{}
	}

	t.Run("f: a cancelled request does not make the next lookup fail", func(t *testing.T) {
		// The host is cold: the first request starts both plugins and
		// fills the model index. Its client gives up at once.
		cctx, cancel := context.WithTimeout(ctx, 5*time.Millisecond)
		req, _ := http.NewRequestWithContext(cctx, http.MethodPost, h.URL+"/v1/services/chat",
			strings.NewReader(`{"model":"`+mockModel+`",`+msg+`}`))
		req.Header.Set("Content-Type", "application/json")
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
		cancel()
		resp, body := chat(t, `{"model":"`+mockModel+`",`+msg+`}`)
		if resp.StatusCode != 200 {
			t.Fatalf("the request after a cancelled one: %d %s", resp.StatusCode, body)
		}
	})

	// Stop Ollama: the ollama plugin then reports not_serving.
	if err := o.Close(); err != nil {
		t.Logf("stopping Ollama: %v", err)
	}
	eventually(t, 30*time.Second, "the ollama plugin reports not_serving", func() bool {
		ps, err := c.Plugins(ctx)
		if err != nil {
			return false
		}
		for _, p := range ps {
			if p.Name == "ollama" {
				return p.Health != nil && p.Health.State == sdk.HealthNotServing
			}
		}
		return false
	})

	t.Run("g: an unpinned request for a provider's model is served; /v1/models lists it, not the manifest's", func(t *testing.T) {
		oc := oai.NewClient(option.WithBaseURL(h.URL+"/v1/"), option.WithAPIKey("unused"), option.WithMaxRetries(0))
		var raw *http.Response
		r, err := oc.Chat.Completions.New(ctx, oai.ChatCompletionNewParams{Model: mockModel,
			Messages: []oai.ChatCompletionMessageParamUnion{oai.UserMessage("hi")}}, option.WithResponseInto(&raw))
		if err != nil || len(r.Choices) == 0 {
			t.Fatalf("chat %s through the OpenAI surface: %v", mockModel, err)
		}
		if raw.Header.Get("X-Roundhouse-Plugin") != "openai" || raw.Header.Get("X-Roundhouse-Provider") == "" {
			t.Errorf("headers %v, want the openai plugin and a provider", raw.Header)
		}
		list, err := oc.Models.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]string{}
		for _, m := range list.Data {
			var ext struct {
				Plugin   string `json:"plugin"`
				Provider string `json:"provider"`
			}
			_ = json.Unmarshal([]byte(m.RawJSON()), &ext)
			if ext.Plugin == "openai" {
				seen[m.ID] = ext.Provider
			}
		}
		if seen[mockModel] == "" {
			t.Errorf("GET /v1/models: %s not listed with its provider: %v", mockModel, seen)
		}
		for _, manifestOnly := range []string{"gpt-4o-mini", "whisper-1", "text-embedding-3-small"} {
			if _, ok := seen[manifestOnly]; ok {
				t.Errorf("GET /v1/models lists %s, which no provider serves", manifestOnly)
			}
		}
	})

	t.Run("a: Ollama stopped, an auto request falls back to the remote provider", func(t *testing.T) {
		resp, body := chat(t, `{"model":"smart","policy":"auto",`+msg+`}`)
		if resp.StatusCode != 200 {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
		if resp.Header.Get("X-Roundhouse-Plugin") != "openai" || resp.Header.Get("X-Roundhouse-Provider") != "p1" ||
			resp.Header.Get("X-Roundhouse-Model") != mockModel || resp.Header.Get("X-Request-Id") == "" {
			t.Errorf("headers %v", resp.Header)
		}
		if !strings.Contains(body, `"route":{`) {
			t.Errorf("no route object in %s", body)
		}
	})

	t.Run("c: two providers under round_robin share the load", func(t *testing.T) {
		n1, n2 := chats(fr1), chats(fr2)
		for range 10 {
			if resp, body := chat(t, `{"model":"shared",`+msg+`}`); resp.StatusCode != 200 {
				t.Fatalf("%d %s", resp.StatusCode, body)
			}
		}
		if d1, d2 := chats(fr1)-n1, chats(fr2)-n2; d1 != 5 || d2 != 5 {
			t.Errorf("round robin: p1 got %d, p2 got %d of 10; want 5 each", d1, d2)
		}
	})

	t.Run("b: 500s are retried, then the next candidate; the breaker opens and closes after recovery", func(t *testing.T) {
		fr1.Fail(front.AnyKey, front.ServerError(), 0)
		n1 := chats(fr1)
		resp, body := chat(t, `{"model":"pair",`+msg+`}`)
		if resp.StatusCode != 200 || resp.Header.Get("X-Roundhouse-Provider") != "p2" {
			t.Fatalf("with p1 failing: %d %s %v", resp.StatusCode, body, resp.Header)
		}
		if d := chats(fr1) - n1; d != 2 {
			t.Errorf("p1 was called %d times for one request, want 2 (max_attempts)", d)
		}
		// The request id is in the host's log (the fallback) and in the
		// plugin's (its failed call), re-logged by the host.
		id := resp.Header.Get("X-Request-Id")
		var host, plugin bool
		for _, line := range strings.Split(logs.String(), "\n") {
			if strings.Contains(line, id) {
				host = host || strings.Contains(line, "trying the next candidate")
				plugin = plugin || strings.Contains(line, "call failed")
			}
		}
		if id == "" || !host || !plugin {
			t.Errorf("request id %q in host log: %v, in plugin log: %v", id, host, plugin)
		}
		chat(t, `{"model":"pair",`+msg+`}`) // the third failure opens p1's breaker
		if st := target(routes(t), p1).Breaker; st.State != "open" || st.Failures < 3 {
			t.Fatalf("p1's breaker %+v, want open after 3 failures", st)
		}
		n1 = chats(fr1)
		if resp, _ := chat(t, `{"model":"pair",`+msg+`}`); resp.Header.Get("X-Roundhouse-Provider") != "p2" || chats(fr1) != n1 {
			t.Errorf("an open breaker still let a call through to p1")
		}
		fr1.ClearAll()
		time.Sleep(2 * time.Second) // open_for
		resp, _ = chat(t, `{"model":"pair",`+msg+`}`)
		if resp.Header.Get("X-Roundhouse-Provider") != "p1" {
			t.Errorf("after recovery the probe went to %q, want p1", resp.Header.Get("X-Roundhouse-Provider"))
		}
		if st := target(routes(t), p1).Breaker; st.State != "closed" {
			t.Errorf("p1's breaker %+v after recovery, want closed", st)
		}
	})

	t.Run("d: a stream failing after the first chunk is not retried and ends with an error event", func(t *testing.T) {
		fr1.Fail(front.AnyKey, front.Fault{CutAfter: 2000}, 1) // several chunks in
		n1, n2 := chats(fr1), chats(fr2)
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, h.URL+"/v1/services/chat",
			strings.NewReader(`{"model":"pair","stream":true,"messages":[{"role":"user","content":"`+strings.Repeat("word ", 200)+`"}]}`))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.Header.Get("X-Roundhouse-Provider") != "p1" {
			t.Errorf("stream headers %v, want p1 before the first byte", resp.Header)
		}
		var data, errorEvent int
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			switch line := sc.Text(); {
			case line == "event: error":
				errorEvent++
			case strings.HasPrefix(line, "data: "):
				data++
			}
		}
		if data < 2 || errorEvent != 1 {
			t.Errorf("stream: %d data events, %d error events; want chunks then one error", data, errorEvent)
		}
		if d1, d2 := chats(fr1)-n1, chats(fr2)-n2; d1 != 1 || d2 != 0 {
			t.Errorf("after the first chunk: p1 called %d times, p2 %d; want 1 and 0 (no retry, no fallback)", d1, d2)
		}
	})

	t.Run("e: a failing canary is rolled back", func(t *testing.T) {
		fr2.Fail(front.AnyKey, front.ServerError(), 0)
		defer fr2.ClearAll()
		for range 12 {
			if resp, body := chat(t, `{"model":"canary",`+msg+`}`); resp.StatusCode != 200 {
				t.Fatalf("the stable target must answer: %d %s", resp.StatusCode, body)
			}
		}
		var cv *client.RouteCanary
		for _, g := range routes(t).Groups {
			if g.Name == "canary" {
				cv = g.Canary
			}
		}
		if cv == nil || !cv.RolledBack || cv.Weight != 0 {
			t.Fatalf("canary %+v, want rolled back with weight 0", cv)
		}
		n2 := chats(fr2)
		for range 4 {
			chat(t, `{"model":"canary",`+msg+`}`)
		}
		if chats(fr2) != n2 {
			t.Errorf("requests still reach the rolled-back canary")
		}
	})
}
