// Command roundhouse-plugin-ollama is Roundhouse's Ollama plugin. It serves
// chat, generate and embed through an Ollama server, and manages that
// server and its models.
//
// Modes: "managed", where the plugin runs `ollama serve` itself (started
// by the first call that needs it, in its own process group, restarted by
// a watchdog if it dies, stopped with the plugin), or "attached", where it
// uses an Ollama someone else runs and never starts, stops or upgrades it.
//
// Settings (Configure's settings map, from the host config's
// plugins.ollama.settings):
//
//	engine_host      host:port of the engine (default: the manifest's, 127.0.0.1:16677)
//	manage_engine    auto (attach if an Ollama answers there, else run one) | true | false
//	ollama_path      the ollama executable; default: the installed copy, then PATH
//	models_dir       OLLAMA_MODELS of a managed engine (default <data_dir>/models)
//	download_dir     where engine downloads are staged (default <data_dir>/downloads)
//	download_url     engine archive (.tgz/.zip) for InstallEngine requests without a url
//	download_sha256  its sha256 (required with download_url)
//	engine_env       extra environment for a managed engine, e.g. {"OLLAMA_NUM_PARALLEL": "2"}
//	start_timeout    seconds to wait for a managed engine to answer (default 60)
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
