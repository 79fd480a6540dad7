package main

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/roundhouse-ai/roundhouse/internal/testbed"
	"github.com/roundhouse-ai/roundhouse/sdk"
)

func TestManageValidation(t *testing.T) {
	f := newFakeOllama(t)
	p := attachedPlugin(t, f)
	ctx := ctxT(t, 10*time.Second)
	e := wantCode(t, p.CopyModel(ctx, &sdk.CopyRequest{Source: "tiny", Destination: "../x"}), sdk.CodeModelInvalidName)
	if e.Field != "destination" {
		t.Errorf("field %q", e.Field)
	}
	e = wantCode(t, errOf(p.CheckBlob(ctx, "sha256:../../etc")), sdk.CodeInvalidArgument)
	if e.Field != "digest" {
		t.Errorf("field %q", e.Field)
	}
	wantCode(t, p.CreateBlob(ctx, "md5:00", strings.NewReader("x")), sdk.CodeInvalidArgument)
	e = wantCode(t, p.CreateModel(ctx, &sdk.CreateRequest{Model: "m"}, nil), sdk.CodeInvalidArgument)
	if e.Field != "from" {
		t.Errorf("field %q", e.Field)
	}
	e = wantCode(t, p.CreateModel(ctx, &sdk.CreateRequest{Model: "m", Files: map[string]string{"a.gguf": "nope"}}, nil), sdk.CodeInvalidArgument)
	if e.Field != "files.a.gguf" {
		t.Errorf("field %q", e.Field)
	}
	e = wantCode(t, p.CreateModel(ctx, &sdk.CreateRequest{Model: "m", Path: "/does/not/exist.gguf"}, nil), sdk.CodeInvalidArgument)
	if e.Field != "path" {
		t.Errorf("field %q", e.Field)
	}
	wantCode(t, p.PushModel(ctx, &sdk.PushRequest{Model: ""}, nil), sdk.CodeModelInvalidName)
}

// TestRealCreateCopyPush runs the whole management cycle on a real
// engine: upload the tiny GGUF as a blob, create a model from it, copy
// it, chat with the copy, push it to the test registry, delete it and
// pull it back.
func TestRealCreateCopyPush(t *testing.T) {
	bin := requireBed(t)
	bed := testbed.NewBed(t)
	tiny := bed.Models["tiny"]
	p := realManaged(t, bin)
	ctx := ctxT(t, 3*time.Minute)

	// Blobs: absent, uploaded, present; a wrong digest is refused.
	gguf, err := os.ReadFile(tiny.GGUF)
	if err != nil {
		t.Fatal(err)
	}
	digest := fmt.Sprintf("sha256:%x", sha256.Sum256(gguf))
	if has, err := p.CheckBlob(ctx, digest); err != nil || has {
		t.Fatalf("check before upload: %v %v", has, err)
	}
	if err := p.CreateBlob(ctx, digest, bytes.NewReader(gguf)); err != nil {
		t.Fatal(err)
	}
	if has, err := p.CheckBlob(ctx, digest); err != nil || !has {
		t.Fatalf("check after upload: %v %v", has, err)
	}
	wrong := fmt.Sprintf("sha256:%x", sha256.Sum256([]byte("other")))
	wantCode(t, p.CreateBlob(ctx, wrong, bytes.NewReader(gguf[:1000])), sdk.CodeInvalidArgument)

	// Create from the uploaded blob, with Modelfile-like fields.
	var statuses []string
	req := &sdk.CreateRequest{Model: "rh-created", Files: map[string]string{"tiny.gguf": digest},
		Template: "User: {{ .Prompt }}\nAssistant:", System: "be brief",
		Parameters: map[string]any{"num_predict": 16, "num_thread": 1, "stop": []any{"User:"}}}
	if err := p.CreateModel(ctx, req, func(pr *sdk.Progress) error { statuses = append(statuses, pr.Status); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(statuses) == 0 || statuses[len(statuses)-1] != "success" {
		t.Fatalf("create progress %v", statuses)
	}
	d, err := p.ShowModel(ctx, "rh-created")
	if err != nil {
		t.Fatal(err)
	}
	if d.Template != req.Template || !strings.Contains(d.Parameters, "num_predict") || d.Details["system"] != "be brief" {
		t.Fatalf("show: %+v", d)
	}

	// Create from a file on the machine (Path): same blob, no upload.
	statuses = nil
	if err := p.CreateModel(ctx, &sdk.CreateRequest{Model: "rh-from-path", Path: tiny.GGUF},
		func(pr *sdk.Progress) error { statuses = append(statuses, pr.Status); return nil }); err != nil {
		t.Fatal(err)
	}
	if statuses[0] != "copying file" || statuses[len(statuses)-1] != "success" {
		t.Fatalf("create from path progress %v", statuses)
	}

	// Copy, then chat with the copy.
	if err := p.CopyModel(ctx, &sdk.CopyRequest{Source: "rh-created", Destination: "rh-copy"}); err != nil {
		t.Fatal(err)
	}
	e := wantCode(t, p.CopyModel(ctx, &sdk.CopyRequest{Source: "rh-missing", Destination: "rh-x"}), sdk.CodeModelNotFound)
	if e.Field != "source" {
		t.Errorf("field %q", e.Field)
	}
	chunks, err := chatOnce(ctx, p, "rh-copy")
	if err != nil || len(chunks) == 0 {
		t.Fatalf("chat with the copy: %v (%d chunks)", err, len(chunks))
	}

	// Push to a throwaway registry (the seeded one lives in the cache),
	// delete, pull back.
	reg, err := testbed.StartRegistry(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = reg.Close() })
	ref := reg.Ref("rh-pushed")
	if err := p.CopyModel(ctx, &sdk.CopyRequest{Source: "rh-created", Destination: ref}); err != nil {
		t.Fatal(err)
	}
	wantCode(t, p.PushModel(ctx, &sdk.PushRequest{Model: ref}, nil), sdk.CodeFailedPrecondition)
	var pushed []*sdk.Progress
	if err := p.PushModel(ctx, &sdk.PushRequest{Model: ref, Insecure: true}, func(pr *sdk.Progress) error { pushed = append(pushed, pr); return nil }); err != nil {
		t.Fatal(err)
	}
	uploading := false
	for _, pr := range pushed {
		uploading = uploading || (pr.Status == "uploading" && pr.Digest != "")
	}
	if !uploading || pushed[len(pushed)-1].Status != "success" {
		t.Fatalf("push progress %+v", pushed)
	}
	if err := p.DeleteModel(ctx, ref); err != nil {
		t.Fatal(err)
	}
	if err := p.PullModel(ctx, &sdk.PullRequest{Model: ref, Insecure: true}, nil); err != nil {
		t.Fatal(err)
	}
	models, err := p.ListModels(ctx)
	if err != nil || !hasModel(models, ref) {
		t.Fatalf("pulled back: %v %+v", err, models)
	}
}
