package convert

import (
	pb "github.com/roundhouse-ai/roundhouse/internal/pluginv1"
	"github.com/roundhouse-ai/roundhouse/types"
)

// Conversions of the ModelService messages.

func ToProtoPullRequest(r *types.PullRequest) *pb.PullModelRequest {
	if r == nil {
		return nil
	}
	return &pb.PullModelRequest{Model: r.Model, Insecure: r.Insecure, Auth: ToProtoRegistryAuth(r.Auth)}
}

func FromProtoPullRequest(r *pb.PullModelRequest) *types.PullRequest {
	if r == nil {
		return nil
	}
	return &types.PullRequest{Model: r.GetModel(), Insecure: r.GetInsecure(), Auth: FromProtoRegistryAuth(r.GetAuth())}
}

func ToProtoLoadRequest(r *types.LoadRequest) *pb.LoadModelRequest {
	if r == nil {
		return nil
	}
	return &pb.LoadModelRequest{Model: r.Model, KeepAliveSeconds: float64PtrCopy(r.KeepAlive)}
}

func FromProtoLoadRequest(r *pb.LoadModelRequest) *types.LoadRequest {
	if r == nil {
		return nil
	}
	return &types.LoadRequest{Model: r.GetModel(), KeepAlive: float64PtrCopy(r.KeepAliveSeconds)}
}

// ToProtoModel clamps ContextLength to int32.
func ToProtoModel(m *types.Model) *pb.Model {
	if m == nil {
		return nil
	}
	return &pb.Model{
		Name:           m.Name,
		SizeBytes:      m.SizeBytes,
		Digest:         m.Digest,
		ModifiedAtUnix: m.ModifiedAt,
		Family:         m.Family,
		ParameterSize:  m.ParameterSize,
		Quantization:   m.Quantization,
		Format:         m.Format,
		SizeVramBytes:  m.SizeVRAMBytes,
		ExpiresAtUnix:  m.ExpiresAt,
		ContextLength:  clampToInt32(m.ContextLength),
		Services:       nilIfEmpty(m.Services),
		Provider:       m.Provider,
	}
}

func FromProtoModel(m *pb.Model) *types.Model {
	if m == nil {
		return nil
	}
	return &types.Model{
		Name:          m.GetName(),
		SizeBytes:     m.GetSizeBytes(),
		Digest:        m.GetDigest(),
		ModifiedAt:    m.GetModifiedAtUnix(),
		Family:        m.GetFamily(),
		ParameterSize: m.GetParameterSize(),
		Quantization:  m.GetQuantization(),
		Format:        m.GetFormat(),
		SizeVRAMBytes: m.GetSizeVramBytes(),
		ExpiresAt:     m.GetExpiresAtUnix(),
		ContextLength: int(m.GetContextLength()),
		Services:      nilIfEmpty(m.GetServices()),
		Provider:      m.GetProvider(),
	}
}

// ToProtoModels converts a model list; empty gives nil.
func ToProtoModels(ms []types.Model) []*pb.Model {
	if len(ms) == 0 {
		return nil
	}
	out := make([]*pb.Model, len(ms))
	for i := range ms {
		out[i] = ToProtoModel(&ms[i])
	}
	return out
}

// FromProtoModels converts a model list; empty gives nil and a nil element
// becomes a zero Model.
func FromProtoModels(ms []*pb.Model) []types.Model {
	if len(ms) == 0 {
		return nil
	}
	out := make([]types.Model, len(ms))
	for i, m := range ms {
		if v := FromProtoModel(m); v != nil {
			out[i] = *v
		}
	}
	return out
}

func ToProtoModelDetails(d *types.ModelDetails) *pb.ShowModelResponse {
	if d == nil {
		return nil
	}
	return &pb.ShowModelResponse{
		Model:        ToProtoModel(&d.Model),
		Template:     d.Template,
		Parameters:   d.Parameters,
		License:      d.License,
		Details:      cloneMapOrNil(d.Details),
		System:       d.System,
		Modelfile:    d.Modelfile,
		ModelInfo:    ToProtoStruct(d.ModelInfo),
		Capabilities: nilIfEmpty(append([]string(nil), d.Capabilities...)),
	}
}

func FromProtoModelDetails(d *pb.ShowModelResponse) *types.ModelDetails {
	if d == nil {
		return nil
	}
	out := &types.ModelDetails{
		Template:     d.GetTemplate(),
		Parameters:   d.GetParameters(),
		License:      d.GetLicense(),
		Details:      cloneMapOrNil(d.GetDetails()),
		System:       d.GetSystem(),
		Modelfile:    d.GetModelfile(),
		ModelInfo:    FromProtoStruct(d.GetModelInfo()),
		Capabilities: nilIfEmpty(append([]string(nil), d.GetCapabilities()...)),
	}
	if m := FromProtoModel(d.GetModel()); m != nil {
		out.Model = *m
	}
	return out
}

func ToProtoCopyRequest(r *types.CopyRequest) *pb.CopyModelRequest {
	if r == nil {
		return nil
	}
	return &pb.CopyModelRequest{Source: r.Source, Destination: r.Destination}
}

func FromProtoCopyRequest(r *pb.CopyModelRequest) *types.CopyRequest {
	if r == nil {
		return nil
	}
	return &types.CopyRequest{Source: r.GetSource(), Destination: r.GetDestination()}
}

func ToProtoCreateRequest(r *types.CreateRequest) *pb.CreateModelRequest {
	if r == nil {
		return nil
	}
	return &pb.CreateModelRequest{
		Model:      r.Model,
		From:       r.From,
		Files:      cloneMapOrNil(r.Files),
		Adapters:   cloneMapOrNil(r.Adapters),
		Template:   r.Template,
		System:     r.System,
		Parameters: ToProtoStruct(r.Parameters),
		License:    nilIfEmpty(append([]string(nil), r.License...)),
		Quantize:   r.Quantize,
		Path:       r.Path,
	}
}

func FromProtoCreateRequest(r *pb.CreateModelRequest) *types.CreateRequest {
	if r == nil {
		return nil
	}
	return &types.CreateRequest{
		Model:      r.GetModel(),
		From:       r.GetFrom(),
		Files:      cloneMapOrNil(r.GetFiles()),
		Adapters:   cloneMapOrNil(r.GetAdapters()),
		Template:   r.GetTemplate(),
		System:     r.GetSystem(),
		Parameters: FromProtoStruct(r.GetParameters()),
		License:    nilIfEmpty(append([]string(nil), r.GetLicense()...)),
		Quantize:   r.GetQuantize(),
		Path:       r.GetPath(),
	}
}

func ToProtoPushRequest(r *types.PushRequest) *pb.PushModelRequest {
	if r == nil {
		return nil
	}
	return &pb.PushModelRequest{Model: r.Model, Insecure: r.Insecure, Auth: ToProtoRegistryAuth(r.Auth)}
}

func FromProtoPushRequest(r *pb.PushModelRequest) *types.PushRequest {
	if r == nil {
		return nil
	}
	return &types.PushRequest{Model: r.GetModel(), Insecure: r.GetInsecure(), Auth: FromProtoRegistryAuth(r.GetAuth())}
}

func ToProtoRegistryAuth(a *types.RegistryAuth) *pb.RegistryAuth {
	if a == nil {
		return nil
	}
	return &pb.RegistryAuth{Host: a.Host, Username: a.Username, Password: a.Password, Token: a.Token}
}

func FromProtoRegistryAuth(a *pb.RegistryAuth) *types.RegistryAuth {
	if a == nil {
		return nil
	}
	return &types.RegistryAuth{Host: a.GetHost(), Username: a.GetUsername(), Password: a.GetPassword(), Token: a.GetToken()}
}
