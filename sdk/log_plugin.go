package sdk

import (
	"context"
	"io"
	"log/slog"
	"strings"

	"github.com/roundhouse-ai/roundhouse/types"
)

// hclogTimeFormat is the timestamp layout go-plugin parses from plugin
// stderr; lines in this JSON shape are re-logged by the host at their level
// under the plugin's name.
const hclogTimeFormat = "2006-01-02T15:04:05.000000Z07:00"

// NewPluginLogger returns the slog.Logger a plugin should log with: JSON
// lines on w (stderr) in the shape the host re-parses. Serve installs one
// as slog's default, so plugins can simply call slog.Info.
func NewPluginLogger(w io.Writer, level slog.Leveler) *slog.Logger {
	return slog.New(requestIDHandler{slog.NewJSONHandler(w, &slog.HandlerOptions{
		Level: level,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) > 0 {
				return a
			}
			switch a.Key {
			case slog.TimeKey:
				return slog.String("@timestamp", a.Value.Time().Format(hclogTimeFormat))
			case slog.LevelKey:
				return slog.String("@level", strings.ToLower(levelName(a.Value.Any())))
			case slog.MessageKey:
				return slog.String("@message", a.Value.String())
			}
			return a
		},
	})})
}

// requestIDHandler adds the host's request id (RequestID of the call's
// context) to every record logged with that context (slog.InfoContext…),
// so a plugin's log lines can be matched with the host's.
type requestIDHandler struct{ slog.Handler }

func (h requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := types.RequestIDFrom(ctx); id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h requestIDHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(as)}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}

func levelName(v any) string {
	l, ok := v.(slog.Level)
	if !ok {
		return "info"
	}
	switch {
	case l < slog.LevelInfo:
		return "debug"
	case l < slog.LevelWarn:
		return "info"
	case l < slog.LevelError:
		return "warn"
	default:
		return "error"
	}
}
