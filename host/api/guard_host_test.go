package api

import (
	"net"
	"strings"
	"testing"
)

// oldLoopbackHost is hostGuard's loopback check as it was (net.ParseIP):
// loopbackHost must agree with it.
func oldLoopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	ip := net.ParseIP(host)
	return host == "" || host == "localhost" || (ip != nil && (ip.IsLoopback() || ip.IsUnspecified()))
}

func TestLoopbackHostAgreesWithNetParseIP(t *testing.T) {
	for _, h := range []string{
		"", "localhost", "localhost:7700", "127.0.0.1", "127.0.0.1:7700", "127.1.2.3:80", "[::1]:7700", "::1", "[::1]",
		"0.0.0.0:7700", "[::]:7700", "::", "[::ffff:127.0.0.1]:7700", "::ffff:127.0.0.1", "[::1%25lo]:7700", "::1%lo",
		"[fe80::1%eth0]:80", "10.0.0.1:7700", "192.168.1.2", "example.com", "example.com:7700", "evil.localhost",
		"localhost.", "127.0.0.1.nip.io:7700", ":7700", "[]", "[", "]:80", "1.2.3.4:", "127.0.0.01", "0x7f.0.0.1",
		"LOCALHOST", "[::1]:", "host:port:more",
	} {
		if got, want := loopbackHost(h), oldLoopbackHost(h); got != want {
			t.Errorf("loopbackHost(%q) = %v, the net.ParseIP check said %v", h, got, want)
		}
	}
}
