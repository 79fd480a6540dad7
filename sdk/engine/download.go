package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/roundhouse-ai/roundhouse/types"
)

// DefaultDownloadClient fetches engine archives: proxies from the
// environment are honoured (this is internet traffic), redirects followed
// (release assets redirect to a CDN), and there is no overall timeout since
// archives are large; the caller's context bounds the download.
var DefaultDownloadClient = &http.Client{
	Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   15 * time.Second,
		ResponseHeaderTimeout: 60 * time.Second,
	},
}

// Progress events are sent at most every progressBytes or
// progressInterval, whichever comes first.
const (
	progressBytes    = 1 << 20
	progressInterval = 250 * time.Millisecond
)

// fetch downloads d.URL into the file at path and returns the sha256 of
// its whole content. A partial file left by an earlier attempt (broken
// connection, cancelled ctx) is resumed with a Range request when the
// server honours it, and started over when it does not.
func fetch(ctx context.Context, client *http.Client, d Download, path string, progress func(*types.Progress) error) (string, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", types.WrapError(types.CodeEngineInstallFailed, err, "create the download file %s", path)
	}
	defer f.Close()
	h := sha256.New()
	have, err := io.Copy(h, f) // what an earlier attempt got
	if err != nil {
		return "", types.WrapError(types.CodeEngineInstallFailed, err, "read the partial download %s", path)
	}

	if have > 0 && strings.EqualFold(hex.EncodeToString(h.Sum(nil)), d.SHA256) {
		// An earlier attempt got all of it (and failed later, unpacking).
		return strings.ToLower(d.SHA256), send(progress, &types.Progress{Status: "downloading",
			Digest: "sha256:" + strings.ToLower(d.SHA256), Total: have, Completed: have, Message: "already downloaded"})
	}
	resp, err := get(ctx, client, d.URL, have)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	switch {
	case have > 0 && resp.StatusCode == http.StatusPartialContent && rangeStart(resp) == have:
		// Resumed: keep what we have.
	case resp.StatusCode == http.StatusOK || (have > 0 && resp.StatusCode == http.StatusRequestedRangeNotSatisfiable):
		if resp.StatusCode != http.StatusOK { // the partial file is not a prefix of this one; start over
			resp.Body.Close()
			if resp, err = get(ctx, client, d.URL, 0); err != nil {
				return "", err
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return "", httpError(d.URL, resp)
			}
		}
		have = 0
		h.Reset()
		if err := f.Truncate(0); err != nil {
			return "", types.WrapError(types.CodeEngineInstallFailed, err, "restart the download in %s", path)
		}
	default:
		return "", httpError(d.URL, resp)
	}
	if _, err := f.Seek(have, io.SeekStart); err != nil {
		return "", types.WrapError(types.CodeEngineInstallFailed, err, "write %s", path)
	}
	total := int64(0)
	if resp.ContentLength > 0 {
		total = have + resp.ContentLength
	}
	if err := copyBody(ctx, d, resp.Body, f, h, have, total, progress); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func get(ctx context.Context, client *http.Client, url string, from int64) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, types.WrapError(types.CodeEngineInstallFailed, err, "download %s", url)
	}
	if from > 0 {
		req.Header.Set("Range", "bytes="+strconv.FormatInt(from, 10)+"-")
	}
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &types.Error{Code: types.CodeEngineInstallFailed, Retryable: true, Err: err,
			Message: "download " + url + ": " + err.Error() + "; check the URL and network access (proxies come from HTTPS_PROXY)"}
	}
	return resp, nil
}

// rangeStart is the first byte of a 206 answer ("bytes 100-199/200"), or -1.
func rangeStart(resp *http.Response) int64 {
	cr := strings.TrimPrefix(resp.Header.Get("Content-Range"), "bytes ")
	from, _, ok := strings.Cut(cr, "-")
	if !ok {
		return -1
	}
	n, err := strconv.ParseInt(from, 10, 64)
	if err != nil {
		return -1
	}
	return n
}

func httpError(url string, resp *http.Response) error {
	return &types.Error{Code: types.CodeEngineInstallFailed, Retryable: resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests,
		Message: fmt.Sprintf("download %s: HTTP %s; check the URL", url, resp.Status)}
}

// copyBody streams body into w and h, with progress events.
func copyBody(ctx context.Context, d Download, body io.Reader, w io.Writer, h hash.Hash, done, total int64, progress func(*types.Progress) error) error {
	digest := "sha256:" + strings.ToLower(d.SHA256)
	first := &types.Progress{Status: "downloading", Digest: digest, Total: total, Completed: done}
	if done > 0 {
		first.Message = fmt.Sprintf("resuming an earlier download at %d bytes", done)
	}
	if err := send(progress, first); err != nil {
		return err
	}
	buf := make([]byte, 256<<10)
	reported := done
	last := time.Now()
	for {
		n, rerr := body.Read(buf)
		if n > 0 {
			if _, err := w.Write(buf[:n]); err != nil {
				return types.WrapError(types.CodeEngineInstallFailed, err, "write the download (disk full?)")
			}
			h.Write(buf[:n])
			done += int64(n)
			if done-reported >= progressBytes || time.Since(last) >= progressInterval {
				reported, last = done, time.Now()
				if err := send(progress, &types.Progress{Status: "downloading", Digest: digest, Total: total, Completed: done}); err != nil {
					return err
				}
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return &types.Error{Code: types.CodeEngineInstallFailed, Retryable: true, Err: rerr,
				Message: fmt.Sprintf("download %s broke off after %d bytes: %v; retry, and it resumes there", d.URL, done, rerr)}
		}
	}
	if total > 0 && done != total {
		return &types.Error{Code: types.CodeEngineInstallFailed, Retryable: true,
			Message: fmt.Sprintf("download %s ended after %d of %d bytes; retry, and it resumes there", d.URL, done, total)}
	}
	if done != reported {
		return send(progress, &types.Progress{Status: "downloading", Digest: digest, Total: max(total, done), Completed: done})
	}
	return nil
}

// send calls progress if there is one.
func send(progress func(*types.Progress) error, pr *types.Progress) error {
	if progress == nil {
		return nil
	}
	return progress(pr)
}
