package main

import (
	"context"
	"slices"
	"testing"

	"github.com/roundhouse-ai/roundhouse/internal/openaitest/fake"
	"github.com/roundhouse-ai/roundhouse/sdk"
)

func modelNames(ms []sdk.Model) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Provider+"/"+m.Name)
	}
	return out
}

// ListModels lists the providers' live models, tagged with the provider:
// configured models as they are, else the upstream's GET /models; nothing
// without a provider, and nothing from a provider that cannot list.
func TestListModelsFromProviders(t *testing.T) {
	p := newTestPlugin(t)
	got, err := p.ListModels(context.Background())
	if err != nil || len(got) != 0 {
		t.Fatalf("no provider: %v %v, want nothing", got, err)
	}
	up := startFake(t, fake.Options{Models: []string{"mock-model", "other"}})
	configured := prov("fixed", up.URL, fakeKey)
	configured.Models = []string{"only-this"}
	configure(t, p, prov("live", up.URL, fakeKey), configured, prov("broken", "http://127.0.0.1:1", fakeKey))
	got, err = p.ListModels(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"live/mock-model", "live/other", "fixed/only-this"}
	if n := modelNames(got); !slices.Equal(n, want) {
		t.Errorf("models %v, want %v", n, want)
	}
	// A cancelled caller gets what is cached; the list is not poisoned.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	got, _ = p.ListModels(ctx)
	if n := modelNames(got); !slices.Contains(n, "live/mock-model") {
		t.Errorf("after a cancelled call: %v", n)
	}
}
