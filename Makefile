# Roundhouse: build, run, test.
#   make run     build everything and run the host (with a working Ollama)
#   make test    what CI runs: unit tests (race) + e2e against real engines
#   make unit    fast tests only
#   make e2e     stand up the real test bed and run the end-to-end tests
#   make bench   benchmarks; rewrites BENCHMARKS.md
#   make proto   regenerate the committed gRPC code;  make lint

SHELL := /bin/bash
GO ?= go
CACHE_DIR ?= $(CURDIR)/.cache
OLLAMA_VERSION ?= 0.17.4
BIN := $(CURDIR)/bin
PLUGINS := ollama openai openvino
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/roundhouse-ai/roundhouse/host.Version=$(VERSION)
TOOLS := $(CACHE_DIR)/bin
PROTOC_GEN_GO_VERSION := v1.36.11
PROTOC_GEN_GO_GRPC_VERSION := v1.6.0
BUF_VERSION := v1.75.0
# Tests need the test-bed Ollama: export its path for every test target.
export ROUNDHOUSE_OLLAMA_BIN ?= $(CACHE_DIR)/ollama/$(OLLAMA_VERSION)/bin/ollama
export CACHE_DIR OLLAMA_VERSION

.PHONY: all build plugins run test unit e2e bench proto proto-release lint tools clean

all: build

include mk/testbed.mk
include mk/soak.mk
include mk/fuzz.mk

build: plugins
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/roundhouse ./cmd/roundhouse

# Each first-party plugin goes to bin/plugins/<name>/ with its manifest,
# where the embedded default config looks for plugins.
plugins:
	@for p in $(PLUGINS); do \
		mkdir -p $(BIN)/plugins/$$p && \
		$(GO) build -o $(BIN)/plugins/$$p/roundhouse-plugin-$$p ./plugins/$$p && \
		cp plugins/$$p/plugin.yaml $(BIN)/plugins/$$p/plugin.yaml || exit 1; \
	done

run: build
	@scripts/run.sh

unit:
	$(GO) test -race -short -count=1 ./...

# End-to-end: real Ollama (built once into .cache), the generated tiny
# model, a local OCI registry, real plugin subprocesses, official clients.
# ROUNDHOUSE_REQUIRE_TESTBED=1 turns "test bed missing" from a skip into a failure.
e2e: ollama plugins
	ROUNDHOUSE_REQUIRE_TESTBED=1 ROUNDHOUSE_PLUGIN_BIN=$(BIN)/plugins $(GO) test -race -count=1 -timeout 25m \
		./e2e/... ./plugins/... ./internal/testbed/...

test: unit e2e

bench: build ollama
	ROUNDHOUSE_PLUGIN_BIN=$(BIN)/plugins $(GO) run ./internal/bench/cmd/benchall -out BENCHMARKS.md

tools: $(TOOLS)/protoc-gen-go $(TOOLS)/protoc-gen-go-grpc $(TOOLS)/buf

$(TOOLS)/protoc-gen-go:
	GOBIN=$(TOOLS) $(GO) install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)
$(TOOLS)/protoc-gen-go-grpc:
	GOBIN=$(TOOLS) $(GO) install google.golang.org/grpc/cmd/protoc-gen-go-grpc@$(PROTOC_GEN_GO_GRPC_VERSION)
$(TOOLS)/buf:
	GOBIN=$(TOOLS) $(GO) install github.com/bufbuild/buf/cmd/buf@$(BUF_VERSION)

proto: tools
	$(TOOLS)/buf lint
	$(TOOLS)/buf generate

# The wire contract as last released: `buf breaking` holds every change
# to it (additive only). Refresh it when a version is released:
# make proto-release RELEASE=v0.2.0
PROTO_RELEASED := proto/released/v0.1.0.binpb

lint: $(TOOLS)/buf
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1; }
	$(GO) vet ./...
	$(TOOLS)/buf lint
	$(TOOLS)/buf breaking --against $(PROTO_RELEASED)

proto-release: $(TOOLS)/buf
	@test -n "$(RELEASE)" || { echo "usage: make proto-release RELEASE=vX.Y.Z"; exit 1; }
	$(TOOLS)/buf build -o proto/released/$(RELEASE).binpb

clean:
	rm -rf $(BIN)
