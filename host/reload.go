package host

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/roundhouse-ai/roundhouse/host/config"
)

// reloadDebounce gathers a burst of file events (an editor's write and
// rename, a plugin dir copied file by file) into one reload.
const reloadDebounce = 200 * time.Millisecond

// ReloadResult is the outcome of the last reload.
type ReloadResult struct {
	At time.Time `json:"at"`
	// Error says why the config could not be loaded: the last good
	// configuration keeps serving.
	Error  string      `json:"error,omitempty"`
	Report ApplyReport `json:"report"`
}

type reloadState struct {
	mu     sync.Mutex
	loader func() (*config.Config, error)
	last   *ReloadResult
}

// SetLoader sets how Reload reads the configuration (serve applies its
// command-line overrides on top of the file). The default reloads the
// file the current config came from, or keeps a config built in memory.
func (h *Host) SetLoader(load func() (*config.Config, error)) {
	h.reload.mu.Lock()
	defer h.reload.mu.Unlock()
	h.reload.loader = load
}

// Reload reads the configuration again and applies it (see Apply). A
// config that does not load or validate changes nothing: the error is
// returned, logged and kept in LastReload.
func (h *Host) Reload(ctx context.Context) ReloadResult {
	h.reload.mu.Lock()
	load := h.reload.loader
	h.reload.mu.Unlock()
	if load == nil {
		// Without a loader: the file the config came from, or, for a
		// config built in memory, the same config (the plugin roots are
		// scanned again).
		cur := h.Config()
		load = func() (*config.Config, error) {
			if cur.Path == "" {
				return cur, nil
			}
			return config.Load(cur.Path)
		}
	}
	res := ReloadResult{At: time.Now().UTC(), Report: newReport()}
	cfg, err := load()
	if err != nil {
		res.Error = err.Error() + " (the previous configuration keeps serving)"
		h.log.Error("reload: config not applied; the previous configuration keeps serving", "error", err)
	} else {
		res.Report = h.Apply(ctx, cfg)
		h.log.Info("reloaded", "added", res.Report.Added, "removed", res.Report.Removed,
			"restarted", res.Report.Restarted, "reconfigured", res.Report.Reconfigured, "errors", len(res.Report.Errors))
	}
	h.reload.mu.Lock()
	h.reload.last = &res
	h.reload.mu.Unlock()
	return res
}

// LastReload is the outcome of the last reload, nil before the first.
func (h *Host) LastReload() *ReloadResult {
	h.reload.mu.Lock()
	defer h.reload.mu.Unlock()
	return h.reload.last
}

// Watch reloads when the config file or anything under the plugin roots
// changes, debounced, until ctx ends. A root that does not exist yet is
// watched through its nearest existing parent, so creating it later (and
// a plugin in it) is noticed too.
func (h *Host) Watch(ctx context.Context) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return err
	}
	watched := map[string]bool{}
	add := func(dir string) {
		if watched[dir] {
			return
		}
		if err := w.Add(dir); err == nil {
			watched[dir] = true
		}
	}
	// The config file's directory, not the file: editors replace files
	// by rename, which ends a watch on the file itself.
	addAll := func() {
		cfg := h.Config()
		if cfg.Path != "" {
			add(filepath.Dir(cfg.Path))
		}
		for _, root := range cfg.PluginDirs {
			if !isDir(root) {
				if parent := existingParent(root); parent != "" {
					add(parent)
				}
				continue
			}
			add(root)
			entries, _ := os.ReadDir(root)
			for _, e := range entries {
				if dir := filepath.Join(root, e.Name()); isDir(dir) {
					add(dir)
				}
			}
		}
	}
	addAll()
	go func() {
		defer w.Close()
		var timer *time.Timer
		var fire <-chan time.Time
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-w.Events:
				if !ok {
					return
				}
				if !h.relevant(ev.Name) {
					continue
				}
				if timer == nil {
					timer = time.NewTimer(reloadDebounce)
				} else {
					timer.Reset(reloadDebounce)
				}
				fire = timer.C
			case err, ok := <-w.Errors:
				if !ok {
					return
				}
				h.log.Warn("config watch", "error", err)
			case <-fire:
				fire = nil
				h.Reload(ctx)
				addAll() // new plugin dirs, a config dir that appeared
			}
		}
	}()
	return nil
}

// relevant reports whether a change to path can change what Apply does:
// the config file, anything under a plugin root, or the creation of a
// missing root (or of a directory on the way to it).
func (h *Host) relevant(path string) bool {
	cfg := h.Config()
	if cfg.Path != "" && path == cfg.Path {
		return true
	}
	for _, root := range cfg.PluginDirs {
		if path == root {
			return true
		}
		if rel, err := filepath.Rel(root, path); err == nil && filepath.IsLocal(rel) {
			return true
		}
		if rel, err := filepath.Rel(path, root); err == nil && filepath.IsLocal(rel) {
			return true // an ancestor of a root that does not exist yet
		}
	}
	return false
}

// existingParent is the nearest ancestor of dir that exists, or "".
func existingParent(dir string) string {
	for p := filepath.Dir(filepath.Clean(dir)); ; p = filepath.Dir(p) {
		if isDir(p) {
			return p
		}
		if p == filepath.Dir(p) {
			return ""
		}
	}
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}
