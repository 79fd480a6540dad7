// Package pluginhost is the host side of the Roundhouse plugin protocol:
// Launch starts a plugin executable and completes the go-plugin handshake,
// Conn calls the running plugin through the same interfaces plugin authors
// implement (sdk.LocalPlugin, sdk.RemotePlugin), and ServeInProcess wires a
// plugin value to a Conn in memory for tests.
//
// The Roundhouse host and the sdktest conformance suite use it; plugin
// authors never do (they import package sdk).
package pluginhost
