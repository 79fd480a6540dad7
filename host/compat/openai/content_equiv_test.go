package openai

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"
)

// TestContentDecodesAsRawMessage: a message's content decoded through
// Content gives what parseContent gave for the json.RawMessage the field
// used to be: text, images and error alike.
func TestContentDecodesAsRawMessage(t *testing.T) {
	png := `data:image/png;base64,iVBORw0KGgo=`
	for _, content := range []string{
		`"hello"`, `""`, `null`, `"with \"escapes\"\n"`, `"unicode ✓"`, "\"bad utf8 \xff\"", `"\u00e9"`,
		`[{"type":"text","text":"a"},{"type":"text","text":"b"}]`,
		`[{"type":"image_url","image_url":{"url":"` + png + `"}}]`,
		`[]`, `42`, `{"type":"text"}`, `true`, ` "spaced" `,
	} {
		body := []byte(`{"role":"user","content":` + content + `}`)
		var old struct {
			Content json.RawMessage `json:"content"`
		}
		var got ChatMessage
		oerr := json.Unmarshal(body, &old)
		gerr := json.Unmarshal(body, &got)
		if (oerr == nil) != (gerr == nil) {
			t.Fatalf("%s: decode errors differ: %v / %v", content, oerr, gerr)
		}
		wt, wi, werr := parseContent(old.Content, "messages[0].content", true)
		gt, gi, gerr2 := got.Content.parse(func() string { return "messages[0].content" }, true)
		if wt != gt || !slices.EqualFunc(wi, gi, bytes.Equal) || (werr == nil) != (gerr2 == nil) ||
			(werr != nil && werr.Error() != gerr2.Error()) {
			t.Errorf("%s: got %q %v %v, want %q %v %v", content, gt, gi, gerr2, wt, wi, werr)
		}
	}
}
