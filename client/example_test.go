package client_test

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/roundhouse-ai/roundhouse/client"
	"github.com/roundhouse-ai/roundhouse/types"
)

// A desktop app: pull a model with progress, call a service by name, and
// stream a chat answer.
func Example() {
	ctx := context.Background()
	c, err := client.New("127.0.0.1:7700", nil, client.WithAPIKey(os.Getenv("ROUNDHOUSE_API_KEY")))
	if err != nil {
		panic(err)
	}
	err = c.Pull(ctx, &client.PullRequest{Model: "llama3.2:1b"}, func(ev client.ProgressEvent) error {
		fmt.Printf("\r%s %d/%d", ev.Status, ev.Completed, ev.Total) // a progress bar in a real app
		return nil
	})
	var se *client.StatusError
	if errors.As(err, &se) && se.Code() == types.CodeModelNotFound {
		fmt.Println("no such model in the registry")
	}
	ranked, _ := c.Invoke(ctx, "rerank", &types.RerankRequest{Query: "cats", Documents: []string{"dogs", "kittens"}}, client.Options{Policy: client.PolicyLocal})
	fmt.Println(string(ranked))
	_ = c.ChatStream(ctx, &types.ChatRequest{Model: "llama3.2:1b", Messages: []types.Message{{Role: "user", Content: "Hello!"}}},
		client.Options{}, func(ch *types.ChatChunk) error { fmt.Print(ch.Content); return nil })
}
