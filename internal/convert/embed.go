package convert

import (
	pb "github.com/roundhouse-ai/roundhouse/internal/pluginv1"
	"github.com/roundhouse-ai/roundhouse/types"
)

// Conversions of the embed messages (InferenceService.Embed).

// ToProtoEmbedRequest clamps Dimensions to int32.
func ToProtoEmbedRequest(r *types.EmbedRequest) *pb.EmbedRequest {
	if r == nil {
		return nil
	}
	return &pb.EmbedRequest{
		Model:      r.Model,
		Input:      nilIfEmpty(r.Input),
		Dimensions: clampToInt32(r.Dimensions),
		Truncate:   r.Truncate,
		Extra:      ToProtoStruct(r.Extra),
		Provider:   r.Provider,
	}
}

func FromProtoEmbedRequest(r *pb.EmbedRequest) *types.EmbedRequest {
	if r == nil {
		return nil
	}
	return &types.EmbedRequest{
		Model:      r.GetModel(),
		Input:      nilIfEmpty(r.GetInput()),
		Dimensions: int(r.GetDimensions()),
		Truncate:   r.GetTruncate(),
		Extra:      FromProtoStruct(r.GetExtra()),
		Provider:   r.GetProvider(),
	}
}

func ToProtoEmbedResponse(r *types.EmbedResponse) *pb.EmbedResponse {
	if r == nil {
		return nil
	}
	return &pb.EmbedResponse{
		Model:      r.Model,
		Embeddings: ToProtoEmbeddings(r.Embeddings),
		Usage:      ToProtoUsage(r.Usage),
	}
}

func FromProtoEmbedResponse(r *pb.EmbedResponse) *types.EmbedResponse {
	if r == nil {
		return nil
	}
	return &types.EmbedResponse{
		Model:      r.GetModel(),
		Embeddings: FromProtoEmbeddings(r.GetEmbeddings()),
		Usage:      FromProtoUsage(r.GetUsage()),
	}
}

// ToProtoEmbeddings converts vectors one Embedding per vector, keeping
// order; the float slices are shared. An empty vector still gets its entry
// (it arrives as a nil vector) so that vectors stay aligned with inputs.
func ToProtoEmbeddings(vs [][]float32) []*pb.Embedding {
	if len(vs) == 0 {
		return nil
	}
	out := make([]*pb.Embedding, len(vs))
	for i, v := range vs {
		out[i] = &pb.Embedding{Values: nilIfEmpty(v)}
	}
	return out
}

func FromProtoEmbeddings(es []*pb.Embedding) [][]float32 {
	if len(es) == 0 {
		return nil
	}
	out := make([][]float32, len(es))
	for i, e := range es {
		out[i] = nilIfEmpty(e.GetValues())
	}
	return out
}
