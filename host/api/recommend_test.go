package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/roundhouse-ai/roundhouse/client"
	"github.com/roundhouse-ai/roundhouse/host/api"
	"github.com/roundhouse-ai/roundhouse/internal/hosttest"
	"github.com/roundhouse-ai/roundhouse/sdk"
	"github.com/roundhouse-ai/roundhouse/sdk/gpu"
	"github.com/roundhouse-ai/roundhouse/sdk/manifest"
)

const gib = int64(1) << 30

// The echo plugin with a catalogue: echo-1 is what it already has.
func recommendHost(t *testing.T) *hosttest.Host {
	return hosttest.Start(t, hosttest.Options{EchoManifest: func(m *manifest.Manifest) {
		m.GPUTypes = []sdk.GPUType{sdk.GPUNvidia}
		m.CatalogueEntries = []manifest.CatalogueEntry{
			{Name: "huge", Services: []string{"chat"}, MinMemoryBytes: 64 * gib, Description: "too big anywhere here"},
			{Name: "mid:7b", Services: []string{"chat", "generate"}, SizeBytes: 5 * gib, MinMemoryBytes: 6 * gib, Capabilities: []string{"tools", "thinking"}},
			{Name: "echo-1", Services: []string{"chat"}, SizeBytes: 100 << 20, Parameters: "1M", ContextLength: 2048, Quantization: "Q4_K_M"},
			{Name: "small:2b", Services: []string{"chat"}, SizeBytes: 2 * gib, Capabilities: []string{"vision"}},
			{Name: "vec", Services: []string{"embed"}, SizeBytes: 300 << 20},
		}
	}})
}

func recommended(t *testing.T, h *hosttest.Host, service string) *client.RecommendedModelList {
	t.Helper()
	c, err := client.New(h.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	list, err := c.RecommendedModels(context.Background(), service)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func TestRecommendedModelsNoGPU(t *testing.T) {
	h := recommendHost(t)
	defer api.SetSystemProbe(api.SystemInfo{MemoryTotal: uint64(16 * gib), MemoryFree: uint64(4 * gib), GPUs: []gpu.Device{}})()

	list := recommended(t, h, "chat")
	var ids []string
	for _, m := range list.Models {
		ids = append(ids, m.ID)
	}
	// Fits first, then smaller; vec is embed only.
	if got := strings.Join(ids, " "); got != "echo/echo-1 echo/small:2b echo/mid:7b echo/huge" {
		t.Fatalf("order = %s", got)
	}
	if list.Service != "chat" || list.Machine.MemoryTotal != uint64(16*gib) || list.Machine.GPU != "" {
		t.Errorf("list = %+v", list)
	}
	want := []struct {
		fits, installed bool
		device, reason  string
	}{
		{true, true, "cpu", "no GPU: runs on CPU, slower; needs about 0.1 GiB (estimated from its size on disk), this machine has 4.0 GiB free of 16 GiB"},
		{true, false, "cpu", "no GPU: runs on CPU, slower; needs about 2.4 GiB"},
		{false, false, "", "needs 6.0 GiB, this machine has 4.0 GiB free of 16 GiB: free memory first"},
		{false, false, "", "needs 64 GiB, more than this machine's 16 GiB"},
	}
	for i, w := range want {
		m := list.Models[i]
		if m.Fits != w.fits || m.Installed != w.installed || m.Device != w.device || !strings.Contains(m.Reason, w.reason) {
			t.Errorf("%s: fits=%v installed=%v device=%q reason=%q; want %+v", m.ID, m.Fits, m.Installed, m.Device, m.Reason, w)
		}
	}
	e1, mid := list.Models[0], list.Models[2]
	if e1.Plugin != "echo" || e1.Name != "echo-1" || e1.Parameters != "1M" || e1.ContextLength != 2048 || e1.Quantization != "Q4_K_M" || !e1.Estimated || e1.Capabilities == nil {
		t.Errorf("echo-1 = %+v", e1)
	}
	if mid.Estimated || mid.NeedBytes != 6*gib || strings.Join(mid.Capabilities, ",") != "tools,thinking" || strings.Join(mid.Services, ",") != "chat,generate" {
		t.Errorf("mid = %+v", mid)
	}

	if list := recommended(t, h, "embed"); len(list.Models) != 1 || list.Models[0].Name != "vec" {
		t.Errorf("embed: %+v", list.Models)
	}
	if list := recommended(t, h, ""); len(list.Models) != 5 {
		t.Errorf("every service: %d models", len(list.Models))
	}
	if list := recommended(t, h, "rerank"); len(list.Models) != 0 || list.Models == nil {
		t.Errorf("rerank: %+v", list.Models)
	}
}

func TestRecommendedModelsGPU(t *testing.T) {
	h := recommendHost(t)
	nvidia := gpu.Device{Type: sdk.GPUNvidia, Driver: "nvidia", VRAMBytes: 8 * gib}
	restore := api.SetSystemProbe(api.SystemInfo{MemoryTotal: uint64(16 * gib), MemoryFree: uint64(2 * gib), GPUs: []gpu.Device{nvidia}})
	list := recommended(t, h, "chat")
	restore()
	if list.Machine.GPU != "nvidia" || list.Machine.VRAMBytes != 8*gib {
		t.Errorf("machine = %+v", list.Machine)
	}
	byName := map[string]client.RecommendedModel{}
	for _, m := range list.Models {
		byName[m.Name] = m
	}
	if m := byName["mid:7b"]; !m.Fits || m.Device != "gpu" || m.Reason != "fits in GPU memory: needs 6.0 GiB, the nvidia GPU has 8.0 GiB" {
		t.Errorf("mid on an 8 GiB GPU: %+v", m)
	}
	if m := byName["huge"]; m.Fits {
		t.Errorf("huge fits: %+v", m)
	}

	// A GPU whose memory sysfs does not tell: judged on system memory.
	restore = api.SetSystemProbe(api.SystemInfo{MemoryTotal: uint64(16 * gib), MemoryFree: uint64(8 * gib), GPUs: []gpu.Device{{Type: sdk.GPUNvidia, Driver: "nvidia"}}})
	list = recommended(t, h, "chat")
	restore()
	if m := list.Models[0]; !m.Fits || m.Device != "gpu" || !strings.Contains(m.Reason, "the nvidia GPU's own memory is not known") {
		t.Errorf("unknown VRAM: %+v", m)
	}

	// A GPU the plugin does not support is no help: CPU.
	restore = api.SetSystemProbe(api.SystemInfo{MemoryTotal: uint64(16 * gib), MemoryFree: uint64(8 * gib), GPUs: []gpu.Device{{Type: sdk.GPUAMD, Driver: "amdgpu", VRAMBytes: 16 * gib}}})
	list = recommended(t, h, "chat")
	restore()
	if m := list.Models[0]; m.Device != "cpu" || !strings.HasPrefix(m.Reason, "no GPU: runs on CPU") {
		t.Errorf("unsupported GPU: %+v", m)
	}
}

func TestRecommendedModelsBadInput(t *testing.T) {
	h := recommendHost(t)
	for _, tc := range []struct {
		query    string
		status   int
		contains string
	}{
		{"?service=teleport", 400, `"field":"service"`},
		{"?service=chat&plugin=nope", 404, `"code":"plugin_not_found"`},
		{"?service=chat&plugin=echo", 200, `"echo/echo-1"`},
	} {
		resp, err := http.Get(h.URL + "/v1/models/recommended" + tc.query)
		if err != nil {
			t.Fatal(err)
		}
		var body json.RawMessage
		_ = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || !strings.Contains(string(body), tc.contains) {
			t.Errorf("%s: %d %s", tc.query, resp.StatusCode, body)
		}
	}
	resp, err := http.Get(h.URL + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc struct {
		Paths map[string]map[string]any `json:"paths"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if doc.Paths["/v1/models/recommended"]["get"] == nil {
		t.Error("OpenAPI lacks GET /v1/models/recommended")
	}
}
