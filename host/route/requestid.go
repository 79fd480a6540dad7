package route

import (
	"crypto/rand"
	"encoding/hex"
)

// maxRequestID bounds an incoming X-Request-Id kept as it is: it is
// logged and sent to plugins.
const maxRequestID = 128

// ValidRequestID reports whether an incoming request id may be kept:
// 1–128 printable ASCII characters.
func ValidRequestID(id string) bool {
	if id == "" || len(id) > maxRequestID {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x21 || id[i] > 0x7e {
			return false
		}
	}
	return true
}

// NewRequestID makes a request id: 16 random bytes in hex.
func NewRequestID() string {
	var b [16]byte
	var h [32]byte
	_, _ = rand.Read(b[:])
	hex.Encode(h[:], b[:])
	return string(h[:]) // one allocation (hex.EncodeToString makes two)
}
