package main

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roundhouse-ai/roundhouse/sdk"
	"github.com/roundhouse-ai/roundhouse/sdk/engine/enginetest"
)

func TestSettingsRefusedWithField(t *testing.T) {
	for _, tc := range []struct {
		settings map[string]any
		field    string
	}{
		{map[string]any{"manage_engine": "maybe"}, "settings.manage_engine"},
		{map[string]any{"engine_host": "nohost"}, "settings.engine_host"},
		{map[string]any{"device": "TPU"}, "settings.device"},
		{map[string]any{"download_url": "http://x/ovms.tar.gz"}, "settings.download_sha256"},
		{map[string]any{"download_url": "http://x/o.tgz", "download_sha256": "abc"}, "settings.download_sha256"},
		{map[string]any{"pull_tasks": map[string]any{"m": "dance"}}, "settings.pull_tasks.m"},
		{map[string]any{"engine_env": map[string]any{"A": 1}}, "settings.engine_env.A"},
		{map[string]any{"grpc_prt": 1}, "settings.grpc_prt"},
	} {
		_, err := resolveSettings(&sdk.Config{Settings: tc.settings}, func() (string, bool) { return "CPU", true })
		var e *sdk.Error
		if !errors.As(err, &e) || e.Code != sdk.CodeInvalidArgument || e.Field != tc.field {
			t.Errorf("%v: err = %v, want invalid argument on %s", tc.settings, err, tc.field)
		}
	}
	s, err := resolveSettings(&sdk.Config{DataDir: "/d", Settings: map[string]any{"device": "hetero:gpu,cpu"}}, nil)
	if err != nil || s.device != "HETERO:GPU,CPU" || s.deviceSource != "settings" || s.repoDir != "/d/models" || s.configPath != "/d/config.json" {
		t.Fatalf("resolved = %+v, %v", s, err)
	}
	s, _ = resolveSettings(&sdk.Config{DataDir: "/d"}, func() (string, bool) { return "GPU", true })
	if s.device != "GPU" || s.deviceSource != "detected" {
		t.Fatalf("detected device = %s (%s)", s.device, s.deviceSource)
	}
}

func TestDetectDevice(t *testing.T) {
	root := t.TempDir()
	mk := func(addr, vendor, device, class, driver string) {
		dir := filepath.Join(root, "sys", "bus", "pci", "devices", addr)
		_ = os.MkdirAll(dir, 0o755)
		_ = os.WriteFile(filepath.Join(dir, "vendor"), []byte(vendor+"\n"), 0o644)
		_ = os.WriteFile(filepath.Join(dir, "device"), []byte(device+"\n"), 0o644)
		_ = os.WriteFile(filepath.Join(dir, "class"), []byte(class+"\n"), 0o644)
		if driver != "" {
			_ = os.MkdirAll(filepath.Join(root, "drivers", driver), 0o755)
			_ = os.Symlink(filepath.Join(root, "drivers", driver), filepath.Join(dir, "driver"))
		}
	}
	if d, g, npu := detectDevice(root); d != "CPU" || g != sdk.GPUNone || npu {
		t.Fatalf("empty machine: %s %s %v", d, g, npu)
	}
	mk("0000:00:02.0", "0x8086", "0x56a0", "0x030000", "i915") // Arc A770
	accel := filepath.Join(root, "sys", "class", "accel", "accel0", "device")
	_ = os.MkdirAll(accel, 0o755)
	_ = os.Symlink("../../../bus/pci/drivers/intel_vpu", filepath.Join(accel, "driver"))
	d, g, npu := detectDevice(root)
	if d != "GPU" || g != sdk.GPUIntelArc || !npu {
		t.Fatalf("arc + npu machine: %s %s %v", d, g, npu)
	}
}

func TestRegistryKeepsWhatItDoesNotKnow(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.json")
	orig := `{"model_config_list":[{"config":{"name":"resnet","base_path":"/m/resnet","nireq":4}}],
"mediapipe_config_list":[{"name":"graph","base_path":"g"}],"monitoring":{"metrics":{"enable":true}}}`
	if err := os.WriteFile(path, []byte(orig), 0o644); err != nil {
		t.Fatal(err)
	}
	r := &registry{path: path}
	if added, err := r.Add("OpenVINO/m", "/repo/OpenVINO/m"); !added || err != nil {
		t.Fatalf("add = %v %v", added, err)
	}
	if added, _ := r.Add("graph", "x"); added {
		t.Fatal("a name already in mediapipe_config_list was added again")
	}
	if removed, err := r.Remove("graph"); !removed || err != nil {
		t.Fatalf("remove graph = %v %v", removed, err)
	}
	data, _ := os.ReadFile(path)
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if _, ok := doc["monitoring"]; !ok {
		t.Error("monitoring key lost")
	}
	if !strings.Contains(string(data), `"nireq": 4`) {
		t.Errorf("resnet's nireq lost: %s", data)
	}
	if _, ok := doc["mediapipe_config_list"]; ok {
		t.Error("empty mediapipe_config_list kept")
	}
	es, _ := r.Entries()
	if len(es) != 2 || es[1].Name != "OpenVINO/m" || es[1].BasePath != "/repo/OpenVINO/m" {
		t.Fatalf("entries = %+v", es)
	}
	if matches, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".config.json.*")); len(matches) != 0 {
		t.Errorf("temporary files left: %v", matches)
	}
	if err := os.WriteFile(path, []byte(`{"model_config_list": [`), 0o644); err != nil {
		t.Fatal(err)
	}
	var e *sdk.Error
	if _, err := r.Add("x", "y"); !errors.As(err, &e) || e.Code != sdk.CodeFailedPrecondition {
		t.Fatalf("add to a broken file = %v", err)
	}
}

func TestPullParser(t *testing.T) {
	// Lines as OVMS prints them (third_party/libgit2/lfs.patch and
	// src/pull_module/hf_pull_model_module.cpp).
	out := "Cloning into...\n\nDownloading lfs size: 1.23 GB file: openvino_model.bin\n" +
		"\rProgress: [                                                  ] 0.00% of 1.23 GB [0.00 B/s] " +
		"\rProgress: [#####                                             ] 10.00% of 1.23 GB [12.30 MB/s] " +
		"\rProgress: [##################################################] 100.00% of 1.23 GB [12.30 MB/s] \n" +
		"Model: OpenVINO/Qwen3-8B-int4-ov downloaded to: /models/OpenVINO/Qwen3-8B-int4-ov\n"
	pp := &pullParser{}
	var evs []sdk.Progress
	for _, l := range strings.FieldsFunc(out, func(r rune) bool { return r == '\r' || r == '\n' }) {
		if ev := pp.line(l); ev != nil {
			evs = append(evs, *ev)
		}
	}
	if len(evs) != 5 || evs[0].Total != 1230000000 || evs[0].Digest != "openvino_model.bin" ||
		evs[2].Completed != 123000000 || evs[3].Completed != evs[3].Total || evs[4].Status != "downloaded" || !pp.done {
		t.Fatalf("events = %+v", evs)
	}
}

func TestTaskFor(t *testing.T) {
	s := settings{pullTasks: map[string]string{"me/odd": "rerank"}}
	for model, want := range map[string]string{
		"OpenVINO/bge-reranker-base-int8-ov":     "rerank",
		"OpenVINO/bge-base-en-v1.5-fp16-ov":      "embeddings",
		"OpenVINO/whisper-base-fp16-ov":          "speech2text",
		"OpenVINO/stable-diffusion-v1-5-int8-ov": "image_generation",
		"OpenVINO/Qwen3-0.6B-int4-ov":            "",
		"me/odd":                                 "rerank",
	} {
		if got := taskFor(s, model); got != want {
			t.Errorf("taskFor(%s) = %q, want %q", model, got, want)
		}
	}
}

func TestCheckName(t *testing.T) {
	for _, bad := range []string{"", "../x", "/abs", "a/../b", `a\b`, "a//b", "C:x", ".", ".downloads/x", "a/.git"} {
		if checkName(bad) == nil {
			t.Errorf("checkName(%q) accepted", bad)
		}
	}
	for _, good := range []string{"OpenVINO/Qwen3-0.6B-int4-ov", "tiny"} {
		if err := checkName(good); err != nil {
			t.Errorf("checkName(%q) = %v", good, err)
		}
	}
}

// TestModelDownload pulls a model from a configured archive URL: the
// engine kit's installer checks the sha256 and unpacks it, the model
// lands in the repository and lists with its task's services; a wrong
// sha256 is refused and leaves nothing.
func TestModelDownload(t *testing.T) {
	graph := "node: {\n  calculator: \"RerankCalculatorOV\"\n}\n"
	arch := enginetest.MustArchive(t, "tar.gz", []enginetest.File{
		{Name: "bge-reranker/graph.pbtxt", Body: graph},
		{Name: "bge-reranker/openvino_model.bin", Body: strings.Repeat("w", 4096)},
	})
	srv := enginetest.NewServer(t, map[string][]byte{"/rr.tar.gz": arch})
	cfg := &sdk.Config{DataDir: t.TempDir(), Settings: map[string]any{
		"model_downloads": map[string]any{
			"acme/rr":  map[string]any{"url": srv.URL + "/rr.tar.gz", "sha256": enginetest.SHA256(arch)},
			"acme/bad": map[string]any{"url": srv.URL + "/rr.tar.gz", "sha256": strings.Repeat("0", 64)},
		}}}
	p := newConfigured(t, cfg)
	ctx := ctxFor(t, time.Minute)
	var statuses []string
	if err := p.PullModel(ctx, &sdk.PullRequest{Model: "acme/rr"}, func(ev *sdk.Progress) error {
		statuses = append(statuses, ev.Status)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(statuses, "verifying sha256 digest") || statuses[len(statuses)-1] != "success" {
		t.Errorf("events: %v", statuses)
	}
	models, err := p.ListModels(ctx)
	if err != nil || len(models) != 1 || models[0].Name != "acme/rr" || !slices.Equal(models[0].Services, []string{sdk.ServiceRerank}) {
		t.Fatalf("models = %+v %v", models, err)
	}
	var again []sdk.Progress
	if err := p.PullModel(ctx, &sdk.PullRequest{Model: "acme/rr"}, func(ev *sdk.Progress) error { again = append(again, *ev); return nil }); err != nil || len(again) != 1 || !strings.Contains(again[0].Message, "already") {
		t.Fatalf("second pull: %+v %v", again, err)
	}
	if err := p.PullModel(ctx, &sdk.PullRequest{Model: "acme/bad"}, nil); !isCode(err, sdk.CodeEngineChecksum) {
		t.Fatalf("wrong sha256 = %v", err)
	}
	if models, _ := p.ListModels(ctx); len(models) != 1 {
		t.Fatalf("after a refused download: %+v", models)
	}
	if _, err := resolveSettings(&sdk.Config{Settings: map[string]any{"model_downloads": map[string]any{"m": map[string]any{"url": "ftp://x"}}}}, func() (string, bool) { return "CPU", true }); !isField(err, "settings.model_downloads.m.url") {
		t.Fatalf("bad download url: %v", err)
	}
}
