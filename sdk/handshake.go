package sdk

import "github.com/roundhouse-ai/roundhouse/internal/rpc"

// Version is the SDK's version, reported by every plugin in its Info.
const Version = "0.1.0"

// ProtocolVersion is the major version of the wire contract
// (proto package roundhouse.plugin.v1). A breaking change would be v2,
// served next to v1.
const ProtocolVersion = rpc.ProtocolVersion
