package api

import (
	"fmt"
	"math"
	"net/http"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/roundhouse-ai/roundhouse/client"
	"github.com/roundhouse-ai/roundhouse/host"
	"github.com/roundhouse-ai/roundhouse/host/httpx"
	"github.com/roundhouse-ai/roundhouse/sdk"
	"github.com/roundhouse-ai/roundhouse/sdk/gpu"
	"github.com/roundhouse-ai/roundhouse/sdk/manifest"
)

// recommendedModels is GET /v1/models/recommended?service=chat[&plugin=P]:
// every catalogue entry of every plugin offering the service, judged
// against this machine's memory and GPUs (the figures of GET /v1/system),
// marked installed when the plugin already has it; those that fit first,
// then smaller first.
func (s *Server) recommendedModels(w http.ResponseWriter, r *http.Request) {
	service, only := r.URL.Query().Get("service"), r.URL.Query().Get("plugin")
	if service != "" && !slices.Contains(sdk.ServiceNames, service) {
		writeError(w, r, s.log, &sdk.Error{Code: sdk.CodeInvalidArgument, Field: "service",
			Message: fmt.Sprintf("unknown service %q (want one of %s)", service, strings.Join(sdk.ServiceNames, ", "))})
		return
	}
	if only != "" && s.plugin(w, r, only) == nil {
		return
	}
	sys := probeSystem(r.Context())
	best := gpu.Best(sys.GPUs)
	out := client.RecommendedModelList{Service: service, Models: []client.RecommendedModel{},
		Machine: client.RecommendMachine{MemoryTotal: sys.MemoryTotal, MemoryAvailable: sys.MemoryFree}}
	if best != sdk.GPUNone {
		out.Machine.GPU, out.Machine.VRAMBytes = string(best), vramOf(sys.GPUs, best)
	}

	var installed map[string]map[string]bool // plugin -> normalized model name
	for _, p := range s.h.Plugins() {
		m := p.Manifest()
		if m == nil || only != "" && p.Name() != only {
			continue
		}
		if st := p.State(); st == host.StateDisabled || st == host.StateInvalid {
			continue
		}
		entries, err := m.Catalogue()
		if err != nil {
			s.log.Warn("plugin catalogue unreadable", "plugin", p.Name(), "err", err)
			continue
		}
		family := pluginGPU(m, sys.GPUs)
		for _, e := range entries {
			if service != "" && (!slices.Contains(e.Services, service) || m.GetServiceByName(service) == nil) {
				continue
			}
			if installed == nil {
				installed = s.installedModels(r)
			}
			rm := client.RecommendedModel{
				ID: p.Name() + "/" + e.Name, Plugin: p.Name(), Name: e.Name, Services: e.Services,
				SizeBytes: e.SizeBytes, Parameters: e.Parameters, ContextLength: e.ContextLength,
				Quantization: e.Quantization, Capabilities: e.Capabilities, MinMemoryBytes: e.MinMemoryBytes,
				MinVRAMBytes: e.MinVRAMBytes, Description: e.Description,
				Installed: installed[p.Name()][modelKey(e.Name)],
			}
			if rm.Capabilities == nil {
				rm.Capabilities = []string{}
			}
			if p.IsLocal() {
				judge(&rm, sys, family, vramOf(sys.GPUs, family))
			} else {
				rm.Fits, rm.Device, rm.Reason = true, "remote", "served by a remote provider: needs no memory here"
			}
			out.Models = append(out.Models, rm)
		}
	}
	sort.SliceStable(out.Models, func(i, j int) bool {
		a, b := out.Models[i], out.Models[j]
		if a.Fits != b.Fits {
			return a.Fits
		}
		if sa, sb := sizeKey(a), sizeKey(b); sa != sb {
			return sa < sb
		}
		return a.ID < b.ID
	})
	httpx.WriteJSON(w, http.StatusOK, out)
}

// installedModels is every plugin's models (the host's model index),
// by plugin and normalized name.
func (s *Server) installedModels(r *http.Request) map[string]map[string]bool {
	out := map[string]map[string]bool{}
	ms, err := s.b.ListModels(r.Context(), false)
	if err != nil {
		s.log.Debug("recommendations: model list unavailable", "err", err)
		return out
	}
	for _, m := range ms {
		if out[m.Plugin] == nil {
			out[m.Plugin] = map[string]bool{}
		}
		out[m.Plugin][modelKey(m.Name)] = true
	}
	return out
}

// modelKey makes "name" and "name:latest" the same model, as Ollama-style
// registries do.
func modelKey(name string) string {
	if !strings.Contains(name[strings.LastIndex(name, "/")+1:], ":") {
		name += ":latest"
	}
	return strings.ToLower(name)
}

func sizeKey(m client.RecommendedModel) int64 {
	switch {
	case m.SizeBytes > 0:
		return m.SizeBytes
	case m.NeedBytes > 0:
		return m.NeedBytes
	}
	return math.MaxInt64 // unknown: last
}

// pluginGPU is the GPU family the plugin would compute on here: the best
// usable one its manifest supports, "" (CPU) when none.
func pluginGPU(m *manifest.Manifest, devs []gpu.Device) sdk.GPUType {
	for _, g := range host.UsableGPUs(devs) {
		if slices.Contains(m.GPUTypes, g) {
			return g
		}
	}
	return ""
}

// vramOf is the largest dedicated memory of a usable device of family
// (0 = unknown or none).
func vramOf(devs []gpu.Device, family sdk.GPUType) int64 {
	var v int64
	for _, d := range devs {
		if d.Type == family && d.Driver != "" && !d.Integrated && d.VRAMBytes > v {
			v = d.VRAMBytes
		}
	}
	return v
}

// estimateOverhead: without min_memory_bytes, a model is taken to need
// its size on disk plus a fifth (context cache and runtime buffers).
const estimateOverhead = 5

// judge sets NeedBytes, Estimated, Fits, Device and Reason of m for a
// machine with sys's memory and, when family is not "", that GPU family
// with vram bytes of dedicated memory (0 = unknown).
func judge(m *client.RecommendedModel, sys SystemInfo, family sdk.GPUType, vram int64) {
	need := m.MinMemoryBytes
	if need == 0 && m.SizeBytes > 0 {
		need, m.Estimated = m.SizeBytes+m.SizeBytes/estimateOverhead, true
	}
	m.NeedBytes = need
	if need == 0 {
		m.Fits, m.Reason = true, "the catalogue gives no size or memory figure: not checked"
		if family != "" {
			m.Device = "gpu"
		} else {
			m.Device = "cpu"
		}
		return
	}
	needs := "needs " + gib(need)
	if m.Estimated {
		needs = "needs about " + gib(need) + " (estimated from its size on disk)"
	}
	needVRAM := m.MinVRAMBytes
	if needVRAM == 0 {
		needVRAM = need
	}
	free := fmt.Sprintf("this machine has %s free of %s", gib(int64(sys.MemoryFree)), gib(int64(sys.MemoryTotal)))
	switch {
	case family != "" && vram > 0 && needVRAM <= vram:
		m.Fits, m.Device = true, "gpu"
		m.Reason = fmt.Sprintf("fits in GPU memory: %s, the %s GPU has %s", needs, family, gib(vram))
	case sys.MemoryTotal == 0:
		m.Reason = "cannot tell: this machine's memory is unknown; " + needs
	case uint64(need) <= sys.MemoryFree:
		m.Fits = true
		switch {
		case family == "":
			m.Device = "cpu"
			m.Reason = fmt.Sprintf("no GPU: runs on CPU, slower; %s, %s", needs, free)
		case vram > 0:
			m.Device = "cpu"
			m.Reason = fmt.Sprintf("too big for the %s GPU's %s: runs mostly on CPU, slower; %s, %s", family, gib(vram), needs, free)
		default:
			m.Device = "gpu"
			m.Reason = fmt.Sprintf("fits in memory: %s, %s (the %s GPU's own memory is not known)", needs, free, family)
		}
	case uint64(need) <= sys.MemoryTotal:
		m.Reason = fmt.Sprintf("%s, %s: free memory first", needs, free)
	default:
		m.Reason = fmt.Sprintf("%s, more than this machine's %s", needs, gib(int64(sys.MemoryTotal)))
	}
}

// gib formats n bytes as GiB with one decimal ("4.0 GiB"), whole numbers
// of 10 GiB and more without ("16 GiB").
func gib(n int64) string {
	g := float64(n) / (1 << 30)
	if g >= 10 && g == math.Trunc(g) {
		return fmt.Sprintf("%.0f GiB", g)
	}
	return fmt.Sprintf("%.1f GiB", g)
}

// recommendedPath is the OpenAPI entry of GET /v1/models/recommended.
func recommendedPath(ok func(reflect.Type, string) map[string]any) map[string]any {
	return map[string]any{"get": map[string]any{
		"summary": "Models the plugins recommend for a service, each with fits and a reason for this machine's memory and GPU, and whether it is installed; fits first, then smaller",
		"parameters": []any{
			map[string]any{"name": "service", "in": "query", "schema": map[string]any{"type": "string", "enum": sdk.ServiceNames}, "description": "chat, embed...; empty = every service"},
			map[string]any{"name": "plugin", "in": "query", "schema": map[string]any{"type": "string"}, "description": "only this plugin's catalogue"},
		},
		"responses": ok(reflect.TypeFor[client.RecommendedModelList](), "recommended models"),
	}}
}
