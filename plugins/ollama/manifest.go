package main

import (
	_ "embed"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"

	"github.com/roundhouse-ai/roundhouse/sdk"
	"github.com/roundhouse-ai/roundhouse/sdk/manifest"
)

// embeddedManifest is plugin.yaml as built. The copy next to the
// executable wins when there is one (an operator may have edited it); the
// embedded one keeps the plugin's defaults known when it is run elsewhere,
// as in tests.
//
//go:embed plugin.yaml
var embeddedManifest []byte

// loadManifest returns the manifest beside the executable, or the
// embedded one.
func loadManifest() *manifest.Manifest {
	if exe, err := os.Executable(); err == nil {
		dir := filepath.Dir(exe)
		if m, err := manifest.Load(dir); err == nil && m.Provider.Name == "ollama" {
			return m
		}
	}
	m, err := manifest.Parse(embeddedManifest, "yaml")
	if err != nil {
		// A broken embedded manifest is a build bug, caught by the tests.
		slog.Error("embedded plugin.yaml does not parse", "error", err)
		return &manifest.Manifest{Provider: manifest.ProviderInfo{Name: "ollama", Type: sdk.ProviderLocal, EngineHost: defaultEngineHost}}
	}
	return m
}

// platformDownload is the manifest's engine download for this machine.
func platformDownload(m *manifest.Manifest) (manifest.EngineDownload, bool) {
	if m.Engine == nil {
		return manifest.EngineDownload{}, false
	}
	d, ok := m.Engine.Downloads[manifest.PlatformKey(runtime.GOOS, runtime.GOARCH)]
	return d, ok && d.URL != ""
}
