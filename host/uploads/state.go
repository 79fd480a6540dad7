package uploads

import (
	"crypto/sha256"
	"encoding"
	"encoding/json"
	"fmt"
	"hash"
	"os"
	"path/filepath"
	"time"

	"github.com/roundhouse-ai/roundhouse/internal/atomicfile"
)

// state is what a session persists next to its staged bytes
// (<id>.json): enough to continue after a host restart without reading
// the staged file again.
type state struct {
	ID     string `json:"id"`
	Offset int64  `json:"offset"`
	// Hash is the marshalled SHA-256 state (encoding.BinaryMarshaler) of
	// the first Offset bytes.
	Hash      []byte    `json:"hash"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// hasher restores the SHA-256 state of st.
func (st *state) hasher() (hash.Hash, error) {
	h := sha256.New()
	if len(st.Hash) == 0 {
		return h, nil
	}
	if err := h.(encoding.BinaryUnmarshaler).UnmarshalBinary(st.Hash); err != nil {
		return nil, fmt.Errorf("upload %s: hash state: %w", st.ID, err)
	}
	return h, nil
}

// setHash records h's state.
func (st *state) setHash(h hash.Hash) error {
	b, err := h.(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		return err
	}
	st.Hash = b
	return nil
}

// writeState replaces dir/<id>.json atomically: a temporary file written
// and synced, then renamed over the old one, so a crash leaves the old
// state or the new, never half of one.
func writeState(dir string, st *state) error {
	data, err := json.Marshal(st)
	if err != nil {
		return err
	}
	return atomicfile.Write(statePath(dir, st.ID), data)
}

func readState(path string) (*state, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var st state
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &st, nil
}

func statePath(dir, id string) string { return filepath.Join(dir, id+".json") }
func dataPath(dir, id string) string  { return filepath.Join(dir, id+".data") }
