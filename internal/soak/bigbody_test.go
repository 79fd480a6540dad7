package soak

import (
	"encoding/json"
	"testing"
)

func TestChatBody(t *testing.T) {
	for _, size := range []int64{512, 1 << 20, 31<<20 + 7} {
		b := chatBody(size)
		if int64(len(b)) != size {
			t.Fatalf("chatBody(%d) is %d bytes", size, len(b))
		}
		var req struct {
			Model    string `json:"model"`
			Messages []struct {
				Role, Content string
			} `json:"messages"`
		}
		if err := json.Unmarshal(b, &req); err != nil || len(req.Messages) != 1 || req.Messages[0].Role != "user" {
			t.Fatalf("chatBody(%d): %v %+v", size, err, req.Model)
		}
	}
}
