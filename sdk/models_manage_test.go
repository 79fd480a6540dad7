package sdk_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sync"
	"testing"

	"github.com/roundhouse-ai/roundhouse/sdk"
	"github.com/roundhouse-ai/roundhouse/sdk/pluginhost"
)

// manager implements the optional model-management interfaces.
type manager struct {
	sdk.UnimplementedPlugin
	mu      sync.Mutex
	copied  *sdk.CopyRequest
	created *sdk.CreateRequest
	pushed  *sdk.PushRequest
	blobs   map[string][]byte
}

func (m *manager) CopyModel(_ context.Context, req *sdk.CopyRequest) error {
	if req.Source == "missing" {
		return &sdk.Error{Code: sdk.CodeModelNotFound, Field: "source", Message: "model \"missing\" not found"}
	}
	m.copied = req
	return nil
}

func (m *manager) CreateModel(_ context.Context, req *sdk.CreateRequest, progress func(*sdk.Progress) error) error {
	m.created = req
	for _, s := range []string{"parsing GGUF", "writing manifest", "success"} {
		if err := progress(&sdk.Progress{Status: s}); err != nil {
			return err
		}
	}
	return nil
}

func (m *manager) PushModel(_ context.Context, req *sdk.PushRequest, progress func(*sdk.Progress) error) error {
	m.pushed = req
	return progress(&sdk.Progress{Status: "pushing", Digest: "sha256:1", Total: 10, Completed: 10})
}

func (m *manager) CheckBlob(_ context.Context, digest string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.blobs[digest]
	return ok, nil
}

func (m *manager) CreateBlob(_ context.Context, digest string, body io.Reader) error {
	b, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	if got := fmt.Sprintf("sha256:%x", sha256.Sum256(b)); got != digest {
		return &sdk.Error{Code: sdk.CodeInvalidArgument, Field: "digest", Message: "digest mismatch: got " + got}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.blobs == nil {
		m.blobs = map[string][]byte{}
	}
	m.blobs[digest] = b
	return nil
}

func TestModelManagementOverTheWire(t *testing.T) {
	impl := &manager{}
	conn, stop := pluginhost.ServeInProcess(impl)
	defer stop()
	ctx := context.Background()

	if err := conn.CopyModel(ctx, &sdk.CopyRequest{Source: "a", Destination: "b"}); err != nil {
		t.Fatal(err)
	}
	if *impl.copied != (sdk.CopyRequest{Source: "a", Destination: "b"}) {
		t.Fatalf("copied %+v", impl.copied)
	}
	var e *sdk.Error
	if err := conn.CopyModel(ctx, &sdk.CopyRequest{Source: "missing", Destination: "b"}); !errors.As(err, &e) || e.Code != sdk.CodeModelNotFound || e.Field != "source" {
		t.Fatalf("copy of a missing model: %v", err)
	}

	want := &sdk.CreateRequest{Model: "m", From: "base", Files: map[string]string{"model.gguf": "sha256:ab"},
		Adapters: map[string]string{"a.gguf": "sha256:cd"}, Template: "{{ .Prompt }}", System: "be brief",
		Parameters: map[string]any{"temperature": 0.5, "stop": []any{"<|x|>"}}, License: []string{"MIT"},
		Quantize: "q4_K_M", Path: "/tmp/model.gguf"}
	var statuses []string
	if err := conn.CreateModel(ctx, want, func(p *sdk.Progress) error { statuses = append(statuses, p.Status); return nil }); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(impl.created, want) {
		t.Fatalf("created %+v, want %+v", impl.created, want)
	}
	if !reflect.DeepEqual(statuses, []string{"parsing GGUF", "writing manifest", "success"}) {
		t.Fatalf("create progress %v", statuses)
	}

	var pushed []*sdk.Progress
	if err := conn.PushModel(ctx, &sdk.PushRequest{Model: "reg/m", Insecure: true}, func(p *sdk.Progress) error { pushed = append(pushed, p); return nil }); err != nil {
		t.Fatal(err)
	}
	if !impl.pushed.Insecure || impl.pushed.Model != "reg/m" || len(pushed) != 1 || pushed[0].Completed != 10 {
		t.Fatalf("push %+v, progress %+v", impl.pushed, pushed)
	}

	// A blob larger than one chunk and than gRPC's message limit.
	blob := bytes.Repeat([]byte("0123456789abcdef"), (5<<20)/16+7)
	digest := fmt.Sprintf("sha256:%x", sha256.Sum256(blob))
	if ok, err := conn.CheckBlob(ctx, digest); err != nil || ok {
		t.Fatalf("check before upload: %v %v", ok, err)
	}
	if err := conn.CreateBlob(ctx, digest, bytes.NewReader(blob)); err != nil {
		t.Fatal(err)
	}
	if ok, err := conn.CheckBlob(ctx, digest); err != nil || !ok {
		t.Fatalf("check after upload: %v %v", ok, err)
	}
	if !bytes.Equal(impl.blobs[digest], blob) {
		t.Fatal("blob arrived changed")
	}
	// An empty blob is a blob too.
	empty := fmt.Sprintf("sha256:%x", sha256.Sum256(nil))
	if err := conn.CreateBlob(ctx, empty, bytes.NewReader(nil)); err != nil {
		t.Fatal(err)
	}
	// The plugin's refusal comes back as its error.
	if err := conn.CreateBlob(ctx, digest, bytes.NewReader(blob[:100])); !errors.As(err, &e) || e.Code != sdk.CodeInvalidArgument || e.Field != "digest" {
		t.Fatalf("mismatched digest: %v", err)
	}
	// A body that fails mid-way aborts the upload with its error.
	boom := errors.New("disk gone")
	if err := conn.CreateBlob(ctx, digest, io.MultiReader(bytes.NewReader(blob[:3<<20]), errReader{boom})); !errors.Is(err, boom) {
		t.Fatalf("failing body: %v", err)
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

func TestModelManagementUnimplemented(t *testing.T) {
	conn, stop := pluginhost.ServeInProcess(sdk.UnimplementedPlugin{})
	defer stop()
	ctx := context.Background()
	noop := func(*sdk.Progress) error { return nil }
	_, checkErr := conn.CheckBlob(ctx, "sha256:00")
	for name, err := range map[string]error{
		"copy":   conn.CopyModel(ctx, &sdk.CopyRequest{Source: "a", Destination: "b"}),
		"create": conn.CreateModel(ctx, &sdk.CreateRequest{Model: "m"}, noop),
		"push":   conn.PushModel(ctx, &sdk.PushRequest{Model: "m"}, noop),
		"check":  checkErr,
		"blob":   conn.CreateBlob(ctx, "sha256:00", bytes.NewReader([]byte("x"))),
	} {
		var e *sdk.Error
		if !errors.As(err, &e) || e.Code != sdk.CodeUnimplemented {
			t.Errorf("%s: %v, want CodeUnimplemented", name, err)
		}
	}
}
