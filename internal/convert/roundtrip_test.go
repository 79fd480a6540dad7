package convert

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	pb "github.com/roundhouse-ai/roundhouse/internal/pluginv1"
	"github.com/roundhouse-ai/roundhouse/types"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// ---- test helpers ------------------------------------------------------------

// convertDiff lists the paths where a and b differ, for readable failures
// (go-cmp is not available).
func convertDiff(a, b any) []string {
	var out []string
	convertDiffValue("", reflect.ValueOf(a), reflect.ValueOf(b), &out)
	return out
}

func convertDiffValue(path string, a, b reflect.Value, out *[]string) {
	if len(*out) > 20 {
		return
	}
	if !a.IsValid() || !b.IsValid() {
		if a.IsValid() != b.IsValid() {
			*out = append(*out, fmt.Sprintf("%s: %v vs %v", path, a, b))
		}
		return
	}
	if a.Type() != b.Type() {
		*out = append(*out, fmt.Sprintf("%s: type %s vs %s", path, a.Type(), b.Type()))
		return
	}
	switch a.Kind() {
	case reflect.Pointer, reflect.Interface:
		if a.IsNil() || b.IsNil() {
			if a.IsNil() != b.IsNil() {
				*out = append(*out, fmt.Sprintf("%s: nil=%v vs nil=%v (%+v vs %+v)", path, a.IsNil(), b.IsNil(), a, b))
			}
			return
		}
		convertDiffValue(path, a.Elem(), b.Elem(), out)
	case reflect.Struct:
		for i := 0; i < a.NumField(); i++ {
			if !a.Type().Field(i).IsExported() {
				continue
			}
			convertDiffValue(path+"."+a.Type().Field(i).Name, a.Field(i), b.Field(i), out)
		}
	case reflect.Slice:
		if a.IsNil() != b.IsNil() {
			*out = append(*out, fmt.Sprintf("%s: nil=%v vs nil=%v", path, a.IsNil(), b.IsNil()))
			return
		}
		if a.Len() != b.Len() {
			*out = append(*out, fmt.Sprintf("%s: len %d vs %d (%+v vs %+v)", path, a.Len(), b.Len(), a, b))
			return
		}
		for i := 0; i < a.Len(); i++ {
			convertDiffValue(fmt.Sprintf("%s[%d]", path, i), a.Index(i), b.Index(i), out)
		}
	case reflect.Map:
		if a.IsNil() != b.IsNil() {
			*out = append(*out, fmt.Sprintf("%s: nil=%v vs nil=%v", path, a.IsNil(), b.IsNil()))
			return
		}
		for _, k := range a.MapKeys() {
			bv := b.MapIndex(k)
			if !bv.IsValid() {
				*out = append(*out, fmt.Sprintf("%s[%v]: missing on the right", path, k))
				continue
			}
			convertDiffValue(fmt.Sprintf("%s[%v]", path, k), a.MapIndex(k), bv, out)
		}
		for _, k := range b.MapKeys() {
			if !a.MapIndex(k).IsValid() {
				*out = append(*out, fmt.Sprintf("%s[%v]: missing on the left", path, k))
			}
		}
	default:
		if !reflect.DeepEqual(a.Interface(), b.Interface()) {
			*out = append(*out, fmt.Sprintf("%s: %+v vs %+v", path, a, b))
		}
	}
}

// convertAssertPopulated fails when a field of v (recursively through
// structs, pointers, slices and typed map values) has its zero value: the
// fixtures must set every field so that a field the conversion forgets
// shows up in the round trip.
func convertAssertPopulated(t *testing.T, v any) {
	t.Helper()
	var missing []string
	convertPopulated("", reflect.ValueOf(v), &missing)
	if len(missing) > 0 {
		t.Errorf("fixture %T leaves fields unset: %s", v, strings.Join(missing, ", "))
	}
}

func convertPopulated(path string, v reflect.Value, missing *[]string) {
	if v.IsZero() {
		*missing = append(*missing, path)
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		// A pointer to a scalar is set when non-nil (convPtr(0.0) is a value).
		if v.Elem().Kind() == reflect.Struct {
			convertPopulated(path, v.Elem(), missing)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				convertPopulated(path+"."+v.Type().Field(i).Name, v.Field(i), missing)
			}
		}
	case reflect.Slice:
		if v.Len() == 0 {
			*missing = append(*missing, path)
		}
		// The first element must be complete; later ones may be partial.
		if k := v.Type().Elem().Kind(); v.Len() > 0 && (k == reflect.Struct || k == reflect.Pointer) {
			convertPopulated(path+"[0]", v.Index(0), missing)
		}
	case reflect.Map:
		if v.Len() == 0 {
			*missing = append(*missing, path)
		}
		if k := v.Type().Elem().Kind(); k == reflect.Struct || k == reflect.Pointer {
			for _, key := range v.MapKeys() {
				convertPopulated(fmt.Sprintf("%s[%v]", path, key), v.MapIndex(key), missing)
			}
		}
	}
}

// convertAssertProtoPopulated fails when a field of the Roundhouse message m
// (recursively) is unset: a proto field the conversion never fills shows up
// here, for example one added to the .proto files later.
func convertAssertProtoPopulated(t *testing.T, m proto.Message) {
	t.Helper()
	var missing []string
	convertProtoPopulated(string(m.ProtoReflect().Descriptor().Name()), m.ProtoReflect(), &missing)
	if len(missing) > 0 {
		t.Errorf("conversion leaves proto fields unset: %s", strings.Join(missing, ", "))
	}
}

func convertProtoPopulated(path string, m protoreflect.Message, missing *[]string) {
	if m.Descriptor().ParentFile().Package() != "roundhouse.plugin.v1" {
		return // google.protobuf.Struct and friends: checked by value
	}
	fields := m.Descriptor().Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		p := path + "." + string(fd.Name())
		if !m.Has(fd) {
			*missing = append(*missing, p)
			continue
		}
		switch {
		case fd.IsList() && fd.Message() != nil:
			// The first element must be complete; later ones may be partial.
			convertProtoPopulated(p+"[0]", m.Get(fd).List().Get(0).Message(), missing)
		case fd.IsMap() && fd.MapValue().Message() != nil:
			m.Get(fd).Map().Range(func(k protoreflect.MapKey, v protoreflect.Value) bool {
				convertProtoPopulated(fmt.Sprintf("%s[%v]", p, k), v.Message(), missing)
				return true
			})
		case fd.Message() != nil && !fd.IsList() && !fd.IsMap():
			convertProtoPopulated(p, m.Get(fd).Message(), missing)
		}
	}
}

// convertCheckRoundTrip converts in to proto and back, in memory and
// through the wire encoding, and wants in back each time. It also checks
// that nil converts to nil both ways.
func convertCheckRoundTrip[S any, P proto.Message](t *testing.T, in *S, to func(*S) P, from func(P) *S) {
	t.Helper()
	p := to(in)
	if got := from(p); !reflect.DeepEqual(in, got) {
		t.Errorf("in-memory round trip differs: %s\n in: %+v\ngot: %+v", strings.Join(convertDiff(in, got), "; "), in, got)
	}
	b, err := proto.Marshal(p)
	if err != nil {
		t.Fatalf("proto.Marshal: %v", err)
	}
	p2 := p.ProtoReflect().New().Interface().(P)
	if err := proto.Unmarshal(b, p2); err != nil {
		t.Fatalf("proto.Unmarshal: %v", err)
	}
	if got := from(p2); !reflect.DeepEqual(in, got) {
		t.Errorf("wire round trip differs: %s\n in: %+v\ngot: %+v", strings.Join(convertDiff(in, got), "; "), in, got)
	}
	if p := to(nil); !reflect.ValueOf(p).IsNil() {
		t.Errorf("to(nil) = %+v, want nil", p)
	}
	var nilP P
	if s := from(nilP); s != nil {
		t.Errorf("from(nil) = %+v, want nil", s)
	}
}

// convertCheckFull is convertCheckRoundTrip for a fully populated fixture:
// it also checks that the fixture and its proto form have every field set.
func convertCheckFull[S any, P proto.Message](t *testing.T, in *S, to func(*S) P, from func(P) *S) {
	t.Helper()
	convertAssertPopulated(t, in)
	convertAssertProtoPopulated(t, to(in))
	convertCheckRoundTrip(t, in, to, from)
}

// ---- fixtures ----------------------------------------------------------------

func convPtr[T any](v T) *T { return &v }

// convertExtra holds only the types a Struct gives back, so that it
// round-trips exactly.
func convertExtra() map[string]any {
	return map[string]any{
		"num":    42.5,
		"str":    "s",
		"bool":   true,
		"null":   nil,
		"list":   []any{1.0, "two", false, nil, []any{3.0}, map[string]any{"k": "v"}},
		"nested": map[string]any{"a": map[string]any{"b": []any{}}, "c": map[string]any{}},
	}
}

func convertSchema() map[string]any {
	return map[string]any{
		"type":       "object",
		"properties": map[string]any{"city": map[string]any{"type": "string"}},
		"required":   []any{"city"},
	}
}

func convertUsage() *types.Usage {
	return &types.Usage{PromptTokens: 11, CompletionTokens: 22, TotalTokens: 33}
}

func convertToolCalls() []types.ToolCall {
	return []types.ToolCall{
		{ID: "call_1", Name: "weather", Arguments: `{"city":"Paris"}`, Index: 1},
		{ID: "call_2", Name: "time", Arguments: `{"tz":`, Index: 2},
	}
}

func convertOptions() *types.Options {
	return &types.Options{
		Temperature: convPtr(0.7),
		TopP:        convPtr(0.9),
		TopK:        convPtr(40),
		MaxTokens:   convPtr(1024),
		Stop:        []string{"\n\n", "END"},
		Seed:        convPtr(int64(-12345678901)),
		ResponseFormat: &types.ResponseFormat{
			Type: "json_schema", Schema: convertSchema(), Name: "weather", Strict: true,
		},
		Think:            "high",
		NumCtx:           convPtr(8192),
		PresencePenalty:  convPtr(-0.5),
		FrequencyPenalty: convPtr(1.25),
	}
}

func convFullChatRequest() *types.ChatRequest {
	return &types.ChatRequest{
		Model: "llama3.2",
		Messages: []types.Message{
			{Role: "system", Content: "be brief", Images: [][]byte{{0x89, 'P', 'N', 'G'}, {0xff, 0xd8}},
				ToolCalls: convertToolCalls(), ToolCallID: "call_0", Name: "sys", Thinking: "hmm"},
			{Role: "tool", Content: `{"temp":21}`, ToolCallID: "call_1", Name: "weather"},
		},
		Tools: []types.Tool{
			{Type: "function", Name: "weather", Description: "current weather", Parameters: convertSchema()},
		},
		Options:           convertOptions(),
		Extra:             convertExtra(),
		Provider:          "openai-eu",
		KeepAlive:         convPtr(-1.0),
		ToolChoice:        &types.ToolChoice{Mode: types.ToolChoiceFunction, Name: "get_weather"},
		ParallelToolCalls: convPtr(false),
	}
}

func convFullMessage() *types.Message {
	return &convFullChatRequest().Messages[0]
}

func convFullChatResponse() *types.ChatResponse {
	return &types.ChatResponse{
		Model:           "llama3.2",
		Message:         *convFullMessage(),
		FinishReason:    "tool_calls",
		Usage:           convertUsage(),
		TotalDurationNS: 123456789,
	}
}

func convFullChatChunk() *types.ChatChunk {
	return &types.ChatChunk{
		Model: "m", Role: "assistant", Content: "Hel", Thinking: "t", ToolCalls: convertToolCalls(),
		Done: true, FinishReason: "stop", Usage: convertUsage(),
	}
}

func convFullGenerateRequest() *types.GenerateRequest {
	return &types.GenerateRequest{
		Model: "qwen", Prompt: "def fib(", System: "you code", Suffix: "return x",
		Images: [][]byte{{1, 2, 3}}, Options: convertOptions(), Raw: true, Extra: convertExtra(),
		Provider: "p", KeepAlive: convPtr(300.0),
	}
}

func convFullGenerateResponse() *types.GenerateResponse {
	return &types.GenerateResponse{
		Model: "qwen", Text: "n):", Thinking: "t", FinishReason: "length", Usage: convertUsage(),
		TotalDurationNS: 42,
	}
}

func convFullGenerateChunk() *types.GenerateChunk {
	return &types.GenerateChunk{Model: "qwen", Text: "n", Thinking: "t", Done: true, FinishReason: "stop", Usage: convertUsage()}
}

func convFullEmbedRequest() *types.EmbedRequest {
	return &types.EmbedRequest{
		Model: "nomic", Input: []string{"a", "b", ""}, Dimensions: 256, Truncate: true,
		Extra: convertExtra(), Provider: "p",
	}
}

func convFullEmbedResponse() *types.EmbedResponse {
	return &types.EmbedResponse{
		Model:      "nomic",
		Embeddings: [][]float32{{0.1, -0.2, 3e-38}, {1, 2}, {float32(1) / 3}},
		Usage:      convertUsage(),
	}
}

func convFullRerankRequest() *types.RerankRequest {
	return &types.RerankRequest{
		Model: "bge", Query: "q", Documents: []string{"d1", "d2"}, TopN: 1, Extra: convertExtra(), Provider: "p",
	}
}

func convFullRerankResponse() *types.RerankResponse {
	return &types.RerankResponse{
		Model: "bge",
		Results: []types.RerankResult{
			{Index: 1, RelevanceScore: 0.93, Document: "d2"},
			{Index: 2, RelevanceScore: 0.01, Document: "d1"},
		},
		Usage: convertUsage(),
	}
}

func convFullTextToImageRequest() *types.TextToImageRequest {
	return &types.TextToImageRequest{
		Model: "sdxl", Prompt: "a cat", NegativePrompt: "dog", N: 2, Size: "1024x1024",
		Quality: "hd", Style: "vivid", Seed: convPtr(int64(7)), Extra: convertExtra(), Provider: "p",
	}
}

func convFullImageToImageRequest() *types.ImageToImageRequest {
	return &types.ImageToImageRequest{
		Model: "sdxl", Prompt: "a cat in a hat", NegativePrompt: "dog", Image: []byte{0x89, 'P', 'N', 'G'},
		ImageMIMEType: "image/png", Mask: []byte{0x89, 'M'}, N: 2, Size: "512x512", Quality: "high",
		Strength: convPtr(0.6), Seed: convPtr(int64(7)), Extra: convertExtra(), Provider: "p",
	}
}

func convFullTextToImageResponse() *types.TextToImageResponse {
	return &types.TextToImageResponse{
		Model: "sdxl",
		Images: []types.Image{
			{Data: []byte{0x89, 'P'}, MIMEType: "image/png", URL: "https://x/y.png", RevisedPrompt: "a fluffy cat"},
			{Data: []byte{0xff}, MIMEType: "image/jpeg", URL: "https://x/z.jpg", RevisedPrompt: "r"},
		},
	}
}

func convFullTextToSpeechRequest() *types.TextToSpeechRequest {
	return &types.TextToSpeechRequest{
		Model: "tts-1", Input: "hello", Voice: "alloy", Format: "mp3", Speed: 1.25,
		Instructions: "cheerful", Extra: convertExtra(), Provider: "p",
	}
}

func convFullTextToSpeechResponse() *types.TextToSpeechResponse {
	return &types.TextToSpeechResponse{Model: "tts-1", Audio: []byte("ID3..."), MIMEType: "audio/mpeg"}
}

func convFullAudioChunk() *types.AudioChunk {
	return &types.AudioChunk{Data: []byte{1, 2}, MIMEType: "audio/wav", Done: true}
}

func convFullSpeechToTextRequest() *types.SpeechToTextRequest {
	return &types.SpeechToTextRequest{
		Model: "whisper", Audio: []byte("RIFF"), Filename: "clip.wav", MIMEType: "audio/wav",
		Language: "fr", Prompt: "names: Zoë", Temperature: convPtr(0.0), Extra: convertExtra(), Provider: "p",
	}
}

func convFullSpeechToTextResponse() *types.SpeechToTextResponse {
	return &types.SpeechToTextResponse{
		Model: "whisper", Text: "bonjour tout le monde", Language: "fr", Duration: 2.5,
		Segments: []types.TranscriptSegment{{Start: 0.1, End: 1.2, Text: "bonjour"}, {Start: 1.2, End: 2.5, Text: "tout le monde"}},
	}
}

func convFullLiveSpeechInput() *types.LiveSpeechInput {
	return &types.LiveSpeechInput{Config: convFullSpeechToTextRequest(), Audio: []byte{9, 9}, End: true}
}

func convFullLiveSpeechOutput() *types.LiveSpeechOutput {
	return &types.LiveSpeechOutput{Text: "bonjour", IsFinal: true, Start: 0.5, End: 1.5}
}

func convFullProgress() *types.Progress {
	return &types.Progress{Status: "downloading", Digest: "sha256:abc", Total: 4 << 30, Completed: 1 << 30, Message: "resuming"}
}

func convFullEngineStatus() *types.EngineStatus {
	return &types.EngineStatus{
		Installed: true, Running: true, Version: "0.17.4", Mode: "managed", Host: "127.0.0.1:11434",
		Executable: "/opt/ollama/bin/ollama", PID: 4242, Restarts: 3, LastError: "exit status 1",
	}
}

func convFullInstallEngineRequest() *types.InstallEngineRequest {
	return &types.InstallEngineRequest{Version: "0.17.4", URL: "https://mirror/ollama.tgz", SHA256: "deadbeef"}
}

func convFullPullRequest() *types.PullRequest {
	return &types.PullRequest{Model: "llama3.2:1b", Insecure: true,
		Auth: &types.RegistryAuth{Host: "reg.example", Username: "me", Password: "pw-0123456789abcdef", Token: "tok"}}
}

func convFullLoadRequest() *types.LoadRequest {
	return &types.LoadRequest{Model: "llama3.2", KeepAlive: convPtr(0.0)}
}

func convFullModel() *types.Model {
	return &types.Model{
		Name: "llama3.2:latest", SizeBytes: 2 << 30, Digest: "sha256:a80c", ModifiedAt: 1767225600,
		Family: "llama", ParameterSize: "3.2B", Quantization: "Q4_K_M", Format: "gguf",
		SizeVRAMBytes: 3 << 30, ExpiresAt: 1767229200, ContextLength: 131072,
		Services: []string{"chat", "generate"}, Provider: "main",
	}
}

func convFullModelDetails() *types.ModelDetails {
	return &types.ModelDetails{
		Model: *convFullModel(), Template: "{{ .Prompt }}", Parameters: "stop <|eot|>", License: "LLAMA 3.2",
		Details: map[string]string{"family": "llama", "format": "gguf"},
		System:  "be brief", Modelfile: "FROM llama3.2\n",
		ModelInfo:    map[string]any{"general.architecture": "llama", "llama.context_length": 131072.0},
		Capabilities: []string{"completion", "tools"},
	}
}

func convFullCopyRequest() *types.CopyRequest {
	return &types.CopyRequest{Source: "llama3.2", Destination: "mine"}
}

func convFullCreateRequest() *types.CreateRequest {
	return &types.CreateRequest{Model: "mine", From: "llama3.2", Files: map[string]string{"m.gguf": "sha256:ab"},
		Adapters: map[string]string{"a.gguf": "sha256:cd"}, Template: "{{ .Prompt }}", System: "be brief",
		Parameters: map[string]any{"temperature": 0.5, "stop": []any{"x"}}, License: []string{"MIT"},
		Quantize: "q4_K_M", Path: "/models/m.gguf"}
}

func convFullPushRequest() *types.PushRequest {
	return &types.PushRequest{Model: "reg.example/me/mine", Insecure: true,
		Auth: &types.RegistryAuth{Host: "reg.example", Username: "me", Password: "pw", Token: "tok-0123456789abcdef"}}
}

func convFullInfo() *types.Info {
	return &types.Info{
		Name: "ollama", Version: "1.2.3", Type: "local", SDKVersion: "0.1.0", EngineMode: "attached",
		EngineHost: "http://127.0.0.1:11434",
		Compute:    &types.Compute{Kind: "mixed", GPUType: types.GPUNvidia, VRAMUsedBytes: 1 << 30, VRAMTotalBytes: 8 << 30},
		Services: map[string]types.Capabilities{
			"chat":  {SupportStreaming: true, SupportBidirectional: true},
			"embed": {SupportStreaming: true, SupportBidirectional: true},
		},
		Details:     map[string]string{"gpu": "RTX 4070"},
		Implemented: []string{"chat", "embed"},
	}
}

func convFullHealth() *types.Health {
	return &types.Health{State: types.HealthStarting, Message: "engine starting"}
}

func convFullAPIKeys() []types.APIKey {
	return []types.APIKey{
		{Value: "sk-secret-1", Weight: 3, Priority: 1, RPM: 60, RPD: 1000, Label: "main"},
		{Value: "sk-secret-2", Weight: 1, Priority: 2, RPM: 10, RPD: 100, Label: "backup"},
	}
}

func convFullConfig() *types.Config {
	return &types.Config{
		Settings: map[string]any{"engine_host": "http://localhost:11434", "manage_engine": true, "threads": 8.0},
		Providers: []types.ProviderConfig{{
			Name: "openai-eu", BaseURL: "https://api.openai.com/v1", APIKeys: convFullAPIKeys(),
			Models: []string{"gpt-4o"}, Headers: map[string]string{"OpenAI-Organization": "org-1"},
			Timeout: 30.5, KeyStrategy: "weighted_random", AuthType: "apikey", Format: "anthropic",
		}},
		DataDir: "/var/lib/roundhouse/plugins/ollama",
	}
}

func convFullProviderStatus() *types.ProviderStatus {
	return &types.ProviderStatus{
		Name: "openai-eu", BaseURL: "https://api.openai.com/v1", Models: []string{"gpt-4o", "gpt-4o-mini"},
		KeyStrategy: "round_robin",
		Keys: []types.KeyStatus{{
			Masked: "sk-…abcd", Label: "main", State: "cooling_down", Reason: "429", Requests: 1000,
			Failures: 7, LastError: "rate limited", CurrentRPM: 59, CooldownUntil: 1767225660,
		}},
	}
}

func convFullProviderTest() *types.ProviderTest {
	return &types.ProviderTest{OK: true, Message: "ok", Latency: 0.321, Models: []string{"gpt-4o"}}
}

// ---- tests -------------------------------------------------------------------

func TestConvertRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"ChatRequest", func(t *testing.T) {
			convertCheckFull(t, convFullChatRequest(), ToProtoChatRequest, FromProtoChatRequest)
		}},
		{"ChatResponse", func(t *testing.T) {
			convertCheckFull(t, convFullChatResponse(), ToProtoChatResponse, FromProtoChatResponse)
		}},
		{"ChatChunk", func(t *testing.T) { convertCheckFull(t, convFullChatChunk(), ToProtoChatChunk, FromProtoChatChunk) }},
		{"Message", func(t *testing.T) { convertCheckFull(t, convFullMessage(), ToProtoMessage, FromProtoMessage) }},
		{"Tool", func(t *testing.T) {
			convertCheckFull(t, &convFullChatRequest().Tools[0], ToProtoTool, FromProtoTool)
		}},
		{"ToolCall", func(t *testing.T) {
			convertCheckFull(t, &convertToolCalls()[0], ToProtoToolCall, FromProtoToolCall)
		}},
		{"Options", func(t *testing.T) { convertCheckFull(t, convertOptions(), ToProtoOptions, FromProtoOptions) }},
		{"ResponseFormat", func(t *testing.T) {
			convertCheckFull(t, convertOptions().ResponseFormat, ToProtoResponseFormat, FromProtoResponseFormat)
		}},
		{"Usage", func(t *testing.T) { convertCheckFull(t, convertUsage(), ToProtoUsage, FromProtoUsage) }},
		{"GenerateRequest", func(t *testing.T) {
			convertCheckFull(t, convFullGenerateRequest(), ToProtoGenerateRequest, FromProtoGenerateRequest)
		}},
		{"GenerateResponse", func(t *testing.T) {
			convertCheckFull(t, convFullGenerateResponse(), ToProtoGenerateResponse, FromProtoGenerateResponse)
		}},
		{"GenerateChunk", func(t *testing.T) {
			convertCheckFull(t, convFullGenerateChunk(), ToProtoGenerateChunk, FromProtoGenerateChunk)
		}},
		{"EmbedRequest", func(t *testing.T) {
			convertCheckFull(t, convFullEmbedRequest(), ToProtoEmbedRequest, FromProtoEmbedRequest)
		}},
		{"EmbedResponse", func(t *testing.T) {
			convertCheckFull(t, convFullEmbedResponse(), ToProtoEmbedResponse, FromProtoEmbedResponse)
		}},
		{"RerankRequest", func(t *testing.T) {
			convertCheckFull(t, convFullRerankRequest(), ToProtoRerankRequest, FromProtoRerankRequest)
		}},
		{"RerankResponse", func(t *testing.T) {
			convertCheckFull(t, convFullRerankResponse(), ToProtoRerankResponse, FromProtoRerankResponse)
		}},
		{"RerankResult", func(t *testing.T) {
			convertCheckFull(t, &convFullRerankResponse().Results[0], ToProtoRerankResult, FromProtoRerankResult)
		}},
		{"TextToImageRequest", func(t *testing.T) {
			convertCheckFull(t, convFullTextToImageRequest(), ToProtoTextToImageRequest, FromProtoTextToImageRequest)
		}},
		{"TextToImageResponse", func(t *testing.T) {
			convertCheckFull(t, convFullTextToImageResponse(), ToProtoTextToImageResponse, FromProtoTextToImageResponse)
		}},
		{"ImageToImageRequest", func(t *testing.T) {
			convertCheckFull(t, convFullImageToImageRequest(), ToProtoImageToImageRequest, FromProtoImageToImageRequest)
		}},
		{"ImageToImageResponse", func(t *testing.T) {
			r := convFullTextToImageResponse()
			convertCheckFull(t, &types.ImageToImageResponse{Model: r.Model, Images: r.Images}, ToProtoImageToImageResponse, FromProtoImageToImageResponse)
		}},
		{"Image", func(t *testing.T) {
			convertCheckFull(t, &convFullTextToImageResponse().Images[0], ToProtoImage, FromProtoImage)
		}},
		{"TextToSpeechRequest", func(t *testing.T) {
			convertCheckFull(t, convFullTextToSpeechRequest(), ToProtoTextToSpeechRequest, FromProtoTextToSpeechRequest)
		}},
		{"TextToSpeechResponse", func(t *testing.T) {
			convertCheckFull(t, convFullTextToSpeechResponse(), ToProtoTextToSpeechResponse, FromProtoTextToSpeechResponse)
		}},
		{"AudioChunk", func(t *testing.T) {
			convertCheckFull(t, convFullAudioChunk(), ToProtoAudioChunk, FromProtoAudioChunk)
		}},
		{"SpeechToTextRequest", func(t *testing.T) {
			convertCheckFull(t, convFullSpeechToTextRequest(), ToProtoSpeechToTextRequest, FromProtoSpeechToTextRequest)
		}},
		{"SpeechToTextResponse", func(t *testing.T) {
			convertCheckFull(t, convFullSpeechToTextResponse(), ToProtoSpeechToTextResponse, FromProtoSpeechToTextResponse)
		}},
		{"TranscriptSegment", func(t *testing.T) {
			convertCheckFull(t, &convFullSpeechToTextResponse().Segments[0], ToProtoTranscriptSegment, FromProtoTranscriptSegment)
		}},
		{"LiveSpeechInput", func(t *testing.T) {
			convertCheckFull(t, convFullLiveSpeechInput(), ToProtoLiveSpeechInput, FromProtoLiveSpeechInput)
		}},
		{"LiveSpeechOutput", func(t *testing.T) {
			convertCheckFull(t, convFullLiveSpeechOutput(), ToProtoLiveSpeechOutput, FromProtoLiveSpeechOutput)
		}},
		{"Progress", func(t *testing.T) { convertCheckFull(t, convFullProgress(), ToProtoProgress, FromProtoProgress) }},
		{"EngineStatus", func(t *testing.T) {
			convertCheckFull(t, convFullEngineStatus(), ToProtoEngineStatus, FromProtoEngineStatus)
		}},
		{"InstallEngineRequest", func(t *testing.T) {
			convertCheckFull(t, convFullInstallEngineRequest(), ToProtoInstallEngineRequest, FromProtoInstallEngineRequest)
		}},
		{"UpgradeEngineRequest", func(t *testing.T) {
			convertCheckFull(t, convFullInstallEngineRequest(), ToProtoUpgradeEngineRequest, FromProtoUpgradeEngineRequest)
		}},
		{"PullRequest", func(t *testing.T) {
			convertCheckFull(t, convFullPullRequest(), ToProtoPullRequest, FromProtoPullRequest)
		}},
		{"LoadRequest", func(t *testing.T) {
			convertCheckFull(t, convFullLoadRequest(), ToProtoLoadRequest, FromProtoLoadRequest)
		}},
		{"CopyRequest", func(t *testing.T) {
			convertCheckFull(t, convFullCopyRequest(), ToProtoCopyRequest, FromProtoCopyRequest)
		}},
		{"CreateRequest", func(t *testing.T) {
			convertCheckFull(t, convFullCreateRequest(), ToProtoCreateRequest, FromProtoCreateRequest)
		}},
		{"PushRequest", func(t *testing.T) {
			convertCheckFull(t, convFullPushRequest(), ToProtoPushRequest, FromProtoPushRequest)
		}},
		{"Model", func(t *testing.T) { convertCheckFull(t, convFullModel(), ToProtoModel, FromProtoModel) }},
		{"ModelDetails", func(t *testing.T) {
			convertCheckFull(t, convFullModelDetails(), ToProtoModelDetails, FromProtoModelDetails)
		}},
		{"Info", func(t *testing.T) { convertCheckFull(t, convFullInfo(), ToProtoInfo, FromProtoInfo) }},
		{"Compute", func(t *testing.T) { convertCheckFull(t, convFullInfo().Compute, ToProtoCompute, FromProtoCompute) }},
		{"Capabilities", func(t *testing.T) {
			c := convFullInfo().Services["chat"]
			convertCheckFull(t, &c, ToProtoCapabilities, FromProtoCapabilities)
		}},
		{"Health", func(t *testing.T) { convertCheckFull(t, convFullHealth(), ToProtoHealth, FromProtoHealth) }},
		{"Config", func(t *testing.T) { convertCheckFull(t, convFullConfig(), ToProtoConfig, FromProtoConfig) }},
		{"ProviderConfig", func(t *testing.T) {
			convertCheckFull(t, &convFullConfig().Providers[0], ToProtoProviderConfig, FromProtoProviderConfig)
		}},
		{"APIKey", func(t *testing.T) { convertCheckFull(t, &convFullAPIKeys()[0], ToProtoAPIKey, FromProtoAPIKey) }},
		{"ProviderStatus", func(t *testing.T) {
			convertCheckFull(t, convFullProviderStatus(), ToProtoProviderStatus, FromProtoProviderStatus)
		}},
		{"KeyStatus", func(t *testing.T) {
			convertCheckFull(t, &convFullProviderStatus().Keys[0], ToProtoKeyStatus, FromProtoKeyStatus)
		}},
		{"ProviderTest", func(t *testing.T) {
			convertCheckFull(t, convFullProviderTest(), ToProtoProviderTest, FromProtoProviderTest)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, tt.run)
	}
}

// TestConvertZeroValues: zero values come back as zero values (nothing turns
// from nil into empty or the reverse), in memory and over the wire.
func TestConvertZeroValues(t *testing.T) {
	tests := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"ChatRequest", func(t *testing.T) {
			convertCheckRoundTrip(t, &types.ChatRequest{}, ToProtoChatRequest, FromProtoChatRequest)
		}},
		{"ChatResponse", func(t *testing.T) {
			convertCheckRoundTrip(t, &types.ChatResponse{}, ToProtoChatResponse, FromProtoChatResponse)
		}},
		{"ChatChunk", func(t *testing.T) { convertCheckRoundTrip(t, &types.ChatChunk{}, ToProtoChatChunk, FromProtoChatChunk) }},
		{"Options", func(t *testing.T) { convertCheckRoundTrip(t, &types.Options{}, ToProtoOptions, FromProtoOptions) }},
		{"GenerateRequest", func(t *testing.T) {
			convertCheckRoundTrip(t, &types.GenerateRequest{}, ToProtoGenerateRequest, FromProtoGenerateRequest)
		}},
		{"GenerateResponse", func(t *testing.T) {
			convertCheckRoundTrip(t, &types.GenerateResponse{}, ToProtoGenerateResponse, FromProtoGenerateResponse)
		}},
		{"GenerateChunk", func(t *testing.T) {
			convertCheckRoundTrip(t, &types.GenerateChunk{}, ToProtoGenerateChunk, FromProtoGenerateChunk)
		}},
		{"EmbedRequest", func(t *testing.T) {
			convertCheckRoundTrip(t, &types.EmbedRequest{}, ToProtoEmbedRequest, FromProtoEmbedRequest)
		}},
		{"EmbedResponse", func(t *testing.T) {
			convertCheckRoundTrip(t, &types.EmbedResponse{}, ToProtoEmbedResponse, FromProtoEmbedResponse)
		}},
		{"RerankRequest", func(t *testing.T) {
			convertCheckRoundTrip(t, &types.RerankRequest{}, ToProtoRerankRequest, FromProtoRerankRequest)
		}},
		{"RerankResponse", func(t *testing.T) {
			convertCheckRoundTrip(t, &types.RerankResponse{}, ToProtoRerankResponse, FromProtoRerankResponse)
		}},
		{"TextToImageRequest", func(t *testing.T) {
			convertCheckRoundTrip(t, &types.TextToImageRequest{}, ToProtoTextToImageRequest, FromProtoTextToImageRequest)
		}},
		{"TextToImageResponse", func(t *testing.T) {
			convertCheckRoundTrip(t, &types.TextToImageResponse{}, ToProtoTextToImageResponse, FromProtoTextToImageResponse)
		}},
		{"TextToSpeechRequest", func(t *testing.T) {
			convertCheckRoundTrip(t, &types.TextToSpeechRequest{}, ToProtoTextToSpeechRequest, FromProtoTextToSpeechRequest)
		}},
		{"TextToSpeechResponse", func(t *testing.T) {
			convertCheckRoundTrip(t, &types.TextToSpeechResponse{}, ToProtoTextToSpeechResponse, FromProtoTextToSpeechResponse)
		}},
		{"AudioChunk", func(t *testing.T) {
			convertCheckRoundTrip(t, &types.AudioChunk{}, ToProtoAudioChunk, FromProtoAudioChunk)
		}},
		{"SpeechToTextRequest", func(t *testing.T) {
			convertCheckRoundTrip(t, &types.SpeechToTextRequest{}, ToProtoSpeechToTextRequest, FromProtoSpeechToTextRequest)
		}},
		{"SpeechToTextResponse", func(t *testing.T) {
			convertCheckRoundTrip(t, &types.SpeechToTextResponse{}, ToProtoSpeechToTextResponse, FromProtoSpeechToTextResponse)
		}},
		{"LiveSpeechInput", func(t *testing.T) {
			convertCheckRoundTrip(t, &types.LiveSpeechInput{}, ToProtoLiveSpeechInput, FromProtoLiveSpeechInput)
		}},
		{"LiveSpeechOutput", func(t *testing.T) {
			convertCheckRoundTrip(t, &types.LiveSpeechOutput{}, ToProtoLiveSpeechOutput, FromProtoLiveSpeechOutput)
		}},
		{"Progress", func(t *testing.T) { convertCheckRoundTrip(t, &types.Progress{}, ToProtoProgress, FromProtoProgress) }},
		{"EngineStatus", func(t *testing.T) {
			convertCheckRoundTrip(t, &types.EngineStatus{}, ToProtoEngineStatus, FromProtoEngineStatus)
		}},
		{"InstallEngineRequest", func(t *testing.T) {
			convertCheckRoundTrip(t, &types.InstallEngineRequest{}, ToProtoInstallEngineRequest, FromProtoInstallEngineRequest)
		}},
		{"UpgradeEngineRequest", func(t *testing.T) {
			convertCheckRoundTrip(t, &types.InstallEngineRequest{}, ToProtoUpgradeEngineRequest, FromProtoUpgradeEngineRequest)
		}},
		{"PullRequest", func(t *testing.T) {
			convertCheckRoundTrip(t, &types.PullRequest{}, ToProtoPullRequest, FromProtoPullRequest)
		}},
		{"LoadRequest", func(t *testing.T) {
			convertCheckRoundTrip(t, &types.LoadRequest{}, ToProtoLoadRequest, FromProtoLoadRequest)
		}},
		{"Model", func(t *testing.T) { convertCheckRoundTrip(t, &types.Model{}, ToProtoModel, FromProtoModel) }},
		{"ModelDetails", func(t *testing.T) {
			convertCheckRoundTrip(t, &types.ModelDetails{}, ToProtoModelDetails, FromProtoModelDetails)
		}},
		{"Info", func(t *testing.T) { convertCheckRoundTrip(t, &types.Info{}, ToProtoInfo, FromProtoInfo) }},
		{"Config", func(t *testing.T) { convertCheckRoundTrip(t, &types.Config{}, ToProtoConfig, FromProtoConfig) }},
		{"ProviderStatus", func(t *testing.T) {
			convertCheckRoundTrip(t, &types.ProviderStatus{}, ToProtoProviderStatus, FromProtoProviderStatus)
		}},
		{"ProviderTest", func(t *testing.T) {
			convertCheckRoundTrip(t, &types.ProviderTest{}, ToProtoProviderTest, FromProtoProviderTest)
		}},
		// Health: the zero state "" is not a state; it fails closed.
		{"Health", func(t *testing.T) {
			got := FromProtoHealth(ToProtoHealth(&types.Health{}))
			if want := (&types.Health{State: types.HealthNotServing}); !reflect.DeepEqual(got, want) {
				t.Errorf("got %+v, want %+v", got, want)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, tt.run)
	}
}

// TestConvertEmptyBecomesNil: empty slices and maps are sent as absent and
// come back nil.
func TestConvertEmptyBecomesNil(t *testing.T) {
	in := &types.ChatRequest{
		Messages: []types.Message{{Images: [][]byte{}, ToolCalls: []types.ToolCall{}}},
		Tools:    []types.Tool{{Parameters: map[string]any{}}},
		Options:  &types.Options{Stop: []string{}, ResponseFormat: &types.ResponseFormat{Schema: map[string]any{}}},
		Extra:    map[string]any{},
	}
	want := &types.ChatRequest{
		Messages: []types.Message{{}},
		Tools:    []types.Tool{{}},
		Options:  &types.Options{ResponseFormat: &types.ResponseFormat{}},
	}
	p := ToProtoChatRequest(in)
	if p.Extra != nil || p.Tools[0].Parameters != nil || p.Options.Stop != nil || p.Options.ResponseFormat.Schema != nil {
		t.Errorf("empty values were sent as non-nil: %v", p)
	}
	if got := FromProtoChatRequest(p); !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v: %v", got, want, convertDiff(got, want))
	}
	info := FromProtoInfo(ToProtoInfo(&types.Info{Services: map[string]types.Capabilities{}, Details: map[string]string{}}))
	if info.Services != nil || info.Details != nil {
		t.Errorf("empty maps came back non-nil: %+v", info)
	}
	// Implemented: reported-but-empty and not-reported stay apart.
	if got := FromProtoInfo(ToProtoInfo(&types.Info{Implemented: []string{}})).Implemented; got == nil || len(got) != 0 {
		t.Errorf("Implemented{} came back as %#v, want empty and non-nil", got)
	}
	if got := FromProtoInfo(ToProtoInfo(&types.Info{})).Implemented; got != nil {
		t.Errorf("unreported Implemented came back as %#v, want nil", got)
	}
	if got := ToProtoModels([]types.Model{}); got != nil {
		t.Errorf("ToProtoModels(empty) = %v, want nil", got)
	}
	if got := FromProtoModels([]*pb.Model{}); got != nil {
		t.Errorf("FromProtoModels(empty) = %v, want nil", got)
	}
}
