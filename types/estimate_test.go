package types

import "testing"

// The expected counts are worked by hand from the rule: ≈4 characters per
// token in non-CJK runs, ≈1.5 in CJK runs, each run rounded up, spaces
// counted in the run they sit in.
func TestEstimateTokens(t *testing.T) {
	cases := []struct {
		name, text string
		want       int
	}{
		{"empty", "", 0},
		{"english short", "Hello, world!", 4}, // 13 chars → ceil(13/4)
		{"english sentence", "The quick brown fox jumps over the lazy dog.", 11}, // 44 chars → 11
		{"english one char", "a", 1},
		{"chinese", "我爱北京天安门", 5},                                  // 7 Han → ceil(7/1.5)=5
		{"chinese with fullwidth comma", "你好，世界", 4},               // 5 (， is U+FF0C) → ceil(3.33)=4
		{"japanese hiragana+kanji", "こんにちは世界", 5},                  // 7 → 5
		{"japanese katakana with prolonged mark", "コーヒーを飲みます。", 7}, // 10 → ceil(6.67)=7
		{"korean", "안녕하세요", 4},                                     // 5 → ceil(3.33)=4
		{"korean with space", "안녕하세요 세계", 6},                       // 8 runes in one run → ceil(5.33)=6
		{"mixed", "Hello 世界", 4},                                   // "Hello " 6 → 2; "世界" 2 → 2
		// "I love " 7→2; "北京 " 3→2; "and " 4→1; "東京タワー" 5→4; "!" 1→1
		{"mixed many runs", "I love 北京 and 東京タワー!", 10},
		{"latin diacritics are latin", "Crème brûlée", 3}, // 12 runes → 3
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := EstimateTokens(c.text); got != c.want {
				t.Errorf("EstimateTokens(%q) = %d, want %d", c.text, got, c.want)
			}
		})
	}
}

func TestEstimateCJKCostsMoreThanByteRatio(t *testing.T) {
	// The reason for the CJK rule: 100 Han characters are 300 bytes, which
	// a bytes/4 rule would call 75 tokens; the estimate says 67 and a
	// chars/4 rule would say 25.
	s := ""
	for range 100 {
		s += "字"
	}
	if got := EstimateTokens(s); got != 67 {
		t.Fatalf("100 Han characters: got %d tokens, want 67", got)
	}
}

func TestEstimateRequest(t *testing.T) {
	max100 := 100
	chat := &ChatRequest{Messages: []Message{
		{Role: "system", Content: "You are helpful."}, // 16 chars → 4, +4 overhead
		{Role: "user", Content: "Hello, world!"},      // 4, +4 overhead
	}}
	cases := []struct {
		name               string
		req                any
		wantIn, wantMaxOut int
	}{
		// 8 + 8 + 3 reply priming
		{"chat default max", chat, 19, 256},
		{"chat as value", *chat, 19, 256},
		{"chat max_tokens", &ChatRequest{Messages: chat.Messages, Options: &Options{MaxTokens: &max100}}, 19, 100},
		{"chat image", &ChatRequest{Messages: []Message{{Role: "user", Images: [][]byte{{1}}}}}, 4 + 85 + 3, 256},
		{"chat empty", &ChatRequest{}, 0, 256},
		// tool: name "get_weather" 11→3, description "Weather now" 11→3, +4,
		// parameters {"type":"object"} 17 chars → 5
		{"chat tool", &ChatRequest{Tools: []Tool{{Name: "get_weather", Description: "Weather now",
			Parameters: map[string]any{"type": "object"}}}}, 15, 256},
		{"generate", &GenerateRequest{Prompt: "你好", System: "Be brief."}, 2 + 3, 256}, // "Be brief." 9→3
		{"generate max", &GenerateRequest{Prompt: "abcd", Options: &Options{MaxTokens: &max100}}, 1, 100},
		{"embed", &EmbedRequest{Input: []string{"Hello, world!", "안녕하세요"}}, 8, 0},
		// query "abcd" 1 read per document; documents 1 and 2 tokens
		{"rerank", &RerankRequest{Query: "abcd", Documents: []string{"abc", "abcdefgh"}}, 1 + 1 + 1 + 2, 0},
		{"nil chat", (*ChatRequest)(nil), 0, 256},
		{"unknown", "not a request", 0, 256},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in, out := EstimateRequest(c.req, 256)
			if in != c.wantIn || out != c.wantMaxOut {
				t.Errorf("EstimateRequest = (%d, %d), want (%d, %d)", in, out, c.wantIn, c.wantMaxOut)
			}
		})
	}
}

func TestEstimateResponse(t *testing.T) {
	if got := EstimateResponse(&ChatResponse{Message: Message{Content: "Hello, world!"}}); got != 4 {
		t.Errorf("chat response: %d, want 4", got)
	}
	if got := EstimateResponse(&GenerateResponse{Text: "你好世界"}); got != 3 {
		t.Errorf("generate response: %d, want 3", got)
	}
	if got := EstimateResponse(&EmbedResponse{}); got != 0 {
		t.Errorf("embed response: %d, want 0", got)
	}
}
