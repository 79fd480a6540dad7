// Package enginetest helps test plugins built on sdk/engine: it builds
// release archives in the formats the installer takes and serves them
// from a loopback HTTP server, so an install runs end to end (download,
// sha256, unpack) without the network.
package enginetest

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
)

// File is one archive member.
type File struct {
	Name string
	Body string
	// Mode is the permission bits (default 0644; 0755 for an executable).
	Mode fs.FileMode
	// Dir, Symlink and Hardlink make a directory, a symbolic link or (tar
	// only) a hard link to Link instead of a regular file.
	Dir, Symlink, Hardlink bool
	Link                   string
}

// Formats are the archive formats Archive builds, as file name endings.
var Formats = []string{"tar.gz", "tar.zst", "zip"}

// Archive builds an archive of files in format: "tar.gz", "tar.zst",
// "zip" or "tar". Names are written as given, unsafe ones included, so
// tests can check that an installer refuses them.
func Archive(format string, files []File) ([]byte, error) {
	var buf bytes.Buffer
	switch format {
	case "tar":
		if err := writeTar(&buf, files); err != nil {
			return nil, err
		}
	case "tar.gz", "tgz":
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed) // fast even under -race
		if err := writeTar(zw, files); err != nil {
			return nil, err
		}
		if err := zw.Close(); err != nil {
			return nil, err
		}
	case "tar.zst":
		zw, err := zstd.NewWriter(&buf, zstd.WithEncoderConcurrency(1), zstd.WithEncoderLevel(zstd.SpeedFastest))
		if err != nil {
			return nil, err
		}
		if err := writeTar(zw, files); err != nil {
			return nil, err
		}
		if err := zw.Close(); err != nil {
			return nil, err
		}
	case "zip":
		if err := writeZip(&buf, files); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("enginetest: unknown archive format %q", format)
	}
	return buf.Bytes(), nil
}

// MustArchive is Archive that fails the test on error.
func MustArchive(t testing.TB, format string, files []File) []byte {
	t.Helper()
	b, err := Archive(format, files)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mode(f File) fs.FileMode {
	if f.Mode == 0 {
		return 0o644
	}
	return f.Mode.Perm()
}

func writeTar(w io.Writer, files []File) error {
	tw := tar.NewWriter(w)
	for _, f := range files {
		h := &tar.Header{Name: f.Name, Mode: int64(mode(f))}
		switch {
		case f.Dir:
			h.Typeflag, h.Mode = tar.TypeDir, 0o755
		case f.Symlink:
			h.Typeflag, h.Linkname = tar.TypeSymlink, f.Link
		case f.Hardlink:
			h.Typeflag, h.Linkname = tar.TypeLink, f.Link
		default:
			h.Typeflag, h.Size = tar.TypeReg, int64(len(f.Body))
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := io.WriteString(tw, f.Body); err != nil {
				return err
			}
		}
	}
	return tw.Close()
}

func writeZip(w io.Writer, files []File) error {
	zw := zip.NewWriter(w)
	for _, f := range files {
		if f.Hardlink {
			return fmt.Errorf("enginetest: zip has no hard links (%s)", f.Name)
		}
		h := &zip.FileHeader{Name: f.Name, Method: zip.Deflate}
		switch {
		case f.Dir:
			h.Name += "/"
			h.SetMode(fs.ModeDir | 0o755)
		case f.Symlink:
			h.SetMode(fs.ModeSymlink | 0o777)
		default:
			h.SetMode(mode(f))
		}
		fw, err := zw.CreateHeader(h)
		if err != nil {
			return err
		}
		body := f.Body
		if f.Symlink {
			body = f.Link
		}
		if !f.Dir {
			if _, err := io.WriteString(fw, body); err != nil {
				return err
			}
		}
	}
	return zw.Close()
}

// SHA256 is data's digest in hex, as installers want it.
func SHA256(data []byte) string {
	s := sha256.Sum256(data)
	return hex.EncodeToString(s[:])
}

// Server serves files by URL path on loopback, honouring Range requests
// (so resumed downloads can be tested). It is closed when the test ends.
type Server struct {
	*httptest.Server
	files map[string][]byte
	// Ranges counts the Range requests served.
	Ranges atomic.Int32
	cut    atomic.Int64
}

// NewServer serves files (path → content), e.g. {"/engine.tar.zst": data}.
func NewServer(t testing.TB, files map[string][]byte) *Server {
	s := &Server{files: files}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// CutNext makes the next full (non-Range) answer break off after n bytes,
// like a dropped connection.
func (s *Server) CutNext(n int64) { s.cut.Store(n) }

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	data, ok := s.files[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	if r.Header.Get("Range") != "" {
		s.Ranges.Add(1)
	} else if n := s.cut.Swap(0); n > 0 && n < int64(len(data)) {
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		w.Write(data[:n])
		w.(http.Flusher).Flush()
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				c.Close()
			}
		}
		return
	}
	http.ServeContent(w, r, "", time.Time{}, strings.NewReader(string(data)))
}
