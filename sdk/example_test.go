package sdk_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/roundhouse-ai/roundhouse/sdk"
)

// shout is a minimal plugin: one chat service, streaming and not.
type shout struct{ sdk.UnimplementedPlugin }

func (shout) Chat(ctx context.Context, req *sdk.ChatRequest) (*sdk.ChatResponse, error) {
	if len(req.Messages) == 0 {
		return nil, sdk.FieldError("messages", "at least one message is required")
	}
	text := strings.ToUpper(req.Messages[len(req.Messages)-1].Content)
	return &sdk.ChatResponse{Model: req.Model, FinishReason: "stop",
		Message: sdk.Message{Role: "assistant", Content: text}}, nil
}

func (s shout) ChatStream(ctx context.Context, req *sdk.ChatRequest, send func(*sdk.ChatChunk) error) error {
	resp, err := s.Chat(ctx, req)
	if err != nil {
		return err
	}
	for _, word := range strings.Fields(resp.Message.Content) {
		if err := send(&sdk.ChatChunk{Content: word + " "}); err != nil {
			return err // the caller went away
		}
	}
	return send(&sdk.ChatChunk{Done: true, FinishReason: "stop"})
}

// A plugin's main only calls Serve; the rest of the program is its methods.
func Example() {
	// In the plugin's main package:
	//
	//	func main() {
	//		if err := sdk.Serve(shout{}); err != nil {
	//			fmt.Fprintln(os.Stderr, err)
	//			os.Exit(1)
	//		}
	//	}
	//
	// Here the plugin is called directly to show what it answers.
	resp, _ := shout{}.Chat(context.Background(), &sdk.ChatRequest{
		Messages: []sdk.Message{{Role: "user", Content: "hello plugin"}},
	})
	fmt.Println(resp.Message.Content)
	// Output: HELLO PLUGIN
}

// Errors carry a code, a field and a retry hint to the host, which turns
// them into HTTP statuses.
func ExampleFieldError() {
	err := sdk.FieldError("messages", "at least one message is required")
	fmt.Println(err, "->", sdk.ErrorCode(err).HTTPStatus())
	// Output: messages: at least one message is required -> 400
}

// A plugin offers the services it has methods for; the host refuses to
// run it when its plugin.yaml declares any other.
func ExampleImplementedServices() {
	fmt.Println(sdk.ImplementedServices(shout{}))
	// Output: [chat]
}

// A plugin that streams gets the unary method from Serve; an adapter
// shows what that answers.
func ExampleChatFromStream() {
	chat := sdk.ChatFromStream(func(ctx context.Context, req *sdk.ChatRequest, send func(*sdk.ChatChunk) error) error {
		for _, w := range []string{"Hello", ", ", "world"} {
			if err := send(&sdk.ChatChunk{Content: w}); err != nil {
				return err
			}
		}
		return send(&sdk.ChatChunk{Done: true, FinishReason: "stop", Usage: &sdk.Usage{CompletionTokens: 3}})
	})
	resp, _ := chat(context.Background(), &sdk.ChatRequest{Model: "m"})
	fmt.Println(resp.Message.Content, resp.FinishReason, resp.Usage.CompletionTokens)
	// Output: Hello, world stop 3
}
