package anthropicwire

import (
	"context"
	"net/http"
	"time"

	"github.com/roundhouse-ai/roundhouse/sdk/wire/openaiwire"
	"github.com/roundhouse-ai/roundhouse/types"
)

const (
	// DefaultVersion is the anthropic-version header sent when the
	// transport's headers set none.
	DefaultVersion = "2023-06-01"
	// DefaultMaxTokens is max_tokens when the request sets none: the
	// Messages API requires the field.
	DefaultMaxTokens = 4096
	// messagesPath is under the base URL (https://api.anthropic.com/v1).
	messagesPath = "/messages"
)

// Client calls the Messages API of one upstream.
type Client struct {
	wire *openaiwire.Client
	// MaxTokens is max_tokens for requests without Options.MaxTokens; 0
	// is DefaultMaxTokens.
	MaxTokens int
}

// New makes a client on transport t: a copy of t that sends the key as
// x-api-key (unless t sends none), the anthropic-version header, and
// maps errors as Anthropic words them. t itself is not changed.
func New(t *openaiwire.Client) *Client {
	w := *t
	w.Header = t.Header.Clone()
	if w.Header == nil {
		w.Header = http.Header{}
	}
	if w.Header.Get("Anthropic-Version") == "" {
		w.Header.Set("Anthropic-Version", DefaultVersion)
	}
	if w.Auth != openaiwire.AuthNone {
		w.Auth = openaiwire.AuthXAPIKey
	}
	w.MapError = MapError
	return &Client{wire: &w}
}

func (c *Client) maxTokens() int {
	if c.MaxTokens > 0 {
		return c.MaxTokens
	}
	return DefaultMaxTokens
}

// Chat sends a Messages request and reads the whole answer.
func (c *Client) Chat(ctx context.Context, req *types.ChatRequest) (*types.ChatResponse, error) {
	body, err := BuildMessages(req, false, c.maxTokens())
	if err != nil {
		return nil, err
	}
	u, err := c.wire.PostJSON(ctx, messagesPath, req.Model, body)
	if err != nil {
		return nil, err
	}
	defer u.Close()
	var m message
	if err := c.wire.DecodeAnswer(messagesPath, u.Data, &m); err != nil {
		return nil, err
	}
	if m.Type != "" && m.Type != "message" {
		return nil, c.wire.BadAnswer(messagesPath, errorString("the answer is a "+m.Type+", not a message"))
	}
	return m.toChat(req.Model), nil
}

type errorString string

func (e errorString) Error() string { return string(e) }

func (c *Client) now() time.Time {
	if c.wire.Now != nil {
		return c.wire.Now()
	}
	return time.Now()
}

// Transport is the client's transport: the openaiwire.Client it sends
// with, set up for Anthropic (x-api-key, anthropic-version, MapError), for
// other calls on the same upstream such as GET /models.
func (c *Client) Transport() *openaiwire.Client { return c.wire }
