package client

import (
	"context"
	"errors"
	"io"
	"sync"
)

// gate passes reads through until closed; close waits for a read in
// progress, so what the reads touched is safe to use after it.
type gate struct {
	mu     sync.Mutex
	closed bool
	r      io.Reader
}

var errGateClosed = errors.New("upload body closed")

func (g *gate) Read(p []byte) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return 0, errGateClosed
	}
	return g.r.Read(p)
}

func (g *gate) close() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
}

// hashingReader feeds what is read to the upload's hash.
type hashingReader struct {
	r io.Reader
	u *blobUpload
}

func (h *hashingReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.u.h.Write(p[:n])
	h.u.hashed += int64(n)
	h.u.sent += int64(n)
	return n, err
}

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
