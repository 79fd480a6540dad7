package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roundhouse-ai/roundhouse/internal/ovmstest"
)

func TestFlags(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"--version"}, &out, &errOut); err != nil || !strings.HasPrefix(out.String(), "OpenVINO Model Server ") {
		t.Fatalf("--version: %q %v", out.String(), err)
	}
	if err := run(context.Background(), []string{"--no_such_flag"}, &out, &errOut); err == nil {
		t.Fatal("an unknown flag was accepted")
	}
	if err := run(context.Background(), []string{"--rest_port", "0", "stray"}, &out, &errOut); err == nil || !strings.Contains(err.Error(), "unmatched arguments") {
		t.Fatalf("stray argument: %v", err)
	}
	// OVMS's tuning flags are accepted (with --version, nothing runs).
	if err := run(context.Background(), []string{"--cache_size", "2", "--max_num_seqs", "8", "--version"}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
}

func TestPullListAndConfigEdits(t *testing.T) {
	repo := t.TempDir()
	t.Setenv("OVMS_FAKE_PULL_STEP_MS", "1")
	t.Setenv("OVMS_FAKE_PULL_BYTES", "1000")
	var out bytes.Buffer
	args := []string{"--pull", "--source_model", "OpenVINO/bge-base", "--model_repository_path", repo, "--task", "embeddings", "--target_device", "GPU"}
	if err := run(context.Background(), args, &out, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Model: OpenVINO/bge-base downloaded to: ") {
		t.Fatalf("pull output: %q", out.String())
	}
	graph, _ := os.ReadFile(filepath.Join(repo, "OpenVINO", "bge-base", "graph.pbtxt"))
	if !strings.Contains(string(graph), `calculator: "EmbeddingsCalculatorOV"`) || !strings.Contains(string(graph), `device: "GPU"`) {
		t.Fatalf("graph.pbtxt: %s", graph)
	}
	if err := run(context.Background(), []string{"--pull", "--source_model", "x", "--model_repository_path", repo, "--task", "dance"}, &out, &out); err == nil {
		t.Fatal("an unknown task was accepted")
	}
	out.Reset()
	if err := run(context.Background(), []string{"--list_models", "--model_repository_path", repo}, &out, &out); err != nil || strings.TrimSpace(out.String()) != "OpenVINO/bge-base" {
		t.Fatalf("--list_models: %q %v", out.String(), err)
	}
	cfg := filepath.Join(repo, "config.json")
	add := []string{"--add_to_config", "--config_path", cfg, "--model_name", "OpenVINO/bge-base", "--model_repository_path", repo}
	if err := run(context.Background(), add, &out, &out); err != nil {
		t.Fatal(err)
	}
	if err := run(context.Background(), add, &out, &out); err == nil {
		t.Fatal("a model was added twice")
	}
	var cf ovmstest.ConfigFile
	data, _ := os.ReadFile(cfg)
	if err := json.Unmarshal(data, &cf); err != nil || len(cf.ModelConfigList) != 1 || cf.ModelConfigList[0].Config.BasePath != filepath.Join(repo, "OpenVINO/bge-base") {
		t.Fatalf("config after add: %s %v", data, err)
	}
	if err := run(context.Background(), []string{"--remove_from_config", "--config_path", cfg, "--model_name", "OpenVINO/bge-base"}, &out, &out); err != nil {
		t.Fatal(err)
	}
	data, _ = os.ReadFile(cfg)
	if strings.Contains(string(data), "bge-base") {
		t.Fatalf("config after remove: %s", data)
	}
}
