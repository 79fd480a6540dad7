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
// # What a plugin offers
//
// A plugin offers exactly the services it has methods for. Plugin is only
// Info, Health and Configure (UnimplementedPlugin gives all three, and
// keeps the plugin compiling when later SDK versions add to Plugin); each
// service is a small interface — ChatService, GenerateService,
// EmbedService, RerankService, TextToImageService, ImageToImageService,
// TextToSpeechService, SpeechToTextService — and ModelLister puts an engine-less plugin's
// models into the host's model list. Serve finds them by type assertion;
// there is nothing to register and no list to keep. Local plugins that
// manage an engine also implement Engine and Models (see LocalPlugin);
// remote plugins that proxy cloud APIs implement Providers (see
// RemotePlugin) and receive their credentials through Configure, never
// through environment variables.
//
// Serve reports the services it found to the host (Info.Implemented;
// ImplementedServices shows the same list in a test). The host compares
// them with the plugin.yaml: a declared service without a method stops
// the plugin at start with an error naming it ("manifest declares
// text-to-image but the plugin implements no TextToImage") rather than
// failing the first call. A method whose signature differs from the
// interface's is not a service method; Serve logs a warning naming it.
//
// One method of a pair is enough. A plugin with only ChatStream gets Chat
// from Serve (ChatFromStream: the stream collected, tool-call fragments
// merged, the last finish reason and usage kept); one with only Chat gets
// ChatStream (ChatToStream: one chunk with Done). The same holds for
// Generate, TextToSpeech and SpeechToText (SpeechToTextLive). The
// adapters are exported for plugins that want them explicitly. A service
// whose manifest does not set capabilities.support_streaming is called
// unary by the host even for clients that ask to stream: they get the
// answer as one chunk.
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
