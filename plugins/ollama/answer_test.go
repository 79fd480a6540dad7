package main

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/ollama/ollama/api"
)

// Lines as Ollama 0.17 writes them, plus the shapes the fast path must
// leave to encoding/json.
var answerLines = []struct {
	name     string
	line     string
	generate bool
	fast     bool // expected to take the fast path
}{
	{"chat token", `{"model":"tiny","created_at":"2026-11-30T07:37:59.075641985Z","message":{"role":"assistant","content":")"},"done":false}`, false, true},
	{"chat token, unicode", `{"model":"tiny","created_at":"2026-11-30T07:37:59Z","message":{"role":"assistant","content":"héllo 世界 🙂"},"done":false}`, false, true},
	{"chat token, empty", `{"model":"tiny","created_at":"2026-11-30T07:37:59Z","message":{"role":"assistant","content":""},"done":false}`, false, true},
	{"chat token, model with quote", `{"model":"a\"b","created_at":"2026-11-30T07:37:59Z","message":{"role":"assistant","content":"hi"},"done":false}`, false, false},
	{"chat token, escapes", `{"model":"tiny","created_at":"2026-11-30T07:37:59Z","message":{"role":"assistant","content":"a\n\"b\"\\ \u00e9 \ud83d\ude42"},"done":false}`, false, false},
	{"chat token, invalid UTF-8", "{\"model\":\"tiny\",\"created_at\":\"2026-11-30T07:37:59Z\",\"message\":{\"role\":\"assistant\",\"content\":\"a\xffb\"},\"done\":false}", false, false},
	{"chat token, HTML-escaped", `{"model":"tiny","created_at":"2026-11-30T07:37:59Z","message":{"role":"assistant","content":"\u003cb\u003e"},"done":false}`, false, false},
	{"chat thinking", `{"model":"tiny","created_at":"2026-11-30T07:37:59Z","message":{"role":"assistant","content":"","thinking":"hmm"},"done":false}`, false, false},
	{"chat tool call", `{"model":"tiny","created_at":"2026-11-30T07:37:59Z","message":{"role":"assistant","content":"","tool_calls":[{"id":"c1","function":{"index":0,"name":"get","arguments":{"city":"Paris"}}}]},"done":false}`, false, false},
	{"chat done", `{"model":"tiny","created_at":"2026-11-30T07:37:59Z","message":{"role":"assistant","content":""},"done":true,"done_reason":"length","total_duration":123456,"load_duration":12,"prompt_eval_count":5,"prompt_eval_duration":100,"eval_count":8,"eval_duration":900}`, false, false},
	{"chat remote model", `{"model":"tiny","remote_model":"big","created_at":"2026-11-30T07:37:59Z","message":{"role":"assistant","content":"hi"},"done":false}`, false, false},
	{"chat spaced", `{"model": "tiny", "created_at": "2026-11-30T07:37:59Z", "message": {"role": "assistant", "content": "hi"}, "done": false}`, false, false},
	{"chat trailing field", `{"model":"tiny","created_at":"2026-11-30T07:37:59Z","message":{"role":"assistant","content":"hi"},"done":false,"x":1}`, false, false},
	{"generate token", `{"model":"tiny","created_at":"2026-11-30T07:37:59Z","response":"Once","done":false}`, true, true},
	{"generate escapes", `{"model":"tiny","created_at":"2026-11-30T07:37:59Z","response":"\t","done":false}`, true, false},
	{"generate thinking", `{"model":"tiny","created_at":"2026-11-30T07:37:59Z","response":"","thinking":"hmm","done":false}`, true, false},
	{"generate done", `{"model":"tiny","created_at":"2026-11-30T07:37:59Z","response":"","done":true,"done_reason":"stop","context":[1,2,3],"total_duration":99,"eval_count":3}`, true, false},
}

// reference decodes a line the way the plugin did before the fast path:
// into Ollama's own response types.
func reference(t *testing.T, line string, generate bool) answerLine {
	t.Helper()
	if generate {
		var r api.GenerateResponse
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatal(err)
		}
		return answerLine{Message: answerMessage{Content: r.Response, Thinking: r.Thinking}, Done: r.Done, DoneReason: r.DoneReason, Metrics: r.Metrics}
	}
	var r api.ChatResponse
	if err := json.Unmarshal([]byte(line), &r); err != nil {
		t.Fatal(err)
	}
	return answerLine{Message: answerMessage{Content: r.Message.Content, Thinking: r.Message.Thinking, ToolCalls: r.Message.ToolCalls},
		Done: r.Done, DoneReason: r.DoneReason, Metrics: r.Metrics}
}

// Every line decodes to what Ollama's own types say, and the plain token
// lines (and only those) take the fast path.
func TestAnswerLineDecode(t *testing.T) {
	for _, tc := range answerLines {
		t.Run(tc.name, func(t *testing.T) {
			shape := chatToken
			if tc.generate {
				shape = generateToken
			}
			if _, fast := fastToken([]byte(tc.line), shape); fast != tc.fast {
				t.Errorf("fast path %v, want %v", fast, tc.fast)
			}
			var got answerLine
			if err := got.decode([]byte(tc.line), shape); err != nil {
				t.Fatal(err)
			}
			if want := reference(t, tc.line, tc.generate); !reflect.DeepEqual(got, want) {
				t.Errorf("decode differs from api types:\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

// A chat line never matches the generate shape and back: a token of one
// cannot be read as the other's.
func TestAnswerLineShapesDiffer(t *testing.T) {
	for _, tc := range answerLines {
		other := generateToken
		if tc.generate {
			other = chatToken
		}
		if _, ok := fastToken([]byte(tc.line), other); ok {
			t.Errorf("%s: matched the other service's shape", tc.name)
		}
	}
}

func TestAnswerLineMalformed(t *testing.T) {
	for _, line := range []string{`{"model":"tiny","created_at":"2026-11-30T07:37:59Z","message":{"role":"assistant","content":"hi"},"done":false`, `not json`, `{"model":"tiny`} {
		var l answerLine
		if err := l.decode([]byte(line), chatToken); err == nil {
			t.Errorf("%q: no error", line)
		}
	}
}

// FuzzAnswerLine: whatever the line, the fast path agrees with
// encoding/json or stays out of the way.
func FuzzAnswerLine(f *testing.F) {
	for _, tc := range answerLines {
		f.Add(tc.line)
	}
	f.Fuzz(func(t *testing.T, line string) {
		for _, shape := range []tokenShape{chatToken, generateToken} {
			text, ok := fastToken([]byte(line), shape)
			if !ok {
				continue
			}
			var full answerLine
			if err := json.Unmarshal([]byte(line), &full); err != nil {
				t.Fatalf("fast path accepted a line encoding/json rejects: %q: %v", line, err)
			}
			want := full.Message.Content
			if shape == generateToken {
				want = full.Response
			}
			if text != want || full.Done || full.Message.Thinking != "" || full.Thinking != "" || len(full.Message.ToolCalls) > 0 {
				t.Fatalf("%q: fast path %q, encoding/json %+v", line, text, full)
			}
		}
	})
}

// The cost of one token line: the fast path against encoding/json into
// api.ChatResponse (what the plugin decoded before).
func BenchmarkAnswerLine(b *testing.B) {
	line := []byte(answerLines[0].line)
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var l answerLine
			if err := l.decode(line, chatToken); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("api.ChatResponse", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var r api.ChatResponse
			if err := json.Unmarshal(line, &r); err != nil {
				b.Fatal(err)
			}
		}
	})
}
