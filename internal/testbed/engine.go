package testbed

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// EngineTarball packages an ollama binary as a gzipped tarball laid out as
// "bin/ollama" (what an engine installer downloads and unpacks) and returns
// its path and hex sha256. The archive is deterministic (fixed mtimes,
// owners and modes) and cached under <cache>/testbed/engine, keyed by the
// binary's own sha256, so repeated calls are cheap.
func EngineTarball(bin string) (path, sha256Hex string, err error) {
	cache, err := CacheDir()
	if err != nil {
		return "", "", err
	}
	return EngineTarballIn(filepath.Join(cache, "testbed", "engine"), bin)
}

// EngineTarballIn is EngineTarball with an explicit output directory.
func EngineTarballIn(dir, bin string) (path, sha256Hex string, err error) {
	binSum, err := fileSum(bin)
	if err != nil {
		return "", "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", err
	}
	path = filepath.Join(dir, "ollama-"+binSum[:16]+".tgz")
	if sum, err := fileSum(path); err == nil {
		return path, sum, nil
	}
	f, err := os.CreateTemp(dir, ".ollama-*.tgz")
	if err != nil {
		return "", "", err
	}
	defer os.Remove(f.Name()) // no-op after rename
	h := sha256.New()
	if err := WriteEngineTarball(io.MultiWriter(f, h), bin); err != nil {
		f.Close()
		return "", "", err
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return "", "", err
	}
	if err := f.Close(); err != nil {
		return "", "", err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return "", "", err
	}
	return path, hex.EncodeToString(h.Sum(nil)), nil
}

// WriteEngineTarball writes the deterministic bin/ollama tarball to w.
func WriteEngineTarball(w io.Writer, bin string) error {
	src, err := os.Open(bin)
	if err != nil {
		return err
	}
	defer src.Close()
	st, err := src.Stat()
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("testbed: %s is not a regular file", bin)
	}
	epoch := time.Unix(946684800, 0) // 2000-01-01: fixed, so the archive is reproducible
	zw, err := gzip.NewWriterLevel(w, gzip.BestSpeed)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(zw)
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: "bin/", Mode: 0o755, ModTime: epoch, Format: tar.FormatUSTAR}); err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: "bin/ollama", Mode: 0o755, Size: st.Size(), ModTime: epoch, Format: tar.FormatUSTAR}); err != nil {
		return err
	}
	if n, err := io.Copy(tw, src); err != nil {
		return err
	} else if n != st.Size() {
		return fmt.Errorf("testbed: %s changed size while archiving", bin)
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return zw.Close()
}

func fileSum(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
