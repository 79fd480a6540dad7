package e2e

import (
	"context"
	"net/http"
	"syscall"
	"testing"
	"time"
)

func killPID(t *testing.T, pid int) {
	t.Helper()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill %d: %v", pid, err)
	}
}

var httpClient = &http.Client{Timeout: 2 * time.Minute}

func newPost(ctx context.Context, url string) (*http.Request, error) {
	return http.NewRequestWithContext(ctx, http.MethodPost, url, nil)
}
