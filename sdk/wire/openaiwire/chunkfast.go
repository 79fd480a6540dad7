package openaiwire

// Fast paths (see chunkscan.go) for the stream chunks of chat and
// completions, and for whole chat and embeddings answers. Each mirrors
// its struct's json tags; a key list names them for the case-insensitive
// check.

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unsafe"
)

var (
	chatChunkKeys   = []string{"model", "choices", "usage"}
	chatChoiceKeys  = []string{"index", "delta", "finish_reason"}
	answerKeys      = []string{"role", "content", "refusal", "reasoning_content", "reasoning", "tool_calls"}
	toolCallKeys    = []string{"index", "id", "type", "function"}
	toolFuncKeys    = []string{"name", "arguments"}
	completionKeys  = []string{"model", "choices", "usage"}
	complChoiceKeys = []string{"index", "text", "finish_reason", "reasoning"}
)

func (cc *chatChunk) decodeFast(data []byte) bool {
	s := &scanner{b: data}
	ok := s.object(func(key []byte) (uint64, bool) {
		switch string(key) {
		case "model":
			return 1, s.plainString(&cc.Model)
		case "choices":
			return 2, s.array(func() bool {
				cc.Choices = append(cc.Choices, chatChoiceDelta{})
				return s.chatChoice(&cc.Choices[len(cc.Choices)-1])
			})
		case "usage":
			return 4, s.usage(&cc.Usage)
		}
		return s.other(key, chatChunkKeys)
	})
	return ok && s.end()
}

func (s *scanner) chatChoice(ch *chatChoiceDelta) bool {
	return s.object(func(key []byte) (uint64, bool) {
		switch string(key) {
		case "index":
			return 1, s.intField(&ch.Index)
		case "delta":
			if s.null() {
				return 2, true
			}
			return 2, s.answerMessage(&ch.Delta)
		case "finish_reason":
			return 4, s.flex(&ch.FinishReason)
		}
		return s.other(key, chatChoiceKeys)
	})
}

func (s *scanner) answerMessage(m *answerMessage) bool {
	return s.object(func(key []byte) (uint64, bool) {
		switch string(key) {
		case "role":
			return 1, s.flex(&m.Role)
		case "content":
			return 2, s.textValue(&m.text, &m.textSet)
		case "refusal":
			return 4, s.flex(&m.Refusal)
		case "reasoning_content":
			return 8, s.flex(&m.ReasoningContent)
		case "reasoning":
			return 16, s.flex(&m.Reasoning)
		case "tool_calls":
			return 32, s.array(func() bool {
				m.ToolCalls = append(m.ToolCalls, answerToolCall{})
				return s.toolCall(&m.ToolCalls[len(m.ToolCalls)-1])
			})
		}
		return s.other(key, answerKeys)
	})
}

func (s *scanner) toolCall(tc *answerToolCall) bool {
	return s.object(func(key []byte) (uint64, bool) {
		switch string(key) {
		case "index":
			if s.null() {
				return 1, true
			}
			n, ok := s.integer()
			tc.Index = &n
			return 1, ok
		case "id":
			return 2, s.flex(&tc.ID)
		case "type":
			return 4, s.flex(&tc.Type)
		case "function":
			if s.null() {
				return 8, true
			}
			f := &tc.Function
			return 8, s.object(func(key []byte) (uint64, bool) {
				switch string(key) {
				case "name":
					return 1, s.flex(&f.Name)
				case "arguments":
					return 2, s.textValue(&f.args, &f.argsSet)
				}
				return s.other(key, toolFuncKeys)
			})
		}
		return s.other(key, toolCallKeys)
	})
}

func (cr *completionResponse) decodeFast(data []byte) bool {
	s := &scanner{b: data}
	ok := s.object(func(key []byte) (uint64, bool) {
		switch string(key) {
		case "model":
			return 1, s.plainString(&cr.Model)
		case "choices":
			return 2, s.array(func() bool {
				cr.Choices = append(cr.Choices, completionChoice{})
				ch := &cr.Choices[len(cr.Choices)-1]
				return s.object(func(key []byte) (uint64, bool) {
					switch string(key) {
					case "index":
						return 1, s.intField(&ch.Index)
					case "text":
						return 2, s.plainString(&ch.Text)
					case "finish_reason":
						return 4, s.flex(&ch.FinishReason)
					case "reasoning":
						return 8, s.flex(&ch.Reasoning)
					}
					return s.other(key, complChoiceKeys)
				})
			})
		case "usage":
			return 4, s.usage(&cr.Usage)
		}
		return s.other(key, completionKeys)
	})
	return ok && s.end()
}

// The whole (non-streamed) chat answer: the same fields as a chunk, with
// message in place of delta.

var (
	chatResponseKeys = []string{"model", "choices", "usage"}
	chatAnswerKeys   = []string{"message", "finish_reason"}
)

func (r *chatResponse) decodeFast(data []byte) bool {
	s := &scanner{b: data}
	ok := s.object(func(key []byte) (uint64, bool) {
		switch string(key) {
		case "model":
			return 1, s.plainString(&r.Model)
		case "choices":
			return 2, s.array(func() bool {
				r.Choices = append(r.Choices, chatChoice{})
				ch := &r.Choices[len(r.Choices)-1]
				return s.object(func(key []byte) (uint64, bool) {
					switch string(key) {
					case "message":
						if s.null() {
							return 1, true
						}
						return 1, s.answerMessage(&ch.Message)
					case "finish_reason":
						return 2, s.flex(&ch.FinishReason)
					}
					return s.other(key, chatAnswerKeys)
				})
			})
		case "usage":
			return 4, s.usage(&r.Usage)
		}
		return s.other(key, chatResponseKeys)
	})
	return ok && s.end()
}

// The embeddings answer: vectors given as float lists are decoded in the
// same pass; a base64 string (or anything else) is kept raw for
// decodeVector, as encoding/json would keep it.

var (
	embeddingResponseKeys = []string{"model", "data", "usage"}
	embeddingDataKeys     = []string{"index", "embedding"}
)

func (r *embeddingResponse) decodeFast(data []byte) bool {
	s := &scanner{b: data}
	ok := s.object(func(key []byte) (uint64, bool) {
		switch string(key) {
		case "model":
			return 1, s.plainString(&r.Model)
		case "data":
			return 2, s.array(func() bool {
				r.Data = append(r.Data, embeddingData{})
				d := &r.Data[len(r.Data)-1]
				return s.object(func(key []byte) (uint64, bool) {
					switch string(key) {
					case "index":
						return 1, s.intField(&d.Index)
					case "embedding":
						if s.peek() == '[' {
							d.vec, d.vecSet = s.float32s()
							return 2, d.vecSet
						}
						// Kept as written (a copy, as encoding/json
						// makes) for decodeVector.
						start := s.i
						if !s.skip() {
							return 2, false
						}
						d.Embedding = append(json.RawMessage(nil), data[start:s.i]...)
						return 2, true
					}
					return s.other(key, embeddingDataKeys)
				})
			})
		case "usage":
			return 4, s.usage(&r.Usage)
		}
		return s.other(key, embeddingResponseKeys)
	})
	return ok && s.end()
}

// float32s takes a list of numbers as encoding/json reads it into a
// []float32 (each parsed at 32 bits; out of range is an error there, so
// here it gives up). Anything but numbers (null elements) gives up too.
func (s *scanner) float32s() ([]float32, bool) {
	if !s.eat('[') {
		return nil, false
	}
	// One allocation: as many elements as commas, plus one.
	rest := s.b[s.i:]
	if end := bytes.IndexByte(rest, ']'); end >= 0 {
		rest = rest[:end]
	}
	v := make([]float32, 0, bytes.Count(rest, []byte{','})+1)
	if s.eat(']') {
		return v, true
	}
	for {
		lit, ok := s.number()
		if !ok {
			return nil, false
		}
		// No copy of the literal: ParseFloat keeps nothing of it.
		f, err := strconv.ParseFloat(unsafe.String(unsafe.SliceData(lit), len(lit)), 32)
		if err != nil {
			return nil, false
		}
		v = append(v, float32(f))
		if s.eat(']') {
			return v, true
		}
		if !s.eat(',') {
			return nil, false
		}
	}
}
