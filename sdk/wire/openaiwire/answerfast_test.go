package openaiwire

import (
	"encoding/json"
	"reflect"
	"testing"
)

// The unary chat answer's fast path (chatResponse.decodeFast) must never
// disagree with encoding/json either: when it succeeds, encoding/json
// succeeds too and the answer reads the same.

type answerView struct {
	Model   string
	Usage   *usage
	Choices []choiceView
}

func viewAnswer(r *chatResponse) answerView {
	v := answerView{Model: r.Model, Usage: r.Usage}
	for _, ch := range r.Choices {
		m := &ch.Message
		c := choiceView{Finish: string(ch.FinishReason), Role: string(m.Role), Content: m.contentString(),
			Refusal: string(m.Refusal), ReasonContent: string(m.ReasoningContent), Reasn: string(m.Reasoning)}
		for _, tc := range m.ToolCalls {
			c.Tools = append(c.Tools, toolView{tc.Index, string(tc.ID), string(tc.Type), string(tc.Function.Name), tc.argumentsString()})
		}
		v.Choices = append(v.Choices, c)
	}
	return v
}

// checkAnswerFastPath compares the two decoders on data; it reports
// whether the fast path took it.
func checkAnswerFastPath(t *testing.T, data []byte) bool {
	t.Helper()
	var fast chatResponse
	took := fast.decodeFast(data)
	if took {
		var slow chatResponse
		if err := json.Unmarshal(data, &slow); err != nil {
			t.Fatalf("fast path took %q, encoding/json fails: %v", data, err)
		}
		if f, s := viewAnswer(&fast), viewAnswer(&slow); !reflect.DeepEqual(f, s) {
			t.Fatalf("chat answer %q:\nfast %+v\njson %+v", data, f, s)
		}
	}
	return took
}

var answerFastPathCases = []struct {
	data string
	fast bool // the fast path is expected to take it
}{
	// The bench upstream's answer, and api.openai.com's today.
	{`{"id":"chatcmpl-bench","object":"chat.completion","created":1700000000,"model":"bench","choices":[{"index":0,"message":{"role":"assistant","content":"pong"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}`, true},
	{`{"id":"chatcmpl-C1a2","object":"chat.completion","created":1764480000,"model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"message":{"role":"assistant","content":"Hello! \"How\" can I help?\n\u00e9","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":12,"total_tokens":21,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},"service_tier":"default","system_fingerprint":"fp_560af6e559"}`, true},
	{`{"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},{"index":3,"id":"call_2","type":"function","function":{"name":"f","arguments":null}}]},"finish_reason":"tool_calls"}]}`, true},
	{`{"model":"m","choices":[{"message":{"role":"assistant","content":"","reasoning_content":"think","reasoning":"r","refusal":"no"},"finish_reason":"function_call"}],"usage":null}`, true},
	{`{"choices":[{"message":null,"finish_reason":null}]}`, true},
	{`{"choices":[{"message":{"role":5,"refusal":{"a":[1,2,{"b":null}]}},"finish_reason":7}],"x":[true,false,null,-1.5e+3]}`, true},
	{` {"model":null,"choices":null,"usage":null} `, true},
	{`{"choices":[]}`, true},
	{`{"choices":[{"message":{"content":"a\ud83d\ude00b \ud800 ` + "\xff" + `"}}]}`, true},
	// Left to encoding/json:
	{`{"choices":[{"message":{"content":[{"type":"text","text":"parts"}]}}]}`, false},
	{`{"choices":[{"message":{"tool_calls":[{"function":{"name":"f","arguments":{"x":1}}}]}}]}`, false},
	{`{"choices":[{"Message":{"content":"x"}}]}`, false},
	{`{"choices":[{"message":{"content":"a"},"message":{"role":"b"}}]}`, false},
	{`{"choices":[{"message":"x"}]}`, false},
	{`{"choices":[null]}`, false},
	{`{"choices":{}}`, false},
	{`{"usage":{"total_tokens":1.0}}`, false},
	{`{"model":"m"} x`, false},
	{`{"model":"m"`, false},
	{``, false},
	{`null`, false},
}

func TestAnswerFastPathMatchesEncodingJSON(t *testing.T) {
	for _, tc := range answerFastPathCases {
		if took := checkAnswerFastPath(t, []byte(tc.data)); took != tc.fast {
			t.Errorf("fast path took %q: %v, want %v", tc.data, took, tc.fast)
		}
	}
}

// An answer the fast path gives up on midway is reset before encoding/json
// decodes it, and encoding/json's errors stay errors.
func TestDecodeAnswerResetsAfterFastPathGivesUp(t *testing.T) {
	c := &Client{Name: "p"}
	var r chatResponse
	data := []byte(`{"model":"m","choices":[{"message":{"content":"fast"}}],"Usage":{"total_tokens":2}}`)
	if err := decodeAnswer(c, "/chat/completions", data, &r); err != nil {
		t.Fatal(err)
	}
	if m := &r.Choices[0].Message; len(r.Choices) != 1 || m.textSet || m.contentString() != "fast" || r.Usage == nil || r.Usage.TotalTokens != 2 {
		t.Fatalf("decoded %+v", r)
	}
	var bad chatResponse
	if err := decodeAnswer(c, "/chat/completions", []byte(`{"choices":[{"message":{"role":"a"}}],"usage":{"total_tokens":"2"}}`), &bad); err == nil {
		t.Fatal("a type error must stay an error")
	}
}

func FuzzAnswerFastPath(f *testing.F) {
	for _, tc := range answerFastPathCases {
		f.Add([]byte(tc.data))
	}
	for _, tc := range fastPathCases {
		f.Add([]byte(tc.data))
	}
	f.Fuzz(func(t *testing.T, b []byte) { checkAnswerFastPath(t, b) })
}

// BenchmarkChatAnswerDecode decodes one whole chat answer, the bench
// upstream's and a realistic api.openai.com one, by encoding/json and by
// the fast path, in the same run.
func BenchmarkChatAnswerDecode(b *testing.B) {
	bodies := map[string][]byte{
		"bench":  []byte(answerFastPathCases[0].data),
		"openai": []byte(answerFastPathCases[1].data),
	}
	for _, name := range []string{"bench", "openai"} {
		data := bodies[name]
		b.Run(name+"/json", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				var r chatResponse
				if err := json.Unmarshal(data, &r); err != nil {
					b.Fatal(err)
				}
				_ = r.Choices[0].Message.contentString()
			}
		})
		b.Run(name+"/fast", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				var r chatResponse
				if !r.decodeFast(data) {
					b.Fatal("fast path refused")
				}
				_ = r.Choices[0].Message.contentString()
			}
		})
	}
}
