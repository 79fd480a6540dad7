package sdk

import (
	"context"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
)

// Version is the SDK's version, reported by every plugin in its Info.
const Version = "0.1.0"

// ProtocolVersion is the major version of the wire contract
// (proto package roundhouse.plugin.v1). A breaking change would be v2,
// served next to v1.
const ProtocolVersion = 1

// handshake is shared by host and plugins. The cookie only stops a user
// from running a plugin binary by hand; trust comes from the manifest's
// sha256 and AutoMTLS. It never changes.
var handshake = plugin.HandshakeConfig{
	ProtocolVersion:  ProtocolVersion,
	MagicCookieKey:   "ROUNDHOUSE_PLUGIN_MAGIC_COOKIE",
	MagicCookieValue: "4a46a76bfc1c89ff5e6d883820287369bafd6e6593f2ab440a3110f7b2310107",
}

// pluginName is the single entry of the go-plugin plugin map.
const pluginName = "roundhouse"

// grpcPlugin is go-plugin's view of a Roundhouse plugin: the server side
// registers the adapter, the client side returns a *Conn.
type grpcPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	impl Plugin // nil on the host side
}

func (p *grpcPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	newGRPCServer(p.impl).register(s)
	return nil
}

func (p *grpcPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, cc *grpc.ClientConn) (any, error) {
	return newConn(cc), nil
}

func pluginSet(impl Plugin) plugin.PluginSet {
	return plugin.PluginSet{pluginName: &grpcPlugin{impl: impl}}
}
