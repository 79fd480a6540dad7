package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/roundhouse-ai/roundhouse/sdk"
	"github.com/roundhouse-ai/roundhouse/sdk/engine"
)

// A pull is OVMS's own pull mode run as a child:
//
//	ovms --pull --source_model <id> --model_repository_path <repo> --task <task> --target_device <device>
//
// (docs/pull_hf_models.md, docs/parameters.md "Pull Mode Options"). Its
// console output is parsed into progress events:
//
//	Downloading lfs size: 1.23 GB file: openvino_model.bin       → "downloading", Digest = file, Total
//	\rProgress: [#####     ] 10.00% of 1.23 GB [12.30 MB/s]      → Completed
//	Model: <id> downloaded to: <dir>                             → "success"
//
// (third_party/libgit2/lfs.patch print_download_info/print_progress,
// src/pull_module/hf_pull_model_module.cpp). Cancelling kills the pull's
// process group; the partial files stay and the next pull of the model
// resumes them ("Resume after process termination", docs/pull_hf_models.md).

var (
	lfsLineRe      = regexp.MustCompile(`Downloading lfs size: ([0-9.]+) ([KMGT]?B) file: (.+)$`)
	progressLineRe = regexp.MustCompile(`Progress: \[[# ]*\] ([0-9.]+)% of ([0-9.]+) ([KMGT]?B)`)
	doneLineRe     = regexp.MustCompile(`^Model: (.+) downloaded to: (.+)$`)
)

var unitBytes = map[string]float64{"B": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12}

// pullParser turns lines of `ovms --pull` output into progress events.
type pullParser struct {
	file  string
	total int64
	done  bool
	tail  []string // last lines, for an error message
}

func (pp *pullParser) line(l string) *sdk.Progress {
	l = strings.TrimSpace(l)
	if l == "" {
		return nil
	}
	pp.tail = append(pp.tail, l)
	if len(pp.tail) > 8 {
		pp.tail = pp.tail[1:]
	}
	if m := lfsLineRe.FindStringSubmatch(l); m != nil {
		v, _ := strconv.ParseFloat(m[1], 64)
		pp.file, pp.total = m[3], int64(v*unitBytes[m[2]])
		return &sdk.Progress{Status: "downloading " + pp.file, Digest: pp.file, Total: pp.total}
	}
	if m := progressLineRe.FindStringSubmatch(l); m != nil {
		pct, _ := strconv.ParseFloat(m[1], 64)
		total := pp.total
		if total == 0 {
			v, _ := strconv.ParseFloat(m[2], 64)
			total = int64(v * unitBytes[m[3]])
		}
		done := int64(pct / 100 * float64(total))
		if pct >= 100 {
			done = total
		}
		return &sdk.Progress{Status: "downloading " + pp.file, Digest: pp.file, Total: total, Completed: done}
	}
	if m := doneLineRe.FindStringSubmatch(l); m != nil {
		pp.done = true
		return &sdk.Progress{Status: "downloaded", Message: "model files in " + m[2]}
	}
	if strings.HasPrefix(l, "[") || strings.Contains(l, "resume") || strings.Contains(l, "Skipping download") {
		return &sdk.Progress{Status: "pulling", Message: l}
	}
	return nil
}

// splitCRLF splits on \n and on the \r OVMS redraws its progress bar with.
func splitCRLF(data []byte, atEOF bool) (int, []byte, error) {
	if i := bytes.IndexAny(data, "\r\n"); i >= 0 {
		return i + 1, data[:i], nil
	}
	if atEOF && len(data) > 0 {
		return len(data), data, nil
	}
	return 0, nil, nil
}

// taskFor picks OVMS's --task for a model: settings.pull_tasks first,
// else a guess from the name for the families OVMS documents (rerankers,
// embedding models, Whisper, diffusion, TTS). "" lets OVMS infer the task
// from the model's metadata (docs/parameters.md, "Automatic task
// detection").
func taskFor(s settings, model string) string {
	if t, ok := s.pullTasks[model]; ok {
		return t
	}
	n := strings.ToLower(model)
	has := func(subs ...string) bool {
		for _, sub := range subs {
			if strings.Contains(n, sub) {
				return true
			}
		}
		return false
	}
	switch {
	case has("rerank"):
		return "rerank"
	case has("embed", "bge-", "/e5-", "gte-", "minilm", "mpnet"):
		return "embeddings"
	case has("whisper"):
		return "speech2text"
	case has("stable-diffusion", "sdxl", "flux", "lcm_dreamshaper", "-sd-", "/sd-"):
		return "image_generation"
	case has("kokoro", "speecht5", "tts"):
		return "text2speech"
	}
	return ""
}

// pullSet tracks running pulls so Shutdown can end them.
type pullSet struct {
	mu      sync.Mutex
	cancels map[*context.CancelFunc]struct{}
}

func (ps *pullSet) add(c context.CancelFunc) func() {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.cancels == nil {
		ps.cancels = map[*context.CancelFunc]struct{}{}
	}
	ps.cancels[&c] = struct{}{}
	return func() {
		ps.mu.Lock()
		delete(ps.cancels, &c)
		ps.mu.Unlock()
	}
}

func (ps *pullSet) cancelAll() {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	for c := range ps.cancels {
		(*c)()
	}
}

// PullModel runs `ovms --pull` for req.Model into the model repository.
func (p *plugin) PullModel(ctx context.Context, req *sdk.PullRequest, progress func(*sdk.Progress) error) error {
	if err := checkName(req.Model); err != nil {
		return err
	}
	s, _, err := p.snapshot()
	if err != nil {
		return err
	}
	if d, ok := s.downloads[req.Model]; ok {
		return p.downloadModel(ctx, s, req.Model, d, progress)
	}
	exe, err := p.executable(ctx, s)
	if err != nil {
		return err
	}
	args := []string{"--pull", "--source_model", req.Model, "--model_repository_path", s.repoDir, "--target_device", s.device}
	if task := taskFor(s, req.Model); task != "" {
		args = append(args, "--task", task)
	}
	if err := os.MkdirAll(s.repoDir, 0o755); err != nil {
		return sdk.WrapError(sdk.CodeModelPullFailed, err, "create the model repository %s", s.repoDir)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer p.pulls.add(cancel)()
	// engine.Command: its own process group (OVMS may run optimum-cli
	// for a conversion), killed whole when ctx ends, and a parent-death
	// signal so a plugin killed mid-pull leaves no download running.
	cmd := engine.Command(ctx, exe, args...)
	cmd.Env = engineEnv(exe, s)
	cmd.Dir = s.dataDir
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		return sdk.WrapError(sdk.CodeModelPullFailed, err, "run %s --pull", exe)
	}
	waitErr := make(chan error, 1)
	go func() {
		err := cmd.Wait()
		pw.Close()
		waitErr <- err
	}()
	if err := send(progress, &sdk.Progress{Status: "pulling " + req.Model, Message: "ovms " + strings.Join(args, " ")}); err != nil {
		cancel()
	}
	pp := &pullParser{}
	sc := bufio.NewScanner(pr)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	sc.Split(splitCRLF)
	var last sdk.Progress
	for sc.Scan() {
		ev := pp.line(sc.Text())
		if ev == nil || *ev == last { // the bar redraws the same figures
			continue
		}
		last = *ev
		if err := send(progress, ev); err != nil {
			cancel() // the caller has gone: stop the pull
		}
	}
	_, _ = io.Copy(io.Discard, pr)
	err = <-waitErr
	switch {
	case ctx.Err() != nil:
		return sdk.Errorf(sdk.CodeCanceled, "pull of %s cancelled; pulling it again resumes the download", req.Model)
	case err != nil:
		return sdk.Errorf(sdk.CodeModelPullFailed, "ovms --pull %s failed (%v): %s", req.Model, err, strings.Join(pp.tail, " | "))
	case !pp.done && !strings.Contains(strings.Join(pp.tail, "\n"), "Skipping download"):
		return sdk.Errorf(sdk.CodeModelPullFailed, "ovms --pull %s ended without saying where the model is: %s", req.Model, strings.Join(pp.tail, " | "))
	}
	return send(progress, &sdk.Progress{Status: "success"})
}

func send(progress func(*sdk.Progress) error, ev *sdk.Progress) error {
	if progress == nil {
		return nil
	}
	return progress(ev)
}
