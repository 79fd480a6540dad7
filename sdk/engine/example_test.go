package engine_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/roundhouse-ai/roundhouse/sdk/engine"
	"github.com/roundhouse-ai/roundhouse/types"
)

// A local plugin installs its engine from a release archive and runs it
// under a supervisor. (The URL and digest are placeholders: take the
// sha256 from the release's published checksums, never invent one.)
func Example() {
	ctx := context.Background()
	dataDir := filepath.Join(os.TempDir(), "myengine-plugin")

	// Install: download with progress, sha256 check, unpack, verify, swap.
	in := &engine.Installer{
		Name: "myengine",
		Dir:  filepath.Join(dataDir, "engine"),
		Verify: func(ctx context.Context, dir string) (engine.Verified, error) {
			exe, err := engine.FindExecutable(dir, engine.ExeName("myengine"))
			if err != nil {
				return engine.Verified{}, err
			}
			rel, _ := filepath.Rel(dir, exe)
			return engine.Verified{Exe: rel}, nil
		},
	}
	progress := func(p *types.Progress) error { fmt.Println(p.Status, p.Completed, p.Total); return nil }
	inst, err := in.Install(ctx, engine.Download{
		URL:    "https://example.com/myengine-linux-amd64.tar.zst",
		SHA256: "<64 hex digits from the release>",
	}, progress)
	if err != nil {
		fmt.Println(types.AsError(err).Field) // the digest is not 64 hex digits
		return
	}

	// Supervise: reap what a crashed run left, start, wait until it answers.
	addr := "127.0.0.1:8123"
	pidFile := filepath.Join(dataDir, "engine.pid")
	_, _, _ = engine.ReapLeftover(ctx, pidFile, addr, 5*time.Second)
	sup, err := engine.Start(engine.Spec{
		Name:    "myengine",
		Exe:     inst.Exe,
		Args:    []string{"--listen", addr},
		Addr:    addr,
		LogPath: filepath.Join(dataDir, "logs", "myengine.log"),
		PIDFile: pidFile,
		Probe: func(ctx context.Context) error {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/health", nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return err
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("health: HTTP %d", resp.StatusCode)
			}
			return nil
		},
	})
	if err != nil {
		return
	}
	defer sup.Stop(ctx)
	if err := sup.WaitReady(ctx); err != nil {
		return
	}
	// ... serve requests against addr; sup.Status() for health reports.

	// Output:
	// sha256
}
