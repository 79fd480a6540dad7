package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// hopReport reads the marks the instrumented processes wrote ("name
// unix-nanos" lines, one file per process), gives each to the request
// that was running when it was taken (requests are sequential), and
// prints, per path, the median offset of every mark from the request's
// start, with the relay's and the client's own.
func hopReport(paths []*path, dir string) error {
	type start struct {
		t    int64
		path int
		rec  int
	}
	var starts []start
	for pi, p := range paths {
		for ri, r := range p.recs {
			starts = append(starts, start{r.start.UnixNano(), pi, ri})
		}
	}
	sort.Slice(starts, func(i, j int) bool { return starts[i].t < starts[j].t })
	// marks[path][name] = offsets
	marks := make([]map[string][]time.Duration, len(paths))
	for i := range marks {
		marks[i] = map[string][]time.Duration{}
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.hops"))
	if err != nil {
		return err
	}
	for _, fn := range files {
		f, err := os.Open(fn)
		if err != nil {
			return err
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			name, ts, ok := strings.Cut(sc.Text(), " ")
			t, err := strconv.ParseInt(ts, 10, 64)
			if !ok || err != nil {
				continue
			}
			i := sort.Search(len(starts), func(i int) bool { return starts[i].t > t }) - 1
			if i < 0 {
				continue
			}
			s := starts[i]
			marks[s.path][name] = append(marks[s.path][name], time.Duration(t-s.t))
		}
		f.Close()
	}
	med := func(v []time.Duration) time.Duration {
		v = slices.Clone(v)
		slices.Sort(v)
		return v[len(v)/2]
	}
	for pi, p := range paths {
		m := marks[pi]
		add := func(name string, f func(rec) time.Duration) {
			for _, r := range p.recs {
				m[name] = append(m[name], f(r))
			}
		}
		add("relay: request line in", func(r rec) time.Duration { return r.reqAtRelay })
		add("relay: first answer bytes", func(r rec) time.Duration { return r.respAtRelay })
		add("client: first response byte", func(r rec) time.Duration { return r.headers })
		add("client: first event", func(r rec) time.Duration { return r.first })
		type row struct {
			name string
			at   time.Duration
			n    int
		}
		var rows []row
		for name, v := range m {
			rows = append(rows, row{name, med(v), len(v)})
		}
		sort.Slice(rows, func(i, j int) bool { return rows[i].at < rows[j].at })
		fmt.Printf("\n%s (median offsets from the client's start, %d requests)\n\n| mark | at p50 | step | n |\n|---|---|---|---|\n", p.name, len(p.recs))
		var prev time.Duration
		for _, r := range rows {
			fmt.Printf("| %s | %s | +%s | %d |\n", r.name, fmtDur(r.at), fmtDur(r.at-prev), r.n)
			prev = r.at
		}
	}
	return nil
}
