package openaiwire

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/roundhouse-ai/roundhouse/types"
)

// appendChat must write the same JSON as buildChatJSON whenever it takes
// a request, and leave every request it cannot write (or that is invalid)
// to buildChatJSON.

func decodeBody(t *testing.T, b []byte) any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber() // numbers compared as written
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("body %q: %v", b, err)
	}
	if d.More() {
		t.Fatalf("body %q: trailing data", b)
	}
	return v
}

// checkAppendChat compares the two builders on req; it reports whether
// appendChat took it.
func checkAppendChat(t *testing.T, c *Client, req *types.ChatRequest) bool {
	t.Helper()
	took := false
	for _, stream := range []bool{false, true} {
		fast, ok := c.appendChat(req, stream)
		took = ok
		if !ok {
			continue
		}
		slow, err := c.buildChatJSON(req, stream)
		if err != nil {
			t.Fatalf("appendChat took a request buildChatJSON refuses (%v): %+v", err, req)
		}
		if f, s := decodeBody(t, fast), decodeBody(t, slow); !reflect.DeepEqual(f, s) {
			t.Fatalf("stream=%v:\nappendChat   %s\nbuildChatJSON %s", stream, fast, slow)
		}
		if got, err := c.BuildChat(req, stream); err != nil || !bytes.Equal(got, fast) {
			t.Fatalf("BuildChat does not use appendChat: %s, %v", got, err)
		}
	}
	return took
}

func ptr[T any](v T) *T { return &v }

func TestAppendChatMatchesJSON(t *testing.T) {
	official := &Client{Official: true}
	compat := &Client{}
	msgs := []types.Message{
		{Role: "system", Content: "be <brief> & \"exact\"\n\ttab \u2028 \x01 é 🚀 \xff"},
		{Role: "user", Content: "ping", Name: "alice"},
		{Role: "assistant", ToolCalls: []types.ToolCall{{ID: "call_1", Name: "get", Arguments: `{"city":"Paris"}`}, {Name: "noargs"}}},
		{Role: "tool", ToolCallID: "call_1", Content: `{"temp":21}`},
		{Role: "assistant", Content: "and text", ToolCalls: []types.ToolCall{{Name: "f", Arguments: "{}"}}},
		{Role: "user", Content: ""},
	}
	cases := []struct {
		req  types.ChatRequest
		fast bool
	}{
		{types.ChatRequest{Model: "bench", Messages: []types.Message{{Role: "user", Content: "ping"}}}, true},
		{types.ChatRequest{Messages: msgs}, true}, // default model
		{types.ChatRequest{Model: "m", Messages: msgs, Options: &types.Options{}}, true},
		{types.ChatRequest{Model: "m", Messages: msgs[:2], Options: &types.Options{
			Temperature: ptr(0.7), TopP: ptr(1.0), MaxTokens: ptr(300), Stop: []string{"\n\n", "END"}, Seed: ptr(int64(-42)),
			PresencePenalty: ptr(-0.5), FrequencyPenalty: ptr(1e-7), Think: "HIGH", TopK: ptr(40), NumCtx: ptr(8192),
			ResponseFormat: &types.ResponseFormat{}}}, true},
		{types.ChatRequest{Model: "m", Messages: msgs[:1], Options: &types.Options{Temperature: ptr(1e21), TopP: ptr(123456789.125),
			PresencePenalty: ptr(0.0), FrequencyPenalty: ptr(-2.5e-300), Stop: []string{}, Think: "on"}}, true},
		// Left to buildChatJSON:
		{types.ChatRequest{Model: "m"}, false},
		{types.ChatRequest{Model: "m", Messages: []types.Message{{Content: "no role"}}}, false},
		{types.ChatRequest{Model: "m", Messages: []types.Message{{Role: "tool", Content: "no id"}}}, false},
		{types.ChatRequest{Model: "m", Messages: []types.Message{{Role: "assistant", ToolCalls: []types.ToolCall{{ID: "x"}}}}}, false},
		{types.ChatRequest{Model: "m", Messages: []types.Message{{Role: "user", Images: [][]byte{{1}}}}}, false},
		{types.ChatRequest{Model: "m", Messages: msgs[:1], Extra: map[string]any{"user": "u"}}, false},
		{types.ChatRequest{Model: "m", Messages: msgs[:1], Tools: []types.Tool{{Name: "f"}}}, false},
		{types.ChatRequest{Model: "m", Messages: msgs[:1], Options: &types.Options{ResponseFormat: &types.ResponseFormat{Type: "json_object"}}}, false},
		{types.ChatRequest{Model: "m", Messages: msgs[:1], Options: &types.Options{Temperature: ptr(math.NaN())}}, false},
		{types.ChatRequest{Model: "m", Messages: msgs[:1], Options: &types.Options{TopP: ptr(math.Inf(-1))}}, false},
		{types.ChatRequest{Model: "m", Messages: []types.Message{{Role: "user", Content: strings.Repeat("x", spliceMin)}}}, false},
	}
	for _, c := range []*Client{official, compat, {MaxTokensField: "max_tokens", Official: true}} {
		for i, tc := range cases {
			if took := checkAppendChat(t, c, &tc.req); took != tc.fast {
				t.Errorf("case %d: appendChat took it: %v, want %v", i, took, tc.fast)
			}
		}
	}
}

func FuzzAppendChat(f *testing.F) {
	f.Add("bench", "user", "ping", "", "", "", "", 0.7, 1.0, 300, int64(7), "stop", "high", true, uint8(0xff))
	f.Add("m<&>", "assistant", "", "name\u2028", "", "id", "{\"a\":1}", 1e-7, 1e21, -1, int64(-1), "", "Low", false, uint8(0x0f))
	f.Fuzz(func(t *testing.T, model, role, content, name, toolCallID, callID, args string, temp, topP float64,
		maxTokens int, seed int64, stop, think string, official bool, set uint8) {
		m := types.Message{Role: role, Content: content, Name: name, ToolCallID: toolCallID}
		if set&1 != 0 {
			m.ToolCalls = []types.ToolCall{{ID: callID, Name: "f" + callID, Arguments: args}}
		}
		req := &types.ChatRequest{Model: model, Messages: []types.Message{m, {Role: "user", Content: args}}}
		if set&2 != 0 {
			o := &types.Options{Think: think}
			if set&4 != 0 {
				o.Temperature, o.TopP = &temp, &topP
			}
			if set&8 != 0 {
				o.MaxTokens, o.Seed = &maxTokens, &seed
			}
			if set&16 != 0 {
				o.Stop = []string{stop, content}
			}
			if set&32 != 0 {
				o.PresencePenalty, o.FrequencyPenalty = &topP, &temp
			}
			req.Options = o
		}
		checkAppendChat(t, &Client{Official: official}, req)
	})
}

// BenchmarkBuildChat builds the bench's chat request body both ways.
func BenchmarkBuildChat(b *testing.B) {
	c := &Client{}
	req := &types.ChatRequest{Model: "bench", Messages: []types.Message{{Role: "user", Content: "ping"}}}
	chat := &types.ChatRequest{Model: "gpt-4o-mini", Messages: []types.Message{
		{Role: "system", Content: "You are a helpful assistant. Answer briefly."},
		{Role: "user", Content: "What is the capital of France? Say it in \"one\" word.\nThanks!"},
		{Role: "assistant", Content: "Paris."},
		{Role: "user", Content: "And of Italy?"}},
		Options: &types.Options{Temperature: ptr(0.2), MaxTokens: ptr(256)}}
	for name, r := range map[string]*types.ChatRequest{"bench": req, "chat4": chat} {
		b.Run(name+"/json", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.buildChatJSON(r, false); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/append", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.BuildChat(r, false); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
