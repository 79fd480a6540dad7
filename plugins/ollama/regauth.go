package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/roundhouse-ai/roundhouse/sdk"
	"github.com/roundhouse-ai/roundhouse/sdk/engine/regauth"
)

// Ollama's registry client cannot log in to a private registry (it only
// signs Bearer challenges with its own key). A pull or push that carries
// credentials therefore goes through a regauth proxy on loopback: Ollama
// pulls or pushes the proxy's temporary name over plain HTTP, and the
// model is copied to (or from) its real name. The temporary name is
// removed whatever happens; Ollama's delete keeps layers another name
// still uses.

// cleanupTimeout bounds removing the temporary name after the operation,
// which runs even when the caller has gone.
const cleanupTimeout = 30 * time.Second

func (p *plugin) pullWithAuth(ctx context.Context, client *ollamaClient, req *sdk.PullRequest, progress func(*sdk.Progress) error) error {
	px, err := regauth.Start(ctx, regauth.Options{Model: req.Model, Auth: *req.Auth, Insecure: req.Insecure})
	if err != nil {
		return err
	}
	defer px.Close()
	tmp := px.Name()
	defer p.dropTemporary(ctx, client, tmp)
	// Ollama's last event is "success"; it is held back until the model
	// has its real name, so a caller never sees success before it does.
	var held *sdk.Progress
	err = p.pull(ctx, client, tmp, true, req.Model, func(pr *sdk.Progress) error {
		if pr.Status == "success" {
			held = pr
			return nil
		}
		return send(progress, pr)
	})
	if aerr := px.Err(); aerr != nil {
		return aerr // Ollama saw a 403; the proxy knows why
	}
	if err != nil {
		return err
	}
	if err := client.Copy(ctx, &api.CopyRequest{Source: tmp, Destination: req.Model}); err != nil {
		return p.mapError(ctx, err, op{what: "pull", model: req.Model, fallback: sdk.CodeModelPullFailed})
	}
	if held != nil {
		return send(progress, held)
	}
	return nil
}

func (p *plugin) pushWithAuth(ctx context.Context, client *ollamaClient, req *sdk.PushRequest, progress func(*sdk.Progress) error) error {
	px, err := regauth.Start(ctx, regauth.Options{Model: req.Model, Auth: *req.Auth, Insecure: req.Insecure})
	if err != nil {
		return err
	}
	defer px.Close()
	tmp := px.Name()
	if err := client.Copy(ctx, &api.CopyRequest{Source: req.Model, Destination: tmp}); err != nil {
		return p.mapError(ctx, err, op{what: "push", model: req.Model})
	}
	defer p.dropTemporary(ctx, client, tmp)
	err = p.push(ctx, client, tmp, true, req.Model, progress)
	if aerr := px.Err(); aerr != nil {
		return aerr
	}
	return err
}

// dropTemporary deletes the proxy's name from Ollama, also after a
// failure or cancellation (a pull that failed early left nothing, and
// the not-found answer is ignored).
func (p *plugin) dropTemporary(ctx context.Context, client *ollamaClient, name string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	_ = client.Delete(ctx, &api.DeleteRequest{Model: name})
}

// wantsLogin turns Ollama's failure to answer a registry's challenge (it
// can only sign with its own key) into the fix: save credentials for the
// host. Ollama's own registry is left alone; its sign-in is Ollama's.
func wantsLogin(model string, err error) error {
	if err == nil {
		return nil
	}
	first, _, ok := strings.Cut(model, "/")
	host := strings.ToLower(first)
	if !ok || !strings.ContainsAny(host, ".:") && host != "localhost" || host == "registry.ollama.ai" || host == "ollama.com" {
		return err
	}
	m := strings.ToLower(err.Error())
	if !strings.Contains(m, "realm host") && !strings.Contains(m, "unauthorized") && !strings.Contains(m, "401 unauthorized") {
		return err
	}
	return &sdk.Error{Code: sdk.CodeUnauthenticated, Err: err,
		Message: fmt.Sprintf("registry %s asks for credentials and none are saved for it (%v): run `roundhouse registry login %s`, then try again", host, err, host)}
}
