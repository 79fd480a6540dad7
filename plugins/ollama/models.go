package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/roundhouse-ai/roundhouse/sdk"
)

// PullModel downloads a model through the engine, forwarding Ollama's
// progress. Cancelling ctx closes the HTTP request, and Ollama stops the
// download with it: no manifest is written, so the model does not appear.
func (p *plugin) PullModel(ctx context.Context, req *sdk.PullRequest, progress func(*sdk.Progress) error) error {
	if req == nil {
		req = &sdk.PullRequest{}
	}
	if err := validateModelName(req.Model); err != nil {
		return err
	}
	client, err := p.engine(ctx)
	if err != nil {
		return err
	}
	if req.Auth != nil {
		return p.pullWithAuth(ctx, client, req, progress)
	}
	return wantsLogin(req.Model, p.pull(ctx, client, req.Model, req.Insecure, req.Model, progress))
}

// pull runs /api/pull of name; shown is the name the user asked for (the
// same, unless the pull goes through a registry proxy).
func (p *plugin) pull(ctx context.Context, client *ollamaClient, name string, insecure bool, shown string, progress func(*sdk.Progress) error) error {
	o := op{what: "pull", model: shown, fallback: sdk.CodeModelPullFailed}
	success := false
	var sendErr error
	err := client.Pull(ctx, &api.PullRequest{Model: name, Insecure: insecure}, func(r api.ProgressResponse) error {
		if r.Status == "success" {
			success = true
		}
		sendErr = send(progress, pullProgress(r))
		return sendErr
	})
	if sendErr != nil {
		return sendErr // the caller is gone; closing the request stops the pull
	}
	if err != nil {
		if strings.Contains(err.Error(), "insecure protocol") {
			return &sdk.Error{Code: sdk.CodeModelPullFailed, Field: "insecure",
				Message: "the registry of " + quote(shown) + " speaks plain HTTP; set insecure to pull from it anyway"}
		}
		return p.mapError(ctx, err, o)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if !success {
		return p.unavailable(fmt.Errorf("the pull of %q ended without success", shown))
	}
	return nil
}

// pullProgress maps one Ollama progress line. Ollama names the layer
// phase "pulling <digest>"; Roundhouse calls it "downloading" and keeps
// the digest in its own field, so clients can match on a stable status.
func pullProgress(r api.ProgressResponse) *sdk.Progress {
	status := r.Status
	if r.Digest != "" && strings.HasPrefix(status, "pulling ") {
		status = "downloading"
	}
	return &sdk.Progress{Status: status, Digest: r.Digest, Total: r.Total, Completed: r.Completed}
}

// model maps the fields /api/tags and /api/ps share.
func model(name string, size int64, digest string, d api.ModelDetails) sdk.Model {
	return sdk.Model{Name: name, SizeBytes: size, Digest: digest, Family: d.Family,
		ParameterSize: d.ParameterSize, Quantization: d.QuantizationLevel, Format: d.Format}
}

// ListModels lists the models the engine has (/api/tags).
func (p *plugin) ListModels(ctx context.Context) ([]sdk.Model, error) {
	client, err := p.engine(ctx)
	if err != nil {
		return nil, err
	}
	resp, err := client.List(ctx)
	if err != nil {
		return nil, p.mapError(ctx, err, op{what: "list"})
	}
	out := make([]sdk.Model, 0, len(resp.Models))
	for _, m := range resp.Models {
		sm := model(m.Name, m.Size, m.Digest, m.Details)
		sm.ModifiedAt = unix(m.ModifiedAt)
		out = append(out, sm)
	}
	return out, nil
}

// ListRunningModels lists the models loaded in memory (/api/ps), with how
// much of each sits in VRAM and when it will be unloaded.
func (p *plugin) ListRunningModels(ctx context.Context) ([]sdk.Model, error) {
	client, err := p.engine(ctx)
	if err != nil {
		return nil, err
	}
	resp, err := client.ListRunning(ctx)
	if err != nil {
		return nil, p.mapError(ctx, err, op{what: "ps"})
	}
	out := make([]sdk.Model, 0, len(resp.Models))
	for _, m := range resp.Models {
		sm := model(m.Name, m.Size, m.Digest, m.Details)
		sm.SizeVRAMBytes, sm.ExpiresAt, sm.ContextLength = m.SizeVRAM, unix(m.ExpiresAt), m.ContextLength
		out = append(out, sm)
	}
	return out, nil
}

// LoadModel loads a model into memory without generating anything: an
// empty generate request does that for models that generate; a model that
// only embeds cannot generate, so an empty embed request loads it.
func (p *plugin) LoadModel(ctx context.Context, req *sdk.LoadRequest) error {
	if req == nil {
		req = &sdk.LoadRequest{}
	}
	if err := validateModelName(req.Model); err != nil {
		return err
	}
	client, err := p.engine(ctx)
	if err != nil {
		return err
	}
	o := op{what: "load", model: req.Model, fallback: sdk.CodeModelLoadFailed}
	show, err := client.Show(ctx, &api.ShowRequest{Model: req.Model})
	if err != nil {
		return p.mapError(ctx, err, o)
	}
	keep := mapKeepAlive(req.KeepAlive)
	caps := capabilities(show)
	switch {
	case slices.Contains(caps, "completion"):
		stream := false
		err = client.Generate(ctx, &api.GenerateRequest{Model: req.Model, KeepAlive: keep, Stream: &stream},
			func(api.GenerateResponse) error { return nil })
	case slices.Contains(caps, "embedding"):
		_, err = client.Embed(ctx, &api.EmbedRequest{Model: req.Model, KeepAlive: keep})
	default:
		return &sdk.Error{Code: sdk.CodeModelUnsupported, Field: "model",
			Message: fmt.Sprintf("model %q can neither generate nor embed (capabilities: %v), so it cannot be loaded here", req.Model, caps)}
	}
	return p.mapError(ctx, err, o)
}

// UnloadModel frees a model's memory now (keep_alive 0). Ollama answers
// before the runner is gone, so this waits, briefly, until /api/ps no
// longer lists the model: a caller that unloads and then lists sees it
// gone.
func (p *plugin) UnloadModel(ctx context.Context, model string) error {
	if err := validateModelName(model); err != nil {
		return err
	}
	client, err := p.engine(ctx)
	if err != nil {
		return err
	}
	stream := false
	err = client.Generate(ctx, &api.GenerateRequest{Model: model, KeepAlive: &api.Duration{}, Stream: &stream},
		func(api.GenerateResponse) error { return nil })
	if err != nil {
		return p.mapError(ctx, err, op{what: "unload", model: model, fallback: sdk.CodeModelLoadFailed})
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		ps, err := client.ListRunning(ctx)
		if err != nil || !slices.ContainsFunc(ps.Models, func(m api.ProcessModelResponse) bool {
			return sameModel(m.Name, model) || sameModel(m.Model, model)
		}) {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return nil
}

// DeleteModel removes a model from the engine's store.
func (p *plugin) DeleteModel(ctx context.Context, model string) error {
	if err := validateModelName(model); err != nil {
		return err
	}
	client, err := p.engine(ctx)
	if err != nil {
		return err
	}
	err = client.Delete(ctx, &api.DeleteRequest{Model: model})
	return p.mapError(ctx, err, op{what: "delete", model: model, fallback: sdk.CodeModelDeleteFailed})
}

// ShowModel describes one model: its details, template, parameters,
// license, and which Roundhouse services it can serve.
func (p *plugin) ShowModel(ctx context.Context, model string) (*sdk.ModelDetails, error) {
	if err := validateModelName(model); err != nil {
		return nil, err
	}
	client, err := p.engine(ctx)
	if err != nil {
		return nil, err
	}
	r, err := client.Show(ctx, &api.ShowRequest{Model: model})
	if err != nil {
		return nil, p.mapError(ctx, err, op{what: "show", model: model})
	}
	caps := capabilities(r)
	details := map[string]string{}
	if r.Details.ParentModel != "" {
		details["parent_model"] = r.Details.ParentModel
	}
	if len(r.Details.Families) > 0 {
		details["families"] = strings.Join(r.Details.Families, ",")
	}
	if len(caps) > 0 {
		details["capabilities"] = strings.Join(caps, ",")
	}
	if arch, _ := r.ModelInfo["general.architecture"].(string); arch != "" {
		details["architecture"] = arch
	}
	if r.System != "" {
		details["system"] = r.System
	}
	return &sdk.ModelDetails{
		Model: sdk.Model{
			Name:          model,
			ModifiedAt:    unix(r.ModifiedAt),
			Family:        r.Details.Family,
			ParameterSize: r.Details.ParameterSize,
			Quantization:  r.Details.QuantizationLevel,
			Format:        r.Details.Format,
			ContextLength: contextLength(r.ModelInfo),
			Services:      servicesFor(caps),
		},
		Template:     r.Template,
		Parameters:   r.Parameters,
		License:      r.License,
		Details:      details,
		System:       r.System,
		Modelfile:    r.Modelfile,
		ModelInfo:    r.ModelInfo,
		Capabilities: caps,
	}, nil
}

func capabilities(r *api.ShowResponse) []string {
	out := make([]string, 0, len(r.Capabilities))
	for _, c := range r.Capabilities {
		out = append(out, string(c))
	}
	return out
}

// servicesFor maps Ollama capabilities to the Roundhouse services a model
// can serve through this plugin.
func servicesFor(caps []string) []string {
	var out []string
	if slices.Contains(caps, "completion") {
		out = append(out, sdk.ServiceChat, sdk.ServiceGenerate)
	}
	if slices.Contains(caps, "embedding") {
		out = append(out, sdk.ServiceEmbed)
	}
	return out
}

// contextLength reads "<architecture>.context_length" from model_info.
func contextLength(info map[string]any) int {
	arch, _ := info["general.architecture"].(string)
	if arch == "" {
		return 0
	}
	if v, ok := info[arch+".context_length"].(float64); ok {
		return int(v)
	}
	return 0
}

// sameModel compares names the way Ollama resolves them: case-insensitive,
// ":latest" implied.
func sameModel(a, b string) bool {
	norm := func(s string) string {
		s = strings.ToLower(s)
		if i := strings.LastIndex(s, "/"); !strings.Contains(s[i+1:], ":") {
			s += ":latest"
		}
		return s
	}
	return a != "" && b != "" && norm(a) == norm(b)
}

func unix(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}
