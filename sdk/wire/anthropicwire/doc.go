// Package anthropicwire is a client for Anthropic's Messages API
// (POST /v1/messages), for Roundhouse plugins: it turns a
// [types.ChatRequest] into a Messages request, sends it over the
// transport of [openaiwire.Client] (key leases, retries with jittered
// backoff, timeouts), and turns the answer, whole or streamed as
// Anthropic's named SSE events, back into types.
//
// What it follows, from Anthropic's API reference:
//
//   - authentication with the x-api-key header and the required
//     anthropic-version header (DefaultVersion unless set);
//   - system messages go to the top-level system field; tool results go
//     back as tool_result blocks in a user turn; images as base64 image
//     blocks; tool definitions as input_schema; max_tokens is required
//     (DefaultMaxTokens when the request has none);
//   - the stream's events message_start, content_block_start,
//     content_block_delta (text_delta, input_json_delta, thinking_delta,
//     signature_delta), content_block_stop, message_delta, message_stop,
//     ping and error; unknown events are skipped, as Anthropic's
//     versioning policy asks;
//   - stop_reason end_turn/stop_sequence → "stop", max_tokens → "length",
//     tool_use → "tool_calls", refusal → "content_filter";
//   - errors {"type":"error","error":{"type":...,"message":...}} by type
//     and status: authentication_error 401, permission_error 403,
//     not_found_error 404, request_too_large 413, rate_limit_error 429,
//     api_error 500, overloaded_error 529 (see MapError).
//
// A base URL ends in /v1, as OpenAI's does: https://api.anthropic.com/v1.
package anthropicwire
