package sdk

import (
	"context"
	"io"
)

// WithDebugContext ends a debug-mode Serve when ctx is done and prints its
// reattach config to w instead of stdout (tests only).
func WithDebugContext(ctx context.Context, w io.Writer) ServeOption {
	return func(c *serveConfig) { c.debugCtx, c.debugOut = ctx, w }
}
