// Command testbed-check is a quick smoke test of the real test bed: it
// starts a registry (fresh temporary storage) with its front and an Ollama,
// creates the tiny model, pushes it, pulls it into a second Ollama through
// the front, chats one message and prints timings. With -big it also pushes
// and pulls the ~50 MB model throttled to -rate bytes/s, counting progress.
//
//	go run ./internal/testbed/cmd/testbed-check [-big] [-rate 10485760]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/roundhouse-ai/roundhouse/internal/testbed"
	"github.com/roundhouse-ai/roundhouse/internal/testbed/gguf"
)

func main() {
	bin := flag.String("bin", "", "ollama binary (default: the cached build, see `make ollama`)")
	big := flag.Bool("big", false, "also push and pull the ~50 MB model, throttled")
	rate := flag.Int64("rate", 10<<20, "bandwidth limit in bytes/s for the -big pull")
	verbose := flag.Bool("v", false, "log every request the registry front sees")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	if err := run(ctx, *bin, *big, *rate, *verbose); err != nil {
		fmt.Fprintln(os.Stderr, "testbed-check: FAIL:", err)
		os.Exit(1)
	}
	fmt.Println("testbed-check: OK")
}

func step(name string, t0 time.Time, extra string, args ...any) {
	fmt.Printf("  %-34s %8s  %s\n", name, time.Since(t0).Round(time.Millisecond), fmt.Sprintf(extra, args...))
}

func run(ctx context.Context, bin string, withBig bool, rate int64, verbose bool) error {
	total := time.Now()
	if bin == "" {
		var err error
		if bin, err = testbed.OllamaBinary(); err != nil {
			return err
		}
	}
	fmt.Printf("testbed-check: ollama %s\n", bin)
	work, err := os.MkdirTemp("", "testbed-check-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)

	models := []gguf.Config{gguf.Tiny()}
	if withBig {
		models = append(models, gguf.Big())
	}
	written := map[string]gguf.Written{}
	for _, cfg := range models {
		t0 := time.Now()
		w, err := gguf.WriteModel(filepath.Join(work, "models", cfg.Name), cfg)
		if err != nil {
			return err
		}
		written[cfg.Name] = w
		step("generate "+cfg.Name+".gguf", t0, "%d bytes sha256:%s", w.Size, w.SHA256)
	}

	t0 := time.Now()
	ropts := testbed.RegistryOptions{}
	if verbose {
		ropts.Logf = func(f string, a ...any) { fmt.Printf("    "+f+"\n", a...) }
	}
	reg, err := testbed.StartRegistryWith(ctx, ropts)
	if err != nil {
		return err
	}
	defer reg.Close()
	step("start registry + front", t0, "front %s -> %s", reg.Addr(), reg.UpstreamURL())

	t0 = time.Now()
	src, err := testbed.StartOllama(ctx, bin, filepath.Join(work, "ollama-src"))
	if err != nil {
		return err
	}
	defer src.Close()
	step("start ollama #1", t0, "%s", src.URL())

	t0 = time.Now()
	dst, err := testbed.StartOllama(ctx, bin, filepath.Join(work, "ollama-dst"))
	if err != nil {
		return err
	}
	defer dst.Close()
	step("start ollama #2", t0, "%s", dst.URL())

	for _, cfg := range models {
		ref := reg.Ref(cfg.Name)
		t0 = time.Now()
		if err := src.Create(ctx, ref, written[cfg.Name].Dir); err != nil {
			return err
		}
		step("create "+cfg.Name, t0, "%s", ref)

		t0 = time.Now()
		if err := src.Client().Push(ctx, &api.PushRequest{Model: ref, Insecure: true}, func(api.ProgressResponse) error { return nil }); err != nil {
			return fmt.Errorf("push %s: %w\n%s", ref, err, src.Logs())
		}
		step("push "+cfg.Name, t0, "")

		limit := int64(0)
		if cfg.Name == "big" {
			limit = rate
		}
		reg.SetRate(limit)
		digest := "sha256:" + written[cfg.Name].SHA256
		var events, steps int
		var last int64
		before := reg.Stats()
		t0 = time.Now()
		err := dst.Client().Pull(ctx, &api.PullRequest{Model: ref, Insecure: true}, func(p api.ProgressResponse) error {
			if p.Digest == digest {
				events++
				if p.Completed > last {
					steps++
					last = p.Completed
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("pull %s: %w\n%s", ref, err, dst.Logs())
		}
		after := reg.Stats()
		step("pull "+cfg.Name+" via front", t0, "rate %s, %d progress events (%d increasing), %d redirects, %d blob bytes",
			rateString(limit), events, steps, after.Redirects-before.Redirects, after.BlobBytes-before.BlobBytes)
	}
	reg.SetRate(0)

	t0 = time.Now()
	var resp api.ChatResponse
	stream := false
	err = dst.Client().Chat(ctx, &api.ChatRequest{
		Model:    reg.Ref("tiny"),
		Messages: []api.Message{{Role: "user", Content: "Hello from testbed-check"}},
		Stream:   &stream,
	}, func(r api.ChatResponse) error { resp = r; return nil })
	if err != nil {
		return fmt.Errorf("chat: %w\n%s", err, dst.Logs())
	}
	if resp.Message.Content == "" {
		return fmt.Errorf("chat: empty answer (%+v)", resp)
	}
	step("chat tiny (pulled copy)", t0, "%q: %d tokens, %.0f tok/s, load %v, %s",
		resp.Message.Content, resp.EvalCount, float64(resp.EvalCount)/resp.EvalDuration.Seconds(),
		resp.LoadDuration.Round(time.Millisecond), resp.DoneReason)
	step("total", total, "")
	return nil
}

func rateString(r int64) string {
	if r <= 0 {
		return "unlimited"
	}
	return fmt.Sprintf("%.1f MB/s", float64(r)/(1<<20))
}
