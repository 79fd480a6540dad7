package rpc

import "github.com/hashicorp/go-plugin"

// ProtocolVersion is the major version of the wire contract
// (proto package roundhouse.plugin.v1). A breaking change would be v2,
// served next to v1.
const ProtocolVersion = 1

// DefaultMaxMessageSize caps one gRPC message between host and plugin.
// gRPC's own default (4 MB) is too small for images and audio.
const DefaultMaxMessageSize = 256 << 20

// Handshake is shared by host and plugins. The cookie only stops a user
// from running a plugin binary by hand; trust comes from the manifest's
// sha256 and AutoMTLS. It never changes.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  ProtocolVersion,
	MagicCookieKey:   "ROUNDHOUSE_PLUGIN_MAGIC_COOKIE",
	MagicCookieValue: "4a46a76bfc1c89ff5e6d883820287369bafd6e6593f2ab440a3110f7b2310107",
}

// PluginName is the single entry of the go-plugin plugin map.
const PluginName = "roundhouse"
