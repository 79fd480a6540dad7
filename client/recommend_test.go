package client

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestRecommendedModels(t *testing.T) {
	var queries []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != "/v1/models/recommended" {
			t.Errorf("%s %s", r.Method, r.URL.Path)
		}
		queries = append(queries, r.URL.RawQuery)
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Query().Get("service") == "teleport" {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error":{"message":"unknown service","code":"invalid_argument","field":"service"}}`))
			return
		}
		_, _ = w.Write([]byte(`{"service":"chat","machine":{"memory_total_bytes":17179869184,"memory_available_bytes":4294967296},
			"models":[{"id":"ollama/qwen2.5:0.5b","plugin":"ollama","name":"qwen2.5:0.5b","services":["chat","generate"],"size_bytes":398000000,
			"parameters":"494M","context_length":32768,"quantization":"Q4_K_M","capabilities":["tools"],"need_bytes":477600000,"estimated":true,
			"fits":true,"reason":"no GPU: runs on CPU, slower","device":"cpu","installed":true}]}`))
	}))
	defer srv.Close()
	c, err := New(srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	list, err := c.RecommendedModels(context.Background(), "chat")
	if err != nil {
		t.Fatal(err)
	}
	m := list.Models[0]
	if list.Service != "chat" || list.Machine.MemoryTotal != 16<<30 || len(list.Models) != 1 ||
		m.ID != "ollama/qwen2.5:0.5b" || !m.Fits || !m.Installed || !m.Estimated || m.ContextLength != 32768 ||
		m.Capabilities[0] != "tools" || m.Services[1] != "generate" || m.Reason == "" || m.Device != "cpu" {
		t.Fatalf("list = %+v", list)
	}
	if _, err := c.RecommendedModelsFor(context.Background(), "", "ollama"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.RecommendedModels(context.Background(), ""); err != nil {
		t.Fatal(err)
	}
	_, err = c.RecommendedModels(context.Background(), "teleport")
	var se *StatusError
	if !errors.As(err, &se) || se.StatusCode != http.StatusBadRequest {
		t.Fatalf("error = %#v", err)
	}
	want := []string{"service=chat", "plugin=ollama", "", "service=teleport"}
	for i := range want {
		if queries[i] != want[i] {
			t.Errorf("query %d = %q, want %q", i, queries[i], want[i])
		}
	}
}
