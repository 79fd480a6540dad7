package types

import (
	"encoding/json"
	"log/slog"
	"strings"
)

// minKeyLenForTail is the shortest secret whose last 4 characters are
// shown: shorter ones are fully masked, so at least 12 characters stay
// hidden.
const minKeyLenForTail = 16

// MaskKey shows a secret as an API may show it: a short lower-case prefix
// such as "sk-" and the last 4 characters ("sk-…abcd"). Secrets shorter
// than 16 characters show only "****". It never reveals more than the last
// 4 characters.
func MaskKey(key string) string {
	if len(key) < minKeyLenForTail {
		return "****"
	}
	prefix := ""
	if i := strings.IndexByte(key, '-'); i > 0 && i <= 3 && isLowerAlpha(key[:i]) {
		prefix = key[:i+1]
	}
	return prefix + "…" + key[len(key)-4:]
}

func isLowerAlpha(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'a' || s[i] > 'z' {
			return false
		}
	}
	return true
}

// String masks the key, so printing an APIKey never leaks it.
func (k APIKey) String() string { return MaskKey(k.Value) }

// LogValue masks the key in slog output.
func (k APIKey) LogValue() slog.Value {
	return slog.GroupValue(slog.String("key", MaskKey(k.Value)), slog.String("label", k.Label))
}

// MarshalJSON masks the key: JSON leaves the process in logs and API
// answers. Configuration files are YAML, and Configure carries the real
// value over gRPC, so neither goes through this.
func (k APIKey) MarshalJSON() ([]byte, error) {
	type plain APIKey
	p := plain(k)
	p.Value = MaskKey(k.Value)
	return json.Marshal(p)
}
