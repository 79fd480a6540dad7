package host

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/roundhouse-ai/roundhouse/sdk/manifest"
)

// fingerprint identifies what a plugin runs: its manifest's bytes and its
// executable's sha256. Apply restarts a plugin when it changes.
func fingerprint(dir, exe string) string {
	h := sha256.New()
	for _, n := range []string{manifest.FileYAML, manifest.FileJSON} {
		if b, err := os.ReadFile(filepath.Join(dir, n)); err == nil {
			h.Write(b)
		}
	}
	h.Write([]byte{0})
	h.Write([]byte(fileSHA256(exe)))
	return hex.EncodeToString(h.Sum(nil))
}

// fileSums caches executables' sha256 by path, size and modification
// time: reloads hash the binaries of every plugin, which may be large.
var fileSums sync.Map // path → fileSum

type fileSum struct {
	size int64
	mod  time.Time
	sum  string
}

// fileSHA256 is the hex sha256 of the file, "" when it cannot be read.
func fileSHA256(path string) string {
	st, err := os.Stat(path)
	if err != nil {
		return ""
	}
	if v, ok := fileSums.Load(path); ok {
		if c := v.(fileSum); c.size == st.Size() && c.mod.Equal(st.ModTime()) {
			return c.sum
		}
	}
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return ""
	}
	sum := hex.EncodeToString(h.Sum(nil))
	fileSums.Store(path, fileSum{size: st.Size(), mod: st.ModTime(), sum: sum})
	return sum
}
