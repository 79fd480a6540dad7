package main

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain doubles as a fake `ollama` (see fakeEngineExe): enough of one to
// test process management without the real engine. It keeps the plugin's
// logs quiet unless -test.v.
func TestMain(m *testing.M) {
	if os.Getenv("FAKE_OLLAMA") == "1" {
		os.Exit(fakeOllamaMain(os.Args[1:]))
	}
	if !slices.ContainsFunc(os.Args, func(a string) bool { return a == "-test.v" || a == "-test.v=true" }) {
		slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	}
	os.Exit(m.Run())
}

// fakeEngineExe writes an `ollama` script that runs this test binary as
// the fake engine, and returns its path.
func fakeEngineExe(t *testing.T) string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	exe := filepath.Join(dir, "ollama")
	script := fmt.Sprintf("#!/bin/sh\nFAKE_OLLAMA=1 exec %q \"$@\"\n", self)
	if err := os.WriteFile(exe, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return exe
}

// fakeOllamaMain is the fake engine:
//
//	--version   prints a version like the real CLI does without a server
//	serve       serves /api/version, /api/tags and /api/ps at OLLAMA_HOST and
//	            starts a "runner" child, recording both pids in OLLAMA_MODELS
//	runner      sleeps (stands for a model runner in the engine's group)
//
// FAKE_OLLAMA_FAIL makes serve fail at once; FAKE_OLLAMA_IGNORE_TERM makes
// it ignore SIGTERM; FAKE_OLLAMA_DELAY delays its listening.
func fakeOllamaMain(args []string) int {
	if len(args) == 0 {
		return 2
	}
	switch args[0] {
	case "--version":
		fmt.Println("Warning: could not connect to a running Ollama instance")
		fmt.Println("Warning: client version is 0.0.0-fake")
		return 0
	case "runner":
		time.Sleep(time.Hour)
		return 0
	case "serve":
	default:
		return 2
	}
	if os.Getenv("FAKE_OLLAMA_FAIL") != "" {
		fmt.Fprintln(os.Stderr, "Error: listen tcp 127.0.0.1:1: bind: address already in use")
		return 1
	}
	if d, err := time.ParseDuration(os.Getenv("FAKE_OLLAMA_DELAY")); err == nil {
		time.Sleep(d) // a slow start, to observe "starting"
	}
	host := os.Getenv("OLLAMA_HOST")
	host = host[strings.Index(host, "://")+3:]
	models := os.Getenv("OLLAMA_MODELS")
	self, _ := os.Executable()
	runner := exec.Command(self, "runner")
	runner.Env = os.Environ()
	if err := runner.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "start runner:", err)
		return 1
	}
	os.WriteFile(filepath.Join(models, "runner.pid"), []byte(strconv.Itoa(runner.Process.Pid)), 0o644)
	os.WriteFile(filepath.Join(models, "serve.pid"), []byte(strconv.Itoa(os.Getpid())), 0o644)
	if os.Getenv("FAKE_OLLAMA_IGNORE_TERM") != "" {
		signal.Ignore(syscall.SIGTERM)
	} else {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM)
		go func() { <-sig; os.Exit(0) }() // leaves the runner behind, on purpose
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/version", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, `{"version":"0.0.0-fake"}`) })
	mux.HandleFunc("GET /api/tags", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, `{"models":[]}`) })
	mux.HandleFunc("GET /api/ps", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, `{"models":[]}`) })
	fmt.Fprintln(os.Stderr, "fake ollama listening on", host)
	if err := http.ListenAndServe(host, mux); err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		return 1
	}
	return 0
}
