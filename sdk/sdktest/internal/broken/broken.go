// Package broken is a plugin for sdktest's self-tests: with no variant it
// keeps the whole contract (every service, streams that stream), and each
// variant breaks exactly one rule, so a test can show the suite catches it.
package broken

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/roundhouse-ai/roundhouse/sdk"
	"github.com/roundhouse-ai/roundhouse/sdk/manifest"
)

// The variants: each breaks one rule of the contract.
const (
	OK              = ""                 // conforms
	IgnoresCancel   = "ignores-cancel"   // ChatStream ignores ctx and send errors, keeps sending
	NilChat         = "nil-chat"         // Chat returns nil, nil
	NilTranscript   = "nil-transcript"   // SpeechToText returns nil, nil
	FewerEmbeddings = "fewer-embeddings" // one embedding fewer than inputs
	NoEmbeddings    = "no-embeddings"    // no embedding at all
	RerankRange     = "rerank-range"     // a result index past the documents
	RerankUnsorted  = "rerank-unsorted"  // results worst first
	NegativeUsage   = "negative-usage"   // Chat usage with negative token counts
	EarlyDone       = "early-done"       // ChatStream sets done before the last chunk
	NoDone          = "no-done"          // ChatStream's last chunk lacks done
	NoFinishReason  = "no-finish-reason" // ChatStream's last chunk lacks a finish reason
	BlocksChat      = "blocks-chat"      // Chat blocks until its ctx ends
	OneChunk        = "one-chunk"        // ChatStream sends the whole answer as one chunk
	NotServing      = "not-serving"      // Health always not_serving
	WrongName       = "wrong-name"       // Info name contradicts the manifest
	WrongType       = "wrong-type"       // Info type contradicts the manifest
	WrongVersion    = "wrong-version"    // Info version contradicts the manifest
	NoImages        = "no-images"        // TextToImage answers without an image
	NoAudio         = "no-audio"         // TextToSpeech answers without audio
	NoEdits         = "no-edits"         // ImageToImage answers without an image
)

// Name, Version and Type are what the manifest says (and Info, unless the
// variant contradicts it).
const (
	Name    = "broken"
	Version = "1.0.0"
	Type    = sdk.ProviderLocal
)

// Plugin is the plugin; Variant says which rule it breaks.
type Plugin struct {
	sdk.UnimplementedPlugin
	Variant string
}

// New makes the plugin.
func New(variant string) *Plugin { return &Plugin{Variant: variant} }

var services = map[string]sdk.Capabilities{
	sdk.ServiceChat:         {SupportStreaming: true},
	sdk.ServiceGenerate:     {SupportStreaming: true},
	sdk.ServiceEmbed:        {},
	sdk.ServiceRerank:       {},
	sdk.ServiceTextToImage:  {},
	sdk.ServiceTextToSpeech: {SupportStreaming: true},
	sdk.ServiceSpeechToText: {},
	sdk.ServiceImageToImage: {},
}

// WriteManifest writes plugin.yaml for the plugin into dir.
func WriteManifest(dir string) error {
	m := &manifest.Manifest{
		Version:   "1",
		Provider:  manifest.ProviderInfo{Name: Name, Version: Version, Type: Type},
		Platforms: map[string]manifest.PlatformConfig{manifest.PlatformKey(runtime.GOOS, runtime.GOARCH): {Executable: "broken"}},
	}
	for _, name := range sdk.ServiceNames {
		m.Services = append(m.Services, manifest.ServiceSpec{ServiceName: name, DefaultModel: "m1", Capabilities: services[name]})
	}
	return manifest.Save(dir, m, "yaml")
}

// WriteBadManifest writes a plugin.yaml the manifest check refuses.
func WriteBadManifest(dir string) error {
	return os.WriteFile(filepath.Join(dir, "plugin.yaml"), []byte("version: \"1\"\nprovider:\n  name: Bad/Name\n"), 0o644)
}

func (p *Plugin) Info(context.Context) (*sdk.Info, error) {
	info := &sdk.Info{Name: Name, Version: Version, Type: string(Type), Services: services}
	switch p.Variant {
	case WrongName:
		info.Name = "other"
	case WrongType:
		info.Type = string(sdk.ProviderRemote)
	case WrongVersion:
		info.Version = "2.0.0"
	}
	return info, nil
}

func (p *Plugin) Health(context.Context) (*sdk.Health, error) {
	if p.Variant == NotServing {
		return &sdk.Health{State: sdk.HealthNotServing, Message: "never ready"}, nil
	}
	return &sdk.Health{State: sdk.HealthServing}, nil
}

func words(req *sdk.ChatRequest) []string {
	var s string
	if n := len(req.Messages); n > 0 {
		s = req.Messages[n-1].Content
	}
	return strings.Fields("you said: " + s)
}

func (p *Plugin) Chat(ctx context.Context, req *sdk.ChatRequest) (*sdk.ChatResponse, error) {
	switch p.Variant {
	case NilChat:
		return nil, nil
	case BlocksChat:
		<-ctx.Done()
		return nil, ctx.Err()
	}
	w := words(req)
	u := &sdk.Usage{PromptTokens: 3, CompletionTokens: len(w), TotalTokens: 3 + len(w)}
	if p.Variant == NegativeUsage {
		u = &sdk.Usage{PromptTokens: -1, CompletionTokens: len(w), TotalTokens: len(w) - 1}
	}
	return &sdk.ChatResponse{Model: req.Model, FinishReason: "stop", Usage: u,
		Message: sdk.Message{Role: "assistant", Content: strings.Join(w, " ")}}, nil
}

func (p *Plugin) ChatStream(ctx context.Context, req *sdk.ChatRequest, send func(*sdk.ChatChunk) error) error {
	w := words(req)
	switch p.Variant {
	case IgnoresCancel:
		// 40 chunks, one per 100 ms, ignoring ctx and every send error: it
		// runs on for 4 s after the caller has gone.
		for i := 0; i < 40; i++ {
			_ = send(&sdk.ChatChunk{Model: req.Model, Role: "assistant", Content: fmt.Sprintf("w%d ", i)})
			time.Sleep(100 * time.Millisecond)
		}
		return send(&sdk.ChatChunk{Model: req.Model, Done: true, FinishReason: "stop"})
	case OneChunk:
		return send(&sdk.ChatChunk{Model: req.Model, Role: "assistant", Content: strings.Join(w, " "), Done: true, FinishReason: "stop"})
	}
	for i, s := range w {
		c := &sdk.ChatChunk{Model: req.Model, Role: "assistant", Content: s + " "}
		if p.Variant == EarlyDone && i == 0 {
			c.Done = true
		}
		if err := send(c); err != nil {
			return err
		}
	}
	last := &sdk.ChatChunk{Model: req.Model, Done: true, FinishReason: "stop",
		Usage: &sdk.Usage{PromptTokens: 3, CompletionTokens: len(w), TotalTokens: 3 + len(w)}}
	switch p.Variant {
	case NoDone:
		last.Done = false
	case NoFinishReason:
		last.FinishReason = ""
	}
	return send(last)
}

func (p *Plugin) Generate(ctx context.Context, req *sdk.GenerateRequest) (*sdk.GenerateResponse, error) {
	return &sdk.GenerateResponse{Model: req.Model, Text: "you said: " + req.Prompt, FinishReason: "stop"}, nil
}

func (p *Plugin) GenerateStream(ctx context.Context, req *sdk.GenerateRequest, send func(*sdk.GenerateChunk) error) error {
	for _, s := range strings.Fields("you said: " + req.Prompt) {
		if err := send(&sdk.GenerateChunk{Model: req.Model, Text: s + " "}); err != nil {
			return err
		}
	}
	return send(&sdk.GenerateChunk{Model: req.Model, Done: true, FinishReason: "stop"})
}

func (p *Plugin) Embed(ctx context.Context, req *sdk.EmbedRequest) (*sdk.EmbedResponse, error) {
	out := &sdk.EmbedResponse{Model: req.Model}
	for i := range req.Input {
		out.Embeddings = append(out.Embeddings, []float32{float32(i), 1, 2})
	}
	switch p.Variant {
	case FewerEmbeddings:
		out.Embeddings = out.Embeddings[:len(out.Embeddings)-1]
	case NoEmbeddings:
		out.Embeddings = nil
	}
	return out, nil
}

func (p *Plugin) Rerank(ctx context.Context, req *sdk.RerankRequest) (*sdk.RerankResponse, error) {
	out := &sdk.RerankResponse{Model: req.Model}
	for i := range req.Documents {
		out.Results = append(out.Results, sdk.RerankResult{Index: i, RelevanceScore: 1 / float64(i+1)})
	}
	switch p.Variant {
	case RerankRange:
		out.Results[0].Index = len(req.Documents)
	case RerankUnsorted:
		for i := range out.Results {
			out.Results[i].RelevanceScore = float64(i)
		}
	}
	return out, nil
}

func (p *Plugin) TextToImage(ctx context.Context, req *sdk.TextToImageRequest) (*sdk.TextToImageResponse, error) {
	out := &sdk.TextToImageResponse{Model: req.Model, Images: []sdk.Image{{Data: []byte("\x89PNG"), MIMEType: "image/png"}}}
	if p.Variant == NoImages {
		out.Images = nil
	}
	return out, nil
}

func (p *Plugin) ImageToImage(ctx context.Context, req *sdk.ImageToImageRequest) (*sdk.ImageToImageResponse, error) {
	out := &sdk.ImageToImageResponse{Model: req.Model, Images: []sdk.Image{{Data: []byte("\x89PNG"), MIMEType: "image/png"}}}
	if p.Variant == NoEdits {
		out.Images = nil
	}
	return out, nil
}

func (p *Plugin) TextToSpeech(ctx context.Context, req *sdk.TextToSpeechRequest) (*sdk.TextToSpeechResponse, error) {
	out := &sdk.TextToSpeechResponse{Model: req.Model, Audio: []byte("RIFF...."), MIMEType: "audio/wav"}
	if p.Variant == NoAudio {
		out.Audio = nil
	}
	return out, nil
}

func (p *Plugin) TextToSpeechStream(ctx context.Context, req *sdk.TextToSpeechRequest, send func(*sdk.AudioChunk) error) error {
	for i := 0; i < 2; i++ {
		if err := send(&sdk.AudioChunk{Data: []byte("RIFF...."), MIMEType: "audio/wav"}); err != nil {
			return err
		}
	}
	return send(&sdk.AudioChunk{Done: true})
}

func (p *Plugin) SpeechToText(ctx context.Context, req *sdk.SpeechToTextRequest) (*sdk.SpeechToTextResponse, error) {
	if p.Variant == NilTranscript {
		return nil, nil
	}
	return &sdk.SpeechToTextResponse{Model: req.Model, Text: fmt.Sprintf("%d bytes", len(req.Audio))}, nil
}
