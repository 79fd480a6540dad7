package host

import (
	"net"
	"strconv"
	"strings"

	"github.com/roundhouse-ai/roundhouse/sdk"
)

// Registry hosts as model names write them, and the OCI/Docker rule that
// finds one in a name.

// NormalizeRegistryHost checks a registry host as written in model names
// ("registry.example.com", "127.0.0.1:5000", "localhost:5000",
// "[::1]:5000") and lower-cases it (host names are case-insensitive).
// Errors name the field "host".
func NormalizeRegistryHost(host string) (string, error) {
	h := strings.ToLower(strings.TrimSpace(host))
	bad := func(why string) (string, error) {
		return "", sdk.FieldError("host", "%q is not a registry host: %s (for example registry.example.com or 127.0.0.1:5000)", host, why)
	}
	if h == "" {
		return bad("empty")
	}
	if len(h) > 255 || strings.ContainsAny(h, "/@?#% \t") {
		return bad("a host is a name or address with an optional :port, nothing else")
	}
	if !isRegistryHost(h) {
		return bad("a model name's first part is a registry host only when it contains '.' or ':' or is localhost")
	}
	name := h
	if !strings.HasPrefix(h, "[") && strings.Count(h, ":") > 1 {
		return bad("an IPv6 address goes in brackets with a port: [::1]:5000")
	}
	if strings.HasPrefix(h, "[") || strings.Count(h, ":") == 1 {
		hh, port, err := net.SplitHostPort(h)
		if err != nil {
			return bad(err.Error())
		}
		if n, err := parsePort(port); err != nil || n == 0 {
			return bad("the port must be 1-65535")
		}
		name = hh
	}
	if net.ParseIP(name) != nil {
		return h, nil
	}
	for _, label := range strings.Split(name, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return bad("malformed name")
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
				return bad("malformed name")
			}
		}
	}
	return h, nil
}

// parsePort reads a decimal port, 0-65535 (digits only: no sign).
func parsePort(s string) (int, error) {
	if s == "" || len(s) > 5 || strings.TrimLeft(s, "0123456789") != "" {
		return 0, strconv.ErrSyntax
	}
	n, err := strconv.Atoi(s)
	if err != nil || n > 65535 {
		return 0, strconv.ErrRange
	}
	return n, nil
}

// isRegistryHost is the OCI/Docker reference rule: the first component of
// a name is a registry host when it contains '.' or ':' or is
// "localhost".
func isRegistryHost(component string) bool {
	return strings.ContainsAny(component, ".:") || component == "localhost"
}

// RegistryHostOf is the registry host a model name names ("" when it
// names none: "llama3.2", "me/model").
func RegistryHostOf(model string) string {
	first, _, ok := strings.Cut(model, "/")
	if !ok || !isRegistryHost(first) {
		return ""
	}
	return strings.ToLower(first)
}
