package types

// TextToImageRequest asks for images from a prompt.
type TextToImageRequest struct {
	Model          string         `json:"model,omitempty"`
	Prompt         string         `json:"prompt"`
	NegativePrompt string         `json:"negative_prompt,omitempty"`
	N              int            `json:"n,omitempty"`
	Size           string         `json:"size,omitempty"`
	Quality        string         `json:"quality,omitempty"`
	Style          string         `json:"style,omitempty"`
	Seed           *int64         `json:"seed,omitempty"`
	Extra          map[string]any `json:"extra,omitempty"`
	Provider       string         `json:"provider,omitempty"`
}

// Image is generated image data, or a link where the provider gave one.
type Image struct {
	Data          []byte `json:"data,omitempty"`
	MIMEType      string `json:"mime_type,omitempty"`
	URL           string `json:"url,omitempty"`
	RevisedPrompt string `json:"revised_prompt,omitempty"`
}

// TextToImageResponse holds the images.
type TextToImageResponse struct {
	Model  string  `json:"model"`
	Images []Image `json:"images"`
}

// ImageToImageRequest asks for images made from a source image and a
// prompt: an edit (with Mask, only where the mask is transparent) or a
// variation. It is OpenAI's POST /images/edits and OVMS's /v3/images/edits.
type ImageToImageRequest struct {
	Model          string `json:"model,omitempty"`
	Prompt         string `json:"prompt"`
	NegativePrompt string `json:"negative_prompt,omitempty"`
	// Image is the source image; ImageMIMEType its type ("image/png"),
	// sniffed when empty.
	Image         []byte `json:"image"`
	ImageMIMEType string `json:"image_mime_type,omitempty"`
	// Mask is optional: a PNG of the image's size whose transparent
	// pixels mark where to edit.
	Mask    []byte `json:"mask,omitempty"`
	N       int    `json:"n,omitempty"`
	Size    string `json:"size,omitempty"`
	Quality string `json:"quality,omitempty"`
	// Strength is how far from the source to go, 0..1, for engines that
	// take it (diffusion image-to-image); nil = the engine's default.
	Strength *float64       `json:"strength,omitempty"`
	Seed     *int64         `json:"seed,omitempty"`
	Extra    map[string]any `json:"extra,omitempty"`
	Provider string         `json:"provider,omitempty"`
}

// ImageToImageResponse holds the images, as TextToImageResponse does.
type ImageToImageResponse struct {
	Model  string  `json:"model"`
	Images []Image `json:"images"`
}

// TextToSpeechRequest asks for spoken audio of Input.
type TextToSpeechRequest struct {
	Model string `json:"model,omitempty"`
	Input string `json:"input"`
	Voice string `json:"voice,omitempty"`
	// Format is "mp3", "wav", "opus", "pcm"...
	Format       string         `json:"format,omitempty"`
	Speed        float64        `json:"speed,omitempty"`
	Instructions string         `json:"instructions,omitempty"`
	Extra        map[string]any `json:"extra,omitempty"`
	Provider     string         `json:"provider,omitempty"`
}

// TextToSpeechResponse holds the whole audio.
type TextToSpeechResponse struct {
	Model    string `json:"model"`
	Audio    []byte `json:"audio"`
	MIMEType string `json:"mime_type"`
}

// AudioChunk is a piece of streamed audio.
type AudioChunk struct {
	Data     []byte `json:"data,omitempty"`
	MIMEType string `json:"mime_type,omitempty"`
	Done     bool   `json:"done"`
}

// SpeechToTextRequest transcribes Audio.
type SpeechToTextRequest struct {
	Model string `json:"model,omitempty"`
	Audio []byte `json:"audio"`
	// Filename as uploaded ("clip.wav"); engines sniff the format from it.
	Filename    string         `json:"filename,omitempty"`
	MIMEType    string         `json:"mime_type,omitempty"`
	Language    string         `json:"language,omitempty"`
	Prompt      string         `json:"prompt,omitempty"`
	Temperature *float64       `json:"temperature,omitempty"`
	Extra       map[string]any `json:"extra,omitempty"`
	Provider    string         `json:"provider,omitempty"`
}

// TranscriptSegment is a timed piece of a transcript.
type TranscriptSegment struct {
	Start float64 `json:"start"`
	End   float64 `json:"end"`
	Text  string  `json:"text"`
}

// SpeechToTextResponse is a whole transcript.
type SpeechToTextResponse struct {
	Model    string              `json:"model"`
	Text     string              `json:"text"`
	Language string              `json:"language,omitempty"`
	Duration float64             `json:"duration,omitempty"`
	Segments []TranscriptSegment `json:"segments,omitempty"`
}

// LiveSpeechInput is one frame of a live session: the first carries Config,
// later ones Audio; End says the speaker is done.
type LiveSpeechInput struct {
	Config *SpeechToTextRequest `json:"config,omitempty"`
	Audio  []byte               `json:"audio,omitempty"`
	End    bool                 `json:"end,omitempty"`
}

// LiveSpeechOutput is a partial (IsFinal false) or final transcript piece.
type LiveSpeechOutput struct {
	Text    string  `json:"text"`
	IsFinal bool    `json:"is_final"`
	Start   float64 `json:"start,omitempty"`
	End     float64 `json:"end,omitempty"`
}
