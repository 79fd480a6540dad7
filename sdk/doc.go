// Package sdk is everything a Roundhouse plugin author imports. A plugin is
// a program that calls Serve with a value implementing Plugin; the
// Roundhouse host starts it as a subprocess, talks to it over gRPC (hidden
// by this package: plugin authors never import go-plugin, grpc or the
// generated protobuf code), restarts it when it dies, and routes requests
// for the services its plugin.yaml declares.
//
// A complete plugin that serves chat:
//
//	package main
//
//	import (
//		"context"
//		"fmt"
//		"os"
//
//		"github.com/roundhouse-ai/roundhouse/sdk"
//	)
//
//	type echo struct{ sdk.UnimplementedPlugin }
//
//	func (echo) Chat(ctx context.Context, req *sdk.ChatRequest) (*sdk.ChatResponse, error) {
//		last := req.Messages[len(req.Messages)-1].Content
//		return &sdk.ChatResponse{Model: req.Model, Message: sdk.Message{Role: "assistant", Content: last}}, nil
//	}
//
//	func main() {
//		if err := sdk.Serve(echo{}); err != nil {
//			fmt.Fprintln(os.Stderr, err) // run by hand, not by the host
//			os.Exit(1)
//		}
//	}
//
// Embedding UnimplementedPlugin answers every method the plugin does not
// offer with CodeUnimplemented, and keeps the plugin compiling when later
// SDK versions add methods. Local plugins that manage an engine also
// implement Engine and Models (see LocalPlugin); remote plugins that proxy
// cloud APIs implement Providers (see RemotePlugin) and receive their
// credentials through Configure, never through environment variables.
//
// Streaming methods take a send callback, called once per chunk; when it
// returns an error the caller is gone and the method should return. Every
// method gets a context that is cancelled when the caller disconnects or
// the host stops the plugin: pass it to every engine or HTTP call.
//
// Errors: return an *Error (Errorf, FieldError, WrapError) to give the host
// a precise Code (model not found, rate limited, ...), the request field at
// fault and a retry hint; the host turns the code into the HTTP status.
//
// Logging: Serve installs a slog default logger writing JSON to stderr;
// the host re-logs each line under the plugin's name. Never write to
// stdout: it carries the handshake with the host.
//
// Debugging: run the plugin with WithDebug (or ROUNDHOUSE_PLUGIN_DEBUG=1)
// under a debugger; it prints a ROUNDHOUSE_PLUGIN_REATTACH value, and a
// host started with it attaches to that process instead of starting one.
//
// The data types (ChatRequest, Error, ...) are defined in package types and
// forwarded here under the same names, so a plugin needs this one import;
// the host and HTTP clients share package types without gRPC. The manifest
// (plugin.yaml) is package sdk/manifest; the host side of the protocol is
// package sdk/pluginhost; sdktest checks a plugin against the contract;
// docs/writing-a-plugin.md walks from an empty directory to a plugin the
// host loads.
package sdk
