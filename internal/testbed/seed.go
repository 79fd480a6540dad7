package testbed

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/roundhouse-ai/roundhouse/internal/testbed/gguf"
)

// SeedOptions configures Seed. The zero value seeds Tiny and Big into the
// cache ($ROUNDHOUSE_CACHE_DIR or <repo>/.cache) with the cached ollama.
type SeedOptions struct {
	// Bin is the ollama binary used to create and push (default OllamaBinary()).
	Bin string
	// Dir holds models/, registry/ and seed.lock (default <cache>/testbed).
	// The registry storage persists there, so later runs skip pushing.
	Dir string
	// Models to generate and push (default gguf.Tiny() and gguf.Big()).
	Models []gguf.Config
	// BytesPerSecond is the registry front's initial bandwidth limit.
	BytesPerSecond int64
	// Logf receives progress lines (nil: silent).
	Logf func(format string, args ...any)
}

// SeededModel is one model available in the registry.
type SeededModel struct {
	Name   string // e.g. "tiny"
	Ref    string // e.g. "127.0.0.1:PORT/library/tiny:latest" (pull with insecure: true)
	Dir    string // directory with the GGUF and its Modelfile
	GGUF   string // path of the GGUF file
	Digest string // "sha256:<hex>" of the GGUF file: the model layer's blob digest
	Size   int64  // GGUF size in bytes
}

// Bed is a running, seeded registry.
type Bed struct {
	Registry *Registry
	Models   map[string]SeededModel
	// Pushed lists the models pushed by this Seed call (empty when the
	// registry storage was already seeded).
	Pushed []string
	// Dir is SeedOptions.Dir.
	Dir string
}

// Ref returns the pullable reference of a seeded model ("tiny", "big").
func (b *Bed) Ref(name string) string { return b.Models[name].Ref }

// Close stops the registry (its storage stays in the cache).
func (b *Bed) Close() error { return b.Registry.Close() }

// Seed generates the test models, starts a registry whose storage lives in
// opts.Dir and, unless a previous run already did, creates each model in a
// throwaway Ollama and pushes it as <registry>/library/<name>:latest. A file
// lock serialises concurrent Seed calls (e.g. parallel test packages) on the
// same directory. The registry runs until Bed.Close or ctx is cancelled.
func Seed(ctx context.Context, opts SeedOptions) (_ *Bed, err error) {
	logf := opts.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	if opts.Dir == "" {
		cache, err := CacheDir()
		if err != nil {
			return nil, err
		}
		opts.Dir = filepath.Join(cache, "testbed")
	}
	if len(opts.Models) == 0 {
		opts.Models = []gguf.Config{gguf.Tiny(), gguf.Big()}
	}
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, err
	}

	unlock, err := lockFile(ctx, filepath.Join(opts.Dir, "seed.lock"))
	if err != nil {
		return nil, err
	}
	defer unlock()

	bed := &Bed{Models: map[string]SeededModel{}, Dir: opts.Dir}
	for _, cfg := range opts.Models {
		t0 := time.Now()
		w, err := gguf.WriteModel(filepath.Join(opts.Dir, "models", cfg.Name), cfg)
		if err != nil {
			return nil, err
		}
		logf("testbed: model %s: %s (%d bytes, sha256:%s) in %v", cfg.Name, w.GGUF, w.Size, w.SHA256, time.Since(t0).Round(time.Millisecond))
		bed.Models[cfg.Name] = SeededModel{Name: cfg.Name, Dir: w.Dir, GGUF: w.GGUF, Digest: "sha256:" + w.SHA256, Size: w.Size}
	}

	t0 := time.Now()
	reg, err := StartRegistryWith(ctx, RegistryOptions{Dir: filepath.Join(opts.Dir, "registry"), BytesPerSecond: opts.BytesPerSecond})
	if err != nil {
		return nil, err
	}
	bed.Registry = reg
	defer func() {
		if err != nil {
			reg.Close()
		}
	}()
	logf("testbed: registry on %s (upstream %s) in %v", reg.Addr(), reg.UpstreamURL(), time.Since(t0).Round(time.Millisecond))

	var toSeed []string
	for _, cfg := range opts.Models {
		m := bed.Models[cfg.Name]
		m.Ref = reg.Ref(cfg.Name)
		bed.Models[cfg.Name] = m
		ok, err := manifestHasLayer(ctx, reg.UpstreamURL(), "library/"+cfg.Name, "latest", m.Digest)
		if err != nil {
			return nil, err
		}
		if !ok || !seedKeyMatches(opts.Dir, cfg) {
			toSeed = append(toSeed, cfg.Name)
		}
	}
	if len(toSeed) == 0 {
		logf("testbed: registry already seeded with %d model(s)", len(opts.Models))
		return bed, nil
	}

	bin := opts.Bin
	if bin == "" {
		if bin, err = OllamaBinary(); err != nil {
			return nil, err
		}
	}
	t0 = time.Now()
	seeder, err := StartOllama(ctx, bin, "")
	if err != nil {
		return nil, err
	}
	defer seeder.Close()
	logf("testbed: seed ollama on %s in %v", seeder.Host(), time.Since(t0).Round(time.Millisecond))
	client := seeder.Client()
	for _, name := range toSeed {
		m := bed.Models[name]
		t0 := time.Now()
		if err := seeder.Create(ctx, m.Ref, m.Dir); err != nil {
			return nil, fmt.Errorf("testbed: seeding %s: %w\n%s", name, err, seeder.Logs())
		}
		t1 := time.Now()
		if err := client.Push(ctx, &api.PushRequest{Model: m.Ref, Insecure: true}, func(api.ProgressResponse) error { return nil }); err != nil {
			return nil, fmt.Errorf("testbed: pushing %s: %w\n%s", m.Ref, err, seeder.Logs())
		}
		ok, err := manifestHasLayer(ctx, reg.UpstreamURL(), "library/"+name, "latest", m.Digest)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("testbed: pushed %s but the registry manifest lacks layer %s", m.Ref, m.Digest)
		}
		if err := writeSeedKey(opts.Dir, cfgByName(opts.Models, name)); err != nil {
			return nil, err
		}
		logf("testbed: seeded %s: create %v, push %v", m.Ref, t1.Sub(t0).Round(time.Millisecond), time.Since(t1).Round(time.Millisecond))
		bed.Pushed = append(bed.Pushed, name)
	}
	return bed, nil
}

// The seed key records what was pushed for a model: its GGUF digest is
// visible in the registry manifest, but template/parameter changes are not,
// so the key hashes the generator version, the config and the Modelfile.
func seedKey(cfg gguf.Config) string {
	h := sha256.New()
	fmt.Fprintf(h, "%d\n%+v\n%s", gguf.GeneratorVersion, cfg, cfg.Modelfile())
	return hex.EncodeToString(h.Sum(nil))
}

func seedKeyPath(dir, name string) string {
	return filepath.Join(dir, "registry", ".roundhouse-seeded-"+name)
}

func seedKeyMatches(dir string, cfg gguf.Config) bool {
	b, err := os.ReadFile(seedKeyPath(dir, cfg.Name))
	return err == nil && strings.TrimSpace(string(b)) == seedKey(cfg)
}

func writeSeedKey(dir string, cfg gguf.Config) error {
	return os.WriteFile(seedKeyPath(dir, cfg.Name), []byte(seedKey(cfg)+"\n"), 0o644)
}

func cfgByName(cfgs []gguf.Config, name string) gguf.Config {
	for _, c := range cfgs {
		if c.Name == name {
			return c
		}
	}
	return gguf.Config{}
}

// manifestHasLayer reports whether repo:tag exists and lists a layer with digest.
func manifestHasLayer(ctx context.Context, registryURL, repo, tag, digest string) (bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, registryURL+"/v2/"+repo+"/manifests/"+tag, nil)
	if err != nil {
		return false, err
	}
	req.Header.Set("Accept", "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotFound:
		return false, nil
	default:
		return false, fmt.Errorf("testbed: GET manifest %s:%s: %s", repo, tag, resp.Status)
	}
	var m struct {
		Layers []struct {
			Digest string `json:"digest"`
		} `json:"layers"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		return false, fmt.Errorf("testbed: manifest %s:%s: %w", repo, tag, err)
	}
	for _, l := range m.Layers {
		if strings.EqualFold(l.Digest, digest) {
			return true, nil
		}
	}
	return false, nil
}

// lockFile takes an exclusive flock on path, polling so ctx can cancel.
func lockFile(ctx context.Context, path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() {
				syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
				f.Close()
			}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, fmt.Errorf("testbed: lock %s: %w", path, err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}
