package load

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// NewClient returns an HTTP/1.1 client for loopback load: no proxy (even
// if the environment sets one), no compression, and enough idle
// connections that every worker keeps its own.
func NewClient(conns int) *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        conns + 16,
		MaxIdleConnsPerHost: conns + 16,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}}
}

// Request is what each call sends: a POST of Body to URL.
type Request struct {
	URL    string
	Body   []byte
	Header http.Header
}

func (rq *Request) build(ctx context.Context) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rq.URL, bytes.NewReader(rq.Body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range rq.Header {
		req.Header[k] = v
	}
	return req, nil
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// statusError reads a short excerpt of a failed answer.
func statusError(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	return fmt.Errorf("HTTP %d: %s", resp.StatusCode, bytes.TrimSpace(b))
}

// Unary returns an Op that POSTs rq and reads the whole answer. A status
// other than 200, or an answer lacking want (when not empty), is an error.
func Unary(c *http.Client, rq Request, want []byte) Op {
	return func(ctx context.Context, _ int) Sample {
		req, err := rq.build(ctx)
		if err != nil {
			return Sample{Err: err}
		}
		t0 := time.Now()
		resp, err := c.Do(req)
		if err != nil {
			return Sample{Err: err}
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return Sample{Err: statusError(resp)}
		}
		buf := bufPool.Get().(*bytes.Buffer)
		buf.Reset()
		defer bufPool.Put(buf)
		if _, err := buf.ReadFrom(resp.Body); err != nil {
			return Sample{Err: err}
		}
		lat := time.Since(t0)
		if len(want) > 0 && !bytes.Contains(buf.Bytes(), want) {
			return Sample{Err: fmt.Errorf("answer lacks %q: %.200s", want, buf.Bytes())}
		}
		return Sample{Latency: lat}
	}
}

// StreamSpec describes a streaming call.
type StreamSpec struct {
	Request
	// NDJSON: the answer is one JSON object per line (Ollama); otherwise
	// SSE ("data: {...}" events, "event: error" for failures, an optional
	// "data: [DONE]").
	NDJSON bool
	// Numbered: chunk contents are the bench upstream's "c<i> " tokens
	// and are checked for loss and order; WantChunks is then how many a
	// stream must carry.
	Numbered   bool
	WantChunks int
}

var readerPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 64<<10) }}

// Stream returns an Op that POSTs s and reads the stream to its end,
// timing the first content chunk and counting the chunks.
func Stream(c *http.Client, s StreamSpec) Op {
	return func(ctx context.Context, _ int) Sample {
		req, err := s.build(ctx)
		if err != nil {
			return Sample{Err: err}
		}
		t0 := time.Now()
		resp, err := c.Do(req)
		if err != nil {
			return Sample{Err: err}
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return Sample{Err: statusError(resp)}
		}
		br := readerPool.Get().(*bufio.Reader)
		br.Reset(resp.Body)
		defer func() { br.Reset(nil); readerPool.Put(br) }()

		var (
			smp          Sample
			chk          Checker
			first, last  time.Time
			event        string
			scratch      []byte
			streamFailed error
		)
		for {
			line, err := br.ReadSlice('\n')
			if errors.Is(err, bufio.ErrBufferFull) {
				scratch = append(scratch[:0], line...)
				for errors.Is(err, bufio.ErrBufferFull) {
					line, err = br.ReadSlice('\n')
					scratch = append(scratch, line...)
				}
				line = scratch
			}
			if len(line) > 0 {
				line = bytes.TrimRight(line, "\r\n")
				var data []byte
				switch {
				case s.NDJSON:
					data = line
				case len(line) == 0:
					event = ""
				case bytes.HasPrefix(line, []byte("event:")):
					event = string(bytes.TrimSpace(line[len("event:"):]))
				case bytes.HasPrefix(line, []byte("data:")):
					data = bytes.TrimPrefix(line[len("data:"):], []byte(" "))
				}
				if len(data) > 0 {
					switch {
					case event == "error" || bytes.HasPrefix(data, []byte(`{"error"`)):
						streamFailed = fmt.Errorf("error event: %.300s", data)
					case bytes.Equal(data, []byte("[DONE]")):
						// the OpenAI end marker: nothing to count
					default:
						content, ok := ContentOf(data)
						if ok && content != "" {
							now := time.Now()
							if smp.Chunks == 0 {
								first = now
								smp.TTFC = now.Sub(t0)
							}
							last = now
							smp.Chunks++
							if s.Numbered {
								chk.Feed(content)
							}
						}
					}
				}
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				return Sample{Err: fmt.Errorf("reading stream after %d chunks: %w", smp.Chunks, err)}
			}
		}
		smp.Latency = time.Since(t0)
		if streamFailed != nil {
			return Sample{Err: streamFailed}
		}
		if smp.Chunks == 0 {
			return Sample{Err: errors.New("stream carried no content")}
		}
		if smp.Chunks > 1 {
			if d := last.Sub(first); d > 0 {
				smp.Rate = float64(smp.Chunks-1) / d.Seconds()
			}
		}
		if s.Numbered {
			smp.OrderErr = chk.Finish(s.WantChunks)
		}
		return smp
	}
}

var contentKey = []byte(`"content":"`)

// ContentOf returns the first "content" string of a JSON chunk: the
// native chunk's content, an OpenAI chunk's choices[0].delta.content or an
// Ollama chunk's message.content. ok is false when there is none.
func ContentOf(data []byte) (string, bool) {
	i := bytes.Index(data, contentKey)
	if i < 0 {
		return "", false
	}
	rest := data[i+len(contentKey):]
	escaped := false
	for j := 0; j < len(rest); j++ {
		switch rest[j] {
		case '\\':
			escaped = true
			j++ // skip the escaped byte
		case '"':
			if !escaped {
				return string(rest[:j]), true
			}
			// rest[j] closes the string: unescape it as JSON, opening
			// quote included.
			var s string
			if json.Unmarshal(data[i+len(contentKey)-1:i+len(contentKey)+j+1], &s) != nil {
				return "", false
			}
			return s, true
		}
	}
	return "", false
}
