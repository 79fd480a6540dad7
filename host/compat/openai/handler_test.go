package openai

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/roundhouse-ai/roundhouse/host/backend"
	"github.com/roundhouse-ai/roundhouse/host/compat/compattest"
	"github.com/roundhouse-ai/roundhouse/sdk"
)

func newServer(t testing.TB, fb *compattest.Backend, opts Options) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	Register(mux, fb, opts)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func do(t *testing.T, method, url, contentType string, body io.Reader, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func postJSON(t *testing.T, url, body string, hdr ...string) (*http.Response, []byte) {
	return do(t, http.MethodPost, url, "application/json", strings.NewReader(body), hdr...)
}

// sseData returns the data payloads of an SSE body, in order.
func sseData(t *testing.T, body []byte) []string {
	t.Helper()
	var out []string
	for _, ev := range strings.Split(strings.TrimSpace(string(body)), "\n\n") {
		for _, line := range strings.Split(ev, "\n") {
			if d, ok := strings.CutPrefix(line, "data: "); ok {
				out = append(out, d)
			}
		}
	}
	return out
}

func decodeErr(t *testing.T, b []byte) ErrorBody {
	t.Helper()
	var e ErrorResponse
	if err := json.Unmarshal(b, &e); err != nil || e.Error.Message == "" {
		t.Fatalf("not an OpenAI error body: %s (%v)", b, err)
	}
	return e.Error
}

func TestHandlerChat(t *testing.T) {
	fb := compattest.New()
	srv := newServer(t, fb, Options{})
	resp, b := postJSON(t, srv.URL+"/v1/chat/completions",
		`{"model":"llama3.2","messages":[{"role":"user","content":"hi"}],"temperature":0.5}`,
		HeaderPolicy, "local", HeaderPlugin, "ollama")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("status %d %s: %s", resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	var cc ChatCompletion
	if err := json.Unmarshal(b, &cc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(cc.ID, "chatcmpl-") || cc.Object != "chat.completion" || cc.Created == 0 ||
		cc.Model != "llama3.2:latest" || *cc.Choices[0].Message.Content != "Hello" || cc.Usage.TotalTokens != 5 {
		t.Fatalf("unexpected completion: %s", b)
	}
	call := fb.Last("Chat")
	if call.Route != (backend.Route{Policy: backend.PolicyLocal, Plugin: "ollama"}) {
		t.Fatalf("route %+v", call.Route)
	}
	if req := call.Req.(*sdk.ChatRequest); req.Model != "llama3.2" || *req.Options.Temperature != 0.5 {
		t.Fatalf("request %+v", req)
	}
}

func TestHandlerChatStream(t *testing.T) {
	fb := compattest.New()
	srv := newServer(t, fb, Options{})
	resp, b := postJSON(t, srv.URL+"/v1/chat/completions",
		`{"model":"llama3.2","messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":{"include_usage":true}}`)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("status %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	data := sseData(t, b)
	if len(data) != 6 || data[5] != "[DONE]" {
		t.Fatalf("events: %q", data)
	}
	var text strings.Builder
	var last ChatCompletionChunk
	for _, d := range data[:5] {
		var c ChatCompletionChunk
		if err := json.Unmarshal([]byte(d), &c); err != nil {
			t.Fatal(err)
		}
		if len(c.Choices) > 0 && c.Choices[0].Delta.Content != nil {
			text.WriteString(*c.Choices[0].Delta.Content)
		}
		last = c
	}
	if text.String() != "Hello" || len(last.Choices) != 0 || last.Usage == nil {
		t.Fatalf("text %q, last %+v", text.String(), last)
	}
}

func TestHandlerStreamWithoutDoneChunkIsClosed(t *testing.T) {
	fb := compattest.New()
	fb.Chunks = []*sdk.ChatChunk{{Content: "x"}} // the backend forgets Done
	srv := newServer(t, fb, Options{})
	_, b := postJSON(t, srv.URL+"/v1/chat/completions", `{"messages":[{"role":"user","content":"hi"}],"stream":true}`)
	data := sseData(t, b)
	if len(data) != 4 || !strings.Contains(data[2], `"finish_reason":"stop"`) || data[3] != "[DONE]" {
		t.Fatalf("events: %q", data)
	}
}

func TestHandlerStreamMidStreamError(t *testing.T) {
	fb := compattest.New()
	fb.Chunks = []*sdk.ChatChunk{{Content: "partial"}}
	fb.StreamErr = sdk.Errorf(sdk.CodeEngineUnavailable, "engine crashed")
	srv := newServer(t, fb, Options{})
	resp, b := postJSON(t, srv.URL+"/v1/chat/completions", `{"messages":[{"role":"user","content":"hi"}],"stream":true}`)
	data := sseData(t, b)
	if resp.StatusCode != 200 || len(data) != 4 || data[3] != "[DONE]" {
		t.Fatalf("status %d events %q", resp.StatusCode, data)
	}
	e := decodeErr(t, []byte(data[2]))
	if e.Type != "server_error" || *e.Code != "engine_unavailable" || !strings.Contains(e.Message, "engine crashed") {
		t.Fatalf("error event %+v", e)
	}
}

func TestHandlerStreamErrorBeforeFirstChunk(t *testing.T) {
	srv := newServer(t, compattest.New(), Options{})
	resp, b := postJSON(t, srv.URL+"/v1/chat/completions", `{"model":"nope","messages":[{"role":"user","content":"hi"}],"stream":true}`)
	if resp.StatusCode != 404 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("status %d: %s", resp.StatusCode, b)
	}
	if e := decodeErr(t, b); *e.Code != "model_not_found" || *e.Param != "model" {
		t.Fatalf("%+v", e)
	}
}

func TestHandlerDisconnectCancelsBackend(t *testing.T) {
	for _, path := range []string{"/v1/chat/completions", "/v1/completions"} {
		t.Run(path, func(t *testing.T) {
			fb := compattest.New()
			fb.BlockStream = true
			srv := newServer(t, fb, Options{})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			body := `{"messages":[{"role":"user","content":"hi"}],"prompt":"hi","stream":true}`
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+path, strings.NewReader(body))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			// The first event arrives while the backend is still streaming:
			// flushed per chunk.
			line, err := bufio.NewReader(resp.Body).ReadString('\n')
			if err != nil || !strings.HasPrefix(line, "data: ") {
				t.Fatalf("first line %q: %v", line, err)
			}
			<-fb.Blocked
			cancel()
			select {
			case <-fb.Canceled:
			case <-time.After(5 * time.Second):
				t.Fatal("backend context was not cancelled after the client left")
			}
		})
	}
}

func TestHandlerErrors(t *testing.T) {
	srv := newServer(t, compattest.New(), Options{MaxBodyBytes: 1024})
	big := `{"messages":[{"role":"user","content":"` + strings.Repeat("x", 2048) + `"}]}`
	tests := []struct {
		name, path, body string
		status           int
		param            string
	}{
		{"malformed", "/v1/chat/completions", `{"messages":[`, 400, "body"},
		{"syntax", "/v1/chat/completions", `{"messages":}`, 400, "body"},
		{"empty body", "/v1/chat/completions", ``, 400, "body"},
		{"wrong type", "/v1/chat/completions", `{"messages":"hi"}`, 400, "messages"},
		{"trailing data", "/v1/chat/completions", `{"messages":[]} {}`, 400, "body"},
		{"n", "/v1/chat/completions", `{"messages":[{"role":"user","content":"x"}],"n":3}`, 400, "n"},
		{"too large", "/v1/chat/completions", big, 413, "body"},
		{"unknown model", "/v1/chat/completions", `{"model":"ghost","messages":[{"role":"user","content":"x"}]}`, 404, "model"},
		{"embeddings unknown model", "/v1/embeddings", `{"model":"ghost","input":"x"}`, 404, "model"},
		{"completions unknown model", "/v1/completions", `{"model":"ghost","prompt":"x"}`, 404, "model"},
		{"bad policy", "/v1/embeddings", `{"input":"x"}`, 400, HeaderPolicy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var hdr []string
			if tt.param == HeaderPolicy {
				hdr = []string{HeaderPolicy, "cheap"}
			}
			resp, b := postJSON(t, srv.URL+tt.path, tt.body, hdr...)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, b)
			}
			e := decodeErr(t, b)
			if e.Param == nil || *e.Param != tt.param {
				t.Fatalf("param %v, want %q: %s", e.Param, tt.param, b)
			}
			if e.Type != "invalid_request_error" {
				t.Fatalf("type %q", e.Type)
			}
		})
	}
}

func TestHandlerModels(t *testing.T) {
	fb := compattest.New()
	mux := http.NewServeMux()
	// The native API owns the other verbs under /v1/models/: no clash.
	mux.HandleFunc("POST /v1/models/pull", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusAccepted) })
	mux.HandleFunc("DELETE /v1/models/{name...}", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	Register(mux, fb, Options{})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	resp, b := do(t, http.MethodGet, srv.URL+"/v1/models", "", nil)
	var list ModelList
	if err := json.Unmarshal(b, &list); err != nil || resp.StatusCode != 200 || list.Object != "list" || len(list.Data) != 3 {
		t.Fatalf("list %d: %s", resp.StatusCode, b)
	}
	if d := list.Data[0]; d.ID != "llama3.2:latest" || d.Object != "model" || d.OwnedBy != "ollama" || d.Plugin != "ollama" || d.State != "running" || d.Size == 0 {
		t.Fatalf("model %+v", d)
	}
	_, b = do(t, http.MethodGet, srv.URL+"/v1/models?state=running", "", nil)
	if err := json.Unmarshal(b, &list); err != nil || len(list.Data) != 1 {
		t.Fatalf("running: %s", b)
	}
	resp, b = do(t, http.MethodGet, srv.URL+"/v1/models?state=sleeping", "", nil)
	if resp.StatusCode != 400 || *decodeErr(t, b).Param != "state" {
		t.Fatalf("bad state: %d %s", resp.StatusCode, b)
	}
	resp, b = do(t, http.MethodGet, srv.URL+"/v1/models/ollama/llama3.2:latest", "", nil)
	var m ModelObject
	if err := json.Unmarshal(b, &m); err != nil || resp.StatusCode != 200 || m.ID != "llama3.2:latest" {
		t.Fatalf("retrieve: %d %s", resp.StatusCode, b)
	}
	resp, b = do(t, http.MethodGet, srv.URL+"/v1/models/ghost", "", nil)
	if e := decodeErr(t, b); resp.StatusCode != 404 || *e.Code != "model_not_found" || e.Type != "invalid_request_error" {
		t.Fatalf("missing: %d %s", resp.StatusCode, b)
	}
	if resp, _ := do(t, http.MethodPost, srv.URL+"/v1/models/pull", "", nil); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("native pull route shadowed: %d", resp.StatusCode)
	}
	if resp, _ := do(t, http.MethodDelete, srv.URL+"/v1/models/llama3.2", "", nil); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("native delete route shadowed: %d", resp.StatusCode)
	}
}

func TestHandlerCompletions(t *testing.T) {
	srv := newServer(t, compattest.New(), Options{})
	resp, b := postJSON(t, srv.URL+"/v1/completions", `{"model":"llama3.2","prompt":["Say"],"echo":true}`)
	var c Completion
	if err := json.Unmarshal(b, &c); err != nil || resp.StatusCode != 200 || c.Object != "text_completion" ||
		!strings.HasPrefix(c.ID, "cmpl-") || c.Choices[0].Text != "SayHello" {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	_, b = postJSON(t, srv.URL+"/v1/completions", `{"model":"llama3.2","prompt":"Say","stream":true}`)
	data := sseData(t, b)
	if len(data) != 4 || data[3] != "[DONE]" || !strings.Contains(data[0], `"text":"Hel"`) || !strings.Contains(data[2], `"finish_reason":"stop"`) {
		t.Fatalf("stream %q", data)
	}
}

func TestHandlerEmbeddings(t *testing.T) {
	fb := compattest.New()
	srv := newServer(t, fb, Options{})
	resp, b := postJSON(t, srv.URL+"/v1/embeddings", `{"model":"all-minilm","input":["ab","c d"],"encoding_format":"base64","dimensions":2}`)
	var list struct {
		Data []struct {
			Index     int    `json:"index"`
			Embedding string `json:"embedding"`
		} `json:"data"`
		Model string         `json:"model"`
		Usage EmbeddingUsage `json:"usage"`
	}
	if err := json.Unmarshal(b, &list); err != nil || resp.StatusCode != 200 || len(list.Data) != 2 || list.Data[1].Index != 1 ||
		list.Data[0].Embedding != EncodeBase64Floats([]float32{2, 0.5}) || list.Model != "all-minilm:latest" || list.Usage.PromptTokens != 3 {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	if req := fb.Last("Embed").Req.(*sdk.EmbedRequest); req.Dimensions != 2 || len(req.Input) != 2 {
		t.Fatalf("request %+v", req)
	}
}

func TestHandlerImagesAndSpeech(t *testing.T) {
	fb := compattest.New()
	srv := newServer(t, fb, Options{})
	resp, b := postJSON(t, srv.URL+"/v1/images/generations", `{"model":"sd","prompt":"a cat","n":2,"response_format":"b64_json"}`)
	var il ImageList
	if err := json.Unmarshal(b, &il); err != nil || resp.StatusCode != 200 || len(il.Data) != 2 || il.Data[0].B64JSON == "" || il.Created == 0 {
		t.Fatalf("images %d %s", resp.StatusCode, b)
	}
	resp, b = postJSON(t, srv.URL+"/v1/audio/speech", `{"model":"tts","input":"hello","voice":"alloy","response_format":"wav"}`)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "audio/wav" || !bytes.Equal(b, compattest.WAV) {
		t.Fatalf("speech %d %s %q", resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	fb.TextToSpeechFunc = func(context.Context, backend.Route, *sdk.TextToSpeechRequest) (*sdk.TextToSpeechResponse, error) {
		return &sdk.TextToSpeechResponse{Audio: []byte("ID3")}, nil
	}
	resp, _ = postJSON(t, srv.URL+"/v1/audio/speech", `{"input":"hello","response_format":"mp3"}`)
	if resp.Header.Get("Content-Type") != "audio/mpeg" {
		t.Fatalf("speech type from format: %s", resp.Header.Get("Content-Type"))
	}
	resp, b = postJSON(t, srv.URL+"/v1/audio/speech", `{"model":"tts"}`)
	if resp.StatusCode != 400 || *decodeErr(t, b).Param != "input" {
		t.Fatalf("speech without input: %d %s", resp.StatusCode, b)
	}
}

func multipartBody(t *testing.T, fields map[string]string, file []byte) (string, *bytes.Buffer) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	if file != nil {
		fw, _ := mw.CreateFormFile("file", "clip.wav")
		_, _ = fw.Write(file)
	}
	_ = mw.Close()
	return mw.FormDataContentType(), &buf
}

func TestHandlerTranscriptions(t *testing.T) {
	fb := compattest.New()
	srv := newServer(t, fb, Options{MaxBodyBytes: 4096})
	url := srv.URL + "/v1/audio/transcriptions"

	ct, body := multipartBody(t, map[string]string{"model": "whisper", "language": "en", "prompt": "names", "temperature": "0.2"}, compattest.WAV)
	resp, b := do(t, http.MethodPost, url, ct, body)
	if resp.StatusCode != 200 || strings.TrimSpace(string(b)) != `{"text":"hello world"}` {
		t.Fatalf("json %d %s", resp.StatusCode, b)
	}
	req := fb.Last("SpeechToText").Req.(*sdk.SpeechToTextRequest)
	if req.Model != "whisper" || req.Language != "en" || req.Prompt != "names" || *req.Temperature != 0.2 ||
		req.Filename != "clip.wav" || !bytes.Equal(req.Audio, compattest.WAV) {
		t.Fatalf("request %+v", req)
	}
	for format, want := range map[string]string{"text": "hello world\n", "srt": "1\n00:00:00,000 --> 00:00:00,700\nhello\n\n"} {
		ct, body = multipartBody(t, map[string]string{"response_format": format}, compattest.WAV)
		resp, b = do(t, http.MethodPost, url, ct, body)
		if resp.StatusCode != 200 || !strings.HasPrefix(string(b), want) {
			t.Fatalf("%s: %d %q", format, resp.StatusCode, b)
		}
	}
	ct, body = multipartBody(t, map[string]string{"response_format": "verbose_json"}, compattest.WAV)
	_, b = do(t, http.MethodPost, url, ct, body)
	var v VerboseTranscription
	if err := json.Unmarshal(b, &v); err != nil || v.Language != "english" || len(v.Segments) != 2 || v.Duration != 1.5 {
		t.Fatalf("verbose %s", b)
	}

	bad := []struct {
		name   string
		fields map[string]string
		file   []byte
		ct     string
		status int
		param  string
	}{
		{"no file", map[string]string{"model": "w"}, nil, "", 400, "file"},
		{"format", map[string]string{"response_format": "xml"}, compattest.WAV, "", 400, "response_format"},
		{"temperature", map[string]string{"temperature": "hot"}, compattest.WAV, "", 400, "temperature"},
		{"not multipart", nil, nil, "application/json", 400, "body"},
		{"too large", nil, bytes.Repeat([]byte("x"), 8192), "", 413, "body"},
	}
	for _, tt := range bad {
		ct, body := multipartBody(t, tt.fields, tt.file)
		if tt.ct != "" {
			ct, body = tt.ct, bytes.NewBufferString(`{}`)
		}
		resp, b := do(t, http.MethodPost, url, ct, body)
		if resp.StatusCode != tt.status || *decodeErr(t, b).Param != tt.param {
			t.Errorf("%s: %d %s", tt.name, resp.StatusCode, b)
		}
	}
}
