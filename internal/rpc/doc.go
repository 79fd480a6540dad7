// Package rpc is the gRPC glue shared by the plugin side (sdk.Serve) and
// the host side (sdk/pluginhost): the go-plugin handshake, the server that
// adapts a plugin to the generated service interfaces, and the interceptors
// that tie calls to the plugin's lifetime and recover panics. Conversions
// live in internal/convert, the generated code in internal/pluginv1.
package rpc
