package main

import (
	"fmt"
	"path/filepath"

	"github.com/roundhouse-ai/roundhouse/internal/bench/floor"
)

// Path names of the reference paths (internal/bench/floor).
const (
	pFloor    = "floor"
	pFloorTLS = "floor+TLS"
	pLease    = "prototype: lease (below the floor)"
)

// floors are the reference paths a run starts next to the host: the floor
// without and with mutual TLS on its gRPC leg, and the lease prototype
// (mutual TLS, as a real one would need for handing out credentials).
type floors struct {
	plain, tls, lease *floor.Proc
	na                string // why they are missing
}

func (e *env) startFloors() *floors {
	f := &floors{}
	var err error
	start := func(name string, o floor.Options) *floor.Proc {
		if err != nil {
			return nil
		}
		o.Upstream, o.APIKey, o.Log = e.up.URL, apiKey, filepath.Join(e.work, name+".log")
		var p *floor.Proc
		if p, err = floor.Start(o); err == nil {
			logf("%s on %s (pids %d, plugin %d)", name, p.URL, p.Pid(), p.PluginPid)
		}
		return p
	}
	f.plain = start("floor", floor.Options{})
	f.tls = start("floor-tls", floor.Options{TLS: true})
	f.lease = start("lease", floor.Options{TLS: true, Mode: floor.Lease})
	if err != nil {
		f.stop()
		f.na = fmt.Sprintf("n/a (floor did not start: %v)", err)
		logf("%s", f.na)
	}
	return f
}

func (f *floors) stop() {
	for _, p := range []*floor.Proc{f.plain, f.tls, f.lease} {
		if p != nil {
			p.Stop()
		}
	}
}

// procs are the floor processes whose CPU a scenario accounts (the lease
// prototype's plugin idles, so only its front is counted).
func (f *floors) procs() []proc {
	if f.na != "" {
		return nil
	}
	return []proc{{"floor", f.plain.Pid()}, {"floor plugin", f.plain.PluginPid},
		{"floor+TLS", f.tls.Pid()}, {"floor+TLS plugin", f.tls.PluginPid}, {"lease front", f.lease.Pid()}}
}

func (f *floors) url(name string) string {
	if f.na != "" {
		return ""
	}
	switch name {
	case pFloor:
		return f.plain.URL
	case pFloorTLS:
		return f.tls.URL
	}
	return f.lease.URL
}
