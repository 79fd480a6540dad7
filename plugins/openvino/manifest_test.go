package main

import (
	"slices"
	"testing"

	"github.com/roundhouse-ai/roundhouse/sdk"
	"github.com/roundhouse-ai/roundhouse/sdk/manifest"
)

func TestManifest(t *testing.T) {
	m, err := manifest.Load(".")
	if err != nil {
		t.Fatal(err)
	}
	if m.Provider.Type != sdk.ProviderLocal || m.Provider.Name != "openvino" {
		t.Fatalf("provider = %+v", m.Provider)
	}
	if !slices.Equal(m.GPUTypes, []sdk.GPUType{sdk.GPUNone, sdk.GPUIntelArc}) {
		t.Errorf("gpu_types = %v", m.GPUTypes)
	}
	for _, svc := range []string{sdk.ServiceChat, sdk.ServiceGenerate, sdk.ServiceEmbed, sdk.ServiceRerank,
		sdk.ServiceTextToImage, sdk.ServiceImageToImage, sdk.ServiceTextToSpeech, sdk.ServiceSpeechToText} {
		if m.GetServiceByName(svc) == nil {
			t.Errorf("service %s not declared", svc)
		}
	}
	impl := sdk.ImplementedServices(newPlugin())
	for _, s := range m.Services {
		if !slices.Contains(impl, s.ServiceName) {
			t.Errorf("declared service %s has no method", s.ServiceName)
		}
	}
}
