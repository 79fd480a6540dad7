package api

import "context"

// SetSystemProbe makes GET /v1/system and the recommendations see info
// instead of this machine, until the returned restore is called.
func SetSystemProbe(info SystemInfo) (restore func()) {
	f := func(context.Context) SystemInfo { return info }
	prev := systemProbe.Swap(&f)
	return func() { systemProbe.Store(prev) }
}
