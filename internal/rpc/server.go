package rpc

import (
	"context"
	"errors"
	"io"

	"google.golang.org/grpc"

	"github.com/roundhouse-ai/roundhouse/internal/convert"
	pb "github.com/roundhouse-ai/roundhouse/internal/pluginv1"
	"github.com/roundhouse-ai/roundhouse/types"
)

// Server adapts a Plugin to the generated gRPC server interfaces. It
// converts messages, turns errors into gRPC statuses with an ErrorDetail,
// and answers Unimplemented for interfaces the plugin does not implement.
type Server struct {
	pb.UnimplementedPluginServiceServer
	pb.UnimplementedInferenceServiceServer
	pb.UnimplementedEngineServiceServer
	pb.UnimplementedModelServiceServer

	impl       Plugin
	sdkVersion string    // reported in Info when the plugin leaves it empty
	svc        *services // the service methods impl has, pairs completed
	engine     Engine    // nil when impl is not an Engine
	models     Models    // nil when impl is not a Models
	providers  Providers // nil when impl is not a Providers
	copier     ModelCopier
	creator    ModelCreator
	pusher     ModelPusher
	blobs      BlobStore
}

// NewServer serves impl. The services it offers are the service methods
// it has (see ChatService...): a service with only one method of its pair
// gets the other from the adapters in adapt.go; a service with none
// answers CodeUnimplemented. Info reports the services found in
// Info.Implemented.
func NewServer(impl Plugin, sdkVersion string) *Server {
	s := &Server{impl: impl, sdkVersion: sdkVersion, svc: detectServices(impl)}
	s.engine, _ = impl.(Engine)
	s.models, _ = impl.(Models)
	s.providers, _ = impl.(Providers)
	s.copier, _ = impl.(ModelCopier)
	s.creator, _ = impl.(ModelCreator)
	s.pusher, _ = impl.(ModelPusher)
	s.blobs, _ = impl.(BlobStore)
	return s
}

// Implemented lists the services the plugin has methods for.
func (s *Server) Implemented() []string { return append([]string{}, s.svc.implemented...) }

// Mismatched names the plugin's methods that are named like a service
// method but have another signature (so they serve nothing).
func (s *Server) Mismatched() []string { return append([]string(nil), s.svc.mismatched...) }

func (s *Server) Register(g *grpc.Server) {
	pb.RegisterPluginServiceServer(g, s)
	pb.RegisterInferenceServiceServer(g, s)
	pb.RegisterEngineServiceServer(g, s)
	pb.RegisterModelServiceServer(g, s)
}

// unary runs one unary call: proto in → sdk → impl → sdk → proto out.
func unary[PIn, In, Out, POut any](ctx context.Context, in *PIn, from func(*PIn) *In,
	call func(context.Context, *In) (*Out, error), to func(*Out) *POut) (*POut, error) {
	out, err := call(ctx, from(in))
	if err != nil {
		return nil, convert.ToStatusError(err)
	}
	return to(out), nil
}

// serverStream runs one server-streaming call, converting each chunk.
func serverStream[PIn, In, C, PC any](in *PIn, stream grpc.ServerStreamingServer[PC], from func(*PIn) *In,
	call func(context.Context, *In, func(*C) error) error, to func(*C) *PC) error {
	ctx := stream.Context()
	err := call(ctx, from(in), func(c *C) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		return stream.Send(to(c))
	})
	return convert.ToStatusError(err)
}

func (s *Server) GetInfo(ctx context.Context, _ *pb.GetInfoRequest) (*pb.GetInfoResponse, error) {
	info, err := s.impl.Info(ctx)
	if err != nil {
		return nil, convert.ToStatusError(err)
	}
	if info == nil {
		info = &types.Info{}
	}
	if info.SDKVersion == "" {
		info.SDKVersion = s.sdkVersion
	}
	info.Implemented = s.Implemented()
	return convert.ToProtoInfo(info), nil
}

func (s *Server) Health(ctx context.Context, _ *pb.HealthRequest) (*pb.HealthResponse, error) {
	h, err := s.impl.Health(ctx)
	if err != nil {
		return nil, convert.ToStatusError(err)
	}
	return convert.ToProtoHealth(h), nil
}

func (s *Server) Configure(ctx context.Context, in *pb.ConfigureRequest) (*pb.ConfigureResponse, error) {
	if err := s.impl.Configure(ctx, convert.FromProtoConfig(in)); err != nil {
		return nil, convert.ToStatusError(err)
	}
	return &pb.ConfigureResponse{}, nil
}

func (s *Server) ValidateConfig(ctx context.Context, in *pb.ValidateConfigRequest) (*pb.ValidateConfigResponse, error) {
	v, ok := s.impl.(ConfigValidator)
	if !ok {
		return nil, convert.ToStatusError(unimplemented("configuration validation"))
	}
	if err := v.ValidateConfig(ctx, convert.FromProtoConfig(in.GetConfig())); err != nil {
		return nil, convert.ToStatusError(err)
	}
	return &pb.ValidateConfigResponse{}, nil
}

func (s *Server) ListProviders(ctx context.Context, _ *pb.ListProvidersRequest) (*pb.ListProvidersResponse, error) {
	if s.providers == nil {
		return nil, convert.ToStatusError(unimplemented("providers"))
	}
	ps, err := s.providers.ListProviders(ctx)
	if err != nil {
		return nil, convert.ToStatusError(err)
	}
	return &pb.ListProvidersResponse{Providers: convert.ToProtoProviderStatuses(ps)}, nil
}

func (s *Server) TestProvider(ctx context.Context, in *pb.TestProviderRequest) (*pb.TestProviderResponse, error) {
	if s.providers == nil {
		return nil, convert.ToStatusError(unimplemented("providers"))
	}
	t, err := s.providers.TestProvider(ctx, in.GetName())
	if err != nil {
		return nil, convert.ToStatusError(err)
	}
	return convert.ToProtoProviderTest(t), nil
}

// ---- inference ----

// noService is the answer for a service the plugin has no method for.
func noService(name string) error { return convert.ToStatusError(unimplemented(name)) }

func (s *Server) Chat(ctx context.Context, in *pb.ChatRequest) (*pb.ChatResponse, error) {
	if s.svc.chat == nil {
		return nil, noService("chat")
	}
	return unary(ctx, in, convert.FromProtoChatRequest, s.svc.chat, convert.ToProtoChatResponse)
}

func (s *Server) ChatStream(in *pb.ChatRequest, st grpc.ServerStreamingServer[pb.ChatChunk]) error {
	if s.svc.chatStream == nil {
		return noService("streaming chat")
	}
	return serverStream(in, st, convert.FromProtoChatRequest, s.svc.chatStream, convert.ToProtoChatChunk)
}

func (s *Server) Generate(ctx context.Context, in *pb.GenerateRequest) (*pb.GenerateResponse, error) {
	if s.svc.generate == nil {
		return nil, noService("generate")
	}
	return unary(ctx, in, convert.FromProtoGenerateRequest, s.svc.generate, convert.ToProtoGenerateResponse)
}

func (s *Server) GenerateStream(in *pb.GenerateRequest, st grpc.ServerStreamingServer[pb.GenerateChunk]) error {
	if s.svc.generateStrm == nil {
		return noService("streaming generate")
	}
	return serverStream(in, st, convert.FromProtoGenerateRequest, s.svc.generateStrm, convert.ToProtoGenerateChunk)
}

func (s *Server) Embed(ctx context.Context, in *pb.EmbedRequest) (*pb.EmbedResponse, error) {
	if s.svc.embed == nil {
		return nil, noService("embed")
	}
	return unary(ctx, in, convert.FromProtoEmbedRequest, s.svc.embed, convert.ToProtoEmbedResponse)
}

func (s *Server) Rerank(ctx context.Context, in *pb.RerankRequest) (*pb.RerankResponse, error) {
	if s.svc.rerank == nil {
		return nil, noService("rerank")
	}
	return unary(ctx, in, convert.FromProtoRerankRequest, s.svc.rerank, convert.ToProtoRerankResponse)
}

func (s *Server) TextToImage(ctx context.Context, in *pb.TextToImageRequest) (*pb.TextToImageResponse, error) {
	if s.svc.textToImage == nil {
		return nil, noService("text-to-image")
	}
	return unary(ctx, in, convert.FromProtoTextToImageRequest, s.svc.textToImage, convert.ToProtoTextToImageResponse)
}

func (s *Server) ImageToImage(ctx context.Context, in *pb.ImageToImageRequest) (*pb.ImageToImageResponse, error) {
	if s.svc.imageToImage == nil {
		return nil, noService("image-to-image")
	}
	return unary(ctx, in, convert.FromProtoImageToImageRequest, s.svc.imageToImage, convert.ToProtoImageToImageResponse)
}

func (s *Server) TextToSpeech(ctx context.Context, in *pb.TextToSpeechRequest) (*pb.TextToSpeechResponse, error) {
	if s.svc.textToSpeech == nil {
		return nil, noService("text-to-speech")
	}
	return unary(ctx, in, convert.FromProtoTextToSpeechRequest, s.svc.textToSpeech, convert.ToProtoTextToSpeechResponse)
}

func (s *Server) TextToSpeechStream(in *pb.TextToSpeechRequest, st grpc.ServerStreamingServer[pb.AudioChunk]) error {
	if s.svc.ttsStream == nil {
		return noService("streaming text-to-speech")
	}
	return serverStream(in, st, convert.FromProtoTextToSpeechRequest, s.svc.ttsStream, convert.ToProtoAudioChunk)
}

func (s *Server) SpeechToText(ctx context.Context, in *pb.SpeechToTextRequest) (*pb.SpeechToTextResponse, error) {
	if s.svc.speechToText == nil {
		return nil, noService("speech-to-text")
	}
	return unary(ctx, in, convert.FromProtoSpeechToTextRequest, s.svc.speechToText, convert.ToProtoSpeechToTextResponse)
}

func (s *Server) SpeechToTextLive(st grpc.BidiStreamingServer[pb.LiveSpeechInput, pb.LiveSpeechOutput]) error {
	if s.svc.speechLive == nil {
		return noService("live speech-to-text")
	}
	recv := func() (*types.LiveSpeechInput, error) {
		in, err := st.Recv()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil, io.EOF
			}
			return nil, convert.FromStatusError(err)
		}
		return convert.FromProtoLiveSpeechInput(in), nil
	}
	send := func(o *types.LiveSpeechOutput) error { return st.Send(convert.ToProtoLiveSpeechOutput(o)) }
	return convert.ToStatusError(s.svc.speechLive(st.Context(), recv, send))
}

// ---- engine ----

func (s *Server) engineCall(ctx context.Context, call func(Engine, context.Context) (*types.EngineStatus, error)) (*pb.EngineStatusResponse, error) {
	if s.engine == nil {
		return nil, convert.ToStatusError(unimplemented("engine management"))
	}
	st, err := call(s.engine, ctx)
	if err != nil {
		return nil, convert.ToStatusError(err)
	}
	return convert.ToProtoEngineStatus(st), nil
}

func (s *Server) CheckEngine(ctx context.Context, _ *pb.CheckEngineRequest) (*pb.EngineStatusResponse, error) {
	return s.engineCall(ctx, Engine.CheckEngine)
}

func (s *Server) StartEngine(ctx context.Context, _ *pb.StartEngineRequest) (*pb.EngineStatusResponse, error) {
	return s.engineCall(ctx, Engine.StartEngine)
}

func (s *Server) StopEngine(ctx context.Context, _ *pb.StopEngineRequest) (*pb.EngineStatusResponse, error) {
	return s.engineCall(ctx, Engine.StopEngine)
}

func (s *Server) EngineStatus(ctx context.Context, _ *pb.EngineStatusRequest) (*pb.EngineStatusResponse, error) {
	return s.engineCall(ctx, Engine.EngineStatus)
}

func (s *Server) InstallEngine(in *pb.InstallEngineRequest, st grpc.ServerStreamingServer[pb.Progress]) error {
	if s.engine == nil {
		return convert.ToStatusError(unimplemented("engine install"))
	}
	return serverStream(in, st, convert.FromProtoInstallEngineRequest, s.engine.InstallEngine, convert.ToProtoProgress)
}

func (s *Server) UpgradeEngine(in *pb.UpgradeEngineRequest, st grpc.ServerStreamingServer[pb.Progress]) error {
	if s.engine == nil {
		return convert.ToStatusError(unimplemented("engine upgrade"))
	}
	return serverStream(in, st, convert.FromProtoUpgradeEngineRequest, s.engine.UpgradeEngine, convert.ToProtoProgress)
}

// ---- models ----

// unimplemented is the error for a service or interface the plugin lacks,
// the same as sdk.UnimplementedPlugin's.
func unimplemented(method string) error {
	return types.Errorf(types.CodeUnimplemented, "this plugin does not implement %s", method)
}

func (s *Server) noModels(what string) error { return convert.ToStatusError(unimplemented(what)) }

func (s *Server) PullModel(in *pb.PullModelRequest, st grpc.ServerStreamingServer[pb.Progress]) error {
	if s.models == nil {
		return s.noModels("model pull")
	}
	return serverStream(in, st, convert.FromProtoPullRequest, s.models.PullModel, convert.ToProtoProgress)
}

func (s *Server) ListModels(ctx context.Context, _ *pb.ListModelsRequest) (*pb.ListModelsResponse, error) {
	if !s.svc.hasListModels { // a Models, or only a ModelLister
		return nil, s.noModels("model list")
	}
	ms, err := s.svc.listModels(ctx)
	if err != nil {
		return nil, convert.ToStatusError(err)
	}
	return &pb.ListModelsResponse{Models: convert.ToProtoModels(ms)}, nil
}

func (s *Server) ListRunningModels(ctx context.Context, _ *pb.ListRunningModelsRequest) (*pb.ListModelsResponse, error) {
	if s.models == nil {
		return nil, s.noModels("running model list")
	}
	ms, err := s.models.ListRunningModels(ctx)
	if err != nil {
		return nil, convert.ToStatusError(err)
	}
	return &pb.ListModelsResponse{Models: convert.ToProtoModels(ms)}, nil
}

func (s *Server) LoadModel(ctx context.Context, in *pb.LoadModelRequest) (*pb.LoadModelResponse, error) {
	if s.models == nil {
		return nil, s.noModels("model load")
	}
	if err := s.models.LoadModel(ctx, convert.FromProtoLoadRequest(in)); err != nil {
		return nil, convert.ToStatusError(err)
	}
	return &pb.LoadModelResponse{}, nil
}

func (s *Server) UnloadModel(ctx context.Context, in *pb.UnloadModelRequest) (*pb.UnloadModelResponse, error) {
	if s.models == nil {
		return nil, s.noModels("model unload")
	}
	if err := s.models.UnloadModel(ctx, in.GetModel()); err != nil {
		return nil, convert.ToStatusError(err)
	}
	return &pb.UnloadModelResponse{}, nil
}

func (s *Server) DeleteModel(ctx context.Context, in *pb.DeleteModelRequest) (*pb.DeleteModelResponse, error) {
	if s.models == nil {
		return nil, s.noModels("model delete")
	}
	if err := s.models.DeleteModel(ctx, in.GetModel()); err != nil {
		return nil, convert.ToStatusError(err)
	}
	return &pb.DeleteModelResponse{}, nil
}

func (s *Server) ShowModel(ctx context.Context, in *pb.ShowModelRequest) (*pb.ShowModelResponse, error) {
	if s.models == nil {
		return nil, s.noModels("model show")
	}
	d, err := s.models.ShowModel(ctx, in.GetModel())
	if err != nil {
		return nil, convert.ToStatusError(err)
	}
	return convert.ToProtoModelDetails(d), nil
}

func (s *Server) CopyModel(ctx context.Context, in *pb.CopyModelRequest) (*pb.CopyModelResponse, error) {
	if s.copier == nil {
		return nil, s.noModels("model copy")
	}
	if err := s.copier.CopyModel(ctx, convert.FromProtoCopyRequest(in)); err != nil {
		return nil, convert.ToStatusError(err)
	}
	return &pb.CopyModelResponse{}, nil
}

func (s *Server) CreateModel(in *pb.CreateModelRequest, st grpc.ServerStreamingServer[pb.Progress]) error {
	if s.creator == nil {
		return s.noModels("model create")
	}
	return serverStream(in, st, convert.FromProtoCreateRequest, s.creator.CreateModel, convert.ToProtoProgress)
}

func (s *Server) PushModel(in *pb.PushModelRequest, st grpc.ServerStreamingServer[pb.Progress]) error {
	if s.pusher == nil {
		return s.noModels("model push")
	}
	return serverStream(in, st, convert.FromProtoPushRequest, s.pusher.PushModel, convert.ToProtoProgress)
}

func (s *Server) CheckBlob(ctx context.Context, in *pb.CheckBlobRequest) (*pb.CheckBlobResponse, error) {
	if s.blobs == nil {
		return nil, s.noModels("blobs")
	}
	ok, err := s.blobs.CheckBlob(ctx, in.GetDigest())
	if err != nil {
		return nil, convert.ToStatusError(err)
	}
	return &pb.CheckBlobResponse{Exists: ok}, nil
}

// CreateBlob hands the plugin a reader over the chunks of the stream; the
// digest comes in the first message.
func (s *Server) CreateBlob(st grpc.ClientStreamingServer[pb.CreateBlobRequest, pb.CreateBlobResponse]) error {
	if s.blobs == nil {
		return s.noModels("blobs")
	}
	first, err := st.Recv()
	if errors.Is(err, io.EOF) {
		return convert.ToStatusError(&types.Error{Code: types.CodeInvalidArgument, Field: "digest",
			Message: "a blob upload needs a digest"})
	}
	if err != nil {
		return err
	}
	r := &blobReader{st: st, buf: first.GetData()}
	if err := s.blobs.CreateBlob(st.Context(), first.GetDigest(), r); err != nil {
		return convert.ToStatusError(err)
	}
	return st.SendAndClose(&pb.CreateBlobResponse{})
}

// blobReader reads the data of a CreateBlob stream's messages in order.
type blobReader struct {
	st  grpc.ClientStreamingServer[pb.CreateBlobRequest, pb.CreateBlobResponse]
	buf []byte
	err error
}

func (r *blobReader) Read(p []byte) (int, error) {
	for len(r.buf) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		m, err := r.st.Recv()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				err = convert.FromStatusError(err)
			}
			r.err = err
			continue
		}
		r.buf = m.GetData()
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}
