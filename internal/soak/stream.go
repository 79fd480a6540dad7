package soak

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/roundhouse-ai/roundhouse/internal/bench/load"
	"github.com/roundhouse-ai/roundhouse/internal/bench/upstream"
)

// API is one of the host's streaming chat surfaces.
type API string

// The surfaces a soak client can stream from.
const (
	APIOpenAI API = "openai" // POST /v1/chat/completions, SSE, data: [DONE]
	APINative API = "native" // POST /v1/services/chat, SSE, event: error
	APIOllama API = "ollama" // POST /api/chat, NDJSON, {"error": "..."}
)

// Kind is how one stream ended.
type Kind int

const (
	// Completed: every chunk arrived, in order, and the stream's end
	// marker came.
	Completed Kind = iota
	// Hangup: the client cancelled mid-stream on purpose; what it had
	// received so far was in order.
	Hangup
	// Failed: the host answered with an HTTP error or ended the stream
	// with an error event: a visible failure, judged by its code.
	Failed
	// SilentLoss: the stream ended without an error event but with
	// chunks missing or without its end marker. Always a bug: the client
	// cannot tell a truncated answer from a whole one.
	SilentLoss
	// Disorder: a chunk came twice or out of order (in any stream,
	// failed or not). Always a bug.
	Disorder
	// Transport: the connection broke, or the stream stalled past the
	// request timeout, without the host saying why. Always a bug.
	Transport
)

func (k Kind) String() string {
	switch k {
	case Completed:
		return "completed"
	case Hangup:
		return "hangup"
	case Failed:
		return "failed"
	case SilentLoss:
		return "silent_loss"
	case Disorder:
		return "disorder"
	case Transport:
		return "transport"
	}
	return "kind_" + strconv.Itoa(int(k))
}

// Outcome is what one streaming request came to.
type Outcome struct {
	Kind Kind
	API  API
	// Status is the HTTP status (0 when the request never got one).
	Status int
	// Code is the error's code for Failed ("plugin_crashed"), derived from
	// the message where the wire shape carries none (Ollama).
	Code string
	// Chunks is how many in-order content chunks arrived; Want how many
	// the upstream sends.
	Chunks, Want int
	// Detail says what went wrong, for the report.
	Detail string
	// RetryAfter is the host's Retry-After on a refusal: a well-behaved
	// client waits that long before its next request.
	RetryAfter time.Duration
}

// request is one prepared streaming call.
type request struct {
	api  API
	url  string
	body []byte
	hdr  http.Header
	want int
}

// pinOpenAI sends the compatible surfaces' calls to the openai plugin
// (the soak's only running plugin, but the header makes that explicit).
var pinOpenAI = http.Header{"X-Roundhouse-Plugin": {"openai"}}

// newRequest builds the call for api asking the upstream for chunks
// numbered chunks (the upstream honours max_tokens exactly).
func newRequest(base string, api API, chunks int) request {
	n := strconv.Itoa(chunks)
	const msgs = `"messages":[{"role":"user","content":"soak"}]`
	switch api {
	case APINative:
		return request{api: api, url: base + "/v1/services/chat", want: chunks,
			body: []byte(`{"provider":"openai","model":"` + upstream.Model + `","stream":true,"options":{"max_tokens":` + n + `},` + msgs + `}`)}
	case APIOllama:
		return request{api: api, url: base + "/api/chat", want: chunks, hdr: pinOpenAI,
			body: []byte(`{"model":"` + upstream.Model + `","stream":true,"options":{"num_predict":` + n + `},` + msgs + `}`)}
	default:
		return request{api: APIOpenAI, url: base + "/v1/chat/completions", want: chunks, hdr: pinOpenAI,
			body: []byte(`{"model":"` + upstream.Model + `","stream":true,"max_tokens":` + n + `,` + msgs + `}`)}
	}
}

// errHangup is the cause the client cancels with when it hangs up on
// purpose, so a read error it causes is told from a broken connection.
var errHangup = errors.New("soak client hung up")

// do runs the request. hangupAt > 0 makes the client cancel after that
// many content chunks. The caller's ctx bounds the whole call (a stall is
// a Transport outcome).
func (rq request) do(ctx context.Context, c *http.Client, hangupAt int) Outcome {
	out := Outcome{API: rq.api, Want: rq.want}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rq.url, bytes.NewReader(rq.body))
	if err != nil {
		out.Kind, out.Detail = Transport, err.Error()
		return out
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range rq.hdr {
		req.Header[k] = v
	}
	resp, err := c.Do(req)
	if err != nil {
		out.Kind, out.Detail = Transport, "no answer: "+err.Error()
		return out
	}
	defer resp.Body.Close()
	out.Status = resp.StatusCode
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 2048))
		out.Kind = Failed
		out.Code = errorCode(b)
		out.Detail = fmt.Sprintf("HTTP %d: %.300s", resp.StatusCode, bytes.TrimSpace(b))
		if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && secs > 0 {
			out.RetryAfter = time.Duration(secs) * time.Second
		}
		return out
	}
	return rq.read(ctx, resp.Body, hangupAt, func() { cancel(errHangup) }, out)
}

// read consumes a 200 stream and classifies its end.
func (rq request) read(ctx context.Context, body io.Reader, hangupAt int, hangup func(), out Outcome) Outcome {
	var (
		chk      load.Checker
		event    string
		ended    bool   // the surface's end marker arrived
		failed   []byte // the error event's payload
		received int    // content chunks, counted as they come
		hungUp   bool
	)
	br := bufio.NewReaderSize(body, 64<<10)
	for {
		line, err := br.ReadBytes('\n')
		line = bytes.TrimRight(line, "\r\n")
		var data []byte
		switch {
		case rq.api == APIOllama:
			data = line
		case len(line) == 0:
			event = ""
		case bytes.HasPrefix(line, []byte("event:")):
			event = string(bytes.TrimSpace(line[len("event:"):]))
		case bytes.HasPrefix(line, []byte("data:")):
			data = bytes.TrimPrefix(line[len("data:"):], []byte(" "))
		}
		if len(data) > 0 && !hungUp {
			switch {
			case event == "error" || bytes.HasPrefix(data, []byte(`{"error"`)):
				failed = bytes.Clone(data)
			case bytes.Equal(data, []byte("[DONE]")):
				ended = rq.api == APIOpenAI
			default:
				if content, ok := load.ContentOf(data); ok && content != "" {
					chk.Feed(content)
					received++
				}
				// The native and Ollama surfaces end with "done": true;
				// OpenAI's finish chunk precedes [DONE], which is the end.
				if rq.api != APIOpenAI && bytes.Contains(data, []byte(`"done":true`)) {
					ended = true
				}
			}
			if hangupAt > 0 && received >= hangupAt && failed == nil && !ended {
				hungUp = true
				hangup()
			}
		}
		if err != nil {
			if hungUp {
				break
			}
			if err != io.EOF {
				out.Chunks = chk.Received()
				out.Kind = Transport
				if ctx.Err() != nil {
					out.Detail = fmt.Sprintf("stalled: no end after %d/%d chunks (%v)", chk.Received(), rq.want, context.Cause(ctx))
				} else {
					out.Detail = fmt.Sprintf("connection broke after %d/%d chunks: %v", chk.Received(), rq.want, err)
				}
				return out
			}
			break
		}
	}
	out.Chunks = chk.Received()
	switch {
	case hungUp:
		out.Kind = Hangup
		if err := chk.Finish(-1); err != nil {
			out.Kind, out.Detail = Disorder, "before hang-up: "+err.Error()
		}
	case failed != nil:
		out.Kind = Failed
		out.Code = errorCode(failed)
		out.Detail = fmt.Sprintf("error event after %d/%d chunks: %.300s", out.Chunks, rq.want, failed)
		if err := chk.Finish(-1); err != nil {
			out.Kind, out.Detail = Disorder, "before the error event: "+err.Error()
		}
	default:
		// Gaps and a short tail are losses; repeats, reorderings, extra
		// chunks and garbage are disorder. Both are bugs.
		err := chk.Finish(rq.want)
		switch {
		case err != nil && strings.Contains(err.Error(), "lost"):
			out.Kind, out.Detail = SilentLoss, fmt.Sprintf("ended without an error event: %v (end marker seen: %v)", err, ended)
		case err != nil:
			out.Kind, out.Detail = Disorder, err.Error()
		case !ended:
			out.Kind, out.Detail = SilentLoss, fmt.Sprintf("all %d chunks but no end marker and no error event", rq.want)
		default:
			out.Kind = Completed
		}
	}
	return out
}

// errorCode extracts the code of an error body in any of the host's
// shapes: native and OpenAI {"error":{"code":"plugin_crashed",...}};
// Ollama {"error":"message"}, whose code is inferred from the message
// the host's supervisor and router write (host/supervisor.go,
// host/router.go).
func errorCode(b []byte) string {
	var v struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(b, &v) != nil || len(v.Error) == 0 {
		return "unparsed"
	}
	var obj struct {
		Code    *string `json:"code"`
		Message string  `json:"message"`
	}
	if json.Unmarshal(v.Error, &obj) == nil {
		if obj.Code != nil && *obj.Code != "" {
			return *obj.Code
		}
		return codeFromMessage(obj.Message)
	}
	var msg string
	if json.Unmarshal(v.Error, &msg) == nil {
		return codeFromMessage(msg)
	}
	return "unparsed"
}

// codeFromMessage maps the supervisor's and router's messages to their
// codes, for the Ollama surface that sends only a message.
func codeFromMessage(msg string) string {
	switch {
	case strings.Contains(msg, "exited during the call"):
		return "plugin_crashed"
	case strings.Contains(msg, "did not answer"), strings.Contains(msg, "no running plugin offers"):
		return "service_unavailable"
	case strings.Contains(msg, "failed to start"):
		return "plugin_start_failed"
	case strings.Contains(msg, "shutting down"):
		return "unavailable"
	}
	return "unknown"
}
