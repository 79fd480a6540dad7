package route

import (
	"context"
	"slices"
	"testing"

	"github.com/roundhouse-ai/roundhouse/host/backend"
	"github.com/roundhouse-ai/roundhouse/host/config"
	"github.com/roundhouse-ai/roundhouse/types"
)

func testSource() *fakeSource {
	return &fakeSource{
		plugins: map[string]bool{"ollama": true, "openai": true},
		models: map[string][]Target{
			"m":            {{Plugin: "ollama", Model: "m", Local: true}, {Plugin: "openai", Provider: "a", Model: "m"}, {Plugin: "openai", Provider: "b", Model: "m"}},
			"library/tiny": {{Plugin: "ollama", Model: "library/tiny", Local: true}},
			"big":          {{Plugin: "openai", Provider: "b", Model: "big"}},
			"gpt":          {{Plugin: "openai", Provider: "a", Model: "gpt"}},
		},
	}
}

func TestParseWishesPrecedence(t *testing.T) {
	isPlugin := func(s string) bool { return s == "ollama" || s == "openai" }
	tests := []struct {
		name  string
		rt    backend.Route
		model string
		want  Wishes
	}{
		{"plain", backend.Route{}, "m", Wishes{Model: "m", Policy: backend.PolicyAuto}},
		{"prefix pins the plugin", backend.Route{}, "ollama/m", Wishes{Model: "m", Plugin: "ollama", Policy: backend.PolicyAuto}},
		{"prefix with provider", backend.Route{}, "openai:b/m", Wishes{Model: "m", Plugin: "openai", Provider: "b", Policy: backend.PolicyAuto}},
		{"a prefix that is no plugin stays in the name", backend.Route{}, "library/tiny", Wishes{Model: "library/tiny", Policy: backend.PolicyAuto}},
		{"body/header plugin wins over a contradicting prefix", backend.Route{Plugin: "openai"}, "ollama/m",
			Wishes{Model: "ollama/m", Plugin: "openai", Policy: backend.PolicyAuto}},
		{"body/header provider wins over the prefix's", backend.Route{Provider: "a"}, "openai:b/m",
			Wishes{Model: "openai:b/m", Provider: "a", Policy: backend.PolicyAuto}},
		{"agreeing prefix is stripped", backend.Route{Plugin: "openai", Provider: "b"}, "openai:b/m",
			Wishes{Model: "m", Plugin: "openai", Provider: "b", Policy: backend.PolicyAuto}},
		{"provider pin plus plugin prefix", backend.Route{Provider: "a"}, "openai/m",
			Wishes{Model: "m", Plugin: "openai", Provider: "a", Policy: backend.PolicyAuto}},
		{"policy kept", backend.Route{Policy: backend.PolicyRemote}, "m", Wishes{Model: "m", Policy: backend.PolicyRemote}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ParseWishes(tt.rt, tt.model, isPlugin); got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestResolve(t *testing.T) {
	rc := config.Routing{
		Groups: map[string]config.RouteGroup{
			"smart": {Targets: []config.GroupTarget{{Target: "openai:b/big"}, {Target: "ollama/m", Weight: 2}}},
		},
		Fallbacks: map[string][]string{"gpt": {"big", "ollama/m"}},
	}
	d := New(rc, Options{Log: quiet})
	src := testSource()
	tests := []struct {
		name    string
		rt      backend.Route
		model   string
		want    []string
		wantErr types.Code
	}{
		{"auto: local first", backend.Route{}, "m", []string{"ollama/m", "openai:a/m", "openai:b/m"}, 0},
		{"policy remote", backend.Route{Policy: backend.PolicyRemote}, "m", []string{"openai:a/m", "openai:b/m"}, 0},
		{"policy local", backend.Route{Policy: backend.PolicyLocal}, "m", []string{"ollama/m"}, 0},
		{"header provider", backend.Route{Provider: "b"}, "m", []string{"openai:b/m"}, 0},
		{"prefix names a target exactly", backend.Route{}, "openai:a/m", []string{"openai:a/m"}, 0},
		{"group in its order", backend.Route{}, "smart", []string{"openai:b/big", "ollama/m"}, 0},
		{"fallbacks after the model's own targets", backend.Route{}, "gpt", []string{"openai:a/gpt", "openai:b/big", "ollama/m"}, 0},
		{"unknown model", backend.Route{}, "nope", nil, types.CodeModelNotFound},
		{"policy excludes everything", backend.Route{Policy: backend.PolicyLocal}, "big", nil, types.CodeModelNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Call{Service: "chat", Model: tt.model, Route: tt.rt}
			got, err := d.Decide(context.Background(), src, c, nil)
			if tt.wantErr != 0 {
				if types.ErrorCode(err) != tt.wantErr {
					t.Fatalf("error %v, want code %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if n := names(got); !slices.Equal(n, tt.want) {
				t.Errorf("candidates %v, want %v", n, tt.want)
			}
		})
	}
	// Weights of a group reach the candidates; fallbacks are marked.
	c := &Call{Service: "chat", Model: "smart"}
	got, _ := d.Decide(context.Background(), src, c, nil)
	if got[1].Weight != 2 || c.Group != "smart" {
		t.Errorf("group weight %g group %q", got[1].Weight, c.Group)
	}
	got, _ = d.Decide(context.Background(), src, &Call{Service: "chat", Model: "gpt"}, nil)
	if got[0].Fallback || !got[1].Fallback || !got[2].Fallback {
		t.Errorf("fallback marks %+v", got)
	}
}
