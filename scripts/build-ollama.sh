#!/usr/bin/env bash
# Build (once) the Ollama server binary used by Roundhouse's real test bed.
#
# Usage: scripts/build-ollama.sh [--force]
#   OLLAMA_VERSION  Ollama release to build        (default 0.17.4)
#   CACHE_DIR       cache root                     (default <repo>/.cache)
#   GO              go command                     (default go)
#   --force         rebuild even if the cached binary works
#
# Output: $CACHE_DIR/ollama/$OLLAMA_VERSION/bin/ollama
#
# The build runs `go install github.com/ollama/ollama@vX` from a scratch
# directory (outside this module, GOFLAGS=-mod=mod), so it never touches this
# repo's go.mod/go.sum. cgo compiles the CPU ggml backend (~6 min on 2 cores).
# Go module zips drop a few vendored llama.cpp headers; they come from Debian
# packages (nlohmann-json3-dev, libstb-dev) plus a stub miniaudio.h that this
# script writes into the cache (audio input then fails cleanly; text is fine).
set -euo pipefail

die() { echo "build-ollama: error: $*" >&2; exit 1; }
log() { echo "build-ollama: $*" >&2; }

FORCE=0
for a in "$@"; do
	case "$a" in
	--force) FORCE=1 ;;
	-h|--help) sed -n '2,20p' "$0"; exit 0 ;;
	*) die "unknown argument: $a" ;;
	esac
done

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OLLAMA_VERSION="${OLLAMA_VERSION:-0.17.4}"
OLLAMA_VERSION="${OLLAMA_VERSION#v}"
CACHE_DIR="${CACHE_DIR:-$REPO_ROOT/.cache}"
mkdir -p "$CACHE_DIR"
CACHE_DIR="$(cd "$CACHE_DIR" && pwd)"

DEST_DIR="$CACHE_DIR/ollama/$OLLAMA_VERSION"
DEST_BIN="$DEST_DIR/bin/ollama"

if [[ $FORCE -eq 0 && -x "$DEST_BIN" ]]; then
	if out="$("$DEST_BIN" --version 2>&1)"; then
		log "already built: $DEST_BIN ($(echo "$out" | tail -n1))"
		echo "$DEST_BIN"
		exit 0
	fi
	log "cached binary at $DEST_BIN does not run (--version failed); rebuilding"
fi

GO="${GO:-go}"
command -v "$GO" >/dev/null 2>&1 || die "$GO not found in PATH (need Go >= 1.24; /usr/local/go/bin?)"
command -v gcc >/dev/null 2>&1 || die "gcc not found: apt-get install build-essential"
command -v g++ >/dev/null 2>&1 || die "g++ not found: apt-get install build-essential"

# Header checks: ask the C++ preprocessor, so any include path works.
have_header() {
	printf '#include <%s>\n' "$1" | g++ -x c++ -E - $CGO_CPPFLAGS_EXTRA >/dev/null 2>&1
}
CGO_CPPFLAGS_EXTRA="${CGO_CPPFLAGS:-}"
missing=()
have_header nlohmann/json_fwd.hpp || missing+=("nlohmann-json3-dev (nlohmann/json_fwd.hpp)")
have_header stb/stb_image.h || missing+=("libstb-dev (stb/stb_image.h)")
if [[ ${#missing[@]} -gt 0 ]]; then
	echo "build-ollama: error: missing C/C++ headers needed by llama.cpp inside the Ollama module:" >&2
	for m in "${missing[@]}"; do echo "  - $m" >&2; done
	echo "install them with: apt-get install -y nlohmann-json3-dev libstb-dev" >&2
	exit 1
fi

# Stub for miniaudio (no Debian package; only used for audio input in mtmd).
STUB_DIR="$CACHE_DIR/ollama/include"
mkdir -p "$STUB_DIR/miniaudio"
STUB="$STUB_DIR/miniaudio/miniaudio.h"
STUB_TMP="$(mktemp "$STUB_DIR/miniaudio/.miniaudio.h.XXXXXX")"
cat >"$STUB_TMP" <<'HDR'
/* Roundhouse test-bed stub: the real miniaudio.h is not shipped in Go module
 * zips nor packaged by Debian. Decoding always fails, so audio input is
 * rejected cleanly; text and image paths are unaffected. */
#ifndef ROUNDHOUSE_MINIAUDIO_STUB_H
#define ROUNDHOUSE_MINIAUDIO_STUB_H
#include <stddef.h>
#include <stdint.h>
typedef int ma_result;
typedef uint32_t ma_uint32;
typedef uint64_t ma_uint64;
#define MA_SUCCESS 0
#define MA_ERROR (-1)
#define MA_AT_END (-17)
typedef enum { ma_format_unknown = 0, ma_format_u8, ma_format_s16, ma_format_s24, ma_format_s32, ma_format_f32 } ma_format;
typedef struct { ma_format format; ma_uint32 channels; ma_uint32 sampleRate; } ma_decoder_config;
typedef struct { ma_format outputFormat; ma_uint32 outputChannels; ma_uint32 outputSampleRate; } ma_decoder;
static inline ma_decoder_config ma_decoder_config_init(ma_format f, ma_uint32 ch, ma_uint32 sr) {
	ma_decoder_config c; c.format = f; c.channels = ch; c.sampleRate = sr; return c;
}
static inline ma_result ma_decoder_init_memory(const void *d, size_t n, const ma_decoder_config *c, ma_decoder *dec) {
	(void)d; (void)n; (void)c; (void)dec; return MA_ERROR;
}
static inline ma_result ma_decoder_init_file(const char *p, const ma_decoder_config *c, ma_decoder *dec) {
	(void)p; (void)c; (void)dec; return MA_ERROR;
}
static inline ma_result ma_decoder_get_length_in_pcm_frames(ma_decoder *dec, ma_uint64 *n) {
	(void)dec; if (n) *n = 0; return MA_ERROR;
}
static inline ma_result ma_decoder_read_pcm_frames(ma_decoder *dec, void *out, ma_uint64 n, ma_uint64 *read) {
	(void)dec; (void)out; (void)n; if (read) *read = 0; return MA_AT_END;
}
static inline ma_result ma_decoder_uninit(ma_decoder *dec) { (void)dec; return MA_SUCCESS; }
#endif
HDR
chmod 0644 "$STUB_TMP"
mv -f "$STUB_TMP" "$STUB"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/build-ollama.XXXXXX")"
trap 'chmod -R u+w "$WORK" 2>/dev/null || true; rm -rf "$WORK"' EXIT
mkdir -p "$WORK/bin" "$WORK/scratch"

log "building github.com/ollama/ollama@v$OLLAMA_VERSION (cgo, CPU backend; several minutes)"
start=$(date +%s)
(
	cd "$WORK/scratch"
	export GOBIN="$WORK/bin"
	export GOFLAGS=-mod=mod
	export GOWORK=off
	export CGO_ENABLED=1
	export CGO_CPPFLAGS="-I$STUB_DIR${CGO_CPPFLAGS:+ $CGO_CPPFLAGS}"
	"$GO" install \
		-ldflags "-s -w -X github.com/ollama/ollama/version.Version=$OLLAMA_VERSION" \
		"github.com/ollama/ollama@v$OLLAMA_VERSION"
) || die "go install github.com/ollama/ollama@v$OLLAMA_VERSION failed (see output above)"
end=$(date +%s)

[[ -x "$WORK/bin/ollama" ]] || die "go install succeeded but produced no $WORK/bin/ollama"
"$WORK/bin/ollama" --version >/dev/null 2>&1 || die "built binary does not run: $WORK/bin/ollama --version"

mkdir -p "$DEST_DIR/bin"
# Same filesystem as the destination, then rename(2): readers never see a partial file.
TMP_BIN="$(mktemp "$DEST_DIR/bin/.ollama.XXXXXX")"
cp "$WORK/bin/ollama" "$TMP_BIN"
chmod 0755 "$TMP_BIN"
mv -f "$TMP_BIN" "$DEST_BIN"
log "built $DEST_BIN in $((end - start))s ($("$DEST_BIN" --version 2>&1 | tail -n1))"
echo "$DEST_BIN"
