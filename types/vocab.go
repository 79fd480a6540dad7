package types

// ProviderType says whether a plugin runs models on this machine or calls
// a cloud.
type ProviderType string

// Provider types.
const (
	ProviderLocal  ProviderType = "local"
	ProviderRemote ProviderType = "remote"
)

// Capabilities says how a service can be called.
type Capabilities struct {
	SupportStreaming     bool `yaml:"support_streaming,omitempty" json:"support_streaming,omitempty"`
	SupportBidirectional bool `yaml:"support_bidirectional,omitempty" json:"support_bidirectional,omitempty"`
}

// AuthType is how a service authenticates to its upstream.
type AuthType string

// Auth types.
const (
	AuthNone      AuthType = "none"
	AuthAPIKey    AuthType = "apikey"
	AuthToken     AuthType = "token"
	AuthSignature AuthType = "signature"
)

// GPUType is a family of accelerator.
type GPUType string

// GPU types.
const (
	GPUNone     GPUType = "none"
	GPUNvidia   GPUType = "nvidia"
	GPUAMD      GPUType = "amd"
	GPUIntelArc GPUType = "intel_arc"
)

// Service names the host routes by.
const (
	ServiceChat         = "chat"
	ServiceGenerate     = "generate"
	ServiceEmbed        = "embed"
	ServiceRerank       = "rerank"
	ServiceTextToImage  = "text-to-image"
	ServiceImageToImage = "image-to-image"
	ServiceTextToSpeech = "text-to-speech"
	ServiceSpeechToText = "speech-to-text"
)

// ServiceNames lists every service name in a stable order.
var ServiceNames = []string{
	ServiceChat, ServiceGenerate, ServiceEmbed, ServiceRerank,
	ServiceTextToImage, ServiceTextToSpeech, ServiceSpeechToText, ServiceImageToImage,
}
