package regfront

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

const digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

type seen struct {
	mu    sync.Mutex
	hosts []string
	uris  []string
}

// fakeRegistry serves one blob (honouring Range via ServeContent) and records requests.
func fakeRegistry(t *testing.T, blob []byte) (*httptest.Server, *seen) {
	s := &seen{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.hosts = append(s.hosts, r.Host)
		s.uris = append(s.uris, r.URL.RequestURI())
		s.mu.Unlock()
		switch {
		case r.URL.Path == "/v2/":
			w.WriteHeader(http.StatusOK)
		case strings.HasSuffix(r.URL.Path, "/blobs/"+digest):
			http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(blob))
		case strings.Contains(r.URL.Path, "/manifests/"):
			w.Header().Set("Location", "http://"+r.Host+"/echo")
			io.WriteString(w, `{"schemaVersion":2}`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, s
}

func noFollow() *http.Client {
	return &http.Client{
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       30 * time.Second,
	}
}

func start(t *testing.T, upstream string, opts Options) *Server {
	t.Helper()
	s, err := Listen("127.0.0.1:0", upstream, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestRedirectAndProxy(t *testing.T) {
	blob := bytes.Repeat([]byte("0123456789"), 1000)
	up, seen := fakeRegistry(t, blob)
	s := start(t, up.URL, Options{})
	_, port, _ := net.SplitHostPort(s.Addr())
	c := noFollow()

	tests := []struct {
		name, host, wantLocHost string
	}{
		{"ipv4 to localhost", "127.0.0.1", "localhost"},
		{"localhost to ipv4", "localhost", "127.0.0.1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := "http://" + net.JoinHostPort(tc.host, port) + "/v2/library/tiny/blobs/" + digest
			resp, err := c.Get(u)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusTemporaryRedirect {
				t.Fatalf("status %d, want 307", resp.StatusCode)
			}
			loc, err := resp.Location()
			if err != nil {
				t.Fatal(err)
			}
			if loc.Hostname() != tc.wantLocHost || loc.Port() != port || loc.Query().Get(DirectParam) != "1" {
				t.Fatalf("Location = %s", loc)
			}

			// The direct URL is proxied (Ollama's part downloads use Range).
			req, _ := http.NewRequest(http.MethodGet, loc.String(), nil)
			req.Header.Set("Range", "bytes=10-19")
			resp, err = c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusPartialContent || string(body) != "0123456789" {
				t.Fatalf("direct GET: %d %q", resp.StatusCode, body)
			}
		})
	}

	seen.mu.Lock()
	defer seen.mu.Unlock()
	for i, uri := range seen.uris {
		if strings.Contains(uri, DirectParam) {
			t.Errorf("marker leaked upstream: %s", uri)
		}
		if !strings.HasSuffix(seen.hosts[i], ":"+port) {
			t.Errorf("upstream saw Host %q, want the front's host", seen.hosts[i])
		}
	}
	st := s.Stats()
	if st.Redirects != 2 || st.BlobGETs != 2 || st.BlobBytes != 20 {
		t.Errorf("stats = %+v", st)
	}
}

func TestNonBlobRequestsProxied(t *testing.T) {
	up, _ := fakeRegistry(t, []byte("x"))
	s := start(t, up.URL, Options{})
	c := noFollow()
	for _, tc := range []struct {
		method, path string
		want         int
	}{
		{http.MethodGet, "/v2/", 200},
		{http.MethodGet, "/v2/library/tiny/manifests/latest", 200},
		{http.MethodHead, "/v2/library/tiny/blobs/" + digest, 200},
		{http.MethodGet, "/v2/library/tiny/blobs/uploads/", 404},
	} {
		req, _ := http.NewRequest(tc.method, "http://"+s.Addr()+tc.path, nil)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%s %s: %d, want %d", tc.method, tc.path, resp.StatusCode, tc.want)
		}
		if strings.Contains(tc.path, "manifests") {
			if loc := resp.Header.Get("Location"); loc != "http://"+s.Addr()+"/echo" {
				t.Errorf("upstream Location built from Host = %q", loc)
			}
		}
	}
	if st := s.Stats(); st.Redirects != 0 {
		t.Errorf("redirected non-blob request: %+v", st)
	}
}

func TestNoRedirectOption(t *testing.T) {
	up, _ := fakeRegistry(t, []byte("abc"))
	s := start(t, up.URL, Options{NoRedirect: true})
	resp, err := noFollow().Get("http://" + s.Addr() + "/v2/library/tiny/blobs/" + digest)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "abc" || resp.Header.Get("Location") != "" {
		t.Fatalf("got %d %q", resp.StatusCode, b)
	}
}

func TestRateLimit(t *testing.T) {
	blob := bytes.Repeat([]byte{7}, 300_000)
	up, _ := fakeRegistry(t, blob)
	s := start(t, up.URL, Options{BytesPerSecond: 1_000_000})
	direct := "http://" + s.Addr() + "/v2/library/tiny/blobs/" + digest + "?" + DirectParam + "=1"

	get := func() time.Duration {
		t.Helper()
		t0 := time.Now()
		resp, err := noFollow().Get(direct)
		if err != nil {
			t.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if n != int64(len(blob)) {
			t.Fatalf("read %d bytes", n)
		}
		return time.Since(t0)
	}
	// 300 KB at 1 MB/s: ~300 ms.
	if d := get(); d < 250*time.Millisecond || d > 5*time.Second {
		t.Errorf("throttled transfer took %v, want ~300ms", d)
	}
	s.SetRate(0)
	if s.Rate() != 0 {
		t.Errorf("Rate() = %d", s.Rate())
	}
	if d := get(); d > 200*time.Millisecond {
		t.Errorf("unthrottled transfer took %v", d)
	}
	s.SetRate(3_000_000)
	if d := get(); d < 70*time.Millisecond {
		t.Errorf("re-throttled transfer took %v, want ~100ms", d)
	}
}

func TestRateAccuracy(t *testing.T) {
	blob := bytes.Repeat([]byte{1}, 4<<20)
	up, _ := fakeRegistry(t, blob)
	const rate = 10 << 20
	s := start(t, up.URL, Options{BytesPerSecond: rate})
	t0 := time.Now()
	resp, err := noFollow().Get("http://" + s.Addr() + "/v2/x/blobs/" + digest + "?" + DirectParam + "=1")
	if err != nil {
		t.Fatal(err)
	}
	n, _ := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	got := float64(n) / time.Since(t0).Seconds()
	t.Logf("%d bytes at %.2f MB/s (limit %.2f MB/s)", n, got/(1<<20), float64(rate)/(1<<20))
	if got > rate*1.25 || got < rate*0.8 {
		t.Errorf("throughput %.0f B/s, want within -20%%/+25%% of %d", got, rate)
	}
}

func TestListenRejectsNonLoopback(t *testing.T) {
	for _, addr := range []string{":0", "0.0.0.0:0", "example.com:80"} {
		if s, err := Listen(addr, "http://127.0.0.1:1", Options{}); err == nil {
			s.Close()
			t.Errorf("Listen(%q) succeeded", addr)
		}
	}
	if _, err := New("not a url", Options{}); err == nil {
		t.Error("New accepted a bad upstream")
	}
}
