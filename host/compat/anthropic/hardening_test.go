package anthropic

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/roundhouse-ai/roundhouse/host/compat/compattest"
)

// A tool_use input with invalid UTF-8 (raw JSON kept as text, so JSON
// decoding does not repair it) is answered 400 in Anthropic's error shape
// naming the field, not 500 with gRPC's marshalling text.
func TestInvalidUTF8IsBadRequest(t *testing.T) {
	wired := compattest.Wire(compattest.New())
	defer wired.Close()
	mux := http.NewServeMux()
	Register(mux, wired, Options{})
	for _, stream := range []string{"false", "true"} {
		body := "{\"model\":\"llama3.2\",\"max_tokens\":8,\"stream\":" + stream + ",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}," +
			"{\"role\":\"assistant\",\"content\":[{\"type\":\"tool_use\",\"id\":\"t\",\"name\":\"f\",\"input\":{\"a\":\"\xff\xfe\"}}]}," +
			"{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"t\",\"content\":\"r\"}]}]}"
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/v1/messages", strings.NewReader(body)))
		var e ErrorResponse
		if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || rec.Code != http.StatusBadRequest ||
			e.Error.Type != "invalid_request_error" ||
			e.Error.Message != "messages[1].tool_calls[0].arguments: contains invalid UTF-8; send text as UTF-8" {
			t.Fatalf("stream=%s: status %d %s, want 400 naming the tool call's arguments", stream, rec.Code, rec.Body.Bytes())
		}
	}
}
