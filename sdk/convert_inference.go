package sdk

import (
	pb "github.com/roundhouse-ai/roundhouse/internal/pluginv1"
)

// Conversions of the InferenceService messages. See convert_helpers.go for
// the rules shared by every conversion (nil safety, empty -> nil, int32
// clamping, Struct conversion).

// ---- chat ------------------------------------------------------------------

func toProtoChatRequest(r *ChatRequest) *pb.ChatRequest {
	if r == nil {
		return nil
	}
	return &pb.ChatRequest{
		Model:             r.Model,
		Messages:          toProtoMessages(r.Messages),
		Tools:             toProtoTools(r.Tools),
		Options:           toProtoOptions(r.Options),
		Extra:             toProtoStruct(r.Extra),
		Provider:          r.Provider,
		KeepAliveSeconds:  float64PtrCopy(r.KeepAlive),
		ToolChoice:        toProtoToolChoice(r.ToolChoice),
		ParallelToolCalls: boolPtrCopy(r.ParallelToolCalls),
	}
}

func toProtoToolChoice(c *ToolChoice) *pb.ToolChoice {
	if c == nil {
		return nil
	}
	return &pb.ToolChoice{Mode: c.Mode, Name: c.Name}
}

func fromProtoToolChoice(c *pb.ToolChoice) *ToolChoice {
	if c == nil {
		return nil
	}
	return &ToolChoice{Mode: c.GetMode(), Name: c.GetName()}
}

func fromProtoChatRequest(r *pb.ChatRequest) *ChatRequest {
	if r == nil {
		return nil
	}
	return &ChatRequest{
		Model:             r.GetModel(),
		Messages:          fromProtoMessages(r.GetMessages()),
		Tools:             fromProtoTools(r.GetTools()),
		Options:           fromProtoOptions(r.GetOptions()),
		Extra:             fromProtoStruct(r.GetExtra()),
		Provider:          r.GetProvider(),
		KeepAlive:         float64PtrCopy(r.KeepAliveSeconds),
		ToolChoice:        fromProtoToolChoice(r.GetToolChoice()),
		ParallelToolCalls: boolPtrCopy(r.ParallelToolCalls),
	}
}

func toProtoChatResponse(r *ChatResponse) *pb.ChatResponse {
	if r == nil {
		return nil
	}
	return &pb.ChatResponse{
		Model:           r.Model,
		Message:         toProtoMessage(&r.Message),
		FinishReason:    r.FinishReason,
		Usage:           toProtoUsage(r.Usage),
		TotalDurationNs: r.TotalDurationNS,
	}
}

func fromProtoChatResponse(r *pb.ChatResponse) *ChatResponse {
	if r == nil {
		return nil
	}
	out := &ChatResponse{
		Model:           r.GetModel(),
		FinishReason:    r.GetFinishReason(),
		Usage:           fromProtoUsage(r.GetUsage()),
		TotalDurationNS: r.GetTotalDurationNs(),
	}
	if m := fromProtoMessage(r.GetMessage()); m != nil {
		out.Message = *m
	}
	return out
}

func toProtoChatChunk(c *ChatChunk) *pb.ChatChunk {
	if c == nil {
		return nil
	}
	return &pb.ChatChunk{
		Model:        c.Model,
		Role:         c.Role,
		Content:      c.Content,
		Thinking:     c.Thinking,
		ToolCalls:    toProtoToolCalls(c.ToolCalls),
		Done:         c.Done,
		FinishReason: c.FinishReason,
		Usage:        toProtoUsage(c.Usage),
	}
}

func fromProtoChatChunk(c *pb.ChatChunk) *ChatChunk {
	if c == nil {
		return nil
	}
	return &ChatChunk{
		Model:        c.GetModel(),
		Role:         c.GetRole(),
		Content:      c.GetContent(),
		Thinking:     c.GetThinking(),
		ToolCalls:    fromProtoToolCalls(c.GetToolCalls()),
		Done:         c.GetDone(),
		FinishReason: c.GetFinishReason(),
		Usage:        fromProtoUsage(c.GetUsage()),
	}
}

func toProtoMessage(m *Message) *pb.Message {
	if m == nil {
		return nil
	}
	return &pb.Message{
		Role:       m.Role,
		Content:    m.Content,
		Images:     nilIfEmpty(m.Images),
		ToolCalls:  toProtoToolCalls(m.ToolCalls),
		ToolCallId: m.ToolCallID,
		Name:       m.Name,
		Thinking:   m.Thinking,
	}
}

func fromProtoMessage(m *pb.Message) *Message {
	if m == nil {
		return nil
	}
	return &Message{
		Role:       m.GetRole(),
		Content:    m.GetContent(),
		Images:     nilIfEmpty(m.GetImages()),
		ToolCalls:  fromProtoToolCalls(m.GetToolCalls()),
		ToolCallID: m.GetToolCallId(),
		Name:       m.GetName(),
		Thinking:   m.GetThinking(),
	}
}

func toProtoMessages(ms []Message) []*pb.Message {
	if len(ms) == 0 {
		return nil
	}
	out := make([]*pb.Message, len(ms))
	for i := range ms {
		out[i] = toProtoMessage(&ms[i])
	}
	return out
}

// fromProtoMessages converts a list; a nil element becomes a zero Message so
// that positions are kept.
func fromProtoMessages(ms []*pb.Message) []Message {
	if len(ms) == 0 {
		return nil
	}
	out := make([]Message, len(ms))
	for i, m := range ms {
		if c := fromProtoMessage(m); c != nil {
			out[i] = *c
		}
	}
	return out
}

func toProtoTool(t *Tool) *pb.Tool {
	if t == nil {
		return nil
	}
	return &pb.Tool{
		Type:        t.Type,
		Name:        t.Name,
		Description: t.Description,
		Parameters:  toProtoStruct(t.Parameters),
	}
}

func fromProtoTool(t *pb.Tool) *Tool {
	if t == nil {
		return nil
	}
	return &Tool{
		Type:        t.GetType(),
		Name:        t.GetName(),
		Description: t.GetDescription(),
		Parameters:  fromProtoStruct(t.GetParameters()),
	}
}

func toProtoTools(ts []Tool) []*pb.Tool {
	if len(ts) == 0 {
		return nil
	}
	out := make([]*pb.Tool, len(ts))
	for i := range ts {
		out[i] = toProtoTool(&ts[i])
	}
	return out
}

func fromProtoTools(ts []*pb.Tool) []Tool {
	if len(ts) == 0 {
		return nil
	}
	out := make([]Tool, len(ts))
	for i, t := range ts {
		if c := fromProtoTool(t); c != nil {
			out[i] = *c
		}
	}
	return out
}

// toProtoToolCall clamps Index to int32.
func toProtoToolCall(c *ToolCall) *pb.ToolCall {
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

func fromProtoToolCall(c *pb.ToolCall) *ToolCall {
	if c == nil {
		return nil
	}
	return &ToolCall{
		ID:        c.GetId(),
		Name:      c.GetName(),
		Arguments: c.GetArgumentsJson(),
		Index:     int(c.GetIndex()),
	}
}

func toProtoToolCalls(cs []ToolCall) []*pb.ToolCall {
	if len(cs) == 0 {
		return nil
	}
	out := make([]*pb.ToolCall, len(cs))
	for i := range cs {
		out[i] = toProtoToolCall(&cs[i])
	}
	return out
}

func fromProtoToolCalls(cs []*pb.ToolCall) []ToolCall {
	if len(cs) == 0 {
		return nil
	}
	out := make([]ToolCall, len(cs))
	for i, c := range cs {
		if v := fromProtoToolCall(c); v != nil {
			out[i] = *v
		}
	}
	return out
}

// toProtoOptions converts generation options. TopK, MaxTokens and NumCtx
// are clamped to int32 (a MaxTokens of math.MaxInt arrives as
// math.MaxInt32, which every engine treats as "no limit" anyway).
func toProtoOptions(o *Options) *pb.GenerationOptions {
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
		ResponseFormat:   toProtoResponseFormat(o.ResponseFormat),
		Think:            o.Think,
		NumCtx:           int32PtrClamped(o.NumCtx),
		PresencePenalty:  float64PtrCopy(o.PresencePenalty),
		FrequencyPenalty: float64PtrCopy(o.FrequencyPenalty),
	}
}

func fromProtoOptions(o *pb.GenerationOptions) *Options {
	if o == nil {
		return nil
	}
	return &Options{
		Temperature:      float64PtrCopy(o.Temperature),
		TopP:             float64PtrCopy(o.TopP),
		TopK:             intPtrFromInt32(o.TopK),
		MaxTokens:        intPtrFromInt32(o.MaxTokens),
		Stop:             nilIfEmpty(o.GetStop()),
		Seed:             int64PtrCopy(o.Seed),
		ResponseFormat:   fromProtoResponseFormat(o.GetResponseFormat()),
		Think:            o.GetThink(),
		NumCtx:           intPtrFromInt32(o.NumCtx),
		PresencePenalty:  float64PtrCopy(o.PresencePenalty),
		FrequencyPenalty: float64PtrCopy(o.FrequencyPenalty),
	}
}

func toProtoResponseFormat(f *ResponseFormat) *pb.ResponseFormat {
	if f == nil {
		return nil
	}
	return &pb.ResponseFormat{
		Type:   f.Type,
		Schema: toProtoStruct(f.Schema),
		Name:   f.Name,
		Strict: f.Strict,
	}
}

func fromProtoResponseFormat(f *pb.ResponseFormat) *ResponseFormat {
	if f == nil {
		return nil
	}
	return &ResponseFormat{
		Type:   f.GetType(),
		Schema: fromProtoStruct(f.GetSchema()),
		Name:   f.GetName(),
		Strict: f.GetStrict(),
	}
}

// toProtoUsage clamps the token counts to int32.
func toProtoUsage(u *Usage) *pb.Usage {
	if u == nil {
		return nil
	}
	return &pb.Usage{
		PromptTokens:     clampToInt32(u.PromptTokens),
		CompletionTokens: clampToInt32(u.CompletionTokens),
		TotalTokens:      clampToInt32(u.TotalTokens),
	}
}

func fromProtoUsage(u *pb.Usage) *Usage {
	if u == nil {
		return nil
	}
	return &Usage{
		PromptTokens:     int(u.GetPromptTokens()),
		CompletionTokens: int(u.GetCompletionTokens()),
		TotalTokens:      int(u.GetTotalTokens()),
	}
}

// ---- generate --------------------------------------------------------------

func toProtoGenerateRequest(r *GenerateRequest) *pb.GenerateRequest {
	if r == nil {
		return nil
	}
	return &pb.GenerateRequest{
		Model:            r.Model,
		Prompt:           r.Prompt,
		System:           r.System,
		Suffix:           r.Suffix,
		Images:           nilIfEmpty(r.Images),
		Options:          toProtoOptions(r.Options),
		Raw:              r.Raw,
		Extra:            toProtoStruct(r.Extra),
		Provider:         r.Provider,
		KeepAliveSeconds: float64PtrCopy(r.KeepAlive),
	}
}

func fromProtoGenerateRequest(r *pb.GenerateRequest) *GenerateRequest {
	if r == nil {
		return nil
	}
	return &GenerateRequest{
		Model:     r.GetModel(),
		Prompt:    r.GetPrompt(),
		System:    r.GetSystem(),
		Suffix:    r.GetSuffix(),
		Images:    nilIfEmpty(r.GetImages()),
		Options:   fromProtoOptions(r.GetOptions()),
		Raw:       r.GetRaw(),
		Extra:     fromProtoStruct(r.GetExtra()),
		Provider:  r.GetProvider(),
		KeepAlive: float64PtrCopy(r.KeepAliveSeconds),
	}
}

func toProtoGenerateResponse(r *GenerateResponse) *pb.GenerateResponse {
	if r == nil {
		return nil
	}
	return &pb.GenerateResponse{
		Model:           r.Model,
		Text:            r.Text,
		Thinking:        r.Thinking,
		FinishReason:    r.FinishReason,
		Usage:           toProtoUsage(r.Usage),
		TotalDurationNs: r.TotalDurationNS,
	}
}

func fromProtoGenerateResponse(r *pb.GenerateResponse) *GenerateResponse {
	if r == nil {
		return nil
	}
	return &GenerateResponse{
		Model:           r.GetModel(),
		Text:            r.GetText(),
		Thinking:        r.GetThinking(),
		FinishReason:    r.GetFinishReason(),
		Usage:           fromProtoUsage(r.GetUsage()),
		TotalDurationNS: r.GetTotalDurationNs(),
	}
}

func toProtoGenerateChunk(c *GenerateChunk) *pb.GenerateChunk {
	if c == nil {
		return nil
	}
	return &pb.GenerateChunk{
		Model:        c.Model,
		Text:         c.Text,
		Thinking:     c.Thinking,
		Done:         c.Done,
		FinishReason: c.FinishReason,
		Usage:        toProtoUsage(c.Usage),
	}
}

func fromProtoGenerateChunk(c *pb.GenerateChunk) *GenerateChunk {
	if c == nil {
		return nil
	}
	return &GenerateChunk{
		Model:        c.GetModel(),
		Text:         c.GetText(),
		Thinking:     c.GetThinking(),
		Done:         c.GetDone(),
		FinishReason: c.GetFinishReason(),
		Usage:        fromProtoUsage(c.GetUsage()),
	}
}

// ---- embed -----------------------------------------------------------------

// toProtoEmbedRequest clamps Dimensions to int32.
func toProtoEmbedRequest(r *EmbedRequest) *pb.EmbedRequest {
	if r == nil {
		return nil
	}
	return &pb.EmbedRequest{
		Model:      r.Model,
		Input:      nilIfEmpty(r.Input),
		Dimensions: clampToInt32(r.Dimensions),
		Truncate:   r.Truncate,
		Extra:      toProtoStruct(r.Extra),
		Provider:   r.Provider,
	}
}

func fromProtoEmbedRequest(r *pb.EmbedRequest) *EmbedRequest {
	if r == nil {
		return nil
	}
	return &EmbedRequest{
		Model:      r.GetModel(),
		Input:      nilIfEmpty(r.GetInput()),
		Dimensions: int(r.GetDimensions()),
		Truncate:   r.GetTruncate(),
		Extra:      fromProtoStruct(r.GetExtra()),
		Provider:   r.GetProvider(),
	}
}

func toProtoEmbedResponse(r *EmbedResponse) *pb.EmbedResponse {
	if r == nil {
		return nil
	}
	return &pb.EmbedResponse{
		Model:      r.Model,
		Embeddings: toProtoEmbeddings(r.Embeddings),
		Usage:      toProtoUsage(r.Usage),
	}
}

func fromProtoEmbedResponse(r *pb.EmbedResponse) *EmbedResponse {
	if r == nil {
		return nil
	}
	return &EmbedResponse{
		Model:      r.GetModel(),
		Embeddings: fromProtoEmbeddings(r.GetEmbeddings()),
		Usage:      fromProtoUsage(r.GetUsage()),
	}
}

// toProtoEmbeddings converts vectors one Embedding per vector, keeping
// order; the float slices are shared. An empty vector still gets its entry
// (it arrives as a nil vector) so that vectors stay aligned with inputs.
func toProtoEmbeddings(vs [][]float32) []*pb.Embedding {
	if len(vs) == 0 {
		return nil
	}
	out := make([]*pb.Embedding, len(vs))
	for i, v := range vs {
		out[i] = &pb.Embedding{Values: nilIfEmpty(v)}
	}
	return out
}

func fromProtoEmbeddings(es []*pb.Embedding) [][]float32 {
	if len(es) == 0 {
		return nil
	}
	out := make([][]float32, len(es))
	for i, e := range es {
		out[i] = nilIfEmpty(e.GetValues())
	}
	return out
}

// ---- rerank ----------------------------------------------------------------

// toProtoRerankRequest clamps TopN to int32.
func toProtoRerankRequest(r *RerankRequest) *pb.RerankRequest {
	if r == nil {
		return nil
	}
	return &pb.RerankRequest{
		Model:     r.Model,
		Query:     r.Query,
		Documents: nilIfEmpty(r.Documents),
		TopN:      clampToInt32(r.TopN),
		Extra:     toProtoStruct(r.Extra),
		Provider:  r.Provider,
	}
}

func fromProtoRerankRequest(r *pb.RerankRequest) *RerankRequest {
	if r == nil {
		return nil
	}
	return &RerankRequest{
		Model:     r.GetModel(),
		Query:     r.GetQuery(),
		Documents: nilIfEmpty(r.GetDocuments()),
		TopN:      int(r.GetTopN()),
		Extra:     fromProtoStruct(r.GetExtra()),
		Provider:  r.GetProvider(),
	}
}

func toProtoRerankResponse(r *RerankResponse) *pb.RerankResponse {
	if r == nil {
		return nil
	}
	return &pb.RerankResponse{
		Model:   r.Model,
		Results: toProtoRerankResults(r.Results),
		Usage:   toProtoUsage(r.Usage),
	}
}

func fromProtoRerankResponse(r *pb.RerankResponse) *RerankResponse {
	if r == nil {
		return nil
	}
	return &RerankResponse{
		Model:   r.GetModel(),
		Results: fromProtoRerankResults(r.GetResults()),
		Usage:   fromProtoUsage(r.GetUsage()),
	}
}

// toProtoRerankResult clamps Index to int32.
func toProtoRerankResult(r *RerankResult) *pb.RerankResult {
	if r == nil {
		return nil
	}
	return &pb.RerankResult{
		Index:          clampToInt32(r.Index),
		RelevanceScore: r.RelevanceScore,
		Document:       r.Document,
	}
}

func fromProtoRerankResult(r *pb.RerankResult) *RerankResult {
	if r == nil {
		return nil
	}
	return &RerankResult{
		Index:          int(r.GetIndex()),
		RelevanceScore: r.GetRelevanceScore(),
		Document:       r.GetDocument(),
	}
}

func toProtoRerankResults(rs []RerankResult) []*pb.RerankResult {
	if len(rs) == 0 {
		return nil
	}
	out := make([]*pb.RerankResult, len(rs))
	for i := range rs {
		out[i] = toProtoRerankResult(&rs[i])
	}
	return out
}

func fromProtoRerankResults(rs []*pb.RerankResult) []RerankResult {
	if len(rs) == 0 {
		return nil
	}
	out := make([]RerankResult, len(rs))
	for i, r := range rs {
		if v := fromProtoRerankResult(r); v != nil {
			out[i] = *v
		}
	}
	return out
}

// ---- text to image -----------------------------------------------------------

// toProtoTextToImageRequest clamps N to int32.
func toProtoTextToImageRequest(r *TextToImageRequest) *pb.TextToImageRequest {
	if r == nil {
		return nil
	}
	return &pb.TextToImageRequest{
		Model:          r.Model,
		Prompt:         r.Prompt,
		NegativePrompt: r.NegativePrompt,
		N:              clampToInt32(r.N),
		Size:           r.Size,
		Quality:        r.Quality,
		Style:          r.Style,
		Seed:           int64PtrCopy(r.Seed),
		Extra:          toProtoStruct(r.Extra),
		Provider:       r.Provider,
	}
}

func fromProtoTextToImageRequest(r *pb.TextToImageRequest) *TextToImageRequest {
	if r == nil {
		return nil
	}
	return &TextToImageRequest{
		Model:          r.GetModel(),
		Prompt:         r.GetPrompt(),
		NegativePrompt: r.GetNegativePrompt(),
		N:              int(r.GetN()),
		Size:           r.GetSize(),
		Quality:        r.GetQuality(),
		Style:          r.GetStyle(),
		Seed:           int64PtrCopy(r.Seed),
		Extra:          fromProtoStruct(r.GetExtra()),
		Provider:       r.GetProvider(),
	}
}

func toProtoTextToImageResponse(r *TextToImageResponse) *pb.TextToImageResponse {
	if r == nil {
		return nil
	}
	return &pb.TextToImageResponse{
		Model:  r.Model,
		Images: toProtoImages(r.Images),
	}
}

func fromProtoTextToImageResponse(r *pb.TextToImageResponse) *TextToImageResponse {
	if r == nil {
		return nil
	}
	return &TextToImageResponse{
		Model:  r.GetModel(),
		Images: fromProtoImages(r.GetImages()),
	}
}

func toProtoImage(i *Image) *pb.Image {
	if i == nil {
		return nil
	}
	return &pb.Image{
		Data:          nilIfEmpty(i.Data),
		MimeType:      i.MIMEType,
		Url:           i.URL,
		RevisedPrompt: i.RevisedPrompt,
	}
}

func fromProtoImage(i *pb.Image) *Image {
	if i == nil {
		return nil
	}
	return &Image{
		Data:          nilIfEmpty(i.GetData()),
		MIMEType:      i.GetMimeType(),
		URL:           i.GetUrl(),
		RevisedPrompt: i.GetRevisedPrompt(),
	}
}

func toProtoImages(is []Image) []*pb.Image {
	if len(is) == 0 {
		return nil
	}
	out := make([]*pb.Image, len(is))
	for i := range is {
		out[i] = toProtoImage(&is[i])
	}
	return out
}

func fromProtoImages(is []*pb.Image) []Image {
	if len(is) == 0 {
		return nil
	}
	out := make([]Image, len(is))
	for i, im := range is {
		if v := fromProtoImage(im); v != nil {
			out[i] = *v
		}
	}
	return out
}

// ---- text to speech ----------------------------------------------------------

func toProtoTextToSpeechRequest(r *TextToSpeechRequest) *pb.TextToSpeechRequest {
	if r == nil {
		return nil
	}
	return &pb.TextToSpeechRequest{
		Model:        r.Model,
		Input:        r.Input,
		Voice:        r.Voice,
		Format:       r.Format,
		Speed:        r.Speed,
		Instructions: r.Instructions,
		Extra:        toProtoStruct(r.Extra),
		Provider:     r.Provider,
	}
}

func fromProtoTextToSpeechRequest(r *pb.TextToSpeechRequest) *TextToSpeechRequest {
	if r == nil {
		return nil
	}
	return &TextToSpeechRequest{
		Model:        r.GetModel(),
		Input:        r.GetInput(),
		Voice:        r.GetVoice(),
		Format:       r.GetFormat(),
		Speed:        r.GetSpeed(),
		Instructions: r.GetInstructions(),
		Extra:        fromProtoStruct(r.GetExtra()),
		Provider:     r.GetProvider(),
	}
}

func toProtoTextToSpeechResponse(r *TextToSpeechResponse) *pb.TextToSpeechResponse {
	if r == nil {
		return nil
	}
	return &pb.TextToSpeechResponse{
		Model:    r.Model,
		Audio:    nilIfEmpty(r.Audio),
		MimeType: r.MIMEType,
	}
}

func fromProtoTextToSpeechResponse(r *pb.TextToSpeechResponse) *TextToSpeechResponse {
	if r == nil {
		return nil
	}
	return &TextToSpeechResponse{
		Model:    r.GetModel(),
		Audio:    nilIfEmpty(r.GetAudio()),
		MIMEType: r.GetMimeType(),
	}
}

func toProtoAudioChunk(c *AudioChunk) *pb.AudioChunk {
	if c == nil {
		return nil
	}
	return &pb.AudioChunk{
		Data:     nilIfEmpty(c.Data),
		MimeType: c.MIMEType,
		Done:     c.Done,
	}
}

func fromProtoAudioChunk(c *pb.AudioChunk) *AudioChunk {
	if c == nil {
		return nil
	}
	return &AudioChunk{
		Data:     nilIfEmpty(c.GetData()),
		MIMEType: c.GetMimeType(),
		Done:     c.GetDone(),
	}
}

// ---- speech to text ----------------------------------------------------------

func toProtoSpeechToTextRequest(r *SpeechToTextRequest) *pb.SpeechToTextRequest {
	if r == nil {
		return nil
	}
	return &pb.SpeechToTextRequest{
		Model:       r.Model,
		Audio:       nilIfEmpty(r.Audio),
		Filename:    r.Filename,
		MimeType:    r.MIMEType,
		Language:    r.Language,
		Prompt:      r.Prompt,
		Temperature: float64PtrCopy(r.Temperature),
		Extra:       toProtoStruct(r.Extra),
		Provider:    r.Provider,
	}
}

func fromProtoSpeechToTextRequest(r *pb.SpeechToTextRequest) *SpeechToTextRequest {
	if r == nil {
		return nil
	}
	return &SpeechToTextRequest{
		Model:       r.GetModel(),
		Audio:       nilIfEmpty(r.GetAudio()),
		Filename:    r.GetFilename(),
		MIMEType:    r.GetMimeType(),
		Language:    r.GetLanguage(),
		Prompt:      r.GetPrompt(),
		Temperature: float64PtrCopy(r.Temperature),
		Extra:       fromProtoStruct(r.GetExtra()),
		Provider:    r.GetProvider(),
	}
}

func toProtoSpeechToTextResponse(r *SpeechToTextResponse) *pb.SpeechToTextResponse {
	if r == nil {
		return nil
	}
	return &pb.SpeechToTextResponse{
		Model:           r.Model,
		Text:            r.Text,
		Language:        r.Language,
		DurationSeconds: r.Duration,
		Segments:        toProtoTranscriptSegments(r.Segments),
	}
}

func fromProtoSpeechToTextResponse(r *pb.SpeechToTextResponse) *SpeechToTextResponse {
	if r == nil {
		return nil
	}
	return &SpeechToTextResponse{
		Model:    r.GetModel(),
		Text:     r.GetText(),
		Language: r.GetLanguage(),
		Duration: r.GetDurationSeconds(),
		Segments: fromProtoTranscriptSegments(r.GetSegments()),
	}
}

func toProtoTranscriptSegment(s *TranscriptSegment) *pb.TranscriptSegment {
	if s == nil {
		return nil
	}
	return &pb.TranscriptSegment{
		StartSeconds: s.Start,
		EndSeconds:   s.End,
		Text:         s.Text,
	}
}

func fromProtoTranscriptSegment(s *pb.TranscriptSegment) *TranscriptSegment {
	if s == nil {
		return nil
	}
	return &TranscriptSegment{
		Start: s.GetStartSeconds(),
		End:   s.GetEndSeconds(),
		Text:  s.GetText(),
	}
}

func toProtoTranscriptSegments(ss []TranscriptSegment) []*pb.TranscriptSegment {
	if len(ss) == 0 {
		return nil
	}
	out := make([]*pb.TranscriptSegment, len(ss))
	for i := range ss {
		out[i] = toProtoTranscriptSegment(&ss[i])
	}
	return out
}

func fromProtoTranscriptSegments(ss []*pb.TranscriptSegment) []TranscriptSegment {
	if len(ss) == 0 {
		return nil
	}
	out := make([]TranscriptSegment, len(ss))
	for i, s := range ss {
		if v := fromProtoTranscriptSegment(s); v != nil {
			out[i] = *v
		}
	}
	return out
}

func toProtoLiveSpeechInput(in *LiveSpeechInput) *pb.LiveSpeechInput {
	if in == nil {
		return nil
	}
	return &pb.LiveSpeechInput{
		Config: toProtoSpeechToTextRequest(in.Config),
		Audio:  nilIfEmpty(in.Audio),
		End:    in.End,
	}
}

func fromProtoLiveSpeechInput(in *pb.LiveSpeechInput) *LiveSpeechInput {
	if in == nil {
		return nil
	}
	return &LiveSpeechInput{
		Config: fromProtoSpeechToTextRequest(in.GetConfig()),
		Audio:  nilIfEmpty(in.GetAudio()),
		End:    in.GetEnd(),
	}
}

func toProtoLiveSpeechOutput(o *LiveSpeechOutput) *pb.LiveSpeechOutput {
	if o == nil {
		return nil
	}
	return &pb.LiveSpeechOutput{
		Text:         o.Text,
		IsFinal:      o.IsFinal,
		StartSeconds: o.Start,
		EndSeconds:   o.End,
	}
}

func fromProtoLiveSpeechOutput(o *pb.LiveSpeechOutput) *LiveSpeechOutput {
	if o == nil {
		return nil
	}
	return &LiveSpeechOutput{
		Text:    o.GetText(),
		IsFinal: o.GetIsFinal(),
		Start:   o.GetStartSeconds(),
		End:     o.GetEndSeconds(),
	}
}
