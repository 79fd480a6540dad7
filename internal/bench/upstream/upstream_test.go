package upstream

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func do(t *testing.T, h http.Handler, method, path, body string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	r.Header.Set("Authorization", "Bearer k")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestUnaryAndModels(t *testing.T) {
	s := New(Options{APIKey: "k"})
	w := do(t, s, "POST", "/v1/chat/completions", `{"model":"x","messages":[{"role":"user","content":"hi"}]}`)
	var resp struct {
		Choices []struct {
			Message struct{ Role, Content string }
		}
	}
	if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &resp) != nil || resp.Choices[0].Message.Content != Reply {
		t.Fatalf("unary: %d %s", w.Code, w.Body)
	}
	w = do(t, s, "GET", "/v1/models", "")
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"id":"`+Model+`"`) {
		t.Fatalf("models: %d %s", w.Code, w.Body)
	}
	if w = do(t, s, "GET", "/v1/nope", ""); w.Code != 404 {
		t.Fatalf("unknown route: %d", w.Code)
	}
	if w = do(t, s, "POST", "/v1/chat/completions", `{`); w.Code != 400 {
		t.Fatalf("bad json: %d", w.Code)
	}
}

func TestStream(t *testing.T) {
	s := New(Options{})
	w := do(t, s, "POST", "/v1/chat/completions", `{"stream":true,"max_tokens":5,"stream_options":{"include_usage":true}}`)
	body, _ := io.ReadAll(w.Body)
	events := strings.Split(strings.TrimSpace(string(body)), "\n\n")
	// 5 content chunks, the finish chunk, the usage chunk, [DONE].
	if len(events) != 8 || events[7] != "data: [DONE]" || !strings.Contains(events[6], `"completion_tokens":5`) {
		t.Fatalf("events:\n%s", body)
	}
	for i := range 5 {
		var c struct {
			Choices []struct {
				Delta struct{ Role, Content string }
			}
		}
		if err := json.Unmarshal([]byte(strings.TrimPrefix(events[i], "data: ")), &c); err != nil {
			t.Fatal(err)
		}
		if want := "c" + string(rune('0'+i)) + " "; c.Choices[0].Delta.Content != want {
			t.Fatalf("chunk %d = %q, want %q", i, c.Choices[0].Delta.Content, want)
		}
		if (i == 0) != (c.Choices[0].Delta.Role == "assistant") {
			t.Fatalf("chunk %d role %q", i, c.Choices[0].Delta.Role)
		}
	}
	// Without max_tokens: the default length; no usage chunk unless asked.
	w = do(t, s, "POST", "/v1/chat/completions", `{"stream":true}`)
	if n := strings.Count(w.Body.String(), `"content":"c`); n != 16 || strings.Contains(w.Body.String(), "usage") {
		t.Fatalf("default stream: %d chunks\n%s", n, w.Body)
	}
}
