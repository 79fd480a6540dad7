// Package regauth lets an engine whose registry client cannot log in pull
// from and push to a registry that needs credentials.
//
// Ollama's registry client answers a Bearer challenge only by signing with
// its own key, and never sends Basic credentials or a standard Docker
// token. A Proxy stands between such an engine and the registry for one
// pull or push: it listens on 127.0.0.1:0, forwards the OCI distribution
// API (/v2/...) to the registry and answers the registry's 401s itself
// (Basic, or a Bearer token fetched from the challenge's realm with the
// credentials, cached per scope until it expires). The engine pulls or
// pushes Proxy.Name() instead of the real name, over plain HTTP.
//
// A web page can reach loopback, so the proxy refuses any request that
// carries Origin or Sec-Fetch-Site, and it serves only its own
// repository, under a random namespace that only its caller knows. It
// closes when the operation ends.
package regauth
