package sdk

import (
	"context"

	"github.com/roundhouse-ai/roundhouse/internal/rpc"
)

// Serve applies these adapters by itself when a plugin has only one
// method of a pair; they are exported for plugins that want both methods
// and have one (or for tests).

// ChatFromStream makes a Chat method from a ChatStream one: the answer
// collects the whole stream — content and thinking concatenated, tool-call
// pieces with the same Index merged (ID and name from the first piece,
// arguments appended), the last finish reason and usage kept.
func ChatFromStream(stream func(ctx context.Context, req *ChatRequest, send func(*ChatChunk) error) error) func(ctx context.Context, req *ChatRequest) (*ChatResponse, error) {
	return rpc.ChatFromStream(stream)
}

// ChatToStream makes a ChatStream method from a Chat one: the stream is a
// single chunk with the whole answer and Done set.
func ChatToStream(chat func(ctx context.Context, req *ChatRequest) (*ChatResponse, error)) func(ctx context.Context, req *ChatRequest, send func(*ChatChunk) error) error {
	return rpc.ChatToStream(chat)
}

// GenerateFromStream makes a Generate method from a GenerateStream one,
// collecting the stream as ChatFromStream does.
func GenerateFromStream(stream func(ctx context.Context, req *GenerateRequest, send func(*GenerateChunk) error) error) func(ctx context.Context, req *GenerateRequest) (*GenerateResponse, error) {
	return rpc.GenerateFromStream(stream)
}

// GenerateToStream makes a GenerateStream method from a Generate one: a
// single chunk with Done set.
func GenerateToStream(generate func(ctx context.Context, req *GenerateRequest) (*GenerateResponse, error)) func(ctx context.Context, req *GenerateRequest, send func(*GenerateChunk) error) error {
	return rpc.GenerateToStream(generate)
}

// TextToSpeechFromStream makes a TextToSpeech method from a
// TextToSpeechStream one: the audio of every chunk concatenated.
func TextToSpeechFromStream(stream func(ctx context.Context, req *TextToSpeechRequest, send func(*AudioChunk) error) error) func(ctx context.Context, req *TextToSpeechRequest) (*TextToSpeechResponse, error) {
	return rpc.TextToSpeechFromStream(stream)
}

// TextToSpeechToStream makes a TextToSpeechStream method from a
// TextToSpeech one: a single chunk with all the audio and Done set.
func TextToSpeechToStream(tts func(ctx context.Context, req *TextToSpeechRequest) (*TextToSpeechResponse, error)) func(ctx context.Context, req *TextToSpeechRequest, send func(*AudioChunk) error) error {
	return rpc.TextToSpeechToStream(tts)
}

// SpeechToTextFromLive makes a SpeechToText method from a SpeechToTextLive
// one: it feeds the settings, the audio in one frame and the end, and
// joins the final transcript pieces.
func SpeechToTextFromLive(live func(ctx context.Context, recv func() (*LiveSpeechInput, error), send func(*LiveSpeechOutput) error) error) func(ctx context.Context, req *SpeechToTextRequest) (*SpeechToTextResponse, error) {
	return rpc.SpeechToTextFromLive(live)
}

// SpeechToTextToLive makes a SpeechToTextLive method from a SpeechToText
// one: it gathers the audio until the caller ends, then sends the whole
// transcript as one final piece.
func SpeechToTextToLive(stt func(ctx context.Context, req *SpeechToTextRequest) (*SpeechToTextResponse, error)) func(ctx context.Context, recv func() (*LiveSpeechInput, error), send func(*LiveSpeechOutput) error) error {
	return rpc.SpeechToTextToLive(stt)
}

// ImplementedServices lists the services impl has methods for (ServiceChat
// ...), in ServiceNames order: what Serve reports to the host in
// Info.Implemented. Use it in a test to check a plugin offers what its
// plugin.yaml declares.
func ImplementedServices(impl Plugin) []string { return rpc.ImplementedServices(impl) }
