package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"sync"
	"testing"

	"github.com/roundhouse-ai/roundhouse/host/config"
	"github.com/roundhouse-ai/roundhouse/internal/hosttest"
	"github.com/roundhouse-ai/roundhouse/sdk"
)

// Regression (code review 2026-11 §4.1.1): provider changes must never
// write the configuration that readers range over without a lock. Run
// with -race: a write to the config's plugin map while this reader ranges
// over it is reported (and can kill the host with "concurrent map
// iteration and map write").
func TestPutProviderDoesNotRaceConfigReaders(t *testing.T) {
	h := hosttest.Start(t, hosttest.Options{})
	ctx := context.Background()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			for _, pc := range h.Config().Plugins {
				_ = len(pc.Providers)
			}
		}
	}()
	for i := 0; i < 10; i++ {
		name := "p" + strconv.Itoa(i)
		_ = h.PutProvider(ctx, "echo", sdk.ProviderConfig{Name: name, BaseURL: "http://127.0.0.1:1/v1"})
		_ = h.DeleteProvider(ctx, "echo", name)
	}
	close(stop)
	wg.Wait()
}

// Regression (code review 2026-11 §4.1.2): the config names a provider of
// a plugin that is not installed; testing it must answer a JSON 404, not
// dereference nil and drop the connection.
func TestProviderTestOfUninstalledPlugin(t *testing.T) {
	h := hosttest.Start(t, hosttest.Options{Mutate: func(c *config.Config) {
		c.Plugins["ghost"] = config.PluginConfig{Providers: []sdk.ProviderConfig{{Name: "x", BaseURL: "http://127.0.0.1:1/v1"}}}
	}})
	resp, err := http.Post(h.URL+"/v1/providers/x/test", "application/json", nil)
	if err != nil {
		t.Fatalf("POST /v1/providers/x/test: %v (the host dropped the connection)", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var e struct {
		Error any `json:"error"`
	}
	if resp.StatusCode != http.StatusNotFound || json.Unmarshal(body, &e) != nil || e.Error == nil {
		t.Fatalf("want 404 with a JSON error, got %d %s", resp.StatusCode, body)
	}
}
