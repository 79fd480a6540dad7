package openai

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
)

// plainString agrees with json.Unmarshal wherever it answers, and leaves
// to it every string it cannot take as is.
func TestPlainStringMatchesUnmarshal(t *testing.T) {
	for _, raw := range []string{`""`, `"ping"`, `"héllo ✓"`, `"a\nb"`, `"tab\there"`, `"q\"uote"`, `"\u00e9"`, "\"bad \xff utf8\"", `"back\\slash"`} {
		var want string
		if err := json.Unmarshal([]byte(raw), &want); err != nil {
			t.Fatalf("%q: %v", raw, err)
		}
		got, ok := plainString([]byte(raw))
		plain := !strings.ContainsAny(raw[1:len(raw)-1], "\\\xff")
		if ok != plain {
			t.Errorf("%q: plain %v, want %v", raw, ok, plain)
		}
		if ok && got != want {
			t.Errorf("%q: %q, want %q", raw, got, want)
		}
		s, _, err := parseContent(json.RawMessage(raw), "content", false)
		if err != nil || s != want {
			t.Errorf("parseContent(%q) = %q, %v; want %q", raw, s, err, want)
		}
	}
}

// Images decode the same whether the URL is escaped or not, and large
// ones come back intact.
func TestParseContentImages(t *testing.T) {
	img := bytes.Repeat([]byte{0x89, 'P', 'N', 'G', 0, 1, 2, 0xff}, 64<<10)
	b64 := base64.StdEncoding.EncodeToString(img)
	for name, url := range map[string]string{
		"plain":   "data:image/png;base64," + b64,
		"escaped": `data:image\/png;base64,` + strings.ReplaceAll(b64, "/", `\/`),
	} {
		raw := `[{"type":"text","text":"look"},{"type":"image_url","image_url":{"url":"` + url + `","detail":"low"}}]`
		text, images, err := parseContent(json.RawMessage(raw), "content", true)
		if err != nil || text != "look" || len(images) != 1 || !bytes.Equal(images[0], img) {
			t.Fatalf("%s: text %q, %d images, err %v", name, text, len(images), err)
		}
	}
	for _, tc := range []struct{ url, want string }{
		{`""`, "is required"}, {`null`, "is required"}, {`"data:image/png;base64,@@@"`, "invalid base64"},
		{`"https://x/y.png"`, "remote image URLs are not fetched"}, {`"data:image/png,abc"`, "must be base64-encoded"},
		{`"data:image/png;base64,"`, "image data is empty"},
	} {
		raw := `[{"type":"image_url","image_url":{"url":` + tc.url + `}}]`
		_, _, err := parseContent(json.RawMessage(raw), "content", true)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "content[0].image_url.url") {
			t.Errorf("url %s: %v, want %q naming content[0].image_url.url", tc.url, err, tc.want)
		}
	}
}

// BenchmarkParseContentImage: a 1 MB image in one user message.
func BenchmarkParseContentImage(b *testing.B) {
	img := bytes.Repeat([]byte{0x89, 'P', 'N', 'G', 0, 1, 2, 0xff}, 128<<10)
	raw := json.RawMessage(`[{"type":"text","text":"look"},{"type":"image_url","image_url":{"url":"data:image/png;base64,` +
		base64.StdEncoding.EncodeToString(img) + `"}}]`)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := parseContent(raw, "content", true); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseContentText: a 64 KB plain-text message.
func BenchmarkParseContentText(b *testing.B) {
	raw := json.RawMessage(`"` + strings.Repeat("lorem ipsum ", 64<<10/12) + `"`)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := parseContent(raw, "content", false); err != nil {
			b.Fatal(err)
		}
	}
}
