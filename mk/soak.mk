# Roundhouse soak: many streaming clients through the real host and the
# real openai plugin for a long time, the plugin SIGKILLed every
# SOAK_KILL_EVERY; fails on a silent chunk loss, an unexpected error, or
# host RSS/fd/goroutine growth. Included by the main Makefile.
# See internal/soak.

GO ?= go
SOAK_DURATION ?= 10m
SOAK_CLIENTS ?= 100
SOAK_KILL_EVERY ?= 1m
# Where the Markdown report goes (empty: printed only).
SOAK_OUT ?= docs/soak-last.md
SOAK_FLAGS ?=

.PHONY: soak bigbody

## soak: build, then run the soak (SOAK_DURATION=10m SOAK_CLIENTS=100 SOAK_KILL_EVERY=1m SOAK_OUT=docs/soak-last.md)
soak: build
	$(GO) run ./internal/soak/cmd/soak -duration $(SOAK_DURATION) -clients $(SOAK_CLIENTS) \
		-kill-every $(SOAK_KILL_EVERY) $(if $(SOAK_OUT),-out $(SOAK_OUT)) $(SOAK_FLAGS)

# Memory under large bodies: host and openai plugin RSS (baseline → peak)
# under ten concurrent 31 MiB chats (default and raised limits) and
# twenty stalled 31 MiB uploads. ~4 minutes. See docs/reliability.md.
BIGBODY_FLAGS ?=

## bigbody: build, then measure RSS under 31 MiB bodies (BIGBODY_FLAGS='-profile /tmp/heap -cases chat-json32')
bigbody: build
	$(GO) run ./internal/soak/cmd/bigbody $(BIGBODY_FLAGS)
