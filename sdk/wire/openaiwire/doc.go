// Package openaiwire is a client for the OpenAI REST API and the servers
// that copy it (OpenAI, Azure OpenAI, Ollama's /v1, vLLM, llama.cpp,
// LiteLLM, OpenVINO Model Server's /v3...), for Roundhouse plugins.
//
// It does the wire work a plugin would otherwise copy: building request
// bodies from the types package's requests, sending them with per-attempt
// key leases, retries of transient failures (429 rotates keys; 5xx,
// timeouts and connection errors retry with jittered exponential backoff),
// a robust server-sent-events reader, the mapping of upstream error
// answers to [types.Error] codes, and the conversion of answers and stream
// chunks back to the types package: chat and completions (whole and
// streamed), embeddings, images/generations and images/edits, audio speech
// and transcriptions, and the Cohere-shaped /rerank that OpenAI-compatible
// engines such as OVMS add.
//
// A [Client] is one upstream endpoint. Its BaseURL includes the API's base
// path, so the same client serves https://api.openai.com/v1 and an OVMS at
// http://127.0.0.1:8000/v3. Keys are optional: a plugin with a key pool
// implements [Keys] (each attempt leases one key and reports how it went);
// a keyless local engine leaves Keys nil.
//
//	c := &openaiwire.Client{BaseURL: "http://127.0.0.1:8000/v3", Name: "ovms", Auth: openaiwire.AuthNone}
//	resp, err := c.Chat(ctx, &types.ChatRequest{Model: "llama", Messages: msgs})
//
// The package imports neither gRPC nor go-plugin: it is plain net/http.
package openaiwire
