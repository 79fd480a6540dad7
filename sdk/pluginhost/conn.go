package pluginhost

import (
	"context"
	"errors"
	"io"

	"google.golang.org/grpc"

	"github.com/roundhouse-ai/roundhouse/internal/convert"
	pb "github.com/roundhouse-ai/roundhouse/internal/pluginv1"
	"github.com/roundhouse-ai/roundhouse/sdk"
	"github.com/roundhouse-ai/roundhouse/types"
)

// Conn is a typed connection to a running plugin process. It implements
// LocalPlugin and RemotePlugin, so the host calls a plugin through the same
// interfaces plugin authors implement; errors come back as *Error with the
// plugin's code. A Conn is safe for concurrent use: every call shares the
// plugin's one gRPC connection.
type Conn struct {
	plugin    pb.PluginServiceClient
	inference pb.InferenceServiceClient
	engine    pb.EngineServiceClient
	models    pb.ModelServiceClient
}

var (
	_ sdk.LocalPlugin  = (*Conn)(nil)
	_ sdk.RemotePlugin = (*Conn)(nil)
	_ sdk.ModelCopier  = (*Conn)(nil)
	_ sdk.ModelCreator = (*Conn)(nil)
	_ sdk.ModelPusher  = (*Conn)(nil)
	_ sdk.BlobStore    = (*Conn)(nil)
)

func newConn(cc grpc.ClientConnInterface) *Conn {
	return &Conn{
		plugin:    pb.NewPluginServiceClient(cc),
		inference: pb.NewInferenceServiceClient(cc),
		engine:    pb.NewEngineServiceClient(cc),
		models:    pb.NewModelServiceClient(cc),
	}
}

// callUnary converts the request, calls, and converts the response back.
func callUnary[In, PIn, POut, Out any](ctx context.Context, in *In, to func(*In) *PIn,
	call func(context.Context, *PIn, ...grpc.CallOption) (*POut, error), from func(*POut) *Out) (*Out, error) {
	pin := to(in)
	out, err := call(ctx, pin)
	if err != nil {
		return nil, convert.RequestError(err, pin)
	}
	return from(out), nil
}

// callStream opens a server stream and hands each converted chunk to send.
// An error from send ends the call and cancels the stream.
func callStream[In, PIn, PC, C any](ctx context.Context, in *In, to func(*In) *PIn,
	open func(context.Context, *PIn, ...grpc.CallOption) (grpc.ServerStreamingClient[PC], error),
	from func(*PC) *C, send func(*C) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pin := to(in)
	st, err := open(ctx, pin) // sends the request: marshalling fails here
	if err != nil {
		return convert.RequestError(err, pin)
	}
	for {
		c, err := st.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return convert.FromStatusError(err)
		}
		if err := send(from(c)); err != nil {
			return err
		}
	}
}

func identity[T any](t *T) *T { return t }

func (c *Conn) Info(ctx context.Context) (*types.Info, error) {
	return callUnary(ctx, &pb.GetInfoRequest{}, identity, c.plugin.GetInfo, convert.FromProtoInfo)
}

func (c *Conn) Health(ctx context.Context) (*types.Health, error) {
	return callUnary(ctx, &pb.HealthRequest{}, identity, c.plugin.Health, convert.FromProtoHealth)
}

// ValidateConfig asks the plugin to check cfg without applying it. It
// returns a CodeUnimplemented error for plugins that cannot.
func (c *Conn) ValidateConfig(ctx context.Context, cfg *types.Config) error {
	_, err := callUnary(ctx, cfg, func(cfg *types.Config) *pb.ValidateConfigRequest {
		return &pb.ValidateConfigRequest{Config: convert.ToProtoConfig(cfg)}
	}, c.plugin.ValidateConfig, identity)
	return err
}

func (c *Conn) Configure(ctx context.Context, cfg *types.Config) error {
	_, err := callUnary(ctx, cfg, convert.ToProtoConfig, c.plugin.Configure, identity)
	return err
}

func (c *Conn) ListProviders(ctx context.Context) ([]types.ProviderStatus, error) {
	out, err := c.plugin.ListProviders(ctx, &pb.ListProvidersRequest{})
	if err != nil {
		return nil, convert.FromStatusError(err) // an empty request: nothing to blame
	}
	return convert.FromProtoProviderStatuses(out.GetProviders()), nil
}

func (c *Conn) TestProvider(ctx context.Context, name string) (*types.ProviderTest, error) {
	return callUnary(ctx, &pb.TestProviderRequest{Name: name}, identity, c.plugin.TestProvider, convert.FromProtoProviderTest)
}

func (c *Conn) Chat(ctx context.Context, req *types.ChatRequest) (*types.ChatResponse, error) {
	return callUnary(ctx, req, convert.ToProtoChatRequest, c.inference.Chat, convert.FromProtoChatResponse)
}

func (c *Conn) ChatStream(ctx context.Context, req *types.ChatRequest, send func(*types.ChatChunk) error) error {
	return callStream(ctx, req, convert.ToProtoChatRequest, c.inference.ChatStream, convert.FromProtoChatChunk, send)
}

func (c *Conn) Generate(ctx context.Context, req *types.GenerateRequest) (*types.GenerateResponse, error) {
	return callUnary(ctx, req, convert.ToProtoGenerateRequest, c.inference.Generate, convert.FromProtoGenerateResponse)
}

func (c *Conn) GenerateStream(ctx context.Context, req *types.GenerateRequest, send func(*types.GenerateChunk) error) error {
	return callStream(ctx, req, convert.ToProtoGenerateRequest, c.inference.GenerateStream, convert.FromProtoGenerateChunk, send)
}

func (c *Conn) Embed(ctx context.Context, req *types.EmbedRequest) (*types.EmbedResponse, error) {
	return callUnary(ctx, req, convert.ToProtoEmbedRequest, c.inference.Embed, convert.FromProtoEmbedResponse)
}

func (c *Conn) Rerank(ctx context.Context, req *types.RerankRequest) (*types.RerankResponse, error) {
	return callUnary(ctx, req, convert.ToProtoRerankRequest, c.inference.Rerank, convert.FromProtoRerankResponse)
}

func (c *Conn) TextToImage(ctx context.Context, req *types.TextToImageRequest) (*types.TextToImageResponse, error) {
	return callUnary(ctx, req, convert.ToProtoTextToImageRequest, c.inference.TextToImage, convert.FromProtoTextToImageResponse)
}

func (c *Conn) ImageToImage(ctx context.Context, req *types.ImageToImageRequest) (*types.ImageToImageResponse, error) {
	return callUnary(ctx, req, convert.ToProtoImageToImageRequest, c.inference.ImageToImage, convert.FromProtoImageToImageResponse)
}

func (c *Conn) TextToSpeech(ctx context.Context, req *types.TextToSpeechRequest) (*types.TextToSpeechResponse, error) {
	return callUnary(ctx, req, convert.ToProtoTextToSpeechRequest, c.inference.TextToSpeech, convert.FromProtoTextToSpeechResponse)
}

func (c *Conn) TextToSpeechStream(ctx context.Context, req *types.TextToSpeechRequest, send func(*types.AudioChunk) error) error {
	return callStream(ctx, req, convert.ToProtoTextToSpeechRequest, c.inference.TextToSpeechStream, convert.FromProtoAudioChunk, send)
}

func (c *Conn) SpeechToText(ctx context.Context, req *types.SpeechToTextRequest) (*types.SpeechToTextResponse, error) {
	return callUnary(ctx, req, convert.ToProtoSpeechToTextRequest, c.inference.SpeechToText, convert.FromProtoSpeechToTextResponse)
}

// SpeechToTextLive pumps frames from recv to the plugin and transcripts
// back to send until recv returns io.EOF and the plugin finishes.
func (c *Conn) SpeechToTextLive(ctx context.Context, recv func() (*types.LiveSpeechInput, error), send func(*types.LiveSpeechOutput) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	st, err := c.inference.SpeechToTextLive(ctx)
	if err != nil {
		return convert.FromStatusError(err)
	}
	upErr := make(chan error, 1)
	go func() {
		for {
			in, err := recv()
			if errors.Is(err, io.EOF) {
				upErr <- st.CloseSend()
				return
			}
			if err != nil {
				cancel()
				upErr <- err
				return
			}
			pin := convert.ToProtoLiveSpeechInput(in)
			if err := st.Send(pin); err != nil {
				// A frame that cannot be marshalled ends the stream with
				// the same status on the receive side; name its field.
				var e *types.Error
				if errors.As(convert.RequestError(err, pin), &e) && e.Field != "" {
					upErr <- e
					cancel()
					return
				}
				upErr <- nil // the receive side reports the stream's error
				return
			}
		}
	}()
	// The plugin's side decides when the call is over. The uploader may be
	// blocked in recv (a client that stopped sending and waits for
	// transcripts), so it is never waited for here: its error counts only
	// if it is already there. It exits when the caller closes its source.
	uploadErr := func() error {
		select {
		case e := <-upErr:
			return e
		default:
			return nil
		}
	}
	for {
		out, err := st.Recv()
		if errors.Is(err, io.EOF) {
			return uploadErr()
		}
		if err != nil {
			cancel()
			if uerr := uploadErr(); uerr != nil {
				return uerr
			}
			return convert.FromStatusError(err)
		}
		if err := send(convert.FromProtoLiveSpeechOutput(out)); err != nil {
			return err
		}
	}
}

func (c *Conn) engineStatus(ctx context.Context, call func() (*pb.EngineStatusResponse, error)) (*types.EngineStatus, error) {
	out, err := call()
	if err != nil {
		return nil, convert.FromStatusError(err)
	}
	return convert.FromProtoEngineStatus(out), nil
}

func (c *Conn) CheckEngine(ctx context.Context) (*types.EngineStatus, error) {
	return c.engineStatus(ctx, func() (*pb.EngineStatusResponse, error) {
		return c.engine.CheckEngine(ctx, &pb.CheckEngineRequest{})
	})
}

func (c *Conn) StartEngine(ctx context.Context) (*types.EngineStatus, error) {
	return c.engineStatus(ctx, func() (*pb.EngineStatusResponse, error) {
		return c.engine.StartEngine(ctx, &pb.StartEngineRequest{})
	})
}

func (c *Conn) StopEngine(ctx context.Context) (*types.EngineStatus, error) {
	return c.engineStatus(ctx, func() (*pb.EngineStatusResponse, error) {
		return c.engine.StopEngine(ctx, &pb.StopEngineRequest{})
	})
}

func (c *Conn) EngineStatus(ctx context.Context) (*types.EngineStatus, error) {
	return c.engineStatus(ctx, func() (*pb.EngineStatusResponse, error) {
		return c.engine.EngineStatus(ctx, &pb.EngineStatusRequest{})
	})
}

func (c *Conn) InstallEngine(ctx context.Context, req *types.InstallEngineRequest, progress func(*types.Progress) error) error {
	return callStream(ctx, req, convert.ToProtoInstallEngineRequest, c.engine.InstallEngine, convert.FromProtoProgress, progress)
}

func (c *Conn) UpgradeEngine(ctx context.Context, req *types.InstallEngineRequest, progress func(*types.Progress) error) error {
	return callStream(ctx, req, convert.ToProtoUpgradeEngineRequest, c.engine.UpgradeEngine, convert.FromProtoProgress, progress)
}

func (c *Conn) PullModel(ctx context.Context, req *types.PullRequest, progress func(*types.Progress) error) error {
	return callStream(ctx, req, convert.ToProtoPullRequest, c.models.PullModel, convert.FromProtoProgress, progress)
}

func (c *Conn) ListModels(ctx context.Context) ([]types.Model, error) {
	out, err := c.models.ListModels(ctx, &pb.ListModelsRequest{})
	if err != nil {
		return nil, convert.FromStatusError(err)
	}
	return convert.FromProtoModels(out.GetModels()), nil
}

func (c *Conn) ListRunningModels(ctx context.Context) ([]types.Model, error) {
	out, err := c.models.ListRunningModels(ctx, &pb.ListRunningModelsRequest{})
	if err != nil {
		return nil, convert.FromStatusError(err)
	}
	return convert.FromProtoModels(out.GetModels()), nil
}

func (c *Conn) LoadModel(ctx context.Context, req *types.LoadRequest) error {
	_, err := callUnary(ctx, req, convert.ToProtoLoadRequest, c.models.LoadModel, identity)
	return err
}

func (c *Conn) UnloadModel(ctx context.Context, model string) error {
	req := &pb.UnloadModelRequest{Model: model}
	_, err := c.models.UnloadModel(ctx, req)
	return convert.RequestError(err, req)
}

func (c *Conn) DeleteModel(ctx context.Context, model string) error {
	req := &pb.DeleteModelRequest{Model: model}
	_, err := c.models.DeleteModel(ctx, req)
	return convert.RequestError(err, req)
}

func (c *Conn) ShowModel(ctx context.Context, model string) (*types.ModelDetails, error) {
	return callUnary(ctx, &pb.ShowModelRequest{Model: model}, identity, c.models.ShowModel, convert.FromProtoModelDetails)
}

func (c *Conn) CopyModel(ctx context.Context, req *types.CopyRequest) error {
	_, err := callUnary(ctx, req, convert.ToProtoCopyRequest, c.models.CopyModel, identity)
	return err
}

func (c *Conn) CreateModel(ctx context.Context, req *types.CreateRequest, progress func(*types.Progress) error) error {
	return callStream(ctx, req, convert.ToProtoCreateRequest, c.models.CreateModel, convert.FromProtoProgress, progress)
}

func (c *Conn) PushModel(ctx context.Context, req *types.PushRequest, progress func(*types.Progress) error) error {
	return callStream(ctx, req, convert.ToProtoPushRequest, c.models.PushModel, convert.FromProtoProgress, progress)
}

func (c *Conn) CheckBlob(ctx context.Context, digest string) (bool, error) {
	out, err := callUnary(ctx, &pb.CheckBlobRequest{Digest: digest}, identity, c.models.CheckBlob, identity)
	if err != nil {
		return false, err
	}
	return out.GetExists(), nil
}

// BlobChunkSize is how many bytes of a blob one CreateBlob message
// carries: well under gRPC's 4 MiB message limit.
const BlobChunkSize = 1 << 20

// CreateBlob streams body to the plugin in BlobChunkSize chunks, never
// holding more than one chunk. An error reading body cancels the upload.
func (c *Conn) CreateBlob(ctx context.Context, digest string, body io.Reader) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	st, err := c.models.CreateBlob(ctx)
	if err != nil {
		return convert.FromStatusError(err)
	}
	buf := make([]byte, BlobChunkSize)
	first := true
	for {
		n, rerr := io.ReadFull(body, buf)
		if n > 0 || first {
			m := &pb.CreateBlobRequest{Data: buf[:n]}
			if first {
				m.Digest, first = digest, false
			}
			if err := st.Send(m); err != nil {
				// The plugin ended the call: its status says why.
				_, rerr := st.CloseAndRecv()
				if rerr == nil {
					rerr = err
				}
				return convert.FromStatusError(rerr)
			}
		}
		if errors.Is(rerr, io.EOF) || errors.Is(rerr, io.ErrUnexpectedEOF) {
			break
		}
		if rerr != nil {
			return rerr // cancel() aborts the upload
		}
	}
	if _, err := st.CloseAndRecv(); err != nil {
		return convert.FromStatusError(err)
	}
	return nil
}
