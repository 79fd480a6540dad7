package host

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/roundhouse-ai/roundhouse/internal/atomicfile"
	"github.com/roundhouse-ai/roundhouse/sdk"
)

// registriesFile holds the credentials of model registries (PUT
// /v1/registries/{host}). Like providersFile it is runtime state in the
// data dir, written atomically and readable by the owner only (0600): it
// holds passwords and tokens.
const registriesFile = "registries.yaml"

// RegistryCredential is one registry host's saved credentials.
type RegistryCredential struct {
	Host      string    `yaml:"host"`
	Username  string    `yaml:"username,omitempty"`
	Password  string    `yaml:"password,omitempty"`
	Token     string    `yaml:"token,omitempty"`
	UpdatedAt time.Time `yaml:"updated_at"`
}

// String masks the secrets, so printing a credential never leaks them.
func (c RegistryCredential) String() string { return c.auth().String() }

func (c RegistryCredential) auth() sdk.RegistryAuth {
	return sdk.RegistryAuth{Host: c.Host, Username: c.Username, Password: c.Password, Token: c.Token}
}

type registryState struct {
	Registries []RegistryCredential `yaml:"registries"`
}

// registryStore is the registry credentials by host. It has its own lock
// (a pull reads it while an admin changes it) and writes the whole file
// on every change.
type registryStore struct {
	path   string
	mu     sync.Mutex
	byHost map[string]RegistryCredential
}

// registries loads the store on first use: a host that never sees a
// registry credential never reads the file.
func (h *Host) registries() *registryStore {
	h.regOnce.Do(func() {
		h.regs = &registryStore{path: filepath.Join(h.Config().DataDir, registriesFile), byHost: map[string]RegistryCredential{}}
		if err := h.regs.load(); err != nil {
			h.log.Error("saved registry credentials not loaded; pulls and pushes go without them until the file is fixed or deleted", "path", h.regs.path, "error", err)
		}
	})
	return h.regs
}

func (s *registryStore) load() error {
	data, err := os.ReadFile(s.path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	var st registryState
	if err := yaml.Unmarshal(data, &st); err != nil {
		return err
	}
	for _, c := range st.Registries {
		host, err := NormalizeRegistryHost(c.Host)
		if err != nil {
			continue
		}
		c.Host = host
		s.byHost[host] = c
	}
	return nil
}

// RegistryAuthFor are the saved credentials of the registry host of model,
// nil when it names no host or the host has none.
func (h *Host) RegistryAuthFor(model string) *sdk.RegistryAuth {
	host := RegistryHostOf(model)
	if host == "" {
		return nil
	}
	s := h.registries()
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.byHost[host]
	if !ok {
		return nil
	}
	a := c.auth()
	return &a
}

// Registries lists the saved registry credentials by host (secrets in
// clear: the API masks them).
func (h *Host) Registries() []RegistryCredential {
	s := h.registries()
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]RegistryCredential, 0, len(s.byHost))
	for _, c := range s.byHost {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Host < out[j].Host })
	return out
}

// PutRegistry saves (replaces) the credentials of a registry host.
// Username and password go together; a token may stand alone. check, when
// not nil, is asked after the fields are checked and before anything is
// saved (a login to the registry); its error is returned as is.
func (h *Host) PutRegistry(c RegistryCredential, check func(sdk.RegistryAuth) error) (RegistryCredential, error) {
	host, err := NormalizeRegistryHost(c.Host)
	if err != nil {
		return RegistryCredential{}, err
	}
	c.Host = host
	switch {
	case c.Password == "" && c.Token == "":
		return RegistryCredential{}, sdk.FieldError("password", "required: a password (with username) or a token")
	case c.Password != "" && c.Username == "":
		return RegistryCredential{}, sdk.FieldError("username", "required with a password")
	case strings.ContainsAny(c.Username, ":\r\n"):
		return RegistryCredential{}, sdk.FieldError("username", "must not contain ':' or line breaks (HTTP Basic cannot carry them)")
	case strings.ContainsAny(c.Password, "\r\n"):
		return RegistryCredential{}, sdk.FieldError("password", "must not contain line breaks (a trailing newline from a pipe is trimmed by the CLI)")
	case strings.ContainsAny(c.Token, "\r\n"):
		return RegistryCredential{}, sdk.FieldError("token", "must not contain line breaks")
	}
	if check != nil {
		if err := check(c.auth()); err != nil {
			return RegistryCredential{}, err
		}
	}
	c.UpdatedAt = time.Now().UTC().Truncate(time.Second)
	s := h.registries()
	s.mu.Lock()
	defer s.mu.Unlock()
	next := make(map[string]RegistryCredential, len(s.byHost)+1)
	for k, v := range s.byHost {
		next[k] = v
	}
	next[host] = c
	if err := s.writeLocked(next); err != nil {
		return RegistryCredential{}, sdk.WrapError(sdk.CodeInternal, err, "save registry credentials (nothing was changed)")
	}
	s.byHost = next
	return c, nil
}

// DeleteRegistry forgets the credentials of a registry host.
func (h *Host) DeleteRegistry(host string) error {
	host, err := NormalizeRegistryHost(host)
	if err != nil {
		return err
	}
	s := h.registries()
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.byHost[host]; !ok {
		return sdk.Errorf(sdk.CodeNotFound, "no credentials saved for registry %s (GET /v1/registries lists them)", host)
	}
	next := make(map[string]RegistryCredential, len(s.byHost))
	for k, v := range s.byHost {
		if k != host {
			next[k] = v
		}
	}
	if err := s.writeLocked(next); err != nil {
		return sdk.WrapError(sdk.CodeInternal, err, "save registry credentials (nothing was changed)")
	}
	s.byHost = next
	return nil
}

// writeLocked writes the whole store atomically (temporary file, fsync,
// rename), readable by the owner only.
func (s *registryStore) writeLocked(byHost map[string]RegistryCredential) error {
	st := registryState{Registries: []RegistryCredential{}}
	for _, c := range byHost {
		st.Registries = append(st.Registries, c)
	}
	sort.Slice(st.Registries, func(i, j int) bool { return st.Registries[i].Host < st.Registries[j].Host })
	data, err := yaml.Marshal(st)
	if err != nil {
		return err
	}
	return atomicfile.Write(s.path, data)
}
