package sdktest

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"slices"
	"time"

	"github.com/roundhouse-ai/roundhouse/sdk"
	"github.com/roundhouse-ai/roundhouse/sdk/manifest"
)

// unaryMethods and streamMethods name each service's gRPC methods, as the
// plugin's call accounting counts them.
var (
	unaryMethods = map[string]string{
		sdk.ServiceChat: "Chat", sdk.ServiceGenerate: "Generate", sdk.ServiceEmbed: "Embed",
		sdk.ServiceRerank: "Rerank", sdk.ServiceTextToImage: "TextToImage",
		sdk.ServiceTextToSpeech: "TextToSpeech", sdk.ServiceSpeechToText: "SpeechToText",
		sdk.ServiceImageToImage: "ImageToImage",
	}
	streamMethods = map[string]string{
		sdk.ServiceChat: "ChatStream", sdk.ServiceGenerate: "GenerateStream", sdk.ServiceTextToSpeech: "TextToSpeechStream",
	}
	// streamingServices have a server-streaming method, used when the
	// service declares support_streaming.
	streamingServices = []string{sdk.ServiceChat, sdk.ServiceGenerate, sdk.ServiceTextToSpeech}
)

// samplePrompt asks for several tokens, so a stream has something to stream.
const samplePrompt = "Count from one to ten in words, separated by spaces."

func ptr[T any](v T) *T { return &v }

func copyOr[T any](given *T, def func() *T) (*T, bool) {
	if given != nil {
		c := *given
		return &c, true
	}
	return def(), false
}

func (s *suite) chatSample(spec manifest.ServiceSpec) (*sdk.ChatRequest, bool) {
	return copyOr(s.o.Chat, func() *sdk.ChatRequest {
		return &sdk.ChatRequest{Model: spec.DefaultModel, Messages: []sdk.Message{{Role: "user", Content: samplePrompt}},
			Options: &sdk.Options{MaxTokens: ptr(32)}}
	})
}

func (s *suite) generateSample(spec manifest.ServiceSpec) (*sdk.GenerateRequest, bool) {
	return copyOr(s.o.Generate, func() *sdk.GenerateRequest {
		return &sdk.GenerateRequest{Model: spec.DefaultModel, Prompt: samplePrompt, Options: &sdk.Options{MaxTokens: ptr(32)}}
	})
}

func (s *suite) ttsSample(spec manifest.ServiceSpec) (*sdk.TextToSpeechRequest, bool) {
	return copyOr(s.o.TextToSpeech, func() *sdk.TextToSpeechRequest {
		return &sdk.TextToSpeechRequest{Model: spec.DefaultModel, Input: "Hello, world."}
	})
}

// callUnary calls one service with its sample request; explicit says the
// sample came from Options (then the call must succeed).
func (s *suite) callUnary(ctx context.Context, name string, spec manifest.ServiceSpec) (req, resp any, explicit bool, err error) {
	switch name {
	case sdk.ServiceChat:
		r, ex := s.chatSample(spec)
		out, err := s.conn.Chat(ctx, r)
		return r, out, ex, err
	case sdk.ServiceGenerate:
		r, ex := s.generateSample(spec)
		out, err := s.conn.Generate(ctx, r)
		return r, out, ex, err
	case sdk.ServiceEmbed:
		r, ex := copyOr(s.o.Embed, func() *sdk.EmbedRequest {
			return &sdk.EmbedRequest{Model: spec.DefaultModel, Input: []string{"hello", "world"}}
		})
		out, err := s.conn.Embed(ctx, r)
		return r, out, ex, err
	case sdk.ServiceRerank:
		r, ex := copyOr(s.o.Rerank, func() *sdk.RerankRequest {
			return &sdk.RerankRequest{Model: spec.DefaultModel, Query: "Which animal barks?",
				Documents: []string{"Cats meow.", "Dogs bark.", "Fish swim."}}
		})
		out, err := s.conn.Rerank(ctx, r)
		return r, out, ex, err
	case sdk.ServiceTextToImage:
		r, ex := copyOr(s.o.TextToImage, func() *sdk.TextToImageRequest {
			return &sdk.TextToImageRequest{Model: spec.DefaultModel, Prompt: "a red square", N: 1}
		})
		out, err := s.conn.TextToImage(ctx, r)
		return r, out, ex, err
	case sdk.ServiceImageToImage:
		r, ex := copyOr(s.o.ImageToImage, func() *sdk.ImageToImageRequest {
			return &sdk.ImageToImageRequest{Model: spec.DefaultModel, Prompt: "make it blue", Image: samplePNG(),
				ImageMIMEType: "image/png", N: 1}
		})
		out, err := s.conn.ImageToImage(ctx, r)
		return r, out, ex, err
	case sdk.ServiceTextToSpeech:
		r, ex := s.ttsSample(spec)
		out, err := s.conn.TextToSpeech(ctx, r)
		return r, out, ex, err
	case sdk.ServiceSpeechToText:
		r, ex := copyOr(s.o.SpeechToText, func() *sdk.SpeechToTextRequest {
			return &sdk.SpeechToTextRequest{Model: spec.DefaultModel, Audio: silentWAV(), Filename: "silence.wav", MIMEType: "audio/wav"}
		})
		out, err := s.conn.SpeechToText(ctx, r)
		return r, out, ex, err
	}
	panic("sdktest: unknown service " + name)
}

// checkResponse checks the shape of a successful answer to req.
func checkResponse(p *problems, name string, req, resp any) {
	switch r := resp.(type) {
	case *sdk.ChatResponse:
		m := r.Message
		if m.Role == "" && m.Content == "" && m.Thinking == "" && len(m.ToolCalls) == 0 && r.FinishReason == "" {
			p.add("Chat answered an empty response (no message, no finish_reason)")
		}
		checkUsage(p, "Chat", r.Usage)
	case *sdk.GenerateResponse:
		checkUsage(p, "Generate", r.Usage)
	case *sdk.EmbedResponse:
		in := req.(*sdk.EmbedRequest).Input
		if len(r.Embeddings) != len(in) {
			p.add("Embed returned %d embeddings for %d inputs; it must return one per input, in input order", len(r.Embeddings), len(in))
		}
		for i, v := range r.Embeddings {
			if len(v) == 0 {
				p.add("Embed: embedding %d is empty", i)
			} else if len(v) != len(r.Embeddings[0]) {
				p.add("Embed: embedding %d has %d dimensions, embedding 0 has %d", i, len(v), len(r.Embeddings[0]))
			}
		}
		checkUsage(p, "Embed", r.Usage)
	case *sdk.RerankResponse:
		rq := req.(*sdk.RerankRequest)
		if len(r.Results) == 0 && len(rq.Documents) > 0 {
			p.add("Rerank returned no result for %d documents", len(rq.Documents))
		}
		if rq.TopN > 0 && len(r.Results) > rq.TopN {
			p.add("Rerank returned %d results for top_n %d", len(r.Results), rq.TopN)
		}
		seen := map[int]bool{}
		for i, res := range r.Results {
			switch {
			case res.Index < 0 || res.Index >= len(rq.Documents):
				p.add("Rerank result %d has index %d, out of range for %d documents", i, res.Index, len(rq.Documents))
			case seen[res.Index]:
				p.add("Rerank result %d repeats index %d", i, res.Index)
			}
			seen[res.Index] = true
			if i > 0 && res.RelevanceScore > r.Results[i-1].RelevanceScore {
				p.add("Rerank results are not sorted by relevance_score, best first: result %d (%g) after result %d (%g)",
					i, res.RelevanceScore, i-1, r.Results[i-1].RelevanceScore)
				break
			}
		}
		checkUsage(p, "Rerank", r.Usage)
	case *sdk.TextToImageResponse:
		checkImages(p, "TextToImage", r.Images)
	case *sdk.ImageToImageResponse:
		checkImages(p, "ImageToImage", r.Images)
	case *sdk.TextToSpeechResponse:
		if len(r.Audio) == 0 {
			p.add("TextToSpeech returned no audio")
		}
	case *sdk.SpeechToTextResponse:
	}
}

// checkImages checks the images of a TextToImage or ImageToImage answer.
func checkImages(p *problems, method string, images []sdk.Image) {
	if len(images) == 0 {
		p.add("%s returned no image", method)
	}
	for i, img := range images {
		if len(img.Data) == 0 && img.URL == "" {
			p.add("%s: image %d has neither data nor url", method, i)
		}
	}
}

func checkUsage(p *problems, method string, u *sdk.Usage) {
	if u != nil && (u.PromptTokens < 0 || u.CompletionTokens < 0 || u.TotalTokens < 0) {
		p.add("%s usage has negative token counts (prompt %d, completion %d, total %d)", method, u.PromptTokens, u.CompletionTokens, u.TotalTokens)
	}
}

// chunk is what the checks need of any stream's chunk.
type chunk struct {
	done    bool
	finish  string
	content bool // carries part of the answer
	usage   *sdk.Usage
}

// openStream runs the service's stream with its sample, handing each chunk
// to each.
func (s *suite) openStream(ctx context.Context, name string, each func(chunk) error) (explicit bool, err error) {
	spec := s.declared[name]
	switch name {
	case sdk.ServiceChat:
		r, ex := s.chatSample(spec)
		return ex, s.conn.ChatStream(ctx, r, func(c *sdk.ChatChunk) error {
			return each(chunk{c.Done, c.FinishReason, c.Content != "" || c.Thinking != "" || len(c.ToolCalls) > 0, c.Usage})
		})
	case sdk.ServiceGenerate:
		r, ex := s.generateSample(spec)
		return ex, s.conn.GenerateStream(ctx, r, func(c *sdk.GenerateChunk) error {
			return each(chunk{c.Done, c.FinishReason, c.Text != "" || c.Thinking != "", c.Usage})
		})
	case sdk.ServiceTextToSpeech:
		r, ex := s.ttsSample(spec)
		return ex, s.conn.TextToSpeechStream(ctx, r, func(c *sdk.AudioChunk) error {
			return each(chunk{done: c.Done, content: len(c.Data) > 0})
		})
	}
	panic("sdktest: no stream for " + name)
}

// checkStream: a streaming service streams its answer in several chunks,
// done only on the last, which carries a finish reason.
func (s *suite) checkStream(ctx context.Context, p *problems, name string) {
	method := streamMethods[name]
	ctx, cancel := context.WithTimeout(ctx, s.o.StreamTimeout)
	defer cancel()
	var chunks []chunk
	explicit, err := s.openStream(ctx, name, func(c chunk) error {
		chunks = append(chunks, c)
		return nil
	})
	switch {
	case sdk.ErrorCode(err) == sdk.CodeUnimplemented:
		p.add("%s declares support_streaming but %s returns unimplemented: %v", name, method, err)
		return
	case ctx.Err() != nil:
		p.add("%s did not finish within %v (Options.StreamTimeout): %v", method, s.o.StreamTimeout, err)
		s.waitIdle(p, method, "its caller's deadline passed")
		return
	case err != nil && isPanic(err):
		p.add("%s panicked: %v", method, err)
		return
	case err != nil && explicit:
		p.add("%s with the sample request: %v", method, err)
		return
	case err != nil:
		p.log("%s answered the default sample with an error, so its chunks were not checked: %v", method, err)
		return
	}
	if len(chunks) == 0 {
		p.add("%s sent no chunk", method)
		return
	}
	last := chunks[len(chunks)-1]
	for i, c := range chunks[:len(chunks)-1] {
		if c.done {
			p.add("%s chunk %d of %d has done set; only the last chunk may", method, i+1, len(chunks))
			break
		}
	}
	if !last.done {
		p.add("the last %s chunk must have done set", method)
	}
	if name != sdk.ServiceTextToSpeech && last.finish == "" {
		p.add("the last %s chunk has no finish_reason; it must say why the answer ended (stop, length, ...)", method)
	}
	for i, c := range chunks {
		if c.usage != nil && (c.usage.PromptTokens < 0 || c.usage.CompletionTokens < 0 || c.usage.TotalTokens < 0) {
			p.add("%s chunk %d has negative token counts in its usage", method, i+1)
		}
	}
	if name != sdk.ServiceTextToSpeech && !slices.Contains(s.o.SingleChunk, name) {
		n := 0
		for _, c := range chunks {
			if c.content {
				n++
			}
		}
		if n < 2 {
			p.add("%s sent the whole answer in %d chunk(s) carrying text, for a sample that asks for several tokens; "+
				"stream the answer as it is produced (Options.SingleChunk exempts a service that legitimately answers in one chunk)", method, n)
		}
	}
}

// checkCancel cancels a stream after its first chunk: the call must end
// with a cancellation, and the plugin's handler must return within
// CancelTimeout (seen through the plugin's call accounting).
func (s *suite) checkCancel(ctx context.Context, p *problems, name string) {
	method := streamMethods[name]
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	n := 0
	done := make(chan error, 1)
	go func() {
		_, err := s.openStream(cctx, name, func(chunk) error {
			n++
			if n == 1 {
				cancel()
			}
			return nil
		})
		done <- err
	}()
	var err error
	select {
	case err = <-done:
	case <-time.After(s.o.StreamTimeout):
		p.add("%s did not return within %v of its start, though cancelled after its first chunk", method, s.o.StreamTimeout)
		return
	}
	if n == 0 {
		p.log("%s sent no chunk (%v): nothing to cancel", method, err)
		return
	}
	if err != nil && sdk.ErrorCode(err) != sdk.CodeCanceled {
		p.add("cancelled %s returned %v, want code canceled", method, err)
	}
	s.waitIdle(p, method, "the caller cancelled the stream")
}

// silentWAV is 0.1 s of 16 kHz mono silence.
// samplePNG is a small opaque PNG, the source image of the image-to-image
// sample.
func samplePNG() []byte {
	img := image.NewNRGBA(image.Rect(0, 0, 8, 8))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	var buf bytes.Buffer
	_ = png.Encode(&buf, img)
	return buf.Bytes()
}

func silentWAV() []byte {
	const samples = 1600
	data := make([]byte, 44+samples*2)
	copy(data, "RIFF")
	le32(data[4:], uint32(36+samples*2))
	copy(data[8:], "WAVEfmt ")
	le32(data[16:], 16)
	data[20], data[22] = 1, 1 // PCM, mono
	le32(data[24:], 16000)
	le32(data[28:], 32000)
	data[32], data[34] = 2, 16
	copy(data[36:], "data")
	le32(data[40:], samples*2)
	return data
}

func le32(b []byte, v uint32) { b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24) }
