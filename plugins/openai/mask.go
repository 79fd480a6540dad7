package main

import (
	"regexp"
	"strings"

	"github.com/roundhouse-ai/roundhouse/sdk"
)

// minKeyLenForTail is the shortest key whose last 4 characters may show
// (as in sdk.MaskKey).
const minKeyLenForTail = 16

var (
	// keyLike matches things that look like API keys in upstream text
	// (OpenAI echoes a partly starred key in its 401 message).
	keyLike = regexp.MustCompile(`\b(?:sk|rk|pk|gsk|xai)-[A-Za-z0-9_\-*…]{6,}`)
	// bearerLike matches an Authorization value.
	bearerLike = regexp.MustCompile(`(?i)\bbearer\s+[^\s"',;]+`)
)

// scrubber removes secrets from text that may leave the plugin: error
// messages, log lines. It knows the provider's own key values and also
// masks anything that looks like a key or a bearer token.
type scrubber struct {
	secrets []string
}

func newScrubber(secrets []string) *scrubber {
	s := &scrubber{}
	for _, v := range secrets {
		if len(v) >= 4 { // tiny values would mangle ordinary words
			s.secrets = append(s.secrets, v)
		}
	}
	return s
}

func (s *scrubber) scrub(text string) string {
	if s != nil {
		for _, v := range s.secrets {
			if strings.Contains(text, v) {
				text = strings.ReplaceAll(text, v, sdk.MaskKey(v))
			}
		}
	}
	text = bearerLike.ReplaceAllString(text, "Bearer [redacted]")
	return keyLike.ReplaceAllStringFunc(text, func(m string) string {
		prefix := m[:strings.IndexByte(m, '-')+1]
		// Keep the last 4 characters only when they are real characters
		// of a long enough key, never stars.
		if len(m) < minKeyLenForTail || !isKeyChars(m[len(m)-4:]) {
			return prefix + "****"
		}
		return prefix + "…" + m[len(m)-4:]
	})
}

// isKeyChars reports whether s is only ASCII letters, digits, '-' and '_'.
func isKeyChars(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
