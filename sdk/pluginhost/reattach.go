package pluginhost

import (
	"encoding/json"
	"fmt"
	"net"
	"os"

	"github.com/hashicorp/go-plugin"

	"github.com/roundhouse-ai/roundhouse/sdk"
)

// ReattachEnv is the host's environment variable naming plugins to attach
// to instead of launching them; see ReattachFromEnv and sdk.WithDebug.
const ReattachEnv = sdk.ReattachEnv

// Reattach locates a plugin that already runs in debug mode
// (sdk.WithDebug), in the JSON shape such a plugin prints:
//
//	{"Protocol":"grpc","ProtocolVersion":1,"Pid":4242,"Test":true,
//	 "Addr":{"Network":"unix","String":"/tmp/plugin123"}}
type Reattach struct {
	Protocol        string
	ProtocolVersion int
	Pid             int
	Test            bool
	Addr            struct{ Network, String string }
}

// ReattachFromEnv returns the reattach config ROUNDHOUSE_PLUGIN_REATTACH
// holds for the named plugin, nil when the variable is unset or does not
// name it. The variable is a JSON object from plugin name to Reattach.
func ReattachFromEnv(name string) (*Reattach, error) {
	v := os.Getenv(ReattachEnv)
	if v == "" {
		return nil, nil
	}
	var all map[string]*Reattach
	if err := json.Unmarshal([]byte(v), &all); err != nil {
		return nil, fmt.Errorf("%s: %w", ReattachEnv, err)
	}
	return all[name], nil
}

// config turns r into go-plugin's form. Test mode is forced: Kill must not
// kill a process the host did not start.
func (r *Reattach) config() (*plugin.ReattachConfig, error) {
	var addr net.Addr
	var err error
	switch r.Addr.Network {
	case "unix":
		addr, err = net.ResolveUnixAddr("unix", r.Addr.String)
	case "tcp", "tcp4", "tcp6":
		addr, err = net.ResolveTCPAddr(r.Addr.Network, r.Addr.String)
	default:
		err = fmt.Errorf("unknown network %q", r.Addr.Network)
	}
	if err != nil {
		return nil, err
	}
	proto := plugin.Protocol(r.Protocol)
	if proto == "" {
		proto = plugin.ProtocolGRPC
	}
	if proto != plugin.ProtocolGRPC {
		return nil, fmt.Errorf("protocol %q, want grpc", r.Protocol)
	}
	return &plugin.ReattachConfig{Protocol: proto, ProtocolVersion: r.ProtocolVersion, Addr: addr, Pid: r.Pid, Test: true}, nil
}
