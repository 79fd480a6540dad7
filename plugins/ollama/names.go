package main

import (
	"strings"
	"unicode"

	"github.com/roundhouse-ai/roundhouse/sdk"
)

// Model names travel from HTTP clients to Ollama, which turns them into
// paths under its models directory and into registry URLs. Ollama checks
// them too, but we reject bad ones first so the caller gets a precise
// error naming the field, and so nothing path-like ever reaches the engine.
const (
	maxModelNameLen = 350 // Ollama's own limit for a whole name
	maxPartLen      = 80  // namespace, model and tag
	maxHostLen      = 253 // a DNS name
)

// validateModelName accepts Ollama model references:
//
//	model[:tag]
//	namespace/model[:tag]
//	host[:port]/namespace/model[:tag]
//
// and rejects anything that could be read as a path: "..", backslashes, a
// leading "/", empty segments, control characters and spaces.
func validateModelName(name string) error {
	bad := func(format string, args ...any) error {
		e := sdk.Errorf(sdk.CodeModelInvalidName, format, args...)
		e.Field = "model"
		return e
	}
	switch {
	case name == "":
		return bad("a model name is required, such as llama3.2:1b (ListModels shows the installed ones)")
	case len(name) > maxModelNameLen:
		return bad("model name is %d bytes long; the limit is %d", len(name), maxModelNameLen)
	case strings.Contains(name, ".."):
		return bad("model name %q must not contain \"..\"", name)
	case strings.Contains(name, `\`):
		return bad("model name %q must not contain backslashes", name)
	case strings.HasPrefix(name, "/"):
		return bad("model name %q must not start with \"/\"", name)
	case strings.HasSuffix(name, "/"):
		return bad("model name %q must not end with \"/\"", name)
	}
	for _, r := range name {
		if unicode.IsControl(r) || unicode.IsSpace(r) {
			return bad("model name %q must not contain spaces or control characters", name)
		}
	}

	parts := strings.Split(name, "/")
	if len(parts) > 3 {
		return bad("model name %q has %d path segments; use host[:port]/namespace/model[:tag] at most", name, len(parts))
	}
	last := parts[len(parts)-1]
	model, tag, hasTag := strings.Cut(last, ":")
	if hasTag {
		if !validPart(tag, maxPartLen) {
			return bad("tag %q in %q: use letters, digits, '_', '-' and '.' (at most %d), not starting with '-' or '.'", tag, name, maxPartLen)
		}
	}
	if !validPart(model, maxPartLen) {
		return bad("model %q in %q: use letters, digits, '_', '-' and '.' (at most %d), starting with a letter or digit", model, name, maxPartLen)
	}
	if len(parts) >= 2 {
		ns := parts[len(parts)-2]
		if !validPart(ns, maxPartLen) {
			return bad("namespace %q in %q: use letters, digits, '_', '-' and '.'", ns, name)
		}
	}
	if len(parts) == 3 && !validHost(parts[0]) {
		return bad("registry host %q in %q: use host or host:port", parts[0], name)
	}
	return nil
}

// validPart: starts with a letter, digit or '_', then letters, digits, '_',
// '-' and '.'.
func validPart(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for i, r := range s {
		switch {
		case r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_'):
		case i > 0 && (r == '-' || r == '.'):
		default:
			return false
		}
	}
	return true
}

// validHost: a DNS name or IPv4 address with an optional numeric port.
func validHost(s string) bool {
	host, port, hasPort := strings.Cut(s, ":")
	if hasPort {
		if port == "" || len(port) > 5 {
			return false
		}
		for _, r := range port {
			if r < '0' || r > '9' {
				return false
			}
		}
	}
	if host == "" || len(host) > maxHostLen {
		return false
	}
	for i, r := range host {
		switch {
		case r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r)):
		case i > 0 && (r == '-' || r == '.' || r == '_'):
		default:
			return false
		}
	}
	return true
}
