// Command ovms is the fake OpenVINO Model Server of package ovmstest, as
// an executable with OVMS's real command-line flags (docs/parameters.md).
// It serves the REST API on --rest_port, opens --port for gRPC (accepting
// and closing connections: the fake speaks no gRPC), polls --config_path
// every --file_system_poll_wait_seconds, and with --pull downloads a fake
// model into --model_repository_path printing OVMS's progress lines.
//
// The fake's own knobs come from the environment (OVMS has no such
// flags): OVMS_FAKE_UPSTREAM (an OpenAI-compatible base URL, e.g. an
// Ollama's http://127.0.0.1:11434/v1), OVMS_FAKE_UPSTREAM_MODEL (the model
// name sent there), OVMS_FAKE_LOAD_DELAY_MS (LOADING → AVAILABLE delay),
// OVMS_FAKE_PULL_STEP_MS (pause between progress lines) and
// OVMS_FAKE_PULL_BYTES (size of the fake weights).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/roundhouse-ai/roundhouse/internal/ovmstest"
)

// Version is what --version prints.
const Version = "OpenVINO Model Server 2026.0.0.fake (ovmstest)\nOpenVINO backend 2026.0.0.fake"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "[error] %v\n", err)
		os.Exit(1)
	}
}

type flags struct {
	port, restPort, pollWait                    int
	grpcBind, restBind, configPath, repoPath    string
	modelName, modelPath, sourceModel, task     string
	targetDevice, logLevel, logPath, apiKeyFile string
	pull, overwrite, version, listModels        bool
	addToConfig, removeFromConfig               bool
}

func parse(args []string, stderr io.Writer) (*flags, error) {
	fs := flag.NewFlagSet("ovms", flag.ContinueOnError)
	fs.SetOutput(stderr)
	f := &flags{}
	fs.IntVar(&f.port, "port", 9178, "gRPC server port")
	fs.IntVar(&f.restPort, "rest_port", 0, "REST server port; 0 = no REST server")
	fs.StringVar(&f.grpcBind, "grpc_bind_address", "0.0.0.0", "gRPC bind address")
	fs.StringVar(&f.restBind, "rest_bind_address", "0.0.0.0", "REST bind address")
	fs.IntVar(&f.pollWait, "file_system_poll_wait_seconds", 1, "config.json poll interval; 0 disables")
	fs.StringVar(&f.configPath, "config_path", "", "absolute path to config.json")
	fs.StringVar(&f.repoPath, "model_repository_path", os.Getenv("OVMS_MODEL_REPOSITORY_PATH"), "model repository")
	fs.StringVar(&f.modelName, "model_name", "", "model name")
	fs.StringVar(&f.modelPath, "model_path", "", "model path")
	fs.StringVar(&f.sourceModel, "source_model", "", "Hugging Face model to pull")
	fs.StringVar(&f.task, "task", "", "text_generation|embeddings|rerank|image_generation|text2speech|speech2text")
	fs.StringVar(&f.targetDevice, "target_device", "", "CPU|GPU|NPU|AUTO|HETERO:...")
	fs.StringVar(&f.logLevel, "log_level", "INFO", "DEBUG|INFO|WARNING|ERROR|TRACE")
	fs.StringVar(&f.logPath, "log_path", "", "log file")
	fs.StringVar(&f.apiKeyFile, "api_key_file", "", "file whose first line is the /v3 API key")
	fs.BoolVar(&f.pull, "pull", false, "pull the model and exit")
	fs.BoolVar(&f.overwrite, "overwrite_models", false, "overwrite an existing model")
	fs.BoolVar(&f.version, "version", false, "print the version")
	fs.BoolVar(&f.listModels, "list_models", false, "list the models in the repository")
	fs.BoolVar(&f.addToConfig, "add_to_config", false, "add --model_name to --config_path")
	fs.BoolVar(&f.removeFromConfig, "remove_from_config", false, "remove --model_name from --config_path")
	// Accepted and ignored, as OVMS's tuning flags do not change the API.
	for _, name := range []string{"cache_dir", "cpu_extension", "grpc_workers", "rest_workers", "gguf_filename",
		"max_num_seqs", "pipeline_type", "enable_prefix_caching", "cache_size", "max_num_batched_tokens",
		"plugin_config", "nireq", "batch_size", "shape", "layout", "weight-format", "extra_quantization_params",
		"metrics_enable", "metrics_list", "allowed_origins", "allowed_methods", "allowed_headers", "tool_parser",
		"reasoning_parser", "num_streams", "normalize", "pooling", "max_allowed_chunks", "resolution", "draft_source_model"} {
		fs.String(name, "", "accepted, no effect in the fake")
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("error parsing options - unmatched arguments: %s", strings.Join(fs.Args(), " "))
	}
	return f, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f, err := parse(args, stderr)
	if err != nil {
		return err
	}
	switch {
	case f.version:
		fmt.Fprintln(stdout, Version)
		return nil
	case f.pull:
		return ovmstest.Pull(ctx, ovmstest.PullOptions{
			SourceModel: f.sourceModel, RepositoryPath: f.repoPath, ModelName: f.modelName,
			Task: f.task, TargetDevice: f.targetDevice, OverwriteModels: f.overwrite,
			FileBytes: envInt("OVMS_FAKE_PULL_BYTES", 0), Step: time.Duration(envInt("OVMS_FAKE_PULL_STEP_MS", 0)) * time.Millisecond,
		}, stdout)
	case f.listModels:
		return listModels(f.repoPath, stdout)
	case f.addToConfig || f.removeFromConfig:
		return editConfig(f)
	}
	return serve(ctx, f, stdout)
}

func serve(ctx context.Context, f *flags, stdout io.Writer) error {
	if f.configPath == "" && f.repoPath != "" {
		f.configPath = filepath.Join(f.repoPath, "config.json")
	}
	if f.configPath == "" {
		return errors.New("use --config_path (or --model_repository_path with a config.json): the fake serves from a config file only")
	}
	if f.restPort == 0 {
		return errors.New("--rest_port is required by the fake (it has no gRPC API)")
	}
	opts := ovmstest.Options{
		ConfigPath:    f.configPath,
		PollInterval:  time.Duration(f.pollWait) * time.Second,
		LoadDelay:     time.Duration(envInt("OVMS_FAKE_LOAD_DELAY_MS", 0)) * time.Millisecond,
		Upstream:      os.Getenv("OVMS_FAKE_UPSTREAM"),
		UpstreamModel: os.Getenv("OVMS_FAKE_UPSTREAM_MODEL"),
		APIKey:        os.Getenv("API_KEY"),
	}
	if f.apiKeyFile != "" {
		b, err := os.ReadFile(f.apiKeyFile)
		if err != nil {
			return err
		}
		opts.APIKey = strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0])
	}
	srv, err := ovmstest.New(opts)
	if err != nil {
		return fmt.Errorf("Couldn't start model manager: %v", err)
	}
	grpcL, err := net.Listen("tcp", net.JoinHostPort(f.grpcBind, strconv.Itoa(f.port)))
	if err != nil {
		return fmt.Errorf("Failed to start GRPC server at %s:%d: %v", f.grpcBind, f.port, err)
	}
	defer grpcL.Close()
	go func() {
		for {
			c, err := grpcL.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	restL, err := net.Listen("tcp", net.JoinHostPort(f.restBind, strconv.Itoa(f.restPort)))
	if err != nil {
		return fmt.Errorf("Failed to start REST server at %s:%d: %v", f.restBind, f.restPort, err)
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go srv.Run(ctx)
	logf(stdout, "Started gRPC server on port %d", f.port)
	logf(stdout, "Started REST server at %s:%d", f.restBind, f.restPort)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(restL) }()
	select {
	case <-ctx.Done():
		logf(stdout, "Shutting down")
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return hs.Shutdown(sctx)
	case err := <-errc:
		return err
	}
}

// logf writes a line in OVMS's spdlog format.
func logf(w io.Writer, format string, args ...any) {
	fmt.Fprintf(w, "[%s][%d][serving][info][fake] %s\n", time.Now().Format("2006-01-02 15:04:05.000"), os.Getpid(), fmt.Sprintf(format, args...))
}

func envInt(name string, def int64) int64 {
	if v, err := strconv.ParseInt(os.Getenv(name), 10, 64); err == nil {
		return v
	}
	return def
}
