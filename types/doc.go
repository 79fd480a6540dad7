// Package types holds the plain data types of the Roundhouse plugin
// contract: the requests, responses and stream chunks of every service,
// models, progress, plugin info and health, provider configuration and
// status, service names, and the coded *Error with its constructors.
//
// It imports only the standard library, so every side can share it without
// pulling in gRPC or go-plugin: plugins (through package sdk, which
// re-exports these types under the same names), the host, and HTTP clients
// of the host (package client). It describes data only; serving a plugin
// is package sdk, launching one is package sdk/pluginhost.
package types
