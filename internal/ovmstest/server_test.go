package ovmstest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeConfig(t *testing.T, path string, cf ConfigFile) {
	t.Helper()
	b, _ := json.Marshal(cf)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// pulled makes a model directory through the fake's own --pull code.
func pulled(t *testing.T, repo, source, task string) string {
	t.Helper()
	if err := Pull(context.Background(), PullOptions{SourceModel: source, RepositoryPath: repo, Task: task, FileBytes: 1000, Step: time.Millisecond}, io.Discard); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(repo, filepath.FromSlash(source))
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func post(t *testing.T, url, ct string, body []byte) (int, []byte) {
	t.Helper()
	resp, err := http.Post(url, ct, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func TestConfigReloadAndReadiness(t *testing.T) {
	repo := t.TempDir()
	cfg := filepath.Join(repo, "config.json")
	writeConfig(t, cfg, ConfigFile{ModelConfigList: []ModelConfigItem{}})
	s, err := New(Options{ConfigPath: cfg})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()

	if code, body := get(t, ts.URL+"/v2/health/ready"); code != 200 || body != "{}" {
		t.Fatalf("ready = %d %q", code, body)
	}
	if code, body := get(t, ts.URL+"/v2/models/m1/ready"); code != 404 || !strings.Contains(body, "Model with requested name is not found") {
		t.Fatalf("unknown model ready = %d %s", code, body)
	}
	// Nothing changed: 200; a new servable: 201 with its status.
	if code, _ := post(t, ts.URL+"/v1/config/reload", "", nil); code != 200 {
		t.Fatalf("reload without change = %d", code)
	}
	dir := pulled(t, repo, "OpenVINO/m1", "rerank")
	writeConfig(t, cfg, ConfigFile{ModelConfigList: []ModelConfigItem{{Config: ModelConfig{Name: "m1", BasePath: "OpenVINO/m1"}}}})
	code, body := post(t, ts.URL+"/v1/config/reload", "", nil)
	if code != 201 {
		t.Fatalf("reload with change = %d %s", code, body)
	}
	var st map[string]map[string][]versionStatus
	if err := json.Unmarshal(body, &st); err != nil {
		t.Fatal(err)
	}
	if v := st["m1"]["model_version_status"]; len(v) != 1 || v[0].State != StateAvailable || v[0].Status.ErrorCode != "OK" {
		t.Fatalf("status after reload: %s", body)
	}
	if code, _ := get(t, ts.URL+"/v2/models/m1/ready"); code != 200 {
		t.Fatalf("m1 ready = %d", code)
	}
	// A broken config changes nothing.
	if err := os.WriteFile(cfg, []byte(`{"model_config_list": [`), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, body := post(t, ts.URL+"/v1/config/reload", "", nil); code < 400 || !strings.Contains(string(body), `"error"`) {
		t.Fatalf("broken config reload = %d %s", code, body)
	}
	if code, _ := get(t, ts.URL+"/v2/models/m1/ready"); code != 200 {
		t.Fatalf("m1 after broken config = %d", code)
	}
	// Removal unloads: state END, not ready.
	writeConfig(t, cfg, ConfigFile{ModelConfigList: []ModelConfigItem{}})
	if code, _ := post(t, ts.URL+"/v1/config/reload", "", nil); code != 201 {
		t.Fatalf("reload after removal = %d", code)
	}
	_, body2 := get(t, ts.URL+"/v1/config")
	if !strings.Contains(body2, `"state":"END"`) {
		t.Fatalf("config status after removal: %s", body2)
	}
	if code, _ := get(t, ts.URL+"/v2/models/m1/ready"); code != 404 {
		t.Fatalf("m1 ready after removal = %d", code)
	}
	// A servable whose directory is missing stays LOADING with an error.
	writeConfig(t, cfg, ConfigFile{MediapipeConfigList: []MediapipeConfig{{Name: "ghost", BasePath: "nowhere"}}})
	post(t, ts.URL+"/v1/config/reload", "", nil)
	_, body3 := get(t, ts.URL+"/v1/config")
	if !strings.Contains(body3, "Model directory does not exist") {
		t.Fatalf("ghost status: %s", body3)
	}
	_ = dir
}

func TestPollingAndLoadDelay(t *testing.T) {
	repo := t.TempDir()
	cfg := filepath.Join(repo, "config.json")
	writeConfig(t, cfg, ConfigFile{ModelConfigList: []ModelConfigItem{}})
	s, err := New(Options{ConfigPath: cfg, PollInterval: 10 * time.Millisecond, LoadDelay: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.Run(ctx)
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	pulled(t, repo, "emb", "embeddings")
	writeConfig(t, cfg, ConfigFile{ModelConfigList: []ModelConfigItem{{Config: ModelConfig{Name: "emb", BasePath: filepath.Join(repo, "emb")}}}})
	sawLoading := false
	for deadline := time.Now().Add(10 * time.Second); ; {
		code, body := get(t, ts.URL+"/v2/models/emb/ready")
		if code == 200 {
			break
		}
		if strings.Contains(body, "not loaded yet") {
			sawLoading = true
		}
		if time.Now().After(deadline) {
			t.Fatalf("emb never became ready: %d %s", code, body)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if !sawLoading {
		t.Error("readiness never showed the LOADING state")
	}
}

func readyServer(t *testing.T, models map[string]string, opts Options) *httptest.Server {
	t.Helper()
	repo := t.TempDir()
	cf := ConfigFile{ModelConfigList: []ModelConfigItem{}}
	for name, task := range models {
		pulled(t, repo, name, task)
		cf.ModelConfigList = append(cf.ModelConfigList, ModelConfigItem{Config: ModelConfig{Name: name, BasePath: name}})
	}
	opts.ConfigPath = filepath.Join(repo, "config.json")
	writeConfig(t, opts.ConfigPath, cf)
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return ts
}

func TestRerankImagesAudio(t *testing.T) {
	ts := readyServer(t, map[string]string{"rr": "rerank", "img": "image_generation", "asr": "speech2text", "tts": "text2speech", "llm": "text_generation"}, Options{})
	code, body := post(t, ts.URL+"/v3/rerank", "application/json", []byte(`{"model":"rr","query":"red apple pie","documents":["blue sky","red apple","apple pie red"],"top_n":2,"return_documents":true}`))
	var rr struct{ Results []rerankResult }
	if code != 200 || json.Unmarshal(body, &rr) != nil || len(rr.Results) != 2 || rr.Results[0].Index != 2 || rr.Results[0].RelevanceScore != 1 || rr.Results[1].Index != 1 || rr.Results[0].Document != "apple pie red" {
		t.Fatalf("rerank = %d %s", code, body)
	}
	if code, body := post(t, ts.URL+"/v3/rerank", "application/json", []byte(`{"model":"llm","query":"q","documents":[]}`)); code != 400 {
		t.Fatalf("rerank on an LLM = %d %s", code, body)
	}
	if code, _ := post(t, ts.URL+"/v3/rerank", "application/json", []byte(`{"model":"nope","query":"q","documents":[]}`)); code != 404 {
		t.Fatalf("rerank unknown = %d", code)
	}
	code, body = post(t, ts.URL+"/v3/images/generations", "application/json", []byte(`{"model":"img","prompt":"three cats","size":"32x16","n":2}`))
	var ig struct {
		Data []struct {
			B64JSON string `json:"b64_json"`
		}
	}
	if code != 200 || json.Unmarshal(body, &ig) != nil || len(ig.Data) != 2 {
		t.Fatalf("images = %d %s", code, body)
	}
	raw, _ := base64.StdEncoding.DecodeString(ig.Data[0].B64JSON)
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil || img.Bounds().Dx() != 32 || img.Bounds().Dy() != 16 {
		t.Fatalf("png: %v %v", err, img)
	}
	var mb bytes.Buffer
	mw := multipart.NewWriter(&mb)
	_ = mw.WriteField("model", "img")
	_ = mw.WriteField("prompt", "zebras")
	fw, _ := mw.CreateFormFile("image", "in.png")
	_, _ = fw.Write(PNG(20, 10, 0))
	_ = mw.Close()
	code, body = post(t, ts.URL+"/v3/images/edits", mw.FormDataContentType(), mb.Bytes())
	if code != 200 || json.Unmarshal(body, &ig) != nil || len(ig.Data) != 1 {
		t.Fatalf("edits = %d %s", code, body)
	}
	raw, _ = base64.StdEncoding.DecodeString(ig.Data[0].B64JSON)
	if img, err := png.Decode(bytes.NewReader(raw)); err != nil || img.Bounds().Dx() != 20 {
		t.Fatalf("edit png: %v", err)
	}
	code, body = post(t, ts.URL+"/v3/audio/speech", "application/json", []byte(`{"model":"tts","input":"hello there"}`))
	if secs, ok := wavSeconds(body); code != 200 || !ok || secs <= 0 {
		t.Fatalf("speech = %d, wav %v", code, ok)
	}
	mb.Reset()
	mw = multipart.NewWriter(&mb)
	_ = mw.WriteField("model", "asr")
	fw, _ = mw.CreateFormFile("file", "a.wav")
	_, _ = fw.Write(WAV(1))
	_ = mw.Close()
	code, body = post(t, ts.URL+"/v3/audio/transcriptions", mw.FormDataContentType(), mb.Bytes())
	if code != 200 || !strings.Contains(string(body), "1.0 seconds") {
		t.Fatalf("transcription = %d %s", code, body)
	}
}

func TestForwardRenamesModel(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		_ = json.NewDecoder(r.Body).Decode(&body)
		if body["model"] != "tiny" || r.URL.Path != "/v1/chat/completions" {
			http.Error(w, "bad upstream request", 400)
			return
		}
		if body["stream"] == true {
			w.Header().Set("Content-Type", "text/event-stream")
			io.WriteString(w, "data: {\"model\":\"tiny\",\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}\n\ndata: [DONE]\n\n")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"model":"tiny","choices":[{"message":{"role":"assistant","content":"hi"}}]}`)
	}))
	defer up.Close()
	ts := readyServer(t, map[string]string{"OpenVINO/llm": "text_generation"}, Options{Upstream: up.URL + "/v1", UpstreamModel: "tiny"})
	code, body := post(t, ts.URL+"/v3/chat/completions", "application/json", []byte(`{"model":"OpenVINO/llm","messages":[{"role":"user","content":"x"}]}`))
	if code != 200 || !strings.Contains(string(body), `"model":"OpenVINO/llm"`) {
		t.Fatalf("chat = %d %s", code, body)
	}
	code, body = post(t, ts.URL+"/v3/chat/completions", "application/json", []byte(`{"model":"OpenVINO/llm","stream":true,"messages":[{"role":"user","content":"x"}]}`))
	if code != 200 || !strings.Contains(string(body), `"model":"OpenVINO/llm"`) || !strings.Contains(string(body), "data: [DONE]") {
		t.Fatalf("stream = %d %s", code, body)
	}
	if code, _ := post(t, ts.URL+"/v3/embeddings", "application/json", []byte(`{"model":"OpenVINO/llm","input":"x"}`)); code != 400 {
		t.Fatalf("embeddings on an LLM = %d", code)
	}
}

func TestPullOutputAndCancel(t *testing.T) {
	repo := t.TempDir()
	var out bytes.Buffer
	if err := Pull(context.Background(), PullOptions{SourceModel: "OpenVINO/Qwen3-0.6B-int4-ov", RepositoryPath: repo, Task: "text_generation", FileBytes: 5000, Step: time.Millisecond}, &out); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, want := range []string{"Downloading lfs size: 5.00 KB file: openvino_model.bin", "\rProgress: [", "] 100.00% of 5.00 KB", "Model: OpenVINO/Qwen3-0.6B-int4-ov downloaded to: " + filepath.Join(repo, "OpenVINO", "Qwen3-0.6B-int4-ov")} {
		if !strings.Contains(s, want) {
			t.Errorf("pull output lacks %q:\n%q", want, s)
		}
	}
	if graphTask(filepath.Join(repo, "OpenVINO", "Qwen3-0.6B-int4-ov")) != "text_generation" {
		t.Error("graph.pbtxt task not text_generation")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Pull(ctx, PullOptions{SourceModel: "org/big", RepositoryPath: repo, FileBytes: 5000, Step: time.Hour}, io.Discard); err == nil {
		t.Fatal("cancelled pull succeeded")
	}
	if _, err := os.Stat(filepath.Join(repo, "org", "big.lfswip")); err != nil {
		t.Errorf("cancelled pull left no .lfswip marker: %v", err)
	}
	if err := Pull(context.Background(), PullOptions{SourceModel: "org/missing-model", RepositoryPath: repo}, io.Discard); err == nil {
		t.Fatal("pull of a missing model succeeded")
	}
}
