package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"

	"github.com/ollama/ollama/api"
)

// ollamaClient is Ollama's api.Client with its two streaming hot paths,
// Chat and Generate, replaced: api.Client allocates an 8 MB line buffer on
// every request and decodes every line twice, which cost several
// milliseconds of time-to-first-token per call (see BENCHMARKS.md). These
// read the same NDJSON with a pooled buffer that grows only for long lines,
// and return the same errors (api.StatusError for HTTP errors, a plain
// error for an {"error": ...} line mid-stream). Every other method is
// api.Client's.
type ollamaClient struct {
	*api.Client
	base *url.URL
	http *http.Client
}

// maxLine matches api.Client's limit on one NDJSON line.
const maxLine = 8 << 20

var lineBufs = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

// Chat streams /api/chat, calling fn per response line.
func (c *ollamaClient) Chat(ctx context.Context, req *api.ChatRequest, fn api.ChatResponseFunc) error {
	return streamNDJSON(ctx, c, "/api/chat", req, func(line []byte) error {
		var v api.ChatResponse
		if err := json.Unmarshal(line, &v); err != nil {
			return malformed(err)
		}
		return fn(v)
	})
}

// Generate streams /api/generate, calling fn per response line.
func (c *ollamaClient) Generate(ctx context.Context, req *api.GenerateRequest, fn api.GenerateResponseFunc) error {
	return streamNDJSON(ctx, c, "/api/generate", req, func(line []byte) error {
		var v api.GenerateResponse
		if err := json.Unmarshal(line, &v); err != nil {
			return malformed(err)
		}
		return fn(v)
	})
}

// chatTokens streams /api/chat like Chat, decoding each line into the
// fields the plugin forwards (answerLine): the hot path of every chat.
func (c *ollamaClient) chatTokens(ctx context.Context, req *api.ChatRequest, fn func(*answerLine) error) error {
	return streamNDJSON(ctx, c, "/api/chat", req, func(line []byte) error {
		var v answerLine
		if err := v.decode(line, chatToken); err != nil {
			return err
		}
		return fn(&v)
	})
}

// generateTokens is chatTokens for /api/generate (the text is in
// answerLine.Message.Content).
func (c *ollamaClient) generateTokens(ctx context.Context, req *api.GenerateRequest, fn func(*answerLine) error) error {
	return streamNDJSON(ctx, c, "/api/generate", req, func(line []byte) error {
		var v answerLine
		if err := v.decode(line, generateToken); err != nil {
			return err
		}
		return fn(&v)
	})
}

func malformed(err error) error { return fmt.Errorf("ollama sent a malformed line: %w", err) }

func streamNDJSON(ctx context.Context, c *ollamaClient, path string, body any, fn func(line []byte) error) error {
	data, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base.JoinPath(path).String(), bytes.NewReader(data))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/x-ndjson")
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()

	bufp := lineBufs.Get().(*[]byte)
	defer lineBufs.Put(bufp)
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer((*bufp)[:0], maxLine)
	for sc.Scan() {
		line := sc.Bytes()
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if resp.StatusCode >= http.StatusBadRequest || bytes.Contains(line, []byte(`"error"`)) {
			if err := lineError(resp, line); err != nil {
				return err
			}
		}
		if err := fn(line); err != nil {
			return err
		}
	}
	return sc.Err()
}

// lineError reads an error line the way api.Client does.
func lineError(resp *http.Response, line []byte) error {
	var e struct {
		Error string `json:"error"`
	}
	jerr := json.Unmarshal(line, &e)
	if resp.StatusCode >= http.StatusBadRequest {
		msg := e.Error
		if jerr != nil {
			msg = string(line)
		}
		return api.StatusError{StatusCode: resp.StatusCode, Status: resp.Status, ErrorMessage: msg}
	}
	if jerr == nil && e.Error != "" {
		return errors.New(e.Error)
	}
	return nil
}
