package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/roundhouse-ai/roundhouse/client"
)

func TestModelsRecommend(t *testing.T) {
	var query string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/models/recommended" {
			http.NotFound(w, r)
			return
		}
		query = r.URL.RawQuery
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Query().Get("service") == "rerank" {
			_, _ = w.Write([]byte(`{"service":"rerank","machine":{"memory_total_bytes":16000000000,"memory_available_bytes":4000000000},"models":[]}`))
			return
		}
		_, _ = w.Write([]byte(`{"service":"chat","machine":{"memory_total_bytes":16000000000,"memory_available_bytes":4000000000,"gpu":"amd","vram_bytes":8000000000},"models":[
			{"id":"ollama/gemma3:1b","plugin":"ollama","name":"gemma3:1b","services":["chat"],"size_bytes":815000000,"parameters":"1B","context_length":32768,"quantization":"Q4_K_M","capabilities":[],"fits":true,"reason":"fits in GPU memory","device":"gpu","installed":true},
			{"id":"ollama/qwen2.5:0.5b","plugin":"ollama","name":"qwen2.5:0.5b","services":["chat"],"size_bytes":398000000,"parameters":"494M","context_length":32768,"quantization":"Q4_K_M","capabilities":["tools"],"fits":true,"reason":"fits in GPU memory","device":"gpu","installed":false},
			{"id":"ollama/huge","plugin":"ollama","name":"huge","services":["chat"],"capabilities":[],"fits":false,"reason":"needs 64 GiB, more than this machine's 15 GiB","installed":false}]}`))
	}))
	defer srv.Close()
	c, err := client.New(srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	cl := &cli{c: c, out: &out}
	if err := cl.dispatch(context.Background(), []string{"models", "recommend"}); err != nil {
		t.Fatal(err)
	}
	if query != "service=chat" {
		t.Errorf("query = %q", query)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	want := []string{
		"this machine: 16.0 GB memory, 4.0 GB free, amd GPU (8.0 GB)",
		"MODEL                SIZE      PARAMS  CONTEXT  QUANT   CAPABILITIES  INSTALLED  FITS  REASON",
		"ollama/gemma3:1b     815.0 MB  1B      32K      Q4_K_M  -             yes        yes   fits in GPU memory",
		"ollama/qwen2.5:0.5b  398.0 MB  494M    32K      Q4_K_M  tools         no         yes   fits in GPU memory",
		"ollama/huge          -         -       -        -       -             no         no    needs 64 GiB, more than this machine's 15 GiB",
		"pull one with: roundhouse models pull ollama/qwen2.5:0.5b",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Fatalf("output:\n%s\nwant:\n%s", out.String(), strings.Join(want, "\n"))
	}

	out.Reset()
	if err := cl.dispatch(context.Background(), []string{"models", "recommend", "--service", "rerank", "--plugin", "ollama"}); err != nil {
		t.Fatal(err)
	}
	if query != "plugin=ollama&service=rerank" || !strings.Contains(out.String(), "no plugin recommends models for rerank") {
		t.Errorf("query %q, output %q", query, out.String())
	}
	if err := cl.dispatch(context.Background(), []string{"models", "recommend", "extra"}); err == nil || !strings.Contains(err.Error(), "usage:") {
		t.Errorf("stray argument: %v", err)
	}
}
