package convert

import (
	pb "github.com/roundhouse-ai/roundhouse/internal/pluginv1"
	"github.com/roundhouse-ai/roundhouse/types"
)

// Conversions of the chat messages (InferenceService.Chat, ChatStream)
// and the pieces other services share: messages, tools, options, usage.

func ToProtoChatRequest(r *types.ChatRequest) *pb.ChatRequest {
	if r == nil {
		return nil
	}
	return &pb.ChatRequest{
		Model:             r.Model,
		Messages:          ToProtoMessages(r.Messages),
		Tools:             ToProtoTools(r.Tools),
		Options:           ToProtoOptions(r.Options),
		Extra:             ToProtoStruct(r.Extra),
		Provider:          r.Provider,
		KeepAliveSeconds:  float64PtrCopy(r.KeepAlive),
		ToolChoice:        ToProtoToolChoice(r.ToolChoice),
		ParallelToolCalls: boolPtrCopy(r.ParallelToolCalls),
	}
}

func ToProtoToolChoice(c *types.ToolChoice) *pb.ToolChoice {
	if c == nil {
		return nil
	}
	return &pb.ToolChoice{Mode: c.Mode, Name: c.Name}
}

func FromProtoToolChoice(c *pb.ToolChoice) *types.ToolChoice {
	if c == nil {
		return nil
	}
	return &types.ToolChoice{Mode: c.GetMode(), Name: c.GetName()}
}

func FromProtoChatRequest(r *pb.ChatRequest) *types.ChatRequest {
	if r == nil {
		return nil
	}
	return &types.ChatRequest{
		Model:             r.GetModel(),
		Messages:          FromProtoMessages(r.GetMessages()),
		Tools:             FromProtoTools(r.GetTools()),
		Options:           FromProtoOptions(r.GetOptions()),
		Extra:             FromProtoStruct(r.GetExtra()),
		Provider:          r.GetProvider(),
		KeepAlive:         float64PtrCopy(r.KeepAliveSeconds),
		ToolChoice:        FromProtoToolChoice(r.GetToolChoice()),
		ParallelToolCalls: boolPtrCopy(r.ParallelToolCalls),
	}
}

func ToProtoChatResponse(r *types.ChatResponse) *pb.ChatResponse {
	if r == nil {
		return nil
	}
	return &pb.ChatResponse{
		Model:           r.Model,
		Message:         ToProtoMessage(&r.Message),
		FinishReason:    r.FinishReason,
		Usage:           ToProtoUsage(r.Usage),
		TotalDurationNs: r.TotalDurationNS,
	}
}

func FromProtoChatResponse(r *pb.ChatResponse) *types.ChatResponse {
	if r == nil {
		return nil
	}
	out := &types.ChatResponse{
		Model:           r.GetModel(),
		FinishReason:    r.GetFinishReason(),
		Usage:           FromProtoUsage(r.GetUsage()),
		TotalDurationNS: r.GetTotalDurationNs(),
	}
	if m := FromProtoMessage(r.GetMessage()); m != nil {
		out.Message = *m
	}
	return out
}

func ToProtoChatChunk(c *types.ChatChunk) *pb.ChatChunk {
	if c == nil {
		return nil
	}
	return &pb.ChatChunk{
		Model:        c.Model,
		Role:         c.Role,
		Content:      c.Content,
		Thinking:     c.Thinking,
		ToolCalls:    ToProtoToolCalls(c.ToolCalls),
		Done:         c.Done,
		FinishReason: c.FinishReason,
		Usage:        ToProtoUsage(c.Usage),
	}
}

func FromProtoChatChunk(c *pb.ChatChunk) *types.ChatChunk {
	if c == nil {
		return nil
	}
	return &types.ChatChunk{
		Model:        c.GetModel(),
		Role:         c.GetRole(),
		Content:      c.GetContent(),
		Thinking:     c.GetThinking(),
		ToolCalls:    FromProtoToolCalls(c.GetToolCalls()),
		Done:         c.GetDone(),
		FinishReason: c.GetFinishReason(),
		Usage:        FromProtoUsage(c.GetUsage()),
	}
}

func ToProtoMessage(m *types.Message) *pb.Message {
	if m == nil {
		return nil
	}
	return &pb.Message{
		Role:       m.Role,
		Content:    m.Content,
		Images:     nilIfEmpty(m.Images),
		ToolCalls:  ToProtoToolCalls(m.ToolCalls),
		ToolCallId: m.ToolCallID,
		Name:       m.Name,
		Thinking:   m.Thinking,
	}
}

func FromProtoMessage(m *pb.Message) *types.Message {
	if m == nil {
		return nil
	}
	return &types.Message{
		Role:       m.GetRole(),
		Content:    m.GetContent(),
		Images:     nilIfEmpty(m.GetImages()),
		ToolCalls:  FromProtoToolCalls(m.GetToolCalls()),
		ToolCallID: m.GetToolCallId(),
		Name:       m.GetName(),
		Thinking:   m.GetThinking(),
	}
}

func ToProtoMessages(ms []types.Message) []*pb.Message {
	if len(ms) == 0 {
		return nil
	}
	out := make([]*pb.Message, len(ms))
	for i := range ms {
		out[i] = ToProtoMessage(&ms[i])
	}
	return out
}

// FromProtoMessages converts a list; a nil element becomes a zero Message so
// that positions are kept.
func FromProtoMessages(ms []*pb.Message) []types.Message {
	if len(ms) == 0 {
		return nil
	}
	out := make([]types.Message, len(ms))
	for i, m := range ms {
		if c := FromProtoMessage(m); c != nil {
			out[i] = *c
		}
	}
	return out
}

func ToProtoTool(t *types.Tool) *pb.Tool {
	if t == nil {
		return nil
	}
	return &pb.Tool{
		Type:        t.Type,
		Name:        t.Name,
		Description: t.Description,
		Parameters:  ToProtoStruct(t.Parameters),
	}
}

func FromProtoTool(t *pb.Tool) *types.Tool {
	if t == nil {
		return nil
	}
	return &types.Tool{
		Type:        t.GetType(),
		Name:        t.GetName(),
		Description: t.GetDescription(),
		Parameters:  FromProtoStruct(t.GetParameters()),
	}
}

func ToProtoTools(ts []types.Tool) []*pb.Tool {
	if len(ts) == 0 {
		return nil
	}
	out := make([]*pb.Tool, len(ts))
	for i := range ts {
		out[i] = ToProtoTool(&ts[i])
	}
	return out
}

func FromProtoTools(ts []*pb.Tool) []types.Tool {
	if len(ts) == 0 {
		return nil
	}
	out := make([]types.Tool, len(ts))
	for i, t := range ts {
		if c := FromProtoTool(t); c != nil {
			out[i] = *c
		}
	}
	return out
}

// ToProtoToolCall clamps Index to int32.
func ToProtoToolCall(c *types.ToolCall) *pb.ToolCall {
	if c == nil {
		return nil
	}
	return &pb.ToolCall{
		Id:            c.ID,
		Name:          c.Name,
		ArgumentsJson: c.Arguments,
		Index:         clampToInt32(c.Index),
	}
}

func FromProtoToolCall(c *pb.ToolCall) *types.ToolCall {
	if c == nil {
		return nil
	}
	return &types.ToolCall{
		ID:        c.GetId(),
		Name:      c.GetName(),
		Arguments: c.GetArgumentsJson(),
		Index:     int(c.GetIndex()),
	}
}

func ToProtoToolCalls(cs []types.ToolCall) []*pb.ToolCall {
	if len(cs) == 0 {
		return nil
	}
	out := make([]*pb.ToolCall, len(cs))
	for i := range cs {
		out[i] = ToProtoToolCall(&cs[i])
	}
	return out
}

func FromProtoToolCalls(cs []*pb.ToolCall) []types.ToolCall {
	if len(cs) == 0 {
		return nil
	}
	out := make([]types.ToolCall, len(cs))
	for i, c := range cs {
		if v := FromProtoToolCall(c); v != nil {
			out[i] = *v
		}
	}
	return out
}

// ToProtoOptions converts generation options. TopK, MaxTokens and NumCtx
// are clamped to int32 (a MaxTokens of math.MaxInt arrives as
// math.MaxInt32, which every engine treats as "no limit" anyway).
func ToProtoOptions(o *types.Options) *pb.GenerationOptions {
	if o == nil {
		return nil
	}
	return &pb.GenerationOptions{
		Temperature:      float64PtrCopy(o.Temperature),
		TopP:             float64PtrCopy(o.TopP),
		TopK:             int32PtrClamped(o.TopK),
		MaxTokens:        int32PtrClamped(o.MaxTokens),
		Stop:             nilIfEmpty(o.Stop),
		Seed:             int64PtrCopy(o.Seed),
		ResponseFormat:   ToProtoResponseFormat(o.ResponseFormat),
		Think:            o.Think,
		NumCtx:           int32PtrClamped(o.NumCtx),
		PresencePenalty:  float64PtrCopy(o.PresencePenalty),
		FrequencyPenalty: float64PtrCopy(o.FrequencyPenalty),
	}
}

func FromProtoOptions(o *pb.GenerationOptions) *types.Options {
	if o == nil {
		return nil
	}
	return &types.Options{
		Temperature:      float64PtrCopy(o.Temperature),
		TopP:             float64PtrCopy(o.TopP),
		TopK:             intPtrFromInt32(o.TopK),
		MaxTokens:        intPtrFromInt32(o.MaxTokens),
		Stop:             nilIfEmpty(o.GetStop()),
		Seed:             int64PtrCopy(o.Seed),
		ResponseFormat:   FromProtoResponseFormat(o.GetResponseFormat()),
		Think:            o.GetThink(),
		NumCtx:           intPtrFromInt32(o.NumCtx),
		PresencePenalty:  float64PtrCopy(o.PresencePenalty),
		FrequencyPenalty: float64PtrCopy(o.FrequencyPenalty),
	}
}

func ToProtoResponseFormat(f *types.ResponseFormat) *pb.ResponseFormat {
	if f == nil {
		return nil
	}
	return &pb.ResponseFormat{
		Type:   f.Type,
		Schema: ToProtoStruct(f.Schema),
		Name:   f.Name,
		Strict: f.Strict,
	}
}

func FromProtoResponseFormat(f *pb.ResponseFormat) *types.ResponseFormat {
	if f == nil {
		return nil
	}
	return &types.ResponseFormat{
		Type:   f.GetType(),
		Schema: FromProtoStruct(f.GetSchema()),
		Name:   f.GetName(),
		Strict: f.GetStrict(),
	}
}

// ToProtoUsage clamps the token counts to int32.
func ToProtoUsage(u *types.Usage) *pb.Usage {
	if u == nil {
		return nil
	}
	return &pb.Usage{
		PromptTokens:     clampToInt32(u.PromptTokens),
		CompletionTokens: clampToInt32(u.CompletionTokens),
		TotalTokens:      clampToInt32(u.TotalTokens),
	}
}

func FromProtoUsage(u *pb.Usage) *types.Usage {
	if u == nil {
		return nil
	}
	return &types.Usage{
		PromptTokens:     int(u.GetPromptTokens()),
		CompletionTokens: int(u.GetCompletionTokens()),
		TotalTokens:      int(u.GetTotalTokens()),
	}
}
