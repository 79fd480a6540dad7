# Roundhouse real test bed: a real Ollama built from source, a deterministic
# tiny GGUF model and a local OCI registry. Included by the main Makefile.
# See internal/testbed/README.md.

CACHE_DIR ?= $(CURDIR)/.cache
OLLAMA_VERSION ?= 0.17.4
GO ?= go

# Repository root, from this fragment's own location (robust to make -C / -f).
TESTBED_ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/..)
OLLAMA_BIN = $(CACHE_DIR)/ollama/$(OLLAMA_VERSION)/bin/ollama
# Tests and tools find the same cache as the Makefile through these.
TESTBED_ENV = ROUNDHOUSE_CACHE_DIR=$(CACHE_DIR) OLLAMA_VERSION=$(OLLAMA_VERSION)

.PHONY: ollama tiny-model big-model testbed-check testbed-test testbed-clean

## ollama: build (once, ~6 min on 2 cores) $(CACHE_DIR)/ollama/$(OLLAMA_VERSION)/bin/ollama
ollama:
	@CACHE_DIR="$(CACHE_DIR)" OLLAMA_VERSION="$(OLLAMA_VERSION)" GO="$(GO)" "$(TESTBED_ROOT)/scripts/build-ollama.sh"

## tiny-model: write $(CACHE_DIR)/models/{tiny.gguf,Modelfile} (~600 KB, deterministic)
tiny-model:
	cd "$(TESTBED_ROOT)" && $(GO) run ./internal/testbed/cmd/mktiny -out "$(CACHE_DIR)/models"

## big-model: write $(CACHE_DIR)/models/big/{big.gguf,Modelfile} (~50 MB, deterministic)
big-model:
	cd "$(TESTBED_ROOT)" && $(GO) run ./internal/testbed/cmd/mktiny -out "$(CACHE_DIR)/models/big" -size big

## testbed-check: smoke test: registry+front+2 ollamas, create, push, pull, chat (TESTBED_CHECK_FLAGS=-big for the throttled 50 MB pull)
testbed-check: ollama
	cd "$(TESTBED_ROOT)" && $(TESTBED_ENV) $(GO) run ./internal/testbed/cmd/testbed-check -bin "$(OLLAMA_BIN)" $(TESTBED_CHECK_FLAGS)

## testbed-test: the test bed's own tests, including the real seed/pull/chat test
testbed-test: ollama
	cd "$(TESTBED_ROOT)" && $(TESTBED_ENV) $(GO) test -race -count=1 ./internal/testbed/...

## testbed-clean: drop seeded registry storage and generated models (keeps the ollama build)
testbed-clean:
	rm -rf "$(CACHE_DIR)/testbed" "$(CACHE_DIR)/models"
