package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
)

// A group whose canary was rolled back: weight 0, the state and reason
// in the CANARY column.
const rolledBackRoutes = `{"strategy":"health","groups":[{"name":"smart","targets":[` +
	`{"target":"openai:main/gpt-x","weight":1},{"target":"openai:backup/gpt-y","weight":0}],` +
	`"canary":{"target":"openai:backup/gpt-y","percent":20,"weight":0,"rolled_back":true,` +
	`"rolled_back_at":"2026-11-30T05:00:00Z","reason":"error rate 40.0% over\nstable 1.0%",` +
	`"canary_error_rate":0.4,"stable_error_rate":0.01,"canary_requests":25}}],` +
	`"targets":[{"target":"openai:main/gpt-x","plugin":"openai","provider":"main","model":"gpt-x",` +
	`"breaker":{"state":"closed","requests":100,"successes":99,"failures":1,"consecutive_failures":0,"window_requests":100,"window_failures":1},` +
	`"health":0.97,"latency_ms":240.4,"error_rate":0.01,"requests":100},` +
	`{"target":"openai:backup/gpt-y","plugin":"openai","provider":"backup","model":"gpt-y",` +
	`"breaker":{"state":"half_open","requests":25,"successes":15,"failures":10,"consecutive_failures":2,"window_requests":25,"window_failures":10},` +
	`"health":0.5,"latency_ms":1800,"error_rate":0.4,"requests":25}]}`

// `roundhouse routes` prints aligned tables: the targets, then the
// groups with each canary's share, or its rolled-back state and reason;
// a host that has routed nothing yet says so.
func TestGoldenRoutesTables(t *testing.T) {
	for _, tc := range []struct{ golden, body string }{
		{"routes_rolledback.txt.golden", rolledBackRoutes},
		{"routes_empty.txt.golden", `{"strategy":"priority","groups":[],"targets":[]}`},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			c := fakeHostWith(t, map[string]string{"GET /v1/routes": tc.body})
			var out bytes.Buffer
			if err := (&cli{c: c, out: &out, errOut: io.Discard}).dispatch(context.Background(), []string{"routes"}); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, tc.golden, out.Bytes())
			checkAligned(t, out.String())
		})
	}
}

// The routes tables of the main fake host are aligned too.
func TestRoutesAligned(t *testing.T) {
	var out bytes.Buffer
	if err := (&cli{c: fakeHost(t), out: &out, errOut: io.Discard}).dispatch(context.Background(), []string{"routes"}); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out.String(), "TARGET"); n != 2 {
		t.Fatalf("want the targets and the groups tables, got %d TARGET headers:\n%s", n, out.String())
	}
	checkAligned(t, out.String())
}

// checkAligned checks every table in out (a block of lines starting with
// an upper-case header): each row starts each column where its header
// does, or leaves that cell blank (a group's second target).
func checkAligned(t *testing.T, out string) {
	t.Helper()
	for _, block := range strings.Split(out, "\n\n") {
		lines := strings.Split(strings.TrimRight(block, "\n"), "\n")
		header := lines[0]
		fields := strings.Fields(header)
		if len(fields) < 2 || strings.ToUpper(header) != header {
			continue
		}
		var cols []int
		for _, f := range fields {
			cols = append(cols, len([]rune(header[:strings.Index(header, f)])))
		}
		for _, line := range lines[1:] {
			l := []rune(line)
			for i := 1; i < len(cols); i++ {
				col := cols[i]
				blank := col < len(l) && l[col] == ' ' && i+1 < len(cols) &&
					strings.TrimSpace(string(l[col:min(cols[i+1], len(l))])) == ""
				if len(l) <= col || l[col-1] != ' ' || (l[col] == ' ' && !blank) {
					t.Errorf("row %q does not start column %s at %d", line, fields[i], col)
				}
			}
		}
	}
}
