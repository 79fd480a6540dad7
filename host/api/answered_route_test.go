package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/roundhouse-ai/roundhouse/host/backend"
	"github.com/roundhouse-ai/roundhouse/types"
)

// mapWithRoute is how the route object used to be added (decode the
// answer into a map, add "route", encode again): writeWithRoute must give
// the same members.
func mapWithRoute(t testing.TB, resp any, s *backend.Served) any {
	b, err := json.Marshal(resp)
	if err != nil {
		t.Fatal(err)
	}
	if b[0] != '{' {
		return resp
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	m["route"], _ = json.Marshal(s)
	return m
}

func TestWriteWithRouteSameMembers(t *testing.T) {
	served := &backend.Served{Plugin: "echo", Provider: "p", Model: "m<&>", RequestID: "r1", Attempts: 2, Strategy: "priority", Cache: "miss"}
	var nilResp *types.ChatResponse
	cases := map[string]any{
		"chat": &types.ChatResponse{Model: "m", Message: types.Message{Role: "assistant", Content: "Paris <b>&</b> \u2028"},
			FinishReason: "stop", Usage: &types.Usage{PromptTokens: 3, CompletionTokens: 1}},
		"empty object": struct{}{},
		"nil answer":   nilResp,
	}
	for name, resp := range cases {
		for _, s := range []*backend.Served{served, nil} {
			w := httptest.NewRecorder()
			writeWithRoute(w, resp, s)
			if w.Code != 200 || w.Header().Get("Content-Type") != "application/json" || !strings.HasSuffix(w.Body.String(), "\n") {
				t.Errorf("%s: status %d, type %q, body %q", name, w.Code, w.Header().Get("Content-Type"), w.Body.String())
			}
			var want any = resp
			if s != nil {
				want = mapWithRoute(t, resp, s)
			}
			wb, _ := json.Marshal(want)
			var got, exp any
			if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
				t.Fatalf("%s: %v in %q", name, err, w.Body.String())
			}
			_ = json.Unmarshal(wb, &exp)
			if !reflect.DeepEqual(got, exp) {
				t.Errorf("%s (served %v):\n got %s\nwant %s", name, s != nil, w.Body.String(), wb)
			}
			// Same escaping as encoding/json's (HTML-safe).
			if strings.ContainsAny(w.Body.String(), "<>&") {
				t.Errorf("%s: unescaped HTML characters in %s", name, w.Body.String())
			}
		}
	}
}

// answer.record assigns the header map directly: its keys must be the
// canonical forms Header.Set would use, or Get would not find them.
func TestServedHeaderKeysCanonical(t *testing.T) {
	for _, k := range []string{backend.HeaderPlugin, backend.HeaderProvider, backend.HeaderModel, backend.HeaderCache} {
		if c := http.CanonicalHeaderKey(k); c != k {
			t.Errorf("header key %q is not canonical (%q)", k, c)
		}
	}
	w := httptest.NewRecorder()
	a := &answer{w: w}
	a.record(backend.Served{Plugin: "p", Provider: "v", Model: "m"})
	a.record(backend.Served{}) // a failure before any choice changes nothing
	if w.Header().Get("X-Roundhouse-Plugin") != "p" || w.Header().Get("x-roundhouse-model") != "m" ||
		w.Header().Get("X-Roundhouse-Provider") != "v" || w.Header().Values("X-Roundhouse-Cache") != nil {
		t.Errorf("headers %v", w.Header())
	}
	w.Header().Add(backend.HeaderPlugin, "q")
	if got := w.Header().Values(backend.HeaderProvider); len(got) != 1 || got[0] != "v" {
		t.Errorf("Add on one header changed another: %v", w.Header())
	}
	if s := servedOf(httptest.NewRequest("GET", "/", nil)); s != nil {
		t.Errorf("servedOf without answered: %+v", s)
	}
}

// BenchmarkWriteWithRoute compares the spliced route object with the
// decode-to-map-and-re-encode it replaced, on a typical chat answer.
func BenchmarkWriteWithRoute(b *testing.B) {
	resp := &types.ChatResponse{Model: "llama3.2:1b", Message: types.Message{Role: "assistant", Content: "Paris."},
		FinishReason: "stop", Usage: &types.Usage{PromptTokens: 31, CompletionTokens: 2, TotalTokens: 33}}
	served := &backend.Served{Plugin: "ollama", Model: "llama3.2:1b", RequestID: "0123456789abcdef0123456789abcdef", Attempts: 1, Strategy: "priority"}
	w := httptest.NewRecorder()
	b.Run("splice", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			w.Body.Reset()
			writeWithRoute(w, resp, served)
		}
	})
	b.Run("map", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			w.Body.Reset()
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w.Body).Encode(mapWithRoute(b, resp, served))
		}
	})
}
