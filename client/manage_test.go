package client

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/roundhouse-ai/roundhouse/types"
)

// blobServer is a fake host for the model management calls.
type blobServer struct {
	mu      sync.Mutex
	blobs   map[string][]byte
	posts   int
	ctype   string
	length  int64
	bodies  map[string]json.RawMessage
	failing bool
}

func (s *blobServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case strings.HasPrefix(r.URL.Path, "/api/blobs/"):
		d := strings.TrimPrefix(r.URL.Path, "/api/blobs/")
		if r.Method == http.MethodHead {
			if _, ok := s.blobs[d]; !ok {
				w.WriteHeader(http.StatusNotFound)
			}
			return
		}
		s.posts++
		s.ctype, s.length = r.Header.Get("Content-Type"), r.ContentLength
		data, _ := io.ReadAll(r.Body)
		sum := sha256.Sum256(data)
		if "sha256:"+hex.EncodeToString(sum[:]) != d {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error":{"code":"invalid_argument","message":"digest mismatch"}}`))
			return
		}
		s.blobs[d] = data
		w.WriteHeader(http.StatusCreated)
	case r.URL.Path == "/v1/models/copy":
		var body json.RawMessage
		_ = json.NewDecoder(r.Body).Decode(&body)
		s.bodies[r.URL.Path] = body
		if s.failing {
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"error":{"code":"model_not_found","field":"source","message":"no model ghost"}}`))
			return
		}
		_, _ = w.Write([]byte(`{"status":"copied"}`))
	case r.URL.Path == "/v1/models/create" || r.URL.Path == "/v1/models/push":
		var body json.RawMessage
		_ = json.NewDecoder(r.Body).Decode(&body)
		s.bodies[r.URL.Path] = body
		w.Header().Set("Content-Type", "application/x-ndjson")
		_, _ = w.Write([]byte(`{"id":"op1","status":"started","model":"m"}` + "\n" +
			`{"id":"op1","status":"writing manifest"}` + "\n"))
		if s.failing {
			_, _ = w.Write([]byte(`{"id":"op1","status":"error","error":{"code":"unavailable","message":"registry down"}}` + "\n"))
			return
		}
		_, _ = w.Write([]byte(`{"id":"op1","status":"success"}` + "\n"))
	default:
		http.NotFound(w, r)
	}
}

func newBlobServer(t *testing.T) (*blobServer, *Client) {
	s := &blobServer{blobs: map[string][]byte{}, bodies: map[string]json.RawMessage{}}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	c, err := New(srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s, c
}

func TestUploadBlobHashesUploadsAndSkipsPresent(t *testing.T) {
	s, c := newBlobServer(t)
	data := []byte(strings.Repeat("GGUF tiny model bytes ", 50000)) // ~1 MB
	path := filepath.Join(t.TempDir(), "tiny.gguf")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	digest := "sha256:" + hex.EncodeToString(sum[:])
	var events []ProgressEvent
	up, err := c.UploadBlob(context.Background(), path, func(ev ProgressEvent) error { events = append(events, ev); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if up.Digest != digest || up.Size != int64(len(data)) || up.Skipped {
		t.Fatalf("upload %+v", up)
	}
	if s.posts != 1 || s.ctype != "application/octet-stream" || s.length != int64(len(data)) || string(s.blobs[digest]) != string(data) {
		t.Fatalf("server saw %d posts, %q, length %d", s.posts, s.ctype, s.length)
	}
	last := events[len(events)-1]
	if !strings.HasPrefix(events[0].Status, "hashing tiny.gguf") || last.Status != "uploading tiny.gguf" || last.Digest != digest || last.Completed != last.Total || last.Total != int64(len(data)) {
		t.Fatalf("events %+v", events)
	}

	// Again: the host has it, nothing is sent.
	up, err = c.UploadBlob(context.Background(), path, nil)
	if err != nil || !up.Skipped || up.Digest != digest || s.posts != 1 {
		t.Fatalf("second upload %+v %v (posts %d)", up, err, s.posts)
	}
}

func TestUploadBlobErrors(t *testing.T) {
	_, c := newBlobServer(t)
	if up, err := c.UploadBlob(context.Background(), filepath.Join(t.TempDir(), "missing.gguf"), nil); up != nil || err == nil {
		t.Fatalf("missing file: %+v %v", up, err)
	}
	if up, err := c.UploadBlob(context.Background(), t.TempDir(), nil); up != nil || err == nil {
		t.Fatalf("directory: %+v %v", up, err)
	}
	path := filepath.Join(t.TempDir(), "m.gguf")
	if err := os.WriteFile(path, []byte(strings.Repeat("x", 1<<20)), 0o644); err != nil {
		t.Fatal(err)
	}
	stop := errors.New("stop")
	up, err := c.UploadBlob(context.Background(), path, func(ev ProgressEvent) error {
		if strings.HasPrefix(ev.Status, "uploading") {
			return stop
		}
		return nil
	})
	if up != nil || !errors.Is(err, stop) {
		t.Fatalf("fn error: %+v %v", up, err)
	}
}

func TestCopyCreatePush(t *testing.T) {
	s, c := newBlobServer(t)
	ctx := context.Background()
	if err := c.CopyModel(ctx, &CopyRequest{Source: "a", Destination: "b"}); err != nil {
		t.Fatal(err)
	}
	if got := string(s.bodies["/v1/models/copy"]); got != `{"source":"a","destination":"b"}` {
		t.Fatalf("copy body %s", got)
	}
	var statuses []string
	err := c.CreateModel(ctx, &CreateRequest{Model: "m", Files: map[string]string{"m.gguf": "sha256:00"}, Parameters: map[string]any{"stop": []string{"x"}}},
		func(ev ProgressEvent) error { statuses = append(statuses, ev.Status); return nil })
	if err != nil || strings.Join(statuses, ",") != "started,writing manifest,success" {
		t.Fatalf("create %q %v", statuses, err)
	}
	if got := string(s.bodies["/v1/models/create"]); got != `{"model":"m","files":{"m.gguf":"sha256:00"},"parameters":{"stop":["x"]}}` {
		t.Fatalf("create body %s", got)
	}
	if err := c.PushModel(ctx, &PushRequest{Model: "m", Insecure: true}, nil); err != nil {
		t.Fatal(err)
	}
	if got := string(s.bodies["/v1/models/push"]); got != `{"model":"m","insecure":true}` {
		t.Fatalf("push body %s", got)
	}

	s.failing = true
	var se *StatusError
	if err := c.CopyModel(ctx, &CopyRequest{Source: "ghost", Destination: "b"}); !errors.As(err, &se) || se.StatusCode != 404 || se.Field != "source" {
		t.Fatalf("copy error %#v", err)
	}
	if err := c.PushModel(ctx, &PushRequest{Model: "m"}, nil); !errors.As(err, &se) || se.Code() != types.CodeUnavailable {
		t.Fatalf("push error %#v", err)
	}
}
