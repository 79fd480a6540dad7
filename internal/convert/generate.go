package convert

import (
	pb "github.com/roundhouse-ai/roundhouse/internal/pluginv1"
	"github.com/roundhouse-ai/roundhouse/types"
)

// Conversions of the generate messages (InferenceService.Generate, GenerateStream).

func ToProtoGenerateRequest(r *types.GenerateRequest) *pb.GenerateRequest {
	if r == nil {
		return nil
	}
	return &pb.GenerateRequest{
		Model:            r.Model,
		Prompt:           r.Prompt,
		System:           r.System,
		Suffix:           r.Suffix,
		Images:           nilIfEmpty(r.Images),
		Options:          ToProtoOptions(r.Options),
		Raw:              r.Raw,
		Extra:            ToProtoStruct(r.Extra),
		Provider:         r.Provider,
		KeepAliveSeconds: float64PtrCopy(r.KeepAlive),
	}
}

func FromProtoGenerateRequest(r *pb.GenerateRequest) *types.GenerateRequest {
	if r == nil {
		return nil
	}
	return &types.GenerateRequest{
		Model:     r.GetModel(),
		Prompt:    r.GetPrompt(),
		System:    r.GetSystem(),
		Suffix:    r.GetSuffix(),
		Images:    nilIfEmpty(r.GetImages()),
		Options:   FromProtoOptions(r.GetOptions()),
		Raw:       r.GetRaw(),
		Extra:     FromProtoStruct(r.GetExtra()),
		Provider:  r.GetProvider(),
		KeepAlive: float64PtrCopy(r.KeepAliveSeconds),
	}
}

func ToProtoGenerateResponse(r *types.GenerateResponse) *pb.GenerateResponse {
	if r == nil {
		return nil
	}
	return &pb.GenerateResponse{
		Model:           r.Model,
		Text:            r.Text,
		Thinking:        r.Thinking,
		FinishReason:    r.FinishReason,
		Usage:           ToProtoUsage(r.Usage),
		TotalDurationNs: r.TotalDurationNS,
	}
}

func FromProtoGenerateResponse(r *pb.GenerateResponse) *types.GenerateResponse {
	if r == nil {
		return nil
	}
	return &types.GenerateResponse{
		Model:           r.GetModel(),
		Text:            r.GetText(),
		Thinking:        r.GetThinking(),
		FinishReason:    r.GetFinishReason(),
		Usage:           FromProtoUsage(r.GetUsage()),
		TotalDurationNS: r.GetTotalDurationNs(),
	}
}

func ToProtoGenerateChunk(c *types.GenerateChunk) *pb.GenerateChunk {
	if c == nil {
		return nil
	}
	return &pb.GenerateChunk{
		Model:        c.Model,
		Text:         c.Text,
		Thinking:     c.Thinking,
		Done:         c.Done,
		FinishReason: c.FinishReason,
		Usage:        ToProtoUsage(c.Usage),
	}
}

func FromProtoGenerateChunk(c *pb.GenerateChunk) *types.GenerateChunk {
	if c == nil {
		return nil
	}
	return &types.GenerateChunk{
		Model:        c.GetModel(),
		Text:         c.GetText(),
		Thinking:     c.GetThinking(),
		Done:         c.GetDone(),
		FinishReason: c.GetFinishReason(),
		Usage:        FromProtoUsage(c.GetUsage()),
	}
}
