package convert

import (
	pb "github.com/roundhouse-ai/roundhouse/internal/pluginv1"
	"github.com/roundhouse-ai/roundhouse/types"
)

// Conversions of the rerank messages (InferenceService.Rerank).

// ToProtoRerankRequest clamps TopN to int32.
func ToProtoRerankRequest(r *types.RerankRequest) *pb.RerankRequest {
	if r == nil {
		return nil
	}
	return &pb.RerankRequest{
		Model:     r.Model,
		Query:     r.Query,
		Documents: nilIfEmpty(r.Documents),
		TopN:      clampToInt32(r.TopN),
		Extra:     ToProtoStruct(r.Extra),
		Provider:  r.Provider,
	}
}

func FromProtoRerankRequest(r *pb.RerankRequest) *types.RerankRequest {
	if r == nil {
		return nil
	}
	return &types.RerankRequest{
		Model:     r.GetModel(),
		Query:     r.GetQuery(),
		Documents: nilIfEmpty(r.GetDocuments()),
		TopN:      int(r.GetTopN()),
		Extra:     FromProtoStruct(r.GetExtra()),
		Provider:  r.GetProvider(),
	}
}

func ToProtoRerankResponse(r *types.RerankResponse) *pb.RerankResponse {
	if r == nil {
		return nil
	}
	return &pb.RerankResponse{
		Model:   r.Model,
		Results: ToProtoRerankResults(r.Results),
		Usage:   ToProtoUsage(r.Usage),
	}
}

func FromProtoRerankResponse(r *pb.RerankResponse) *types.RerankResponse {
	if r == nil {
		return nil
	}
	return &types.RerankResponse{
		Model:   r.GetModel(),
		Results: FromProtoRerankResults(r.GetResults()),
		Usage:   FromProtoUsage(r.GetUsage()),
	}
}

// ToProtoRerankResult clamps Index to int32.
func ToProtoRerankResult(r *types.RerankResult) *pb.RerankResult {
	if r == nil {
		return nil
	}
	return &pb.RerankResult{
		Index:          clampToInt32(r.Index),
		RelevanceScore: r.RelevanceScore,
		Document:       r.Document,
	}
}

func FromProtoRerankResult(r *pb.RerankResult) *types.RerankResult {
	if r == nil {
		return nil
	}
	return &types.RerankResult{
		Index:          int(r.GetIndex()),
		RelevanceScore: r.GetRelevanceScore(),
		Document:       r.GetDocument(),
	}
}

func ToProtoRerankResults(rs []types.RerankResult) []*pb.RerankResult {
	if len(rs) == 0 {
		return nil
	}
	out := make([]*pb.RerankResult, len(rs))
	for i := range rs {
		out[i] = ToProtoRerankResult(&rs[i])
	}
	return out
}

func FromProtoRerankResults(rs []*pb.RerankResult) []types.RerankResult {
	if len(rs) == 0 {
		return nil
	}
	out := make([]types.RerankResult, len(rs))
	for i, r := range rs {
		if v := FromProtoRerankResult(r); v != nil {
			out[i] = *v
		}
	}
	return out
}
