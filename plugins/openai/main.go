// Command roundhouse-plugin-openai is Roundhouse's remote plugin for the
// OpenAI API and OpenAI-compatible servers (vLLM, Ollama's /v1, Groq...).
//
// It serves chat, completions (generate), embeddings, image generation,
// text-to-speech and speech-to-text through any number of provider
// instances, each with its own base URL and pool of API keys. The host
// hands it providers through Configure; see plugin.go for routing and
// keypool.go for key rotation.
package main

import (
	"fmt"
	"os"

	"github.com/roundhouse-ai/roundhouse/sdk"
)

func main() {
	if err := sdk.Serve(newPlugin()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
