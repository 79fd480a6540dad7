// Package sdktest is the conformance suite for Roundhouse plugins. Call
// Run from a test in your plugin's package:
//
//	func TestConformance(t *testing.T) {
//		sdktest.Run(t, newPlugin(), sdktest.Options{ManifestDir: "."})
//	}
//
// Run re-executes the test binary as your plugin (a real subprocess over
// gRPC, exactly as the host runs it), sends Configure as the host does
// (Options.Config, or an empty Config), and runs the checks below as
// subtests. Failures are reported at the line that calls Run. A problem
// that leaves nothing to check — an invalid plugin.yaml, a plugin that
// does not start, a Configure that fails — is one fatal failure and no
// check runs.
//
// The checks:
//
//   - Info: Info answers with an sdk_version; its name, type and version,
//     where set, agree with plugin.yaml, and it lists no service the
//     manifest does not declare.
//   - Health: a known state; when Options.Config is given, serving after
//     Configure ("starting" is accepted for Options.StartTimeout).
//   - Service/<name>, for every service: an undeclared service answers
//     code unimplemented; a declared one does not, and answers a sample
//     request within Options.Timeout (default 5 s) — a handler still
//     running Options.CancelTimeout after that deadline is reported too.
//     A successful answer must be a response (not nil with a nil error)
//     of the right shape: a chat message, one non-empty embedding per
//     input, rerank results with indexes in range, without repeats and
//     sorted by relevance_score best first, at least one image with data
//     or a URL, non-empty speech audio, and no negative token counts.
//   - Stream/<name>, for chat, generate and text-to-speech when the
//     manifest declares support_streaming: the stream finishes within
//     Options.StreamTimeout; done is set on the last chunk and only
//     there; the last chat or generate chunk has a finish_reason; usage is
//     not negative; and a sample that asks for several tokens arrives in
//     more than one chunk carrying text (Options.SingleChunk exempts a
//     service that legitimately answers in one chunk).
//   - Cancel/<name>, for the same streams: the caller cancels after the
//     first chunk; the call must end with code canceled, and the plugin's
//     handler must return within Options.CancelTimeout (default 2 s). Serve
//     counts running handler calls per method for the suite (see below), so
//     a handler that ignores its ctx and the error from send is caught even
//     though the caller has long gone.
//
// Samples: each service gets a sample request — Options.Chat, .Generate,
// .Embed, .Rerank, .TextToImage, .TextToSpeech or .SpeechToText, or else a
// default one (the manifest's default_model, a prompt that asks for a few
// tokens, two texts to embed, three documents to rerank, 0.1 s of silent
// WAV to transcribe). A sample given in Options must succeed. A default
// sample may be answered with an error ("model not found" is an answer),
// except unimplemented, a timeout or a panic; the response shape is then
// not checked, which the test log says.
//
// Logs: the plugin's and go-plugin's logs are discarded unless
// Options.Verbose is set or SDKTEST_VERBOSE=1 is in the environment.
//
// How cancellation is observed: Run sets an environment variable in the
// plugin process that makes sdk.Serve keep a small file of its running
// handler calls (and of unary calls answered nil) per gRPC method. Plugins
// served without the suite are unaffected.
//
// Run takes a TB, which *testing.T satisfies; with another implementation
// the checks run inline and their failures are prefixed with the check's
// name (the suite's own tests use that to assert what it reports).
package sdktest
