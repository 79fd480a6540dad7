package host

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/roundhouse-ai/roundhouse/host/config"
	"github.com/roundhouse-ai/roundhouse/internal/testplugin"
)

// A plugin root that does not exist when the host starts is watched
// through its parent: creating it, with a plugin in it, adds the plugin
// without a SIGHUP or POST /v1/reload.
func TestWatchNoticesARootCreatedLater(t *testing.T) {
	late := filepath.Join(t.TempDir(), "not", "yet")
	h := newTestHost(t, func(cfg *config.Config) {
		cfg.PluginDirs = append(cfg.PluginDirs, late)
		cfg.Plugins["late"] = config.PluginConfig{Env: map[string]string{testplugin.EnvServe: "echo"}}
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := h.Watch(ctx); err != nil {
		t.Fatal(err)
	}
	// Two levels are missing: "not" appears first, then "yet" with the
	// plugin in it (made elsewhere and renamed in, as an installer does).
	staged := filepath.Join(t.TempDir(), "yet")
	if _, err := testplugin.Manifest(staged, "late"); err != nil {
		t.Fatal(err)
	}
	if err := mkdirThenRename(staged, late); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second) // a bound on a slow machine, not a speed target
	for h.Plugin("late") == nil {
		if time.Now().After(deadline) {
			t.Fatal("the plugin in the root created after start was never picked up")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func mkdirThenRename(staged, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	// No pause between the two: creating "not" triggers a reload whose
	// rescan finds "yet" even if the rename came before "not" was watched.
	return os.Rename(staged, dst)
}
