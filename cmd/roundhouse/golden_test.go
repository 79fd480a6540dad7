package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roundhouse-ai/roundhouse/client"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// fakeHost answers the native API's listing routes with fixed bodies, as
// the host serves them.
func fakeHost(t *testing.T) *client.Client {
	t.Helper()
	return fakeHostWith(t, nil)
}

// fakeHostWith is fakeHost with some routes answered otherwise.
func fakeHostWith(t *testing.T, override map[string]string) *client.Client {
	t.Helper()
	routes := map[string]string{
		"GET /health":                `{"status":"ok","version":"1.2.3","uptime_seconds":61,"plugins":{"echo":"running"}}`,
		"GET /version":               `{"version":"1.2.3","sdk_version":"1.0.0","protocol_version":1,"go_version":"go1.26","platform":"linux_amd64"}`,
		"GET /v1/plugins":            `{"plugins":[{"name":"echo","type":"local","version":"0.1.0","services":["chat","embed"],"state":"running","pid":42,"restarts":0,"dir":"/p/echo"},{"name":"openai","type":"remote","version":"2.0.0","services":["chat"],"state":"failed","restarts":3,"last_error":"bad key\nsecond line","dir":"/p/openai"}]}`,
		"GET /v1/plugins/echo":       `{"name":"echo","type":"local","version":"0.1.0","services":["chat","embed"],"state":"running","pid":42,"restarts":0,"dir":"/p/echo","gpu":{"supported":["nvidia"],"detected":[],"using":"cpu"}}`,
		"GET /v1/inventory":          `{"models":[{"name":"tiny:latest","size":1500000,"plugin":"echo","type":"local","parameter_size":"1M","context_length":2048},{"name":"big","size":3000000000,"plugin":"echo","type":"local"}]}`,
		"GET /v1/pulls":              `{"pulls":[{"id":"p1","kind":"pull","model":"tiny","plugin":"echo","state":"running","status":"pulling abc","total":100,"completed":40,"started_at":"2026-11-30T05:00:00Z"}]}`,
		"GET /v1/engines":            `{"engines":[{"plugin":"echo","plugin_state":"running","engine":{"installed":true,"running":true,"version":"0.17.4","mode":"managed","host":"127.0.0.1:11500"}}]}`,
		"GET /v1/providers":          `{"providers":[{"plugin":"openai","name":"main","base_url":"https://api.example","keys":[{"masked":"sk-…abcd","state":"ok","requests":3,"failures":0,"current_rpm":1}]}]}`,
		"GET /v1/system":             `{"os":"linux","arch":"amd64","cpu_model":"Test CPU","cpu_cores":2,"memory_total_bytes":16000000000,"memory_available_bytes":8000000000,"gpus":[],"preferred_gpu":"none"}`,
		"GET /v1/config":             `{"path":"/etc/roundhouse.yaml","config":{"listen":"127.0.0.1:7700","plugins":{"openai":{"providers":[{"name":"main","api_keys":[{"value":"sk-…abcd"}]}]}}}}`,
		"GET /v1/routes":             `{"strategy":"priority","services":{"chat":"least_latency"},"fallbacks":{"big":["tiny"]},"groups":[{"name":"fast","strategy":"weighted","targets":[{"target":"echo/tiny","weight":0.9},{"target":"openai:main/gpt-x","weight":0.1}],"canary":{"target":"openai:main/gpt-x","percent":10,"weight":0.1,"rolled_back":false,"canary_error_rate":0,"stable_error_rate":0,"canary_requests":3}}],"targets":[{"target":"echo/tiny","plugin":"echo","model":"tiny","breaker":{"state":"closed","requests":10,"successes":10,"failures":0,"consecutive_failures":0,"window_requests":10,"window_failures":0},"health":1,"latency_ms":12.5,"error_rate":0,"requests":10},{"target":"openai:main/gpt-x","plugin":"openai","provider":"main","model":"gpt-x","breaker":{"state":"open","requests":4,"successes":1,"failures":3,"consecutive_failures":3,"window_requests":4,"window_failures":3},"health":0.2,"latency_ms":0,"error_rate":0.75,"requests":4}]}`,
		"POST /v1/reload":            `{"at":"2026-11-30T05:00:00Z","report":{"added":["new"],"removed":[],"restarted":["echo"],"reconfigured":[],"errors":{},"needs_restart":["listen"]}}`,
		"GET /v1/usage":              `{"from":"2026-11-01T00:00:00Z","to":"2026-11-30T00:00:00Z","group_by":"model","groups":[{"key":"tiny","requests":10,"errors":1,"cache_hits":2,"input_tokens":500,"output_tokens":700,"estimated_requests":3,"cost":null,"unpriced_requests":10},{"key":"gpt-x","requests":4,"errors":0,"cache_hits":0,"input_tokens":100,"output_tokens":50,"estimated_requests":0,"cost":0.0025,"unpriced_requests":0}],"total":{"key":"total","requests":14,"errors":1,"cache_hits":2,"input_tokens":600,"output_tokens":750,"estimated_requests":3,"cost":0.0025,"unpriced_requests":10}}`,
		"GET /v1/usage/records":      `{"records":[{"id":2,"time":"2026-11-29T10:00:00Z","app":"notes","service":"chat","model":"tiny","plugin":"echo","input_tokens":12,"output_tokens":30,"estimated":true,"cost":null,"latency_ms":120,"ttft_ms":20,"status":200,"code":"ok","cache_hit":false}],"next_cursor":"c2"}`,
		"GET /v1/budgets":            `{"budgets":[{"name":"daily","window":"day","tokens_used":1350,"tokens_limit":100000,"cost_used":0.0025,"cost_limit":1,"ratio":0.0135,"window_start":"2026-11-30T00:00:00Z","resets_at":"2026-12-01T00:00:00Z"}]}`,
		"GET /v1/models/recommended": `{"service":"chat","machine":{"memory_total_bytes":16000000000,"memory_available_bytes":8000000000},"models":[{"id":"echo/tiny","plugin":"echo","name":"tiny","services":["chat"],"capabilities":[],"fits":true,"reason":"fits in memory","device":"cpu","installed":true}]}`,
	}
	for k, v := range override {
		routes[k] = v
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := routes[r.Method+" "+r.URL.Path]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"error":{"message":"no route","code":"not_found"}}`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	c, err := client.New(srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// The --json output of every listing and show verb is stable: compared
// with testdata/<name>.golden (go test -run TestGoldenJSON -update
// rewrites them).
func TestGoldenJSON(t *testing.T) {
	c := fakeHost(t)
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"status", []string{"status"}},
		{"plugins_ls", []string{"plugins", "ls"}},
		{"plugins_show", []string{"plugins", "show", "echo"}},
		{"models_ls", []string{"models", "ls"}},
		{"models_ps", []string{"models", "ps"}},
		{"models_show", []string{"models", "show", "tiny"}},
		{"models_recommend", []string{"models", "recommend"}},
		{"pulls_ls", []string{"pulls", "ls"}},
		{"engines_ls", []string{"engines", "ls"}},
		{"providers_ls", []string{"providers", "ls"}},
		{"system", []string{"system"}},
		{"config_show", []string{"config", "show"}},
		{"routes", []string{"routes"}},
		{"reload", []string{"reload"}},
		{"usage", []string{"usage"}},
		{"usage_records", []string{"usage", "records"}},
		{"usage_budgets", []string{"usage", "budgets"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			cl := &cli{c: c, out: &out, errOut: io.Discard, in: strings.NewReader("")}
			if err := cl.dispatch(context.Background(), append(tc.args, "--json")); err != nil {
				t.Fatal(err)
			}
			// The fake host's port changes from run to run.
			checkGolden(t, tc.name+".golden", bytes.ReplaceAll(out.Bytes(), []byte(c.Host()), []byte("http://fake-host")))
		})
	}
}

// The tables of the same answers are aligned: every row has the header's
// column starts.
func TestTablesAligned(t *testing.T) {
	c := fakeHost(t)
	for _, args := range [][]string{{"plugins", "ls"}, {"models", "ls"}, {"pulls", "ls"}, {"engines", "ls"}, {"providers", "ls"}, {"system"}} {
		var out bytes.Buffer
		if err := (&cli{c: c, out: &out, errOut: io.Discard}).dispatch(context.Background(), args); err != nil {
			t.Fatal(err)
		}
		checkGolden(t, strings.Join(args, "_")+".table.golden", out.Bytes())
		lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
		header := lines[0]
		for _, line := range lines[1:] {
			l := []rune(line) // columns are counted in characters
			for i, f := range strings.Fields(header) {
				col := len([]rune(header[:strings.Index(header, f)]))
				if i > 0 && (len(l) <= col || l[col-1] != ' ' || l[col] == ' ') {
					t.Errorf("%v: row %q does not start column %s at %d", args, l, f, col)
				}
			}
		}
	}
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to write it)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs:\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

// The other human outputs, as a user sees them.
func TestGoldenText(t *testing.T) {
	c := fakeHost(t)
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"routes", []string{"routes"}},
		{"config_show", []string{"config", "show"}},
		{"reload", []string{"reload"}},
		{"plugins_show", []string{"plugins", "show", "echo"}},
		{"models_show", []string{"models", "show", "tiny"}},
		{"status", []string{"status"}},
		{"usage", []string{"usage"}},
		{"usage_records", []string{"usage", "records"}},
		{"usage_budgets", []string{"usage", "budgets"}},
	} {
		var out bytes.Buffer
		if err := (&cli{c: c, out: &out, errOut: io.Discard}).dispatch(context.Background(), tc.args); err != nil {
			t.Fatal(err)
		}
		checkGolden(t, tc.name+".txt.golden", bytes.ReplaceAll(out.Bytes(), []byte(c.Host()), []byte("http://fake-host")))
	}
}
