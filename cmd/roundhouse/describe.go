package main

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/roundhouse-ai/roundhouse/host"
	"github.com/roundhouse-ai/roundhouse/sdk/gpu"
	"github.com/roundhouse-ai/roundhouse/sdk/manifest"
	"github.com/roundhouse-ai/roundhouse/types"
)

// description is `plugins describe DIR`: the manifest as the host would
// understand it on this machine, without a host.
type description struct {
	Dir         string `json:"dir"`
	Name        string `json:"name,omitempty"`
	DisplayName string `json:"display_name,omitempty"`
	Version     string `json:"version,omitempty"`
	Type        string `json:"type,omitempty"`
	// Platform is this machine's "<goos>_<goarch>"; Supported says whether
	// the manifest has an entry for it.
	Platform   string   `json:"platform"`
	Supported  bool     `json:"supported"`
	Platforms  []string `json:"platforms"`
	Executable string   `json:"executable,omitempty"`
	// GPU: what the manifest supports, what this machine has, what would
	// run.
	GPUSupported []string             `json:"gpu_supported"`
	GPUDetected  []string             `json:"gpu_detected"`
	GPUUsing     string               `json:"gpu_using,omitempty"`
	Services     []describedSvc       `json:"services"`
	Dependencies []describedDep       `json:"dependencies,omitempty"`
	Engine       *manifest.EngineSpec `json:"engine,omitempty"`
	// Problems are what keeps the host from running the plugin here; empty
	// when it would load.
	Problems []string `json:"problems"`
}

type describedSvc struct {
	Name         string             `json:"name"`
	DefaultModel string             `json:"default_model,omitempty"`
	Models       []string           `json:"models,omitempty"`
	Capabilities types.Capabilities `json:"capabilities"`
}

type describedDep struct {
	Kind    string `json:"kind"`
	Name    string `json:"name"`
	Found   string `json:"found,omitempty"`
	Install string `json:"install,omitempty"`
}

func (c *cli) describeCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "describe DIR",
		Short: "Read a plugin directory's manifest here, as the host would (no host needed)",
		Long: "Read DIR/plugin.yaml (or plugin.json) and print what the host would make of it on this machine:\n" +
			"the platform entry, the executable and GPU build chosen, the services, the dependencies, and\n" +
			"every problem that would keep it from loading. Exits 1 when there are problems.",
		Args: args(1, 1),
		RunE: func(_ *cobra.Command, a []string) error {
			d := describePlugin(a[0], host.UsableGPUs(gpu.Detect()))
			if c.json {
				if err := c.printJSON(d); err != nil {
					return err
				}
			} else {
				c.printDescription(d)
			}
			if len(d.Problems) > 0 {
				return &codeError{code: exitError}
			}
			return nil
		},
	}
}

func describePlugin(dir string, usable []types.GPUType) *description {
	d := &description{Dir: dir, Platform: manifest.PlatformKey(runtime.GOOS, runtime.GOARCH),
		GPUSupported: []string{}, GPUDetected: []string{}, Services: []describedSvc{}, Problems: []string{}, Platforms: []string{}}
	for _, g := range usable {
		d.GPUDetected = append(d.GPUDetected, string(g))
	}
	m, err := manifest.Load(dir)
	if err != nil {
		d.Problems = append(d.Problems, err.Error())
		return d
	}
	d.Dir = m.Dir
	d.Name, d.DisplayName, d.Version, d.Type = m.Provider.Name, m.Provider.DisplayName, m.Provider.Version, string(m.Provider.Type)
	for k := range m.Platforms {
		d.Platforms = append(d.Platforms, k)
	}
	slices.Sort(d.Platforms)
	_, d.Supported = m.GetPlatformConfig(runtime.GOOS, runtime.GOARCH)
	for _, g := range m.GPUTypes {
		d.GPUSupported = append(d.GPUSupported, string(g))
	}
	for _, s := range m.Services {
		d.Services = append(d.Services, describedSvc{Name: s.ServiceName, DefaultModel: s.DefaultModel, Models: s.SupportModels, Capabilities: s.Capabilities})
	}
	d.Engine = m.Engine
	var me *manifest.Error
	if err := m.Validate(runtime.GOOS, runtime.GOARCH); errors.As(err, &me) {
		d.Problems = append(d.Problems, me.Problems...)
	} else if err != nil {
		d.Problems = append(d.Problems, err.Error())
	}
	if d.Supported {
		if ch, err := m.ChooseExecutable(runtime.GOOS, runtime.GOARCH, usable); err == nil {
			d.Executable, d.GPUUsing = ch.Executable, ch.Using
		}
		checks, err := m.CheckDependencies(runtime.GOOS, runtime.GOARCH)
		for _, ck := range checks {
			kind := "command"
			if ck.File != "" {
				kind = "file"
			}
			d.Dependencies = append(d.Dependencies, describedDep{Kind: kind, Name: ck.Name(), Found: ck.Found, Install: ck.Install})
		}
		if err != nil {
			d.Problems = append(d.Problems, err.Error())
		}
	}
	return d
}

func (c *cli) printDescription(d *description) {
	tw := c.table()
	row := func(k, v string) { fmt.Fprintf(tw, "%s:\t%s\n", k, v) }
	row("dir", d.Dir)
	if d.Name != "" {
		row("plugin", fmt.Sprintf("%s %s (%s)", d.Name, d.Version, d.Type))
	}
	if d.DisplayName != "" {
		row("display name", d.DisplayName)
	}
	plat := d.Platform + " (supported)"
	if !d.Supported {
		plat = d.Platform + " (NOT supported; the manifest has " + dash(strings.Join(d.Platforms, ", ")) + ")"
	}
	row("platform", plat)
	if d.Executable != "" {
		row("executable", d.Executable)
	}
	row("gpu", fmt.Sprintf("supports %s; this machine has %s; would run on %s",
		dash(strings.Join(d.GPUSupported, ",")), dash(strings.Join(d.GPUDetected, ",")), dash(d.GPUUsing)))
	for _, dep := range d.Dependencies {
		st := "found at " + dep.Found
		if dep.Found == "" {
			st = "MISSING"
			if dep.Install != "" {
				st += " (install: " + dep.Install + ")"
			}
		}
		row("needs "+dep.Kind+" "+dep.Name, st)
	}
	if d.Engine != nil {
		row("engine", strings.TrimSpace(d.Engine.Name+" "+d.Engine.Version))
	}
	_ = tw.Flush()
	if len(d.Services) > 0 {
		fmt.Fprintln(c.out)
		tw = c.table()
		fmt.Fprintln(tw, "SERVICE\tDEFAULT MODEL\tMODELS")
		for _, s := range d.Services {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", s.Name, dash(s.DefaultModel), dash(strings.Join(s.Models, ",")))
		}
		_ = tw.Flush()
	}
	fmt.Fprintln(c.out)
	if len(d.Problems) == 0 {
		fmt.Fprintln(c.out, c.paint(c.out, colGreen, "no problems: the host would load it"))
		return
	}
	fmt.Fprintln(c.out, c.paint(c.out, colRed, "problems:"))
	for _, p := range d.Problems {
		fmt.Fprintln(c.out, "  - "+p)
	}
}
