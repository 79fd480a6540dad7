package host

import (
	"os"
	"runtime"
	"sort"
)

// envAllowlist are the host variables a plugin inherits. Everything else
// (API keys, tokens in the host's environment) stays with the host:
// credentials reach plugins only through the Configure RPC.
var envAllowlist = []string{
	"PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR",
	"XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_RUNTIME_DIR",
	"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy",
	"SSL_CERT_FILE", "SSL_CERT_DIR",
	// Go coverage of plugin binaries in integration tests.
	"GOCOVERDIR",
	// The user's own garbage-collector settings (internal/gctune's
	// defaults apply only when they are unset).
	"GOGC", "GOMEMLIMIT",
}

var windowsEnv = []string{"SYSTEMROOT", "SYSTEMDRIVE", "WINDIR", "COMSPEC", "PATHEXT", "APPDATA", "LOCALAPPDATA", "USERPROFILE", "PROGRAMDATA", "TEMP", "TMP"}

// pluginEnv builds a plugin's whole environment: the allowlisted host
// variables, the plugin's own identity, and extra (from its config).
func pluginEnv(name, dataDir string, extra map[string]string) []string {
	allow := envAllowlist
	if runtime.GOOS == "windows" {
		allow = append(append([]string{}, allow...), windowsEnv...)
	}
	var env []string
	for _, k := range allow {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	env = append(env, "ROUNDHOUSE_PLUGIN_NAME="+name, "ROUNDHOUSE_DATA_DIR="+dataDir)
	keys := make([]string, 0, len(extra))
	for k := range extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		env = append(env, k+"="+extra[k])
	}
	return env
}
