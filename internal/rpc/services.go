package rpc

import (
	"context"
	"fmt"
	"reflect"

	"github.com/roundhouse-ai/roundhouse/types"
)

// services holds the service methods a plugin has, each nil when it has
// none; when a plugin has only one method of a pair (Chat or ChatStream)
// the other is derived from it (adapt.go).
type services struct {
	chat          func(context.Context, *types.ChatRequest) (*types.ChatResponse, error)
	chatStream    func(context.Context, *types.ChatRequest, func(*types.ChatChunk) error) error
	generate      func(context.Context, *types.GenerateRequest) (*types.GenerateResponse, error)
	generateStrm  func(context.Context, *types.GenerateRequest, func(*types.GenerateChunk) error) error
	embed         func(context.Context, *types.EmbedRequest) (*types.EmbedResponse, error)
	rerank        func(context.Context, *types.RerankRequest) (*types.RerankResponse, error)
	textToImage   func(context.Context, *types.TextToImageRequest) (*types.TextToImageResponse, error)
	imageToImage  func(context.Context, *types.ImageToImageRequest) (*types.ImageToImageResponse, error)
	textToSpeech  func(context.Context, *types.TextToSpeechRequest) (*types.TextToSpeechResponse, error)
	ttsStream     func(context.Context, *types.TextToSpeechRequest, func(*types.AudioChunk) error) error
	speechToText  func(context.Context, *types.SpeechToTextRequest) (*types.SpeechToTextResponse, error)
	speechLive    func(context.Context, func() (*types.LiveSpeechInput, error), func(*types.LiveSpeechOutput) error) error
	implemented   []string // service names, in types.ServiceNames order
	mismatched    []string // methods with a service's name but another signature
	listModels    func(context.Context) ([]types.Model, error)
	hasListModels bool
}

// detectServices finds the service methods impl has. Having the method is
// implementing it: there is no registry and no marker.
func detectServices(impl any) *services {
	s := &services{}
	if v, ok := impl.(interface {
		Chat(context.Context, *types.ChatRequest) (*types.ChatResponse, error)
	}); ok {
		s.chat = v.Chat
	}
	if v, ok := impl.(interface {
		ChatStream(context.Context, *types.ChatRequest, func(*types.ChatChunk) error) error
	}); ok {
		s.chatStream = v.ChatStream
	}
	if v, ok := impl.(interface {
		Generate(context.Context, *types.GenerateRequest) (*types.GenerateResponse, error)
	}); ok {
		s.generate = v.Generate
	}
	if v, ok := impl.(interface {
		GenerateStream(context.Context, *types.GenerateRequest, func(*types.GenerateChunk) error) error
	}); ok {
		s.generateStrm = v.GenerateStream
	}
	if v, ok := impl.(EmbedService); ok {
		s.embed = v.Embed
	}
	if v, ok := impl.(RerankService); ok {
		s.rerank = v.Rerank
	}
	if v, ok := impl.(TextToImageService); ok {
		s.textToImage = v.TextToImage
	}
	if v, ok := impl.(ImageToImageService); ok {
		s.imageToImage = v.ImageToImage
	}
	if v, ok := impl.(interface {
		TextToSpeech(context.Context, *types.TextToSpeechRequest) (*types.TextToSpeechResponse, error)
	}); ok {
		s.textToSpeech = v.TextToSpeech
	}
	if v, ok := impl.(interface {
		TextToSpeechStream(context.Context, *types.TextToSpeechRequest, func(*types.AudioChunk) error) error
	}); ok {
		s.ttsStream = v.TextToSpeechStream
	}
	if v, ok := impl.(interface {
		SpeechToText(context.Context, *types.SpeechToTextRequest) (*types.SpeechToTextResponse, error)
	}); ok {
		s.speechToText = v.SpeechToText
	}
	if v, ok := impl.(interface {
		SpeechToTextLive(context.Context, func() (*types.LiveSpeechInput, error), func(*types.LiveSpeechOutput) error) error
	}); ok {
		s.speechLive = v.SpeechToTextLive
	}
	if v, ok := impl.(ModelLister); ok {
		s.listModels, s.hasListModels = v.ListModels, true
	}
	s.mismatched = mismatchedMethods(impl, s) // before the pairs are completed

	has := map[string]bool{
		types.ServiceChat:         s.chat != nil || s.chatStream != nil,
		types.ServiceGenerate:     s.generate != nil || s.generateStrm != nil,
		types.ServiceEmbed:        s.embed != nil,
		types.ServiceRerank:       s.rerank != nil,
		types.ServiceTextToImage:  s.textToImage != nil,
		types.ServiceTextToSpeech: s.textToSpeech != nil || s.ttsStream != nil,
		types.ServiceSpeechToText: s.speechToText != nil || s.speechLive != nil,
		types.ServiceImageToImage: s.imageToImage != nil,
	}
	s.implemented = []string{}
	for _, name := range types.ServiceNames {
		if has[name] {
			s.implemented = append(s.implemented, name)
		}
	}

	// The missing half of a pair comes from the other.
	switch {
	case s.chat == nil && s.chatStream != nil:
		s.chat = ChatFromStream(s.chatStream)
	case s.chatStream == nil && s.chat != nil:
		s.chatStream = ChatToStream(s.chat)
	}
	switch {
	case s.generate == nil && s.generateStrm != nil:
		s.generate = GenerateFromStream(s.generateStrm)
	case s.generateStrm == nil && s.generate != nil:
		s.generateStrm = GenerateToStream(s.generate)
	}
	switch {
	case s.textToSpeech == nil && s.ttsStream != nil:
		s.textToSpeech = TextToSpeechFromStream(s.ttsStream)
	case s.ttsStream == nil && s.textToSpeech != nil:
		s.ttsStream = TextToSpeechToStream(s.textToSpeech)
	}
	switch {
	case s.speechToText == nil && s.speechLive != nil:
		s.speechToText = SpeechToTextFromLive(s.speechLive)
	case s.speechLive == nil && s.speechToText != nil:
		s.speechLive = SpeechToTextToLive(s.speechToText)
	}
	return s
}

// serviceMethods are the method names of the service interfaces.
var serviceMethods = []string{"Chat", "ChatStream", "Generate", "GenerateStream", "Embed", "Rerank",
	"TextToImage", "TextToSpeech", "TextToSpeechStream", "SpeechToText", "SpeechToTextLive", "ListModels", "ImageToImage"}

// mismatchedMethods names the methods of impl that have a service
// method's name but not its signature: a typo in a parameter type makes a
// method that is silently not a service. Serve logs them.
func mismatchedMethods(impl any, s *services) []string {
	if impl == nil {
		return nil
	}
	found := map[string]bool{
		"Chat": s.chat != nil, "ChatStream": s.chatStream != nil, "Generate": s.generate != nil,
		"GenerateStream": s.generateStrm != nil, "Embed": s.embed != nil, "Rerank": s.rerank != nil,
		"TextToImage": s.textToImage != nil, "TextToSpeech": s.textToSpeech != nil,
		"TextToSpeechStream": s.ttsStream != nil, "SpeechToText": s.speechToText != nil,
		"SpeechToTextLive": s.speechLive != nil, "ListModels": s.hasListModels,
		"ImageToImage": s.imageToImage != nil,
	}
	t := reflect.TypeOf(impl)
	var out []string
	for _, name := range serviceMethods {
		if m, ok := t.MethodByName(name); ok && !found[name] {
			out = append(out, fmt.Sprintf("%s has the signature %s, not the SDK's", name, m.Type))
		}
	}
	return out
}

// ImplementedServices lists the services impl has methods for, in
// types.ServiceNames order (never nil).
func ImplementedServices(impl any) []string {
	return detectServices(impl).implemented
}

// MismatchedMethods names the methods of impl that are named like a
// service method but have another signature.
func MismatchedMethods(impl any) []string {
	return detectServices(impl).mismatched
}
