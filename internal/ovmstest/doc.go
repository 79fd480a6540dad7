// Package ovmstest is a protocol-faithful fake of OpenVINO Model Server
// (OVMS), for tests of plugins/openvino. OVMS itself cannot run here, so
// this fake is written from OVMS's documentation and source
// (github.com/openvinotoolkit/model_server, docs/ and src/): the same REST
// paths, status codes and JSON shapes, the same config.json schema and
// reload semantics, the same command-line flags and the same `--pull`
// console output. It is not OVMS: generation is forwarded to a real
// Ollama's OpenAI-compatible /v1 (the test bed's), rerank scores by word
// overlap, images are small valid PNGs and speech a short valid WAV.
//
// Server is the in-process fake (an http.Handler plus config.json
// polling); cmd/ovms wraps it as an executable named `ovms`; Build and
// Package make that executable and its release archives (.tar.gz,
// .tar.zst) for install tests.
package ovmstest
