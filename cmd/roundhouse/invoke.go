package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/roundhouse-ai/roundhouse/client"
	"github.com/roundhouse-ai/roundhouse/types"
)

const invokeLong = `Call a service once. What ARGS are depends on the service:

  chat, generate     ARGS is the prompt (stdin when none); the answer streams
  embed              each ARG is one text (stdin lines when none); prints dimensions and a preview
  rerank             --query Q, each ARG is a document; prints them best first
  text-to-image      ARGS is the prompt; images are written to --output (image.png, image-2.png...)
  text-to-speech     ARGS is the text; the audio is written to --output (speech.<format>)
  speech-to-text     ARG is an audio file; prints the transcript

--data sends a whole request body instead (JSON, @FILE or - for stdin), for any service;
--json prints the service's JSON answer.`

type invokeFlags struct {
	routeFlags
	model, data, output, query, voice, format, size, language string
	n, topN                                                   int
	live                                                      bool
}

func (c *cli) invokeCmd() *cobra.Command {
	var f invokeFlags
	cmd := &cobra.Command{
		Use:       "invoke SERVICE [ARGS...]",
		Short:     "Call any service: chat, generate, embed, rerank, text-to-image, text-to-speech, speech-to-text",
		Long:      invokeLong,
		Args:      args(1, -1),
		ValidArgs: types.ServiceNames,
		RunE: func(cmd *cobra.Command, a []string) error {
			o, err := f.options(cmd)
			if err != nil {
				return err
			}
			return c.run(func(ctx context.Context, cl *client.Client, a []string) error {
				return c.invoke(ctx, cmd, cl, a[0], a[1:], &f, o)
			})(cmd, a)
		},
	}
	f.routeFlags.add(cmd)
	fl := cmd.Flags()
	fl.StringVarP(&f.model, "model", "m", "", "model (default: the service's default model)")
	fl.StringVar(&f.data, "data", "", "whole request body: JSON, @FILE, or - for stdin")
	fl.StringVarP(&f.output, "output", "o", "", "file to write images or audio to")
	fl.StringVar(&f.query, "query", "", "rerank: the query")
	fl.IntVar(&f.topN, "top-n", 0, "rerank: keep the best N")
	fl.StringVar(&f.voice, "voice", "", "text-to-speech: voice")
	fl.StringVar(&f.format, "format", "", "text-to-speech: audio format (mp3, wav...)")
	fl.StringVar(&f.size, "size", "", "text-to-image: size (1024x1024)")
	fl.IntVar(&f.n, "n", 0, "text-to-image: number of images")
	fl.StringVar(&f.language, "language", "", "speech-to-text: the audio's language (en, fr...)")
	fl.BoolVar(&f.live, "live", false, "speech-to-text: stream the audio (a file, or - for stdin) and print transcripts as they come")
	return cmd
}

func (c *cli) invoke(ctx context.Context, cmd *cobra.Command, cl *client.Client, service string, a []string, f *invokeFlags, o client.Options) error {
	if f.data != "" {
		body, err := c.readData(f.data)
		if err != nil {
			return err
		}
		out, err := cl.Invoke(ctx, service, body, o)
		if err != nil {
			return err
		}
		return c.printRaw(out)
	}
	text := strings.Join(a, " ")
	needText := func() (string, error) {
		if text != "" {
			return text, nil
		}
		data, err := io.ReadAll(c.in)
		if err != nil {
			return "", err
		}
		if t := strings.TrimSpace(string(data)); t != "" {
			return t, nil
		}
		return "", usagef(cmd, "%s needs text: give it after the service or on stdin", service)
	}
	switch service {
	case types.ServiceChat:
		t, err := needText()
		if err != nil {
			return err
		}
		req := &types.ChatRequest{Model: f.model, Messages: []types.Message{{Role: "user", Content: t}}}
		if c.json {
			r, err := cl.Chat(ctx, req, o)
			return printTyped(c, r, err)
		}
		_, err = c.streamAnswer(ctx, cl, req, o)
		return err
	case types.ServiceGenerate:
		t, err := needText()
		if err != nil {
			return err
		}
		req := &types.GenerateRequest{Model: f.model, Prompt: t}
		if c.json {
			r, err := cl.Generate(ctx, req, o)
			return printTyped(c, r, err)
		}
		ended := true
		err = cl.GenerateStream(ctx, req, o, func(ch *types.GenerateChunk) error {
			if ch.Text != "" {
				ended = strings.HasSuffix(ch.Text, "\n")
			}
			_, err := io.WriteString(c.out, ch.Text)
			return err
		})
		if !ended {
			fmt.Fprintln(c.out)
		}
		return err
	case types.ServiceEmbed:
		inputs := a
		if len(inputs) == 0 {
			t, err := needText()
			if err != nil {
				return err
			}
			inputs = strings.Split(t, "\n")
		}
		r, err := cl.Embed(ctx, &types.EmbedRequest{Model: f.model, Input: inputs}, o)
		if err != nil || c.json {
			return printTyped(c, r, err)
		}
		for i, e := range r.Embeddings {
			preview := e[:min(4, len(e))]
			fmt.Fprintf(c.out, "%d\t%d dimensions\t%v...\t%s\n", i, len(e), preview, short(inputs[min(i, len(inputs)-1)]))
		}
		return nil
	case types.ServiceRerank:
		if f.query == "" || len(a) == 0 {
			return usagef(cmd, "rerank needs --query and at least one document")
		}
		r, err := cl.Rerank(ctx, &types.RerankRequest{Model: f.model, Query: f.query, Documents: a, TopN: f.topN}, o)
		if err != nil || c.json {
			return printTyped(c, r, err)
		}
		tw := c.table()
		fmt.Fprintln(tw, "RANK\tSCORE\tDOCUMENT")
		for i, res := range r.Results {
			doc := res.Document
			if doc == "" && res.Index >= 0 && res.Index < len(a) {
				doc = a[res.Index]
			}
			fmt.Fprintf(tw, "%d\t%.4f\t%s\n", i+1, res.RelevanceScore, oneLine(doc))
		}
		return tw.Flush()
	case types.ServiceTextToImage:
		t, err := needText()
		if err != nil {
			return err
		}
		r, err := cl.TextToImage(ctx, &types.TextToImageRequest{Model: f.model, Prompt: t, Size: f.size, N: f.n}, o)
		if err != nil || c.json {
			return printTyped(c, r, err)
		}
		for i, img := range r.Images {
			if len(img.Data) == 0 {
				fmt.Fprintln(c.out, img.URL)
				continue
			}
			name := numbered(orDefault(f.output, "image"+extFor(img.MIMEType, ".png")), i)
			if err := os.WriteFile(name, img.Data, 0o644); err != nil {
				return err
			}
			fmt.Fprintf(c.out, "wrote %s (%s)\n", name, humanBytes(int64(len(img.Data))))
		}
		return nil
	case types.ServiceTextToSpeech:
		t, err := needText()
		if err != nil {
			return err
		}
		r, err := cl.TextToSpeech(ctx, &types.TextToSpeechRequest{Model: f.model, Input: t, Voice: f.voice, Format: f.format}, o)
		if err != nil || c.json {
			return printTyped(c, r, err)
		}
		ext := ".mp3"
		if f.format != "" {
			ext = "." + f.format
		}
		name := orDefault(f.output, "speech"+extFor(r.MIMEType, ext))
		if err := os.WriteFile(name, r.Audio, 0o644); err != nil {
			return err
		}
		fmt.Fprintf(c.out, "wrote %s (%s, %s)\n", name, humanBytes(int64(len(r.Audio))), dash(r.MIMEType))
		return nil
	case types.ServiceSpeechToText:
		if len(a) != 1 {
			return usagef(cmd, "speech-to-text needs one audio file (- reads stdin with --live)")
		}
		if f.live {
			return c.liveTranscript(ctx, cl, a[0], &types.SpeechToTextRequest{Model: f.model, Language: f.language}, o)
		}
		r, err := cl.SpeechToTextFile(ctx, a[0], &types.SpeechToTextRequest{Model: f.model, Language: f.language}, o)
		if err != nil || c.json {
			return printTyped(c, r, err)
		}
		fmt.Fprintln(c.out, r.Text)
		return nil
	}
	return usagef(cmd, "unknown service %q (one of %s; --data sends any body)", service, strings.Join(types.ServiceNames, ", "))
}

// liveTranscript streams a file (or stdin) through the live endpoint and
// prints each final segment as it comes.
func (c *cli) liveTranscript(ctx context.Context, cl *client.Client, path string, req *types.SpeechToTextRequest, o client.Options) error {
	var audio io.Reader = c.in
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		audio = f
	}
	return cl.SpeechToTextLive(ctx, req, o, audio, func(out *types.LiveSpeechOutput) error {
		if c.json {
			b, _ := json.Marshal(out)
			_, err := fmt.Fprintln(c.out, string(b))
			return err
		}
		if out.IsFinal {
			_, err := fmt.Fprintln(c.out, out.Text)
			return err
		}
		return nil
	})
}

// printTyped prints a typed answer as JSON, or returns the error.
func printTyped[T any](c *cli, v *T, err error) error {
	if err != nil {
		return err
	}
	return c.printJSON(v)
}

func (c *cli) printRaw(raw json.RawMessage) error {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		_, err := c.out.Write(append(raw, '\n'))
		return err
	}
	return c.printJSON(v)
}

// readData reads --data: JSON itself, @FILE or - (stdin).
func (c *cli) readData(d string) (json.RawMessage, error) {
	var data []byte
	var err error
	switch {
	case d == "-":
		data, err = io.ReadAll(c.in)
	case strings.HasPrefix(d, "@"):
		data, err = os.ReadFile(d[1:])
	default:
		data = []byte(d)
	}
	if err != nil {
		return nil, err
	}
	if !json.Valid(data) {
		return nil, &usageError{msg: "--data is not valid JSON"}
	}
	return data, nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// numbered is name for the first file, name-2.ext, name-3.ext... after.
func numbered(name string, i int) string {
	if i == 0 {
		return name
	}
	dot := strings.LastIndexByte(name, '.')
	if dot <= 0 {
		return fmt.Sprintf("%s-%d", name, i+1)
	}
	return fmt.Sprintf("%s-%d%s", name[:dot], i+1, name[dot:])
}

// extFor is the usual extension of a MIME type, else def.
func extFor(mimeType, def string) string {
	switch mimeType {
	case "image/png":
		return ".png"
	case "image/jpeg":
		return ".jpg"
	case "audio/mpeg":
		return ".mp3"
	case "audio/wav", "audio/x-wav":
		return ".wav"
	}
	if exts, _ := mime.ExtensionsByType(mimeType); len(exts) > 0 {
		return exts[0]
	}
	return def
}
