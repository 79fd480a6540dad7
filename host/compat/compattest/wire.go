package compattest

import (
	"context"
	"io"

	"github.com/roundhouse-ai/roundhouse/host/backend"
	"github.com/roundhouse-ai/roundhouse/sdk"
	"github.com/roundhouse-ai/roundhouse/sdk/pluginhost"
)

// Wired is a backend.Backend that puts a real plugin boundary between a
// surface and a fake: every service and model-management call is
// converted to protobuf, marshalled, sent over an in-process gRPC
// connection (pluginhost.ServeInProcess) to a plugin that answers with the fake,
// and converted back — the path a request takes to a plugin subprocess.
// Tests and fuzz targets use it to prove that whatever a surface accepts
// can really be sent to a plugin (the fake alone takes any Go string;
// protobuf does not). ListModels, Version and SpeechToTextLive go to the
// fake directly. The route does not cross the boundary (the host resolves
// it before the call), so the fake sees an empty one.
type Wired struct {
	*Backend
	conn *pluginhost.Conn
	stop func()
}

var _ backend.Backend = (*Wired)(nil)

// Wire serves b as an in-process plugin. Close the result when done.
func Wire(b *Backend) *Wired {
	conn, stop := pluginhost.ServeInProcess(&wirePlugin{b: b})
	return &Wired{Backend: b, conn: conn, stop: stop}
}

// Close ends the in-process plugin.
func (w *Wired) Close() { w.stop() }

func (w *Wired) Chat(ctx context.Context, _ backend.Route, req *sdk.ChatRequest) (*sdk.ChatResponse, error) {
	return w.conn.Chat(ctx, req)
}

func (w *Wired) ChatStream(ctx context.Context, _ backend.Route, req *sdk.ChatRequest, send func(*sdk.ChatChunk) error) error {
	return w.conn.ChatStream(ctx, req, send)
}

func (w *Wired) Generate(ctx context.Context, _ backend.Route, req *sdk.GenerateRequest) (*sdk.GenerateResponse, error) {
	return w.conn.Generate(ctx, req)
}

func (w *Wired) GenerateStream(ctx context.Context, _ backend.Route, req *sdk.GenerateRequest, send func(*sdk.GenerateChunk) error) error {
	return w.conn.GenerateStream(ctx, req, send)
}

func (w *Wired) Embed(ctx context.Context, _ backend.Route, req *sdk.EmbedRequest) (*sdk.EmbedResponse, error) {
	return w.conn.Embed(ctx, req)
}

func (w *Wired) Rerank(ctx context.Context, _ backend.Route, req *sdk.RerankRequest) (*sdk.RerankResponse, error) {
	return w.conn.Rerank(ctx, req)
}

func (w *Wired) TextToImage(ctx context.Context, _ backend.Route, req *sdk.TextToImageRequest) (*sdk.TextToImageResponse, error) {
	return w.conn.TextToImage(ctx, req)
}

func (w *Wired) ImageToImage(ctx context.Context, _ backend.Route, req *sdk.ImageToImageRequest) (*sdk.ImageToImageResponse, error) {
	return w.conn.ImageToImage(ctx, req)
}

func (w *Wired) TextToSpeech(ctx context.Context, _ backend.Route, req *sdk.TextToSpeechRequest) (*sdk.TextToSpeechResponse, error) {
	return w.conn.TextToSpeech(ctx, req)
}

func (w *Wired) SpeechToText(ctx context.Context, _ backend.Route, req *sdk.SpeechToTextRequest) (*sdk.SpeechToTextResponse, error) {
	return w.conn.SpeechToText(ctx, req)
}

// ShowModel asks over the wire, then takes the serving plugin's name from
// the fake (a plugin does not know its own name).
func (w *Wired) ShowModel(ctx context.Context, rt backend.Route, model string) (*sdk.ModelDetails, string, error) {
	d, err := w.conn.ShowModel(ctx, model)
	if err != nil {
		return nil, "", err
	}
	m, err := w.Backend.Resolve(model)
	if err != nil {
		return nil, "", err
	}
	return d, m.Plugin, nil
}

func (w *Wired) PullModel(ctx context.Context, req backend.PullRequest, progress func(*sdk.Progress) error) error {
	return w.conn.PullModel(ctx, &sdk.PullRequest{Model: req.Model, Insecure: req.Insecure}, progress)
}

func (w *Wired) DeleteModel(ctx context.Context, _ backend.Route, model string) error {
	return w.conn.DeleteModel(ctx, model)
}

func (w *Wired) LoadModel(ctx context.Context, _ backend.Route, req *sdk.LoadRequest) error {
	return w.conn.LoadModel(ctx, req)
}

func (w *Wired) CopyModel(ctx context.Context, _ backend.Route, req *sdk.CopyRequest) error {
	return w.conn.CopyModel(ctx, req)
}

func (w *Wired) CreateModel(ctx context.Context, _ backend.Route, req *sdk.CreateRequest, progress func(*sdk.Progress) error) error {
	return w.conn.CreateModel(ctx, req, progress)
}

func (w *Wired) PushModel(ctx context.Context, _ backend.Route, req *sdk.PushRequest, progress func(*sdk.Progress) error) error {
	return w.conn.PushModel(ctx, req, progress)
}

func (w *Wired) CheckBlob(ctx context.Context, _ backend.Route, digest string) (bool, error) {
	return w.conn.CheckBlob(ctx, digest)
}

func (w *Wired) CreateBlob(ctx context.Context, _ backend.Route, digest string, body io.Reader) error {
	return w.conn.CreateBlob(ctx, digest, body)
}

func (w *Wired) UnloadModel(ctx context.Context, _ backend.Route, model string) error {
	return w.conn.UnloadModel(ctx, model)
}

// wirePlugin is the plugin side: it answers with the fake.
type wirePlugin struct {
	sdk.UnimplementedPlugin
	sdk.UnimplementedModels
	b *Backend
}

var none backend.Route

func (p *wirePlugin) Chat(ctx context.Context, req *sdk.ChatRequest) (*sdk.ChatResponse, error) {
	return p.b.Chat(ctx, none, req)
}

func (p *wirePlugin) ChatStream(ctx context.Context, req *sdk.ChatRequest, send func(*sdk.ChatChunk) error) error {
	return p.b.ChatStream(ctx, none, req, send)
}

func (p *wirePlugin) Generate(ctx context.Context, req *sdk.GenerateRequest) (*sdk.GenerateResponse, error) {
	return p.b.Generate(ctx, none, req)
}

func (p *wirePlugin) GenerateStream(ctx context.Context, req *sdk.GenerateRequest, send func(*sdk.GenerateChunk) error) error {
	return p.b.GenerateStream(ctx, none, req, send)
}

func (p *wirePlugin) Embed(ctx context.Context, req *sdk.EmbedRequest) (*sdk.EmbedResponse, error) {
	return p.b.Embed(ctx, none, req)
}

func (p *wirePlugin) Rerank(ctx context.Context, req *sdk.RerankRequest) (*sdk.RerankResponse, error) {
	return p.b.Rerank(ctx, none, req)
}

func (p *wirePlugin) TextToImage(ctx context.Context, req *sdk.TextToImageRequest) (*sdk.TextToImageResponse, error) {
	return p.b.TextToImage(ctx, none, req)
}

func (p *wirePlugin) ImageToImage(ctx context.Context, req *sdk.ImageToImageRequest) (*sdk.ImageToImageResponse, error) {
	return p.b.ImageToImage(ctx, none, req)
}

func (p *wirePlugin) TextToSpeech(ctx context.Context, req *sdk.TextToSpeechRequest) (*sdk.TextToSpeechResponse, error) {
	return p.b.TextToSpeech(ctx, none, req)
}

func (p *wirePlugin) SpeechToText(ctx context.Context, req *sdk.SpeechToTextRequest) (*sdk.SpeechToTextResponse, error) {
	return p.b.SpeechToText(ctx, none, req)
}

func (p *wirePlugin) ShowModel(ctx context.Context, model string) (*sdk.ModelDetails, error) {
	d, _, err := p.b.ShowModel(ctx, none, model)
	return d, err
}

func (p *wirePlugin) PullModel(ctx context.Context, req *sdk.PullRequest, progress func(*sdk.Progress) error) error {
	return p.b.PullModel(ctx, backend.PullRequest{Model: req.Model, Insecure: req.Insecure}, progress)
}

func (p *wirePlugin) DeleteModel(ctx context.Context, model string) error {
	return p.b.DeleteModel(ctx, none, model)
}

func (p *wirePlugin) LoadModel(ctx context.Context, req *sdk.LoadRequest) error {
	return p.b.LoadModel(ctx, none, req)
}

func (p *wirePlugin) CopyModel(ctx context.Context, req *sdk.CopyRequest) error {
	return p.b.CopyModel(ctx, none, req)
}

func (p *wirePlugin) CreateModel(ctx context.Context, req *sdk.CreateRequest, progress func(*sdk.Progress) error) error {
	return p.b.CreateModel(ctx, none, req, progress)
}

func (p *wirePlugin) PushModel(ctx context.Context, req *sdk.PushRequest, progress func(*sdk.Progress) error) error {
	return p.b.PushModel(ctx, none, req, progress)
}

func (p *wirePlugin) CheckBlob(ctx context.Context, digest string) (bool, error) {
	return p.b.CheckBlob(ctx, none, digest)
}

func (p *wirePlugin) CreateBlob(ctx context.Context, digest string, body io.Reader) error {
	return p.b.CreateBlob(ctx, none, digest, body)
}

func (p *wirePlugin) UnloadModel(ctx context.Context, model string) error {
	return p.b.UnloadModel(ctx, none, model)
}
