// Package engine is a kit for plugins that run a local inference engine
// (Ollama, OpenVINO Model Server, llama.cpp's server, ...) as a child
// process: it installs the engine from a release archive and supervises it.
//
// It imports neither gRPC nor go-plugin, only the project's std-only
// types package, so any local plugin can use it.
//
// # Supervision
//
// [Start] runs a [Spec]: the engine becomes the leader of its own process
// group (so the helpers it forks belong to it and a stop reaches all of
// them, and nothing else), it gets a parent-death signal on Linux (the
// engine dies with the plugin, even on SIGKILL), its output goes to a
// rotated log file and optionally to a writer, and a pid file records it.
// The [Supervisor] waits until [Spec.Probe] succeeds, restarts the engine
// with capped exponential backoff and full jitter when it dies unasked
// ([RestartPolicy]), and gives up after a run of failures. Stop sends
// SIGTERM to the group and SIGKILL after a grace period.
//
// [ReapLeftover] stops an engine a crashed previous run of the plugin left
// behind, but only when the pid file proves it is that very process (same
// pid, same start time, same executable image); someone else's engine on
// the same port is never touched. Outside Linux the identity cannot be
// proved, so nothing is ever reaped there.
//
// [Command] runs a one-shot child of the engine's CLI (a model download,
// say) in its own process group, killed as a group when its context ends.
//
// # Installation
//
// [Installer] downloads a release archive (streamed, with progress events,
// resumed with an HTTP range request after a broken download), refuses it
// without a sha256 or when the digest differs, unpacks .tar.gz, .zip and
// .tar.zst through an [os.Root] (entries that would escape the target by
// "..", an absolute path or a link are refused), lets the plugin verify the
// unpacked tree, and then swaps it in atomically. The previous version is
// kept; [Installer.Rollback] switches back to it.
package engine
