#!/usr/bin/env bash
# `make run`: start the Roundhouse host with a working chat engine.
#
#  - An Ollama already answering at 127.0.0.1:11434 is attached (never
#    started, stopped or upgraded by Roundhouse).
#  - Else an `ollama` on PATH is run and managed by the ollama plugin.
#  - Else (fresh, offline machine) the project's test-bed Ollama is built
#    once (cached in .cache/) with the generated tiny model, and managed.
#
# Env: ROUNDHOUSE_HOST (default 127.0.0.1:7700), CACHE_DIR, OLLAMA_VERSION.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
CACHE_DIR="${CACHE_DIR:-$ROOT/.cache}"
OLLAMA_VERSION="${OLLAMA_VERSION:-0.17.4}"
LISTEN="${ROUNDHOUSE_HOST:-127.0.0.1:7700}"
RUN_DIR="$CACHE_DIR/run"
mkdir -p "$RUN_DIR"
say() { echo "run: $*" >&2; }

answers() { curl -fsS --max-time 1 "http://$1/api/version" >/dev/null 2>&1; }

settings=""
model_hint="a model you have (roundhouse models ls)"
if answers 127.0.0.1:11434; then
	say "using the Ollama already running at 127.0.0.1:11434 (attached: Roundhouse will not stop it)"
	settings="engine_host: 127.0.0.1:11434
        manage_engine: \"false\""
elif command -v ollama >/dev/null 2>&1; then
	say "using $(command -v ollama), run and managed by the ollama plugin"
	settings="ollama_path: $(command -v ollama)
        engine_host: 127.0.0.1:16677
        manage_engine: \"true\"
        models_dir: $RUN_DIR/models"
else
	say "no Ollama installed: building the test-bed Ollama $OLLAMA_VERSION (once; cached in $CACHE_DIR)"
	make --no-print-directory ollama tiny-model CACHE_DIR="$CACHE_DIR" OLLAMA_VERSION="$OLLAMA_VERSION" >&2
	OLLAMA_BIN="$CACHE_DIR/ollama/$OLLAMA_VERSION/bin/ollama"
	MODELS="$RUN_DIR/models"
	if [ ! -e "$MODELS/manifests/registry.ollama.ai/library/tiny/latest" ]; then
		say "importing the tiny model into $MODELS"
		port=$((20000 + RANDOM % 20000))
		OLLAMA_HOST="127.0.0.1:$port" OLLAMA_MODELS="$MODELS" HOME="$RUN_DIR/home" OLLAMA_NO_CLOUD=1 \
			"$OLLAMA_BIN" serve >"$RUN_DIR/import.log" 2>&1 &
		pid=$!
		trap 'kill $pid 2>/dev/null || true' EXIT
		for _ in $(seq 100); do answers "127.0.0.1:$port" && break; sleep 0.1; done
		(cd "$CACHE_DIR/models" && OLLAMA_HOST="127.0.0.1:$port" HOME="$RUN_DIR/home" "$OLLAMA_BIN" create tiny -f Modelfile) >&2
		kill "$pid"; wait "$pid" 2>/dev/null || true
		trap - EXIT
	fi
	settings="ollama_path: $OLLAMA_BIN
        engine_host: 127.0.0.1:16677
        manage_engine: \"true\"
        models_dir: $MODELS"
	model_hint="tiny"
fi

cat >"$RUN_DIR/roundhouse.yaml" <<YAML
# Written by scripts/run.sh (make run).
listen: $LISTEN
plugin_dirs: [$ROOT/bin/plugins]
data_dir: $RUN_DIR/data
plugins:
    ollama:
      settings:
        $settings
YAML
chmod 600 "$RUN_DIR/roundhouse.yaml"

"$ROOT/bin/roundhouse" serve --config "$RUN_DIR/roundhouse.yaml" &
host=$!
stop() { kill -TERM $host 2>/dev/null; wait $host 2>/dev/null; }
trap 'stop; exit 0' INT TERM
trap stop EXIT
for _ in $(seq 100); do curl -fsS --max-time 1 "http://$LISTEN/health" >/dev/null 2>&1 && break; sleep 0.1; done
cat >&2 <<EOT

Roundhouse is running at http://$LISTEN (config: $RUN_DIR/roundhouse.yaml). Try:

  bin/roundhouse status
  bin/roundhouse run $model_hint "hello"
  curl -s http://$LISTEN/v1/chat/completions -H 'Content-Type: application/json' \\
       -d '{"model":"$model_hint","messages":[{"role":"user","content":"hello"}]}'
  curl -s http://$LISTEN/api/tags        # Ollama-compatible API

Ctrl-C stops the host and the engine it started.
EOT
wait $host
