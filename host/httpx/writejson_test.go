package httpx

import (
	"bytes"
	"encoding/json"
	"math"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestWriteJSONAsEncoder: WriteJSON's pooled encoder writes what
// json.NewEncoder(w).Encode wrote, answer after answer, and nothing for a
// value that cannot be encoded.
func TestWriteJSONAsEncoder(t *testing.T) {
	big := strings.Repeat("x", 100<<10) // beyond what the pool keeps
	for _, v := range []any{
		map[string]any{"a": 1, "html": "<b>&</b>"}, []int{1, 2, 3}, "s", nil, struct{ X string }{big}, map[string]string{},
		math.Inf(1), // unsupported: nothing written
		map[string]any{"after": "an error"},
	} {
		var want bytes.Buffer
		_ = json.NewEncoder(&want).Encode(v)
		rec := httptest.NewRecorder()
		WriteJSON(rec, 201, v)
		if rec.Code != 201 || rec.Header().Get("Content-Type") != "application/json" || rec.Body.String() != want.String() {
			t.Errorf("WriteJSON(%.40v): %d %q, want %q", v, rec.Code, rec.Body.String(), want.String())
		}
	}
}
