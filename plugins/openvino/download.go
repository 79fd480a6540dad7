package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/roundhouse-ai/roundhouse/sdk"
	"github.com/roundhouse-ai/roundhouse/sdk/engine"
)

// modelDownload is one entry of settings.model_downloads: a model that
// is pulled from an archive (.tar.gz, .tar.zst or .zip of a model
// directory with its graph.pbtxt, as `ovms --pull` or OVMS's
// export_model.py leave it) instead of from Hugging Face.
type modelDownload struct {
	URL    string `json:"url"`
	SHA256 string `json:"sha256"`
}

// downloadModel installs a model archive into the repository with the
// engine kit's installer (streamed download with progress, sha256
// required, safe unpacking), then moves the model directory into place
// at <repository>/<name>.
func (p *plugin) downloadModel(ctx context.Context, s settings, name string, d modelDownload, progress func(*sdk.Progress) error) error {
	dest := p.modelDir(s, name)
	if _, _, ok := graphInfo(dest); ok {
		// As `ovms --pull` without --overwrite_models: an existing model
		// is kept (and may be served right now).
		return send(progress, &sdk.Progress{Status: "success", Message: name + " is already in the model repository; delete it to download it again"})
	}
	sum := sha256.Sum256([]byte(name))
	staging := filepath.Join(s.repoDir, ".downloads", hex.EncodeToString(sum[:8]))
	in := &engine.Installer{Name: "model " + name, Dir: staging, Logger: p.log,
		Verify: func(_ context.Context, dir string) (engine.Verified, error) {
			_, err := findGraph(dir) // an archive that is no model is refused before it is kept
			return engine.Verified{Version: "model"}, err
		}}
	cur, err := in.Install(ctx, engine.Download{URL: d.URL, SHA256: d.SHA256, Version: "model"}, progress)
	if err != nil {
		return err
	}
	modelDir, err := findGraph(cur.Dir)
	if err != nil {
		return sdk.WrapError(sdk.CodeModelPullFailed, err, "model archive of %s", name)
	}
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return sdk.WrapError(sdk.CodeModelPullFailed, err, "create %s", filepath.Dir(dest))
	}
	if err := os.RemoveAll(dest); err != nil { // a directory without graph.pbtxt: not a model
		return sdk.WrapError(sdk.CodeModelPullFailed, err, "replace %s", dest)
	}
	if err := os.Rename(modelDir, dest); err != nil {
		return sdk.WrapError(sdk.CodeModelPullFailed, err, "move the model into %s", dest)
	}
	_ = os.RemoveAll(staging)
	return send(progress, &sdk.Progress{Status: "success", Digest: "sha256:" + cur.SHA256, Message: "model files in " + dest})
}

var errNoGraph = errors.New("the archive holds no graph.pbtxt: it must be an OVMS model directory (as ovms --pull leaves it)")

// findGraph finds the directory holding graph.pbtxt at most two levels
// below root (archives often have a top directory).
func findGraph(root string) (string, error) {
	var found string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() && rel != "." && strings.Count(rel, string(filepath.Separator)) >= 2 {
			return filepath.SkipDir
		}
		if !d.IsDir() && d.Name() == "graph.pbtxt" {
			found = filepath.Dir(p)
			return filepath.SkipAll
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	if found == "" {
		return "", errNoGraph
	}
	return found, nil
}
