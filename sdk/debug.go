package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/hashicorp/go-plugin"
)

// reattachJSON is the JSON form of a go-plugin reattach config, as the
// host's ROUNDHOUSE_PLUGIN_REATTACH reads it (sdk/pluginhost.ParseReattach).
type reattachJSON struct {
	Protocol        string
	ProtocolVersion int
	Pid             int
	Test            bool
	Addr            struct{ Network, String string }
}

// serveDebug serves in go-plugin's test mode: no host, no handshake on
// stdout, no parent watch. It prints the reattach config and serves until
// SIGINT or SIGTERM (or the option's context) ends it.
func serveDebug(impl Plugin, sc *plugin.ServeConfig, cfg *serveConfig, shutdown func(string)) error {
	parent := cfg.debugCtx
	if parent == nil {
		parent = context.Background()
	}
	ctx, stop := signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
	defer stop()
	reattach := make(chan *plugin.ReattachConfig, 1)
	closed := make(chan struct{})
	sc.Test = &plugin.ServeTestConfig{Context: ctx, ReattachConfigCh: reattach, CloseCh: closed}
	go plugin.Serve(sc)

	var rc *plugin.ReattachConfig
	select {
	case rc = <-reattach:
	case <-closed:
		return errors.New("sdk: debug server stopped before it was ready")
	case <-time.After(10 * time.Second):
		return errors.New("sdk: debug server did not start within 10 s")
	}
	if rc == nil || rc.Addr == nil {
		return errors.New("sdk: debug server gave no address")
	}
	var rj reattachJSON
	rj.Protocol, rj.ProtocolVersion, rj.Pid, rj.Test = string(rc.Protocol), rc.ProtocolVersion, rc.Pid, true
	rj.Addr.Network, rj.Addr.String = rc.Addr.Network(), rc.Addr.String()
	name := debugName(ctx, impl)
	b, err := json.Marshal(map[string]reattachJSON{name: rj})
	if err != nil {
		return err
	}
	fmt.Fprintf(cfg.debugOut, "Plugin %s started in debug mode (pid %d). To attach the host, start it with:\n\n\t%s='%s'\n\n",
		name, rc.Pid, ReattachEnv, b)

	<-closed
	shutdown("debug session ended")
	return nil
}

// debugName is the key the host looks the plugin up by: the name its Info
// reports, else the executable's name without "roundhouse-plugin-". It
// must match the manifest's provider.name; edit the printed JSON if not.
func debugName(ctx context.Context, impl Plugin) string {
	if info, err := impl.Info(ctx); err == nil && info != nil && info.Name != "" {
		return info.Name
	}
	base := strings.TrimSuffix(filepath.Base(os.Args[0]), filepath.Ext(os.Args[0]))
	return strings.TrimPrefix(base, "roundhouse-plugin-")
}
