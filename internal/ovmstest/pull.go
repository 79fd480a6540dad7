package ovmstest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// PullOptions are the flags of `ovms --pull` (docs/pull_hf_models.md,
// docs/parameters.md "Pull Mode Options").
type PullOptions struct {
	SourceModel     string
	RepositoryPath  string
	ModelName       string
	Task            string
	TargetDevice    string
	OverwriteModels bool
	// FileBytes is the size of the fake weights file (default 4 MB).
	FileBytes int64
	// Step is the pause between progress lines (default 20 ms).
	Step time.Duration
}

// Pull writes a model directory the way `ovms --pull` lays it out: the
// repository is cloned to <model_repository_path>/<source_model>
// (src/pull_module/model_downloader.cpp getGraphDirectory), and a
// graph.pbtxt for the task is written into it. The console output
// imitates OVMS's: a "Downloading lfs size: ... file: ..." line per LFS
// file, then "\rProgress: [###   ] 12.00% of 4.19 MB [...]" redraws
// (third_party/libgit2/lfs.patch, print_progress), then
// "Model: <source> downloaded to: <dir>" (src/pull_module/
// hf_pull_model_module.cpp). A source whose name contains "missing" fails
// as an unknown Hugging Face repository does. Cancelling ctx stops the
// pull and leaves a .lfswip marker, as a SIGINT does.
func Pull(ctx context.Context, o PullOptions, out io.Writer) error {
	if o.SourceModel == "" {
		o.SourceModel = o.ModelName
	}
	if o.SourceModel == "" || o.RepositoryPath == "" {
		return errors.New("--pull requires --source_model (or --model_name) and --model_repository_path")
	}
	if o.Task == "" {
		o.Task = "text_generation"
	}
	calc, ok := taskCalculators[o.Task]
	if !ok {
		return fmt.Errorf("error parsing options - --task: %q is not one of text_generation, embeddings, rerank, image_generation, text2speech, speech2text", o.Task)
	}
	if strings.Contains(o.SourceModel, "missing") || strings.Contains(o.SourceModel, "..") {
		fmt.Fprintf(out, "Authentication is required for repository clone or model is missing.\n")
		return fmt.Errorf("Libgit2 clone error: 401 remote authentication required for %s", o.SourceModel)
	}
	if o.FileBytes <= 0 {
		o.FileBytes = 4 << 20
	}
	if o.Step <= 0 {
		o.Step = 20 * time.Millisecond
	}
	dir := filepath.Join(o.RepositoryPath, filepath.FromSlash(o.SourceModel))
	if _, err := os.Stat(filepath.Join(dir, "graph.pbtxt")); err == nil && !o.OverwriteModels {
		fmt.Fprintf(out, "Path already exists on local filesystem. Skipping download to path: %s\n", dir)
		return writeGraph(dir, o, calc)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	marker := dir + ".lfswip"
	if err := os.WriteFile(marker, nil, 0o644); err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		size int64
	}{{"openvino_tokenizer.xml", 2048}, {"openvino_detokenizer.xml", 2048}, {"openvino_model.xml", 16 << 10}} {
		if err := os.WriteFile(filepath.Join(dir, f.name), make([]byte, f.size), 0o644); err != nil {
			return err
		}
	}
	fmt.Fprintf(out, "\nDownloading lfs size: %s file: openvino_model.bin\n", human(float64(o.FileBytes)))
	part := filepath.Join(dir, "openvino_model.bin.lfs_part")
	f, err := os.Create(part)
	if err != nil {
		return err
	}
	const steps = 10
	chunk := make([]byte, o.FileBytes/steps+1)
	var done int64
	start := time.Now()
	for i := 0; i <= steps; i++ {
		if i > 0 {
			select {
			case <-ctx.Done():
				f.Close()
				fmt.Fprintf(out, "\n[INFO] Clone cancelled by user\n")
				return ctx.Err()
			case <-time.After(o.Step):
			}
			n := min(int64(len(chunk)), o.FileBytes-done)
			if _, err := f.Write(chunk[:n]); err != nil {
				f.Close()
				return err
			}
			done += n
		}
		printProgress(out, done, o.FileBytes, time.Since(start))
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(part, filepath.Join(dir, "openvino_model.bin")); err != nil {
		return err
	}
	_ = os.Remove(marker)
	if err := writeGraph(dir, o, calc); err != nil {
		return err
	}
	fmt.Fprintf(out, "Model: %s downloaded to: %s\n", o.SourceModel, dir)
	return nil
}

func writeGraph(dir string, o PullOptions, calc string) error {
	device := o.TargetDevice
	if device == "" {
		device = "CPU"
	}
	graph := fmt.Sprintf(`input_stream: "HTTP_REQUEST_PAYLOAD:input"
output_stream: "HTTP_RESPONSE_PAYLOAD:output"
node: {
  name: "%s"
  calculator: "%s"
  input_stream: "HTTP_REQUEST_PAYLOAD:input"
  output_stream: "HTTP_RESPONSE_PAYLOAD:output"
  node_options: {
    [type.googleapis.com/mediapipe.FakeOptions]: {
      models_path: "./",
      device: "%s"
    }
  }
}
`, o.SourceModel, calc, device)
	tmp := filepath.Join(dir, ".graph.pbtxt.tmp")
	if err := os.WriteFile(tmp, []byte(graph), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, "graph.pbtxt"))
}

// printProgress draws OVMS's libgit2 LFS progress bar (50 columns).
func printProgress(out io.Writer, count, total int64, elapsed time.Duration) {
	p := float64(count) / float64(total)
	bar := int(p * 50)
	rate := float64(count)
	if s := elapsed.Seconds(); s >= 1 {
		rate /= s
	}
	fmt.Fprintf(out, "\rProgress: [%s%s] %.2f%% of %s [%s/s] ", strings.Repeat("#", bar), strings.Repeat(" ", 50-bar), p*100, human(float64(total)), human(rate))
	if count == total {
		fmt.Fprint(out, "\n")
	}
}

var sizeUnits = []string{"B", "KB", "MB", "GB", "TB"}

func human(v float64) string {
	i := 0
	for v > 1000 && i < len(sizeUnits)-1 {
		v /= 1000
		i++
	}
	return fmt.Sprintf("%.2f %s", v, sizeUnits[i])
}
