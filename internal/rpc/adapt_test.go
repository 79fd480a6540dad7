package rpc

import (
	"context"
	"errors"
	"io"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/roundhouse-ai/roundhouse/types"
)

func TestChatFromStreamCollects(t *testing.T) {
	chunks := []*types.ChatChunk{
		{Model: "m-resolved", Role: "assistant", Thinking: "hmm "},
		{Content: "Hello", Thinking: "ok"},
		{Content: ", world", ToolCalls: []types.ToolCall{{ID: "c1", Name: "get_weather", Arguments: `{"ci`, Index: 0}}},
		{ToolCalls: []types.ToolCall{{Arguments: `ty":"Paris"}`, Index: 0}, {ID: "c2", Name: "time", Arguments: `{}`, Index: 1}}},
		{Usage: &types.Usage{PromptTokens: 1, CompletionTokens: 1}},
		{Done: true, FinishReason: "tool_calls", Usage: &types.Usage{PromptTokens: 3, CompletionTokens: 7}},
	}
	chat := ChatFromStream(func(ctx context.Context, req *types.ChatRequest, send func(*types.ChatChunk) error) error {
		for _, c := range chunks {
			if err := send(c); err != nil {
				return err
			}
		}
		return nil
	})
	got, err := chat(context.Background(), &types.ChatRequest{Model: "m"})
	if err != nil {
		t.Fatal(err)
	}
	want := &types.ChatResponse{Model: "m-resolved", FinishReason: "tool_calls", Usage: &types.Usage{PromptTokens: 3, CompletionTokens: 7},
		Message: types.Message{Role: "assistant", Content: "Hello, world", Thinking: "hmm ok", ToolCalls: []types.ToolCall{
			{ID: "c1", Name: "get_weather", Arguments: `{"city":"Paris"}`},
			{ID: "c2", Name: "time", Arguments: `{}`, Index: 1},
		}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestChatFromStreamCompleteCallsAtOneIndex(t *testing.T) {
	// Engines that send whole calls (Ollama) may leave Index at 0: each
	// named piece is its own call.
	resp, err := ChatFromStream(func(ctx context.Context, req *types.ChatRequest, send func(*types.ChatChunk) error) error {
		for _, tc := range []types.ToolCall{{Name: "a", Arguments: "{}"}, {Name: "b", Arguments: "{}"}, {ID: "x", Name: "c"}, {ID: "y", Name: "d"}, {ID: "y", Arguments: "{}"}} {
			if err := send(&types.ChatChunk{ToolCalls: []types.ToolCall{tc}}); err != nil {
				return err
			}
		}
		return nil
	})(context.Background(), &types.ChatRequest{})
	if err != nil {
		t.Fatal(err)
	}
	calls := resp.Message.ToolCalls
	if len(calls) != 4 || calls[0].Name != "a" || calls[1].Name != "b" || calls[2].Name != "c" || calls[3].Name != "d" || calls[3].Arguments != "{}" {
		t.Errorf("calls = %+v", calls)
	}
}

func TestChatFromStreamErrorAndDefaults(t *testing.T) {
	boom := errors.New("boom")
	_, err := ChatFromStream(func(ctx context.Context, req *types.ChatRequest, send func(*types.ChatChunk) error) error {
		_ = send(&types.ChatChunk{Content: "partial"})
		return boom
	})(context.Background(), &types.ChatRequest{})
	if !errors.Is(err, boom) {
		t.Errorf("err = %v, want the stream's", err)
	}
	got, err := ChatFromStream(func(context.Context, *types.ChatRequest, func(*types.ChatChunk) error) error { return nil })(
		context.Background(), &types.ChatRequest{Model: "m"})
	if err != nil || got.Model != "m" || got.Message.Role != "assistant" || got.Message.Content != "" {
		t.Errorf("empty stream: %+v, %v", got, err)
	}
	// A cancelled caller stops the stream at its next send.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	sends := 0
	_, err = ChatFromStream(func(ctx context.Context, req *types.ChatRequest, send func(*types.ChatChunk) error) error {
		for {
			sends++
			if err := send(&types.ChatChunk{Content: "x"}); err != nil {
				return err
			}
		}
	})(ctx, &types.ChatRequest{})
	if !errors.Is(err, context.Canceled) || sends != 1 {
		t.Errorf("cancelled: err %v after %d sends", err, sends)
	}
}

func TestChatToStreamSendsOneChunk(t *testing.T) {
	resp := &types.ChatResponse{Model: "m", FinishReason: "stop", Usage: &types.Usage{CompletionTokens: 2},
		Message: types.Message{Role: "assistant", Content: "hi there", Thinking: "t", ToolCalls: []types.ToolCall{{ID: "1", Name: "f"}}}}
	var got []*types.ChatChunk
	err := ChatToStream(func(context.Context, *types.ChatRequest) (*types.ChatResponse, error) { return resp, nil })(
		context.Background(), &types.ChatRequest{}, func(c *types.ChatChunk) error { got = append(got, c); return nil })
	if err != nil {
		t.Fatal(err)
	}
	want := []*types.ChatChunk{{Model: "m", Role: "assistant", Content: "hi there", Thinking: "t", ToolCalls: resp.Message.ToolCalls,
		Done: true, FinishReason: "stop", Usage: resp.Usage}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v", got)
	}
	// Round trip: collecting the one chunk gives the answer back.
	back, err := ChatFromStream(ChatToStream(func(context.Context, *types.ChatRequest) (*types.ChatResponse, error) { return resp, nil }))(
		context.Background(), &types.ChatRequest{})
	if err != nil || !reflect.DeepEqual(back, resp) {
		t.Errorf("round trip: %+v, %v", back, err)
	}
	boom := errors.New("boom")
	err = ChatToStream(func(context.Context, *types.ChatRequest) (*types.ChatResponse, error) { return nil, boom })(
		context.Background(), &types.ChatRequest{}, func(*types.ChatChunk) error { t.Error("sent after an error"); return nil })
	if !errors.Is(err, boom) {
		t.Errorf("err = %v", err)
	}
}

func TestGenerateAdapters(t *testing.T) {
	gen := GenerateFromStream(func(ctx context.Context, req *types.GenerateRequest, send func(*types.GenerateChunk) error) error {
		for _, c := range []*types.GenerateChunk{{Model: "g", Text: "a"}, {Text: "b", Thinking: "t"}, {Done: true, FinishReason: "length", Usage: &types.Usage{CompletionTokens: 2}}} {
			if err := send(c); err != nil {
				return err
			}
		}
		return nil
	})
	r, err := gen(context.Background(), &types.GenerateRequest{Model: "x"})
	want := &types.GenerateResponse{Model: "g", Text: "ab", Thinking: "t", FinishReason: "length", Usage: &types.Usage{CompletionTokens: 2}}
	if err != nil || !reflect.DeepEqual(r, want) {
		t.Errorf("from stream: %+v, %v", r, err)
	}
	var chunks []*types.GenerateChunk
	err = GenerateToStream(gen)(context.Background(), &types.GenerateRequest{}, func(c *types.GenerateChunk) error { chunks = append(chunks, c); return nil })
	if err != nil || len(chunks) != 1 || !chunks[0].Done || chunks[0].Text != "ab" || chunks[0].FinishReason != "length" || chunks[0].Usage.CompletionTokens != 2 {
		t.Errorf("to stream: %+v, %v", chunks, err)
	}
}

func TestTextToSpeechAdapters(t *testing.T) {
	tts := TextToSpeechFromStream(func(ctx context.Context, req *types.TextToSpeechRequest, send func(*types.AudioChunk) error) error {
		_ = send(&types.AudioChunk{Data: []byte("ab"), MIMEType: "audio/wav"})
		return send(&types.AudioChunk{Data: []byte("cd"), Done: true})
	})
	r, err := tts(context.Background(), &types.TextToSpeechRequest{Model: "v"})
	if err != nil || string(r.Audio) != "abcd" || r.MIMEType != "audio/wav" || r.Model != "v" {
		t.Errorf("from stream: %+v, %v", r, err)
	}
	var chunks []*types.AudioChunk
	err = TextToSpeechToStream(tts)(context.Background(), &types.TextToSpeechRequest{}, func(c *types.AudioChunk) error { chunks = append(chunks, c); return nil })
	if err != nil || len(chunks) != 1 || string(chunks[0].Data) != "abcd" || !chunks[0].Done {
		t.Errorf("to stream: %+v, %v", chunks, err)
	}
}

func TestSpeechToTextAdapters(t *testing.T) {
	// A live transcriber: partials per frame, one final per frame.
	live := func(ctx context.Context, recv func() (*types.LiveSpeechInput, error), send func(*types.LiveSpeechOutput) error) error {
		first, err := recv()
		if err != nil || first.Config == nil {
			return errors.New("no config")
		}
		var end float64
		for {
			in, err := recv()
			if errors.Is(err, io.EOF) || (err == nil && in.End) {
				return nil
			}
			if err != nil {
				return err
			}
			_ = send(&types.LiveSpeechOutput{Text: "par"})
			end++
			if err := send(&types.LiveSpeechOutput{Text: first.Config.Language + ":" + string(in.Audio) + " ", IsFinal: true, Start: end - 1, End: end}); err != nil {
				return err
			}
		}
	}
	stt := SpeechToTextFromLive(live)
	r, err := stt(context.Background(), &types.SpeechToTextRequest{Model: "w", Language: "fr", Audio: []byte("xyz")})
	want := &types.SpeechToTextResponse{Model: "w", Language: "fr", Text: "fr:xyz", Duration: 1,
		Segments: []types.TranscriptSegment{{Start: 0, End: 1, Text: "fr:xyz "}}}
	if err != nil || !reflect.DeepEqual(r, want) {
		t.Errorf("from live: %+v, %v", r, err)
	}

	// Unary → live: audio gathered until the end, one final piece.
	unary := func(ctx context.Context, req *types.SpeechToTextRequest) (*types.SpeechToTextResponse, error) {
		return &types.SpeechToTextResponse{Text: req.Language + ":" + string(req.Audio), Duration: 2}, nil
	}
	for _, end := range []string{"eof", "end"} {
		frames := []*types.LiveSpeechInput{{Config: &types.SpeechToTextRequest{Language: "de"}}, {Audio: []byte("ab")}, {Audio: []byte("cd")}}
		if end == "end" {
			frames = append(frames, &types.LiveSpeechInput{End: true}, &types.LiveSpeechInput{Audio: []byte("never read")})
		}
		var outs []*types.LiveSpeechOutput
		err = SpeechToTextToLive(unary)(context.Background(), func() (*types.LiveSpeechInput, error) {
			if len(frames) == 0 {
				return nil, io.EOF
			}
			f := frames[0]
			frames = frames[1:]
			return f, nil
		}, func(o *types.LiveSpeechOutput) error { outs = append(outs, o); return nil })
		if err != nil || len(outs) != 1 || outs[0].Text != "de:abcd" || !outs[0].IsFinal || outs[0].End != 2 {
			t.Errorf("%s: to live: %+v, %v", end, outs, err)
		}
	}
	err = SpeechToTextToLive(unary)(context.Background(), func() (*types.LiveSpeechInput, error) {
		return &types.LiveSpeechInput{Audio: []byte("x")}, nil
	}, func(*types.LiveSpeechOutput) error { return nil })
	if types.ErrorCode(err) != types.CodeInvalidArgument {
		t.Errorf("no config: %v", err)
	}
}

// Detection: having the method is implementing the service; either half
// of a pair is enough, and a look-alike method with another signature is
// reported, not served.
type streamOnly struct{}

func (streamOnly) Info(context.Context) (*types.Info, error)      { return &types.Info{}, nil }
func (streamOnly) Health(context.Context) (*types.Health, error)  { return &types.Health{}, nil }
func (streamOnly) Configure(context.Context, *types.Config) error { return nil }
func (streamOnly) ChatStream(ctx context.Context, req *types.ChatRequest, send func(*types.ChatChunk) error) error {
	return send(&types.ChatChunk{Content: "x", Done: true})
}
func (streamOnly) TextToSpeech(context.Context, *types.TextToSpeechRequest) (*types.TextToSpeechResponse, error) {
	return &types.TextToSpeechResponse{}, nil
}

// Embed has a typo'd signature (a value, not a pointer).
func (streamOnly) Embed(context.Context, types.EmbedRequest) (*types.EmbedResponse, error) {
	return nil, nil
}
func (streamOnly) ListModels(context.Context) ([]types.Model, error) { return nil, nil }

func TestDetectServices(t *testing.T) {
	s := detectServices(streamOnly{})
	if want := []string{types.ServiceChat, types.ServiceTextToSpeech}; !slices.Equal(s.implemented, want) {
		t.Errorf("implemented = %v, want %v", s.implemented, want)
	}
	if s.chat == nil || s.chatStream == nil || s.textToSpeech == nil || s.ttsStream == nil || s.embed != nil || s.generate != nil || !s.hasListModels {
		t.Errorf("methods: %+v", s)
	}
	if len(s.mismatched) != 1 || !strings.HasPrefix(s.mismatched[0], "Embed has the signature") {
		t.Errorf("mismatched = %q", s.mismatched)
	}
	if got := ImplementedServices(struct{ Plugin }{}); got == nil || len(got) != 0 {
		t.Errorf("nothing implemented: %#v, want empty, non-nil", got)
	}
}
