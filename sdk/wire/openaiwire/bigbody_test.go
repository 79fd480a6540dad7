package openaiwire

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/roundhouse-ai/roundhouse/types"
)

// stdJSONString is encoding/json's rendering of s, HTML escaping off.
func stdJSONString(t testing.TB, s string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

func checkJSONString(t testing.TB, s string) {
	got := string(appendJSONString(nil, s))
	if want := stdJSONString(t, s); got != want {
		t.Fatalf("appendJSONString(%q) = %s, want %s", s, got, want)
	}
	if n := jsonStringLen(s); n != len(got) {
		t.Fatalf("jsonStringLen(%q) = %d, want %d", s, n, len(got))
	}
}

func TestAppendJSONStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", `"quoted" \back\slash`, "\x00\x01\x1f\x7f\b\f\n\r\t",
		"<html>&amp;</html>", "héllo wörld ✓ 🚀", "bad utf8 \xff\xfe end", "\xe2\x80", "line\u2028sep\u2029para",
		strings.Repeat("long \"text\"\n", 1000)} {
		checkJSONString(t, s)
	}
}

func FuzzAppendJSONString(f *testing.F) {
	f.Add("a\"b\\c\x00\u2028\xff")
	f.Fuzz(func(t *testing.T, s string) { checkJSONString(t, s) })
}

// A big message goes into the body by splicing; the body must be the
// same JSON as plain marshalling gives, Extra merged as before.
func TestBuildChatSplicesBigValues(t *testing.T) {
	c := &Client{BaseURL: "http://x/v1", Name: "main"}
	big := strings.Repeat("a \"big\" prompt\twith <tags> & \u2028 and \xff bad bytes\n", spliceMin/40+10)
	img := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{1, 2, 3}, spliceMin)...)
	req := &types.ChatRequest{Model: "m", Messages: []types.Message{
		{Role: "system", Content: "short"},
		{Role: "user", Content: big, Images: [][]byte{img}},
		{Role: "assistant", ToolCalls: []types.ToolCall{{ID: "c1", Name: "f", Arguments: `{"x":"` + strings.Repeat("y", spliceMin) + `"}`}}},
		{Role: "tool", ToolCallID: "c1", Content: big},
	}, Extra: map[string]any{"user": "u1", "temperature": nil}}
	body, err := c.BuildChat(req, true)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(body, []byte("rh-slot")) {
		t.Fatal("a placeholder was left in the body")
	}
	var got struct {
		Model    string `json:"model"`
		User     string `json:"user"`
		Stream   bool   `json:"stream"`
		Messages []struct {
			Role    string          `json:"role"`
			Content json.RawMessage `json:"content"`
			Tool    []wireToolCall  `json:"tool_calls"`
		} `json:"messages"`
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("body is not JSON: %v", err)
	}
	if got.Model != "m" || got.User != "u1" || !got.Stream || len(got.Messages) != 4 {
		t.Fatalf("body %+v", got)
	}
	wantBig := strings.ToValidUTF8(big, "\uFFFD")
	var parts []contentPart
	if err := json.Unmarshal(got.Messages[1].Content, &parts); err != nil || len(parts) != 2 {
		t.Fatalf("parts %v %v", err, len(parts))
	}
	if parts[0].Text != wantBig {
		t.Fatal("big text changed on the way")
	}
	if want := "data:image/png;base64," + base64.StdEncoding.EncodeToString(img); parts[1].ImageURL.URL != want {
		t.Fatal("big image changed on the way")
	}
	if args := req.Messages[2].ToolCalls[0].Arguments; got.Messages[2].Tool[0].Function.Arguments != args {
		t.Fatal("big tool arguments changed on the way")
	}
	var s string
	if err := json.Unmarshal(got.Messages[3].Content, &s); err != nil || s != wantBig {
		t.Fatalf("tool content changed: %v", err)
	}
	// A field that merely looks like a placeholder is left alone.
	req.Messages[0].Content = "\x00rh-slot:0000000000000000:0\x00"
	body, err = c.BuildChat(req, false)
	if err != nil || !json.Valid(body) || !bytes.Contains(body, []byte(`"\u0000rh-slot:0000000000000000:0\u0000"`)) {
		t.Fatalf("err %v; body head %q", err, head(body, 200))
	}
}
