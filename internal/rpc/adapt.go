package rpc

import (
	"context"
	"errors"
	"io"
	"strings"

	"github.com/roundhouse-ai/roundhouse/types"
)

// Adapters between the unary and the streaming method of a service, used
// when a plugin has only one of them; sdk exports them for authors too.

// ChatFromStream makes a unary Chat from a streaming one: the answer
// collects the stream (content and thinking concatenated, tool-call
// deltas merged, the last finish reason and usage kept).
func ChatFromStream(stream func(context.Context, *types.ChatRequest, func(*types.ChatChunk) error) error) func(context.Context, *types.ChatRequest) (*types.ChatResponse, error) {
	return func(ctx context.Context, req *types.ChatRequest) (*types.ChatResponse, error) {
		out := &types.ChatResponse{Model: req.Model, Message: types.Message{Role: "assistant"}}
		var content, thinking strings.Builder
		var tools types.ToolCallAccumulator
		err := stream(ctx, req, func(c *types.ChatChunk) error {
			if c == nil {
				return nil
			}
			if c.Model != "" {
				out.Model = c.Model
			}
			if c.Role != "" {
				out.Message.Role = c.Role
			}
			content.WriteString(c.Content)
			thinking.WriteString(c.Thinking)
			tools.Add(c.ToolCalls...)
			if c.FinishReason != "" {
				out.FinishReason = c.FinishReason
			}
			if c.Usage != nil {
				u := *c.Usage
				out.Usage = &u
			}
			return ctx.Err()
		})
		if err != nil {
			return nil, err
		}
		out.Message.Content, out.Message.Thinking = content.String(), thinking.String()
		if tools.Len() > 0 {
			out.Message.ToolCalls = tools.Calls()
		}
		return out, nil
	}
}

// ChatToStream makes a streaming Chat from a unary one: the stream is one
// chunk, with Done set, holding the whole answer.
func ChatToStream(unary func(context.Context, *types.ChatRequest) (*types.ChatResponse, error)) func(context.Context, *types.ChatRequest, func(*types.ChatChunk) error) error {
	return func(ctx context.Context, req *types.ChatRequest, send func(*types.ChatChunk) error) error {
		r, err := unary(ctx, req)
		if err != nil {
			return err
		}
		return send(ChatChunkOf(r))
	}
}

// ChatChunkOf is a whole chat answer as one final chunk.
func ChatChunkOf(r *types.ChatResponse) *types.ChatChunk {
	if r == nil {
		return &types.ChatChunk{Done: true}
	}
	return &types.ChatChunk{Model: r.Model, Role: r.Message.Role, Content: r.Message.Content, Thinking: r.Message.Thinking,
		ToolCalls: r.Message.ToolCalls, Done: true, FinishReason: r.FinishReason, Usage: r.Usage}
}

// GenerateFromStream makes a unary Generate from a streaming one, as
// ChatFromStream does.
func GenerateFromStream(stream func(context.Context, *types.GenerateRequest, func(*types.GenerateChunk) error) error) func(context.Context, *types.GenerateRequest) (*types.GenerateResponse, error) {
	return func(ctx context.Context, req *types.GenerateRequest) (*types.GenerateResponse, error) {
		out := &types.GenerateResponse{Model: req.Model}
		var text, thinking strings.Builder
		err := stream(ctx, req, func(c *types.GenerateChunk) error {
			if c == nil {
				return nil
			}
			if c.Model != "" {
				out.Model = c.Model
			}
			text.WriteString(c.Text)
			thinking.WriteString(c.Thinking)
			if c.FinishReason != "" {
				out.FinishReason = c.FinishReason
			}
			if c.Usage != nil {
				u := *c.Usage
				out.Usage = &u
			}
			return ctx.Err()
		})
		if err != nil {
			return nil, err
		}
		out.Text, out.Thinking = text.String(), thinking.String()
		return out, nil
	}
}

// GenerateToStream makes a streaming Generate from a unary one: one chunk
// with Done set.
func GenerateToStream(unary func(context.Context, *types.GenerateRequest) (*types.GenerateResponse, error)) func(context.Context, *types.GenerateRequest, func(*types.GenerateChunk) error) error {
	return func(ctx context.Context, req *types.GenerateRequest, send func(*types.GenerateChunk) error) error {
		r, err := unary(ctx, req)
		if err != nil {
			return err
		}
		return send(GenerateChunkOf(r))
	}
}

// GenerateChunkOf is a whole completion as one final chunk.
func GenerateChunkOf(r *types.GenerateResponse) *types.GenerateChunk {
	if r == nil {
		return &types.GenerateChunk{Done: true}
	}
	return &types.GenerateChunk{Model: r.Model, Text: r.Text, Thinking: r.Thinking, Done: true,
		FinishReason: r.FinishReason, Usage: r.Usage}
}

// TextToSpeechFromStream makes a unary TextToSpeech from a streaming one:
// the audio chunks concatenated, the first MIME type named.
func TextToSpeechFromStream(stream func(context.Context, *types.TextToSpeechRequest, func(*types.AudioChunk) error) error) func(context.Context, *types.TextToSpeechRequest) (*types.TextToSpeechResponse, error) {
	return func(ctx context.Context, req *types.TextToSpeechRequest) (*types.TextToSpeechResponse, error) {
		out := &types.TextToSpeechResponse{Model: req.Model}
		err := stream(ctx, req, func(c *types.AudioChunk) error {
			if c == nil {
				return nil
			}
			out.Audio = append(out.Audio, c.Data...)
			if out.MIMEType == "" {
				out.MIMEType = c.MIMEType
			}
			return ctx.Err()
		})
		if err != nil {
			return nil, err
		}
		return out, nil
	}
}

// TextToSpeechToStream makes a streaming TextToSpeech from a unary one:
// one chunk with all the audio and Done set.
func TextToSpeechToStream(unary func(context.Context, *types.TextToSpeechRequest) (*types.TextToSpeechResponse, error)) func(context.Context, *types.TextToSpeechRequest, func(*types.AudioChunk) error) error {
	return func(ctx context.Context, req *types.TextToSpeechRequest, send func(*types.AudioChunk) error) error {
		r, err := unary(ctx, req)
		if err != nil {
			return err
		}
		return send(&types.AudioChunk{Data: r.Audio, MIMEType: r.MIMEType, Done: true})
	}
}

// SpeechToTextFromLive makes a unary SpeechToText from a live one: it
// feeds the request's settings, then its audio in one frame, then the
// end; the transcript joins the final pieces (the last partial one when
// none is final), each final piece with times becoming a segment.
func SpeechToTextFromLive(live func(context.Context, func() (*types.LiveSpeechInput, error), func(*types.LiveSpeechOutput) error) error) func(context.Context, *types.SpeechToTextRequest) (*types.SpeechToTextResponse, error) {
	return func(ctx context.Context, req *types.SpeechToTextRequest) (*types.SpeechToTextResponse, error) {
		cfg := *req
		cfg.Audio = nil
		frames := []*types.LiveSpeechInput{{Config: &cfg}, {Audio: req.Audio}, {End: true}}
		recv := func() (*types.LiveSpeechInput, error) {
			if len(frames) == 0 {
				return nil, io.EOF
			}
			f := frames[0]
			frames = frames[1:]
			return f, nil
		}
		out := &types.SpeechToTextResponse{Model: req.Model, Language: req.Language}
		var finals []string
		partial := ""
		err := live(ctx, recv, func(o *types.LiveSpeechOutput) error {
			if o == nil {
				return nil
			}
			if !o.IsFinal {
				partial = o.Text
				return ctx.Err()
			}
			if t := strings.TrimSpace(o.Text); t != "" {
				finals = append(finals, t)
			}
			if o.End > 0 {
				out.Segments = append(out.Segments, types.TranscriptSegment{Start: o.Start, End: o.End, Text: o.Text})
				out.Duration = max(out.Duration, o.End)
			}
			return ctx.Err()
		})
		if err != nil {
			return nil, err
		}
		out.Text = strings.Join(finals, " ")
		if len(finals) == 0 {
			out.Text = partial
		}
		return out, nil
	}
}

// maxCollectedAudio bounds the audio a live session collects for a plugin
// that only transcribes whole recordings: as much as one upload to the
// host's media routes may carry.
const maxCollectedAudio = 32 << 20

// SpeechToTextToLive makes a live SpeechToText from a unary one: it takes
// the settings from the first frame, gathers the audio until the end
// (End or io.EOF), then sends the whole transcript as one final piece.
// Nothing is sent while audio arrives.
func SpeechToTextToLive(unary func(context.Context, *types.SpeechToTextRequest) (*types.SpeechToTextResponse, error)) func(context.Context, func() (*types.LiveSpeechInput, error), func(*types.LiveSpeechOutput) error) error {
	return func(ctx context.Context, recv func() (*types.LiveSpeechInput, error), send func(*types.LiveSpeechOutput) error) error {
		first, err := recv()
		if err != nil {
			return err
		}
		if first == nil || first.Config == nil {
			return types.FieldError("config", "the first frame must carry the config")
		}
		req := *first.Config
		req.Audio = append([]byte(nil), req.Audio...)
		req.Audio = append(req.Audio, first.Audio...)
		for end := first.End; !end; {
			in, err := recv()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return err
			}
			if in != nil {
				req.Audio = append(req.Audio, in.Audio...)
				end = in.End
			}
			if len(req.Audio) > maxCollectedAudio {
				return types.FieldError("audio", "more than %d MiB of audio in one session; this plugin transcribes whole recordings, so send shorter ones",
					maxCollectedAudio>>20)
			}
		}
		r, err := unary(ctx, &req)
		if err != nil {
			return err
		}
		return send(&types.LiveSpeechOutput{Text: r.Text, IsFinal: true, End: r.Duration})
	}
}
