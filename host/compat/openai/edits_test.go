package openai

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"testing"

	"github.com/roundhouse-ai/roundhouse/host/compat/compattest"
	"github.com/roundhouse-ai/roundhouse/sdk"
)

// editBody is an images/edits upload: fields, and files by part name.
func editBody(t *testing.T, fields map[string]string, files map[string][]byte) (string, *bytes.Buffer) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	for name, data := range files {
		fw, _ := mw.CreateFormFile(name, name+".png")
		_, _ = fw.Write(data)
	}
	_ = mw.Close()
	return mw.FormDataContentType(), &buf
}

func TestHandlerImageEdits(t *testing.T) {
	fb := compattest.New()
	srv := newServer(t, fb, Options{MaxBodyBytes: 4096})
	url := srv.URL + "/v1/images/edits"
	mask := []byte("\x89PNG\r\n\x1a\nmask")

	ct, body := editBody(t, map[string]string{"model": "sdxl", "prompt": "add a hat", "n": "2", "size": "512x512", "quality": "high"},
		map[string][]byte{"image": compattest.PNG, "mask": mask})
	resp, b := do(t, http.MethodPost, url, ct, body, "X-Roundhouse-Plugin", "x")
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	var list ImageList
	if err := json.Unmarshal(b, &list); err != nil || len(list.Data) != 2 || list.Created == 0 {
		t.Fatalf("answer %s", b)
	}
	if got, _ := base64.StdEncoding.DecodeString(list.Data[0].B64JSON); !bytes.Equal(got, compattest.PNG) {
		t.Fatalf("image %q", list.Data[0].B64JSON)
	}
	call := fb.Last("ImageToImage")
	req := call.Req.(*sdk.ImageToImageRequest)
	if req.Model != "sdxl" || req.Prompt != "add a hat" || req.N != 2 || req.Size != "512x512" || req.Quality != "high" ||
		!bytes.Equal(req.Image, compattest.PNG) || !bytes.Equal(req.Mask, mask) || req.ImageMIMEType != "image/png" {
		t.Fatalf("request %+v", req)
	}
	if call.Route.Plugin != "x" {
		t.Fatalf("route %+v: X-Roundhouse-Plugin must route a multipart request too", call.Route)
	}

	// response_format=url gives data: URLs (the host serves no files);
	// image[] (several images, as the GPT image models take) is read.
	ct, body = editBody(t, map[string]string{"prompt": "p", "response_format": "url"}, map[string][]byte{"image[]": compattest.PNG})
	resp, b = do(t, http.MethodPost, url, ct, body)
	if resp.StatusCode != 200 || !bytes.Contains(b, []byte(`"url":"data:image/png;base64,`)) {
		t.Fatalf("url format: %d %s", resp.StatusCode, b)
	}

	bad := []struct {
		name   string
		fields map[string]string
		files  map[string][]byte
		ct     string
		status int
		param  string
	}{
		{"no image", map[string]string{"prompt": "p"}, nil, "", 400, "image"},
		{"no prompt", nil, map[string][]byte{"image": compattest.PNG}, "", 400, "prompt"},
		{"empty image", map[string]string{"prompt": "p"}, map[string][]byte{"image": {}}, "", 400, "image"},
		{"n", map[string]string{"prompt": "p", "n": "11"}, map[string][]byte{"image": compattest.PNG}, "", 400, "n"},
		{"format", map[string]string{"prompt": "p", "response_format": "gif"}, map[string][]byte{"image": compattest.PNG}, "", 400, "response_format"},
		{"not multipart", nil, nil, "application/json", 400, "body"},
		{"too large", map[string]string{"prompt": "p"}, map[string][]byte{"image": bytes.Repeat([]byte("x"), 8192)}, "", 413, "body"},
	}
	for _, tt := range bad {
		ct, body := editBody(t, tt.fields, tt.files)
		if tt.ct != "" {
			ct, body = tt.ct, bytes.NewBufferString(`{}`)
		}
		resp, b := do(t, http.MethodPost, url, ct, body)
		if resp.StatusCode != tt.status || *decodeErr(t, b).Param != tt.param {
			t.Errorf("%s: %d %s", tt.name, resp.StatusCode, b)
		}
	}
}
