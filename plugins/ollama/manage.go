package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/ollama/ollama/api"

	"github.com/roundhouse-ai/roundhouse/sdk"
)

// Model management beyond sdk.Models: copy, create, push and blobs, each
// through Ollama's own API (/api/copy, /api/create, /api/push,
// HEAD/POST /api/blobs/:digest).

var (
	_ sdk.ModelCopier  = (*plugin)(nil)
	_ sdk.ModelCreator = (*plugin)(nil)
	_ sdk.ModelPusher  = (*plugin)(nil)
	_ sdk.BlobStore    = (*plugin)(nil)
)

// digestRE is what Ollama accepts as a blob digest.
var digestRE = regexp.MustCompile(`^sha256[:-][0-9a-fA-F]{64}$`)

func validateDigest(field, d string) error {
	if !digestRE.MatchString(d) {
		return &sdk.Error{Code: sdk.CodeInvalidArgument, Field: field,
			Message: fmt.Sprintf("%q is not a blob digest: want sha256:<64 hex digits>", d)}
	}
	return nil
}

// CopyModel gives a model a second name (/api/copy).
func (p *plugin) CopyModel(ctx context.Context, req *sdk.CopyRequest) error {
	if req == nil {
		req = &sdk.CopyRequest{}
	}
	if err := validateModelName(req.Source); err != nil {
		return withField(err, "source")
	}
	if err := validateModelName(req.Destination); err != nil {
		return withField(err, "destination")
	}
	client, err := p.engine(ctx)
	if err != nil {
		return err
	}
	err = client.Copy(ctx, &api.CopyRequest{Source: req.Source, Destination: req.Destination})
	if err != nil {
		e := p.mapError(ctx, err, op{what: "copy", model: req.Source})
		if se, ok := e.(*sdk.Error); ok && se.Code == sdk.CodeModelNotFound {
			se.Field = "source"
		}
		return e
	}
	return nil
}

// withField names the request field a name check refers to.
func withField(err error, field string) error {
	if se, ok := err.(*sdk.Error); ok {
		c := *se
		c.Field = field
		return &c
	}
	return err
}

// CreateModel makes a model through /api/create, forwarding its progress.
// With Path set, the file is first stored as a blob (skipped when Ollama
// has it already) and becomes the model's weights.
func (p *plugin) CreateModel(ctx context.Context, req *sdk.CreateRequest, progress func(*sdk.Progress) error) error {
	if req == nil {
		req = &sdk.CreateRequest{}
	}
	if err := validateModelName(req.Model); err != nil {
		return err
	}
	for field, m := range map[string]map[string]string{"files": req.Files, "adapters": req.Adapters} {
		for name, d := range m {
			if err := validateDigest(field+"."+name, d); err != nil {
				return err
			}
		}
	}
	if req.From == "" && len(req.Files) == 0 && req.Path == "" {
		return &sdk.Error{Code: sdk.CodeInvalidArgument, Field: "from",
			Message: "a model needs a source: from (a base model), files (uploaded blobs) or path (a model file on this machine)"}
	}
	client, err := p.engine(ctx)
	if err != nil {
		return err
	}
	files := req.Files
	if req.Path != "" {
		digest, err := p.uploadFile(ctx, client, req.Path, progress)
		if err != nil {
			return err
		}
		files = map[string]string{}
		for k, v := range req.Files {
			files[k] = v
		}
		files[filepath.Base(req.Path)] = digest
	}
	cr := &api.CreateRequest{Model: req.Model, From: req.From, Files: files, Adapters: req.Adapters,
		Template: req.Template, System: req.System, Parameters: req.Parameters, Quantize: req.Quantize}
	if len(req.License) > 0 {
		cr.License = req.License
	}
	var sendErr error
	success := false
	err = client.Create(ctx, cr, func(r api.ProgressResponse) error {
		if r.Status == "success" {
			success = true
		}
		sendErr = send(progress, &sdk.Progress{Status: r.Status, Digest: r.Digest, Total: r.Total, Completed: r.Completed})
		return sendErr
	})
	if sendErr != nil {
		return sendErr
	}
	if err != nil {
		return p.mapError(ctx, err, op{what: "create", fallback: sdk.CodeInvalidArgument})
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if !success {
		return p.unavailable(fmt.Errorf("creating %q ended without success", req.Model))
	}
	return nil
}

// uploadFile stores a local file as a blob and returns its digest.
func (p *plugin) uploadFile(ctx context.Context, client *ollamaClient, path string, progress func(*sdk.Progress) error) (string, error) {
	bad := func(err error) error {
		return &sdk.Error{Code: sdk.CodeInvalidArgument, Field: "path", Message: "cannot read the model file: " + err.Error()}
	}
	f, err := os.Open(path)
	if err != nil {
		return "", bad(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", bad(err)
	}
	if !st.Mode().IsRegular() {
		return "", bad(fmt.Errorf("%s is not a regular file", path))
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", bad(err)
	}
	digest := "sha256:" + hex.EncodeToString(h.Sum(nil))
	has, err := p.checkBlob(ctx, client, digest)
	if err != nil {
		return "", err
	}
	if !has {
		if err := send(progress, &sdk.Progress{Status: "copying file", Digest: digest, Total: st.Size()}); err != nil {
			return "", err
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return "", bad(err)
		}
		if err := client.CreateBlob(ctx, digest, io.NopCloser(f)); err != nil {
			return "", p.mapError(ctx, err, op{what: "blob"})
		}
	}
	if err := send(progress, &sdk.Progress{Status: "copying file", Digest: digest, Total: st.Size(), Completed: st.Size()}); err != nil {
		return "", err
	}
	return digest, nil
}

// PushModel uploads a model to its registry (/api/push). Ollama names the
// layer phase "pushing <digest>"; like pulls' "downloading", Roundhouse
// calls it "uploading" and keeps the digest in its own field.
func (p *plugin) PushModel(ctx context.Context, req *sdk.PushRequest, progress func(*sdk.Progress) error) error {
	if req == nil {
		req = &sdk.PushRequest{}
	}
	if err := validateModelName(req.Model); err != nil {
		return err
	}
	client, err := p.engine(ctx)
	if err != nil {
		return err
	}
	if req.Auth != nil {
		return p.pushWithAuth(ctx, client, req, progress)
	}
	return wantsLogin(req.Model, p.push(ctx, client, req.Model, req.Insecure, req.Model, progress))
}

// push runs /api/push of name; shown is the name the user asked for.
func (p *plugin) push(ctx context.Context, client *ollamaClient, name string, insecure bool, shown string, progress func(*sdk.Progress) error) error {
	var sendErr error
	success := false
	err := client.Push(ctx, &api.PushRequest{Model: name, Insecure: insecure}, func(r api.ProgressResponse) error {
		if r.Status == "success" {
			success = true
		}
		status := r.Status
		if r.Digest != "" && strings.HasPrefix(status, "pushing ") {
			status = "uploading"
		}
		sendErr = send(progress, &sdk.Progress{Status: status, Digest: r.Digest, Total: r.Total, Completed: r.Completed})
		return sendErr
	})
	if sendErr != nil {
		return sendErr
	}
	if err != nil {
		if m := strings.ToLower(err.Error()); strings.Contains(m, "insecure protocol") || strings.Contains(m, "http response to https client") {
			return &sdk.Error{Code: sdk.CodeFailedPrecondition, Field: "insecure",
				Message: "the registry of " + quote(shown) + " speaks plain HTTP; set insecure to push to it anyway"}
		}
		return p.mapError(ctx, err, op{what: "push", model: shown})
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if !success {
		return p.unavailable(fmt.Errorf("the push of %q ended without success", shown))
	}
	return nil
}

// CheckBlob asks Ollama whether it has a blob (HEAD /api/blobs/:digest).
func (p *plugin) CheckBlob(ctx context.Context, digest string) (bool, error) {
	if err := validateDigest("digest", digest); err != nil {
		return false, err
	}
	client, err := p.engine(ctx)
	if err != nil {
		return false, err
	}
	return p.checkBlob(ctx, client, digest)
}

func (p *plugin) checkBlob(ctx context.Context, client *ollamaClient, digest string) (bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, client.base.JoinPath("/api/blobs", digest).String(), nil)
	if err != nil {
		return false, err
	}
	resp, err := client.http.Do(req)
	if err != nil {
		return false, p.mapError(ctx, err, op{what: "blob"})
	}
	_ = resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		return true, nil
	case http.StatusNotFound:
		return false, nil
	default:
		return false, p.mapError(ctx, api.StatusError{StatusCode: resp.StatusCode, Status: resp.Status,
			ErrorMessage: "checking blob " + digest + ": " + resp.Status}, op{what: "blob"})
	}
}

// CreateBlob streams body to Ollama (POST /api/blobs/:digest), which
// refuses bytes whose digest differs.
func (p *plugin) CreateBlob(ctx context.Context, digest string, body io.Reader) error {
	if err := validateDigest("digest", digest); err != nil {
		return err
	}
	client, err := p.engine(ctx)
	if err != nil {
		return err
	}
	if body == nil {
		body = strings.NewReader("")
	}
	err = client.CreateBlob(ctx, digest, body)
	if err != nil {
		e := p.mapError(ctx, err, op{what: "blob", fallback: sdk.CodeInvalidArgument})
		if se, ok := e.(*sdk.Error); ok && strings.Contains(strings.ToLower(se.Message), "digest") {
			se.Code, se.Field = sdk.CodeInvalidArgument, "digest"
		}
		return e
	}
	return nil
}
