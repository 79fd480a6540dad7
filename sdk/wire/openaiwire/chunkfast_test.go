package openaiwire

import (
	"encoding/json"
	"reflect"
	"testing"
)

// The fast path must never disagree with encoding/json: when it succeeds,
// encoding/json succeeds too and the chunk reads the same.

type toolView struct {
	Index                    *int
	ID, Type, Name, Argument string
}

type choiceView struct {
	Index                                                int
	Finish, Role, Content, Refusal, ReasonContent, Reasn string
	Tools                                                []toolView
}

type chunkView struct {
	Model   string
	Usage   *usage
	Choices []choiceView
}

func viewChat(cc *chatChunk) chunkView {
	v := chunkView{Model: cc.Model, Usage: cc.Usage}
	for _, ch := range cc.Choices {
		d := &ch.Delta
		c := choiceView{Index: ch.Index, Finish: string(ch.FinishReason), Role: string(d.Role), Content: d.contentString(),
			Refusal: string(d.Refusal), ReasonContent: string(d.ReasoningContent), Reasn: string(d.Reasoning)}
		for _, tc := range d.ToolCalls {
			c.Tools = append(c.Tools, toolView{tc.Index, string(tc.ID), string(tc.Type), string(tc.Function.Name), tc.argumentsString()})
		}
		v.Choices = append(v.Choices, c)
	}
	return v
}

func viewCompletion(cr *completionResponse) completionResponse {
	out := completionResponse{Model: cr.Model, Usage: cr.Usage}
	for _, ch := range cr.Choices {
		out.Choices = append(out.Choices, ch)
	}
	return out
}

// checkFastPath compares the two decoders on data; it reports whether the
// fast path took it.
func checkFastPath(t *testing.T, data []byte) bool {
	t.Helper()
	var fast chatChunk
	took := fast.decodeFast(data)
	if took {
		var slow chatChunk
		if err := json.Unmarshal(data, &slow); err != nil {
			t.Fatalf("fast path took %q, encoding/json fails: %v", data, err)
		}
		if f, s := viewChat(&fast), viewChat(&slow); !reflect.DeepEqual(f, s) {
			t.Fatalf("chat chunk %q:\nfast %+v\njson %+v", data, f, s)
		}
	}
	var fastC completionResponse
	if fastC.decodeFast(data) {
		var slow completionResponse
		if err := json.Unmarshal(data, &slow); err != nil {
			t.Fatalf("fast path took %q as a completion, encoding/json fails: %v", data, err)
		}
		if f, s := viewCompletion(&fastC), viewCompletion(&slow); !reflect.DeepEqual(f, s) {
			t.Fatalf("completion chunk %q:\nfast %+v\njson %+v", data, f, s)
		}
	}
	return took
}

var fastPathCases = []struct {
	data string
	fast bool // the fast path is expected to take it
}{
	{`{"id":"c","object":"chat.completion.chunk","created":1,"model":"gpt-4o","system_fingerprint":null,"choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}],"usage":null}`, true},
	{`{"choices":[{"index":0,"delta":{"content":" hi \"there\"\n\u00e9\u4e2d\/\\\b\f\r\t"},"finish_reason":null}]}`, true},
	{`{"choices":[{"index":0,"delta":{"content":"caf` + "\xc3\xa9" + ` ok"}}]}`, true},
	{`{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":5,"total_tokens":8,"prompt_tokens_details":{"cached_tokens":0}}}`, true},
	{`{"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":5}}`, true},
	{`{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"f","arguments":""}}]}}]}`, true},
	{`{"choices":[{"index":0,"delta":{"tool_calls":[{"index":null,"function":{"arguments":"{\"a\":1}"}},{"id":"x","function":null}]}}]}`, true},
	{`{"choices":[{"index":1,"delta":{"reasoning_content":"think","reasoning":"r"}}]}`, true},
	{`{"choices":[{"delta":{"role":5,"refusal":{"a":[1,2,{"b":null}]},"content":null},"finish_reason":7}]}`, true},
	{` {"model":null,"choices":null,"usage":null} `, true},
	{`{"choices":[{"index":0,"delta":{"content":"x"}}],"extra":[true,false,null,-1.5e+3,0.25,{"k":"\u0041"}]}`, true},
	{`{"choices":[{"index":0,"delta":{"content":"a\ud83d\ude00b"}}]}`, true},  // surrogate pair: encoding/json decodes it
	{`{"choices":[{"index":0,"delta":{"content":"bad \ud800 half"}}]}`, true}, // lone surrogate: U+FFFD
	{`{"choices":[{"index":0,"delta":{"content":"bad ` + "\xff" + ` byte"}}]}`, true},
	// Left to encoding/json:
	{`{"choices":[{"index":0,"delta":{"content":[{"type":"text","text":"parts"}]}}]}`, false},
	{`{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":{"x":1}}}]}}]}`, false},
	{`{"Model":"m","choices":[]}`, false},
	{`{"model":"a","model":"b"}`, false},
	{`{"mod\u0065l":"m"}`, false},
	{`{"choices":[{"index":1.5}]}`, false},
	{`{"choices":[{"index":"1"}]}`, false},
	{`{"choices":[null]}`, false},
	{`{"model":5}`, false},
	{`{"usage":{"prompt_tokens":1e3}}`, false},
	{`{"choices":[{"index":99999999999999999999}]}`, false},
	{`{"model":"m"} x`, false},
	{`{"model":"m",}`, false},
	{`{"model":"m"`, false},
	{`{"model":"a` + "\n" + `b"}`, false},
	{`{"x":01}`, false},
	{`{"x":tru}`, false},
	{`{"x":"\q"}`, false},
	{`["model"]`, false},
	{`null`, false},
}

func TestChunkFastPathMatchesEncodingJSON(t *testing.T) {
	for _, tc := range fastPathCases {
		if took := checkFastPath(t, []byte(tc.data)); took != tc.fast {
			t.Errorf("fast path took %q: %v, want %v", tc.data, took, tc.fast)
		}
	}
}

// A value the fast path gives up on midway is reset before encoding/json
// decodes it (decodeEvent), so nothing of the first attempt leaks.
func TestDecodeEventResetsAfterFastPathGivesUp(t *testing.T) {
	var cc chatChunk
	if err := decodeEvent([]byte(`{"model":"m","choices":[{"index":0,"delta":{"content":"fast"}}],"Usage":{"total_tokens":2}}`), &cc); err != nil {
		t.Fatal(err)
	}
	if d := &cc.Choices[0].Delta; d.textSet || d.contentString() != "fast" || cc.Usage == nil || cc.Usage.TotalTokens != 2 {
		t.Fatalf("decoded %+v", cc)
	}
	var bad chatChunk
	if err := decodeEvent([]byte(`{"choices":[{"index":"0"}]}`), &bad); err == nil {
		t.Fatal("a type error must stay an error")
	}
}

func FuzzChunkFastPath(f *testing.F) {
	for _, tc := range fastPathCases {
		f.Add([]byte(tc.data))
	}
	f.Fuzz(func(t *testing.T, b []byte) { checkFastPath(t, b) })
}
