// Command roundhouse-plugin-openvino is Roundhouse's OpenVINO Model
// Server (OVMS) plugin. It serves chat, generate, embed, rerank,
// text-to-image, image-to-image, speech-to-text and text-to-speech through
// OVMS's OpenAI-compatible /v3 API, and manages OVMS and its models.
//
// Modes: "managed", where the plugin installs OVMS from a release archive
// (URL + sha256) and runs `ovms` itself as its own child (own process
// group, restarted with backoff when it dies, stopped with the plugin),
// or "attached", where it uses an OVMS someone else runs and never starts,
// stops or upgrades it.
//
// The model registry is OVMS's own config.json: loading a model adds it
// there (atomically) and asks OVMS to reload, unloading removes it.
// Models are pulled with OVMS's own `ovms --pull` from Hugging Face into
// the model repository. See README.md for the settings.
//
// The Roundhouse host starts this program; see plugin.yaml.
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
