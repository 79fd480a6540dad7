package uploads

import (
	"crypto/rand"
	"encoding/hex"
)

// idLen is the length of a session id: 16 random bytes in lower-case hex.
const idLen = 32

// newID is a fresh session id. It is random (so one client cannot guess
// another's session) and made only of hex digits (so it is safe as a file
// name).
func newID() string {
	var b [idLen / 2]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}

// ValidID reports whether id has the shape newID makes. Every id that
// reaches the file system is checked with it first: a path separator, ".."
// or anything but lower-case hex can never name a file.
func ValidID(id string) bool {
	if len(id) != idLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
