// Aliases and forwards of package types, so a plugin author needs one
// import: sdk.ChatRequest is types.ChatRequest. Keep in step with types;
// TestTypesForwarded fails when an exported name is missing here.

package sdk

import (
	"context"

	"github.com/roundhouse-ai/roundhouse/types"
)

// From types/chat.go.

// ChatRequest asks a model to continue a conversation. It is also the JSON
// body of the host's native POST /v1/services/chat.
type ChatRequest = types.ChatRequest

// Tool choice modes.
const (
	ToolChoiceAuto     = types.ToolChoiceAuto
	ToolChoiceNone     = types.ToolChoiceNone
	ToolChoiceRequired = types.ToolChoiceRequired
	ToolChoiceFunction = types.ToolChoiceFunction
)

// ToolChoice says whether and which tool the model must call.
type ToolChoice = types.ToolChoice

// Message is one turn of a conversation.
type Message = types.Message

// Tool is a function the model may call.
type Tool = types.Tool

// ToolCall is the model's request to call a tool. In a Message it is a
// whole call; in a ChatChunk it may be a fragment of one (see ChatChunk).
type ToolCall = types.ToolCall

// Options tune generation. Nil pointers mean "engine default".
type Options = types.Options

// ResponseFormat constrains the output: "text", "json_object" or
// "json_schema" (with Schema).
type ResponseFormat = types.ResponseFormat

// Usage counts tokens.
type Usage = types.Usage

// ChatResponse is a whole answer.
type ChatResponse = types.ChatResponse

// ChatChunk is one step of a streamed answer; the last has Done set and
// carries FinishReason and Usage. Its ToolCalls are fragments keyed by
// Index (see types.ChatChunk); ToolCallAccumulator assembles them.
type ChatChunk = types.ChatChunk

// From types/embed.go.

// EmbedRequest turns texts into vectors.
type EmbedRequest = types.EmbedRequest

// EmbedResponse holds one vector per input, in input order.
type EmbedResponse = types.EmbedResponse

// RerankRequest orders Documents by relevance to Query.
type RerankRequest = types.RerankRequest

// RerankResult scores one document; Index points into the request.
type RerankResult = types.RerankResult

// RerankResponse lists results best first.
type RerankResponse = types.RerankResponse

// From types/errors.go.

// Code is Roundhouse's error code. Families: general 0-15, plugin 1000s,
// engine 2000s, model 3000s, service 4000s. Codes travel with errors from
// plugin to host to the HTTP client, and decide the HTTP status.
type Code = types.Code

// General codes.
const (
	CodeOK                 = types.CodeOK
	CodeUnknown            = types.CodeUnknown
	CodeInvalidArgument    = types.CodeInvalidArgument
	CodeNotFound           = types.CodeNotFound
	CodeAlreadyExists      = types.CodeAlreadyExists
	CodePermissionDenied   = types.CodePermissionDenied
	CodeUnauthenticated    = types.CodeUnauthenticated
	CodeRateLimited        = types.CodeRateLimited
	CodeFailedPrecondition = types.CodeFailedPrecondition
	CodeCanceled           = types.CodeCanceled
	CodeTimeout            = types.CodeTimeout
	CodeUnimplemented      = types.CodeUnimplemented
	CodeInternal           = types.CodeInternal
	CodeUnavailable        = types.CodeUnavailable
	CodeQuotaExceeded      = types.CodeQuotaExceeded
	CodeBudgetExceeded     = types.CodeBudgetExceeded
)

// Plugin codes.
const (
	CodePluginNotFound      = types.CodePluginNotFound
	CodePluginStartFailed   = types.CodePluginStartFailed
	CodePluginCrashed       = types.CodePluginCrashed
	CodePluginNotConfigured = types.CodePluginNotConfigured
	CodeManifestInvalid     = types.CodeManifestInvalid
	// CodePluginUnavailable: the plugin is down or restarting right now;
	// retry after RetryAfter. (A model's plugin being away is not the
	// model being unknown.)
	CodePluginUnavailable = types.CodePluginUnavailable
)

// Engine codes.
const (
	CodeEngineNotInstalled   = types.CodeEngineNotInstalled
	CodeEngineInstallFailed  = types.CodeEngineInstallFailed
	CodeEngineStartFailed    = types.CodeEngineStartFailed
	CodeEngineUnavailable    = types.CodeEngineUnavailable
	CodeEngineChecksum       = types.CodeEngineChecksum
	CodeEngineNotManaged     = types.CodeEngineNotManaged
	CodeEngineVersionUnknown = types.CodeEngineVersionUnknown
)

// Model codes.
const (
	CodeModelNotFound     = types.CodeModelNotFound
	CodeModelPullFailed   = types.CodeModelPullFailed
	CodeModelInvalidName  = types.CodeModelInvalidName
	CodeModelLoadFailed   = types.CodeModelLoadFailed
	CodeContextTooLong    = types.CodeContextTooLong
	CodeModelUnsupported  = types.CodeModelUnsupported
	CodeModelDeleteFailed = types.CodeModelDeleteFailed
)

// Service codes.
const (
	CodeServiceNotFound     = types.CodeServiceNotFound
	CodeServiceUnavailable  = types.CodeServiceUnavailable
	CodeUpstreamError       = types.CodeUpstreamError
	CodeContentFiltered     = types.CodeContentFiltered
	CodeUpstreamAuth        = types.CodeUpstreamAuth
	CodeNoUsableKey         = types.CodeNoUsableKey
	CodeUpstreamRateLimited = types.CodeUpstreamRateLimited
	CodeUpstreamQuota       = types.CodeUpstreamQuota
	CodeUpstreamTimeout     = types.CodeUpstreamTimeout
)

// Error is an error with a Roundhouse code. Return one from any plugin
// method and the host receives it with its code, field and retry hint
// intact; plain errors arrive as CodeUnknown (or CodeCanceled/CodeTimeout
// for context errors).
type Error = types.Error

// Errorf makes an *Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return types.Errorf(code, format, args...)
}

// FieldError reports a bad request field; the host answers 400 naming it.
func FieldError(field, format string, args ...any) *Error {
	return types.FieldError(field, format, args...)
}

// WrapError gives err a code unless it already carries one.
func WrapError(code Code, err error, format string, args ...any) *Error {
	return types.WrapError(code, err, format, args...)
}

// ErrorCode extracts the code of err: its *Error code, CodeCanceled or
// CodeTimeout for context errors, CodeUnknown otherwise, CodeOK for nil.
func ErrorCode(err error) Code {
	return types.ErrorCode(err)
}

// AsError converts any error into an *Error, keeping one that already is.
func AsError(err error) *Error {
	return types.AsError(err)
}

// From types/requestid.go.

// WithRequestID returns ctx carrying the id of the client request it serves.
func WithRequestID(ctx context.Context, id string) context.Context {
	return types.WithRequestID(ctx, id)
}

// RequestIDFrom is the id of the host request a call serves ("" when the
// host sent none). Log with slog.InfoContext(ctx, …) and the plugin's
// logger adds it by itself.
func RequestIDFrom(ctx context.Context) string { return types.RequestIDFrom(ctx) }

// IsRequestIDKey reports whether key is the context key of the request id
// (for contexts that answer several keys in one layer; see types).
func IsRequestIDKey(key any) bool { return types.IsRequestIDKey(key) }

// From types/generate.go.

// GenerateRequest asks for a plain completion of Prompt.
type GenerateRequest = types.GenerateRequest

// GenerateResponse is a whole completion.
type GenerateResponse = types.GenerateResponse

// GenerateChunk is one step of a streamed completion.
type GenerateChunk = types.GenerateChunk

// From types/local.go.

// Progress is one step of a model pull or engine install. It mirrors
// Ollama's pull progress: Status names the phase ("pulling manifest",
// "downloading", "verifying sha256 digest", "success"), Total and Completed
// count bytes of the part named by Digest.
type Progress = types.Progress

// InstallEngineRequest installs or upgrades an engine. Empty fields mean
// "what the manifest says".
type InstallEngineRequest = types.InstallEngineRequest

// EngineStatus describes a local plugin's engine.
type EngineStatus = types.EngineStatus

// PullRequest asks a local engine to download a model.
type PullRequest = types.PullRequest

// LoadRequest loads a model into memory.
type LoadRequest = types.LoadRequest

// Model is a model a local engine has (or runs).
type Model = types.Model

// ModelDetails is what ShowModel tells about one model.
type ModelDetails = types.ModelDetails

// CopyRequest gives a model a second name.
type CopyRequest = types.CopyRequest

// CreateRequest makes a model: from blobs the engine has (Files, by
// digest), from a model file on this machine (Path), or from a base model
// (From), with Modelfile-like changes.
type CreateRequest = types.CreateRequest

// PushRequest uploads a model to its registry.
type PushRequest = types.PushRequest

// RegistryAuth are the credentials of one registry host that the host
// attaches to a pull or push (secrets masked when printed).
type RegistryAuth = types.RegistryAuth

// From types/mask.go.

// MaskKey shows a secret as an API may show it: a short lower-case prefix
// such as "sk-" and the last 4 characters ("sk-…abcd"). Secrets shorter
// than 16 characters show only "****". It never reveals more than the last
// 4 characters.
func MaskKey(key string) string {
	return types.MaskKey(key)
}

// From types/media.go.

// TextToImageRequest asks for images from a prompt.
type TextToImageRequest = types.TextToImageRequest

// Image is generated image data, or a link where the provider gave one.
type Image = types.Image

// TextToImageResponse holds the images.
type TextToImageResponse = types.TextToImageResponse

// ImageToImageRequest asks for images made from a source image and a prompt.
type ImageToImageRequest = types.ImageToImageRequest

// ImageToImageResponse holds the images.
type ImageToImageResponse = types.ImageToImageResponse

// TextToSpeechRequest asks for spoken audio of Input.
type TextToSpeechRequest = types.TextToSpeechRequest

// TextToSpeechResponse holds the whole audio.
type TextToSpeechResponse = types.TextToSpeechResponse

// AudioChunk is a piece of streamed audio.
type AudioChunk = types.AudioChunk

// SpeechToTextRequest transcribes Audio.
type SpeechToTextRequest = types.SpeechToTextRequest

// TranscriptSegment is a timed piece of a transcript.
type TranscriptSegment = types.TranscriptSegment

// SpeechToTextResponse is a whole transcript.
type SpeechToTextResponse = types.SpeechToTextResponse

// LiveSpeechInput is one frame of a live session: the first carries Config,
// later ones Audio; End says the speaker is done.
type LiveSpeechInput = types.LiveSpeechInput

// LiveSpeechOutput is a partial (IsFinal false) or final transcript piece.
type LiveSpeechOutput = types.LiveSpeechOutput

// From types/plugin.go.

// Info describes a running plugin; the host merges it with the manifest.
type Info = types.Info

// Compute is what the engine computes on right now.
type Compute = types.Compute

// HealthState says whether a plugin can serve.
type HealthState = types.HealthState

// Health states.
const (
	HealthServing    = types.HealthServing
	HealthStarting   = types.HealthStarting
	HealthNotServing = types.HealthNotServing
)

// Health is the answer of a health check.
type Health = types.Health

// Config is what the host hands a plugin through Configure.
type Config = types.Config

// ProviderConfig is one upstream of a remote plugin.
type ProviderConfig = types.ProviderConfig

// APIKey is one credential of a provider. Value is a secret: it never
// appears in logs or API responses; String and MarshalJSON mask it.
type APIKey = types.APIKey

// ProviderStatus is a provider instance as the API shows it: keys masked.
type ProviderStatus = types.ProviderStatus

// KeyStatus shows one key (masked) with its statistics.
type KeyStatus = types.KeyStatus

// ProviderTest is the result of a real request to a provider.
type ProviderTest = types.ProviderTest

// From types/settings.go.

// Duration is a time.Duration for settings: it decodes from a duration
// string such as "30s" or "1m30s", or from a number of seconds (30, 0.5,
// "30"), and encodes as a duration string. Config.DecodeSettings decodes
// it.
type Duration = types.Duration

// From types/toolcalls.go.

// ToolCallAccumulator assembles the tool calls of a chat stream from the
// ChatChunk.ToolCalls fragments, by the contract's convention (see
// ChatChunk). The zero value is ready to use.
type ToolCallAccumulator = types.ToolCallAccumulator

// From types/vocab.go.

// ProviderType says whether a plugin runs models on this machine or calls
// a cloud.
type ProviderType = types.ProviderType

// Provider types.
const (
	ProviderLocal  = types.ProviderLocal
	ProviderRemote = types.ProviderRemote
)

// Capabilities says how a service can be called.
type Capabilities = types.Capabilities

// AuthType is how a service authenticates to its upstream.
type AuthType = types.AuthType

// Auth types.
const (
	AuthNone      = types.AuthNone
	AuthAPIKey    = types.AuthAPIKey
	AuthToken     = types.AuthToken
	AuthSignature = types.AuthSignature
)

// GPUType is a family of accelerator.
type GPUType = types.GPUType

// GPU types.
const (
	GPUNone     = types.GPUNone
	GPUNvidia   = types.GPUNvidia
	GPUAMD      = types.GPUAMD
	GPUIntelArc = types.GPUIntelArc
)

// Service names the host routes by.
const (
	ServiceChat         = types.ServiceChat
	ServiceGenerate     = types.ServiceGenerate
	ServiceEmbed        = types.ServiceEmbed
	ServiceRerank       = types.ServiceRerank
	ServiceTextToImage  = types.ServiceTextToImage
	ServiceTextToSpeech = types.ServiceTextToSpeech
	ServiceSpeechToText = types.ServiceSpeechToText
	ServiceImageToImage = types.ServiceImageToImage
)

// ServiceNames lists every service name in a stable order.
var ServiceNames = types.ServiceNames

// From types/estimate.go.

// Token estimate constants (see types.EstimateTokens).
const (
	EstimateMessageOverhead = types.EstimateMessageOverhead
	EstimateReplyOverhead   = types.EstimateReplyOverhead
	EstimateImageTokens     = types.EstimateImageTokens
)

// EstimateTokens estimates the tokens of text without a tokenizer: ≈4
// characters per token for Latin text, ≈1.5 for CJK, per script run.
func EstimateTokens(text string) int { return types.EstimateTokens(text) }

// EstimateRequest estimates a request's input tokens and its most output
// tokens (max_tokens, else defaultMaxOut).
func EstimateRequest(req any, defaultMaxOut int) (in, maxOut int) {
	return types.EstimateRequest(req, defaultMaxOut)
}

// EstimateMessage estimates one chat message, its overhead included.
func EstimateMessage(m *Message) int { return types.EstimateMessage(m) }

// EstimateResponse estimates the output tokens of a unary chat or
// generate answer.
func EstimateResponse(resp any) int { return types.EstimateResponse(resp) }
