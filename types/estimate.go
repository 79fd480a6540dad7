package types

import (
	"encoding/json"
	"unicode"
)

// Token estimates for text without a tokenizer. BPE tokenizers give
// English about 4 characters per token; CJK scripts (Han, Hiragana,
// Katakana, Hangul) land near 1.5 characters per token, so a count by
// bytes or by a Latin ratio under-counts them by two to three times. The
// host uses these estimates to pre-check budgets and to record usage when
// a plugin reports none (such usage is marked estimated).
const (
	// EstimateMessageOverhead is the tokens each chat message costs beyond
	// its text (role and separators in the chat template).
	EstimateMessageOverhead = 4
	// EstimateReplyOverhead primes the assistant's reply in a chat.
	EstimateReplyOverhead = 3
	// EstimateImageTokens is a flat charge for one image (a low-detail
	// tile in OpenAI's accounting).
	EstimateImageTokens = 85
)

// EstimateTokens estimates the tokens of text: ≈4 characters per token in
// Latin and other non-CJK runs, ≈1.5 characters per token in CJK runs,
// each run rounded up on its own (a run boundary is also a token
// boundary). Whitespace counts in the run it sits in. Empty text is 0
// tokens.
func EstimateTokens(text string) int {
	total, run := 0, 0
	cjk := false
	flush := func() {
		if run == 0 {
			return
		}
		if cjk {
			total += (run*2 + 2) / 3 // ceil(run / 1.5)
		} else {
			total += (run + 3) / 4 // ceil(run / 4)
		}
		run = 0
	}
	for _, r := range text {
		if unicode.IsSpace(r) {
			// Spaces belong to the run they sit in: Korean and mixed
			// text separate words with them without changing script.
			run++
			continue
		}
		c := isCJK(r)
		if c != cjk {
			flush()
			cjk = c
		}
		run++
	}
	flush()
	return total
}

// isCJK reports whether r belongs to a CJK script, including the CJK
// punctuation, the prolonged sound mark and fullwidth forms that sit in
// Unicode's Common script but tokenize like the text around them.
func isCJK(r rune) bool {
	if r < 0x1100 { // below Hangul Jamo: no CJK at all (fast path for Latin)
		return false
	}
	switch {
	case r >= 0x3000 && r <= 0x303F, r == 0x30FC, r >= 0xFF00 && r <= 0xFFEF:
		return true
	}
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul)
}

// EstimateRequest estimates a request's input tokens and the most output
// tokens it may produce: Options.MaxTokens when set, else defaultMaxOut.
// It understands chat, generate, embed and rerank requests (as values or
// pointers); for anything else it returns 0 input and defaultMaxOut.
// Embeddings and reranking produce no output tokens.
func EstimateRequest(req any, defaultMaxOut int) (in, maxOut int) {
	switch r := req.(type) {
	case ChatRequest:
		return EstimateRequest(&r, defaultMaxOut)
	case GenerateRequest:
		return EstimateRequest(&r, defaultMaxOut)
	case EmbedRequest:
		return EstimateRequest(&r, defaultMaxOut)
	case RerankRequest:
		return EstimateRequest(&r, defaultMaxOut)
	case *ChatRequest:
		if r == nil {
			return 0, defaultMaxOut
		}
		for i := range r.Messages {
			in += EstimateMessage(&r.Messages[i])
		}
		if len(r.Messages) > 0 {
			in += EstimateReplyOverhead
		}
		for _, t := range r.Tools {
			in += EstimateTokens(t.Name) + EstimateTokens(t.Description) + EstimateMessageOverhead
			if len(t.Parameters) > 0 {
				if b, err := json.Marshal(t.Parameters); err == nil {
					in += EstimateTokens(string(b))
				}
			}
		}
		return in, maxTokens(r.Options, defaultMaxOut)
	case *GenerateRequest:
		if r == nil {
			return 0, defaultMaxOut
		}
		in = EstimateTokens(r.System) + EstimateTokens(r.Prompt) + EstimateTokens(r.Suffix) +
			len(r.Images)*EstimateImageTokens
		return in, maxTokens(r.Options, defaultMaxOut)
	case *EmbedRequest:
		if r == nil {
			return 0, 0
		}
		for _, s := range r.Input {
			in += EstimateTokens(s)
		}
		return in, 0
	case *RerankRequest:
		if r == nil {
			return 0, 0
		}
		// Rerankers score the query against each document: the query is
		// read once per document.
		q := EstimateTokens(r.Query)
		for _, d := range r.Documents {
			in += q + EstimateTokens(d)
		}
		return in, 0
	}
	return 0, defaultMaxOut
}

// EstimateMessage estimates one chat message: its text, thinking, tool
// calls and images plus the per-message overhead.
func EstimateMessage(m *Message) int {
	n := EstimateMessageOverhead + EstimateTokens(m.Content) + EstimateTokens(m.Thinking) +
		EstimateTokens(m.Name) + len(m.Images)*EstimateImageTokens
	for _, tc := range m.ToolCalls {
		n += EstimateTokens(tc.Name) + EstimateTokens(tc.Arguments)
	}
	return n
}

// EstimateResponse estimates the output tokens of a unary answer
// (*ChatResponse or *GenerateResponse); 0 for anything else.
func EstimateResponse(resp any) int {
	switch r := resp.(type) {
	case *ChatResponse:
		if r == nil {
			return 0
		}
		return EstimateMessage(&r.Message) - EstimateMessageOverhead
	case *GenerateResponse:
		if r == nil {
			return 0
		}
		return EstimateTokens(r.Text) + EstimateTokens(r.Thinking)
	}
	return 0
}

func maxTokens(o *Options, def int) int {
	if o != nil && o.MaxTokens != nil && *o.MaxTokens > 0 {
		return *o.MaxTokens
	}
	return def
}
