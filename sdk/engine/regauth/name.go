package regauth

import (
	"strings"

	"github.com/roundhouse-ai/roundhouse/types"
)

// ref is a model name split the way a registry sees it.
type ref struct {
	host string // "registry.example.com", "127.0.0.1:5000"
	ns   string // namespace ("library" when the name has none)
	repo string // the model's repository name inside ns
	tag  string // "latest" when the name has none
}

// path is the repository path in the distribution API ("ns/model").
func (r ref) path() string { return r.ns + "/" + r.repo }

// parseRef splits "host/ns/model[:tag]" (or "host/model[:tag]", whose
// namespace is "library" as for Ollama). The host is required: this
// package is for registries named in the model name.
func parseRef(model string) (ref, error) {
	bad := func(why string) (ref, error) {
		return ref{}, &types.Error{Code: types.CodeModelInvalidName, Field: "model",
			Message: "model " + model + ": " + why + " (a model in a private registry is named host/namespace/model:tag)"}
	}
	name, tag := model, "latest"
	if i := strings.LastIndexByte(name, ':'); i > strings.LastIndexByte(name, '/') {
		name, tag = name[:i], name[i+1:]
	}
	if tag == "" {
		return bad("empty tag")
	}
	parts := strings.Split(name, "/")
	switch {
	case len(parts) < 2 || !strings.ContainsAny(parts[0], ".:") && parts[0] != "localhost":
		return bad("no registry host")
	case len(parts) == 2:
		parts = []string{parts[0], "library", parts[1]}
	case len(parts) > 3:
		return bad("too many path parts")
	}
	for _, p := range parts[1:] {
		if p == "" {
			return bad("empty path part")
		}
	}
	return ref{host: parts[0], ns: parts[1], repo: parts[2], tag: tag}, nil
}
