package api

import (
	"testing"

	"github.com/roundhouse-ai/roundhouse/client"
	"github.com/roundhouse-ai/roundhouse/sdk"
)

func TestJudgeEdges(t *testing.T) {
	const g = int64(1) << 30
	sys := SystemInfo{MemoryTotal: uint64(16 * g), MemoryFree: uint64(8 * g)}
	tests := []struct {
		name   string
		m      client.RecommendedModel
		sys    SystemInfo
		family sdk.GPUType
		vram   int64
		fits   bool
		device string
		reason string
	}{
		{"no figures", client.RecommendedModel{}, sys, "", 0, true, "cpu", "the catalogue gives no size or memory figure: not checked"},
		{"memory unknown", client.RecommendedModel{MinMemoryBytes: g}, SystemInfo{}, "", 0, false, "", "cannot tell: this machine's memory is unknown; needs 1.0 GiB"},
		{"vram too small", client.RecommendedModel{MinMemoryBytes: 6 * g}, sys, sdk.GPUAMD, 4 * g, true, "cpu",
			"too big for the amd GPU's 4.0 GiB: runs mostly on CPU, slower; needs 6.0 GiB, this machine has 8.0 GiB free of 16 GiB"},
		{"min_vram used on the GPU", client.RecommendedModel{MinMemoryBytes: 6 * g, MinVRAMBytes: 3 * g}, SystemInfo{MemoryTotal: uint64(16 * g)}, sdk.GPUAMD, 4 * g, true, "gpu",
			"fits in GPU memory: needs 6.0 GiB, the amd GPU has 4.0 GiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := tt.m
			judge(&m, tt.sys, tt.family, tt.vram)
			if m.Fits != tt.fits || m.Device != tt.device || m.Reason != tt.reason {
				t.Fatalf("got fits=%v device=%q reason=%q", m.Fits, m.Device, m.Reason)
			}
		})
	}
	for in, want := range map[string]string{"llama3.2:1b": "llama3.2:1b", "nomic-embed-text": "nomic-embed-text:latest", "hf.co/a/B:Q4": "hf.co/a/b:q4", "reg:5000/x": "reg:5000/x:latest"} {
		if got := modelKey(in); got != want {
			t.Errorf("modelKey(%q) = %q, want %q", in, got, want)
		}
	}
}
