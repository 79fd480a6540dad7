// Package uploads keeps resumable upload sessions for blobs (POST
// /v1/uploads and what follows), modelled on OCI blob-upload sessions and
// tus: the client appends the file's bytes in one or more PATCHes at the
// offset the host reports, an interrupted PATCH keeps what arrived, and a
// final PUT names the digest the host checks before it hands the staged
// file to the engine. Sessions are files under <data_dir>/uploads (0700
// directory, 0600 files): the staged bytes and a small state file with
// the offset and the SHA-256 state of those bytes, so a session survives
// a host restart without reading the staged file again.
package uploads

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/roundhouse-ai/roundhouse/sdk"
)

// Defaults for Options left at zero.
const (
	DefaultTTL         = 24 * time.Hour
	DefaultMaxSessions = 16
	DefaultCheckpoint  = 32 << 20
)

// Options tune a Store.
type Options struct {
	// TTL is how long a session lives after its last change (DefaultTTL).
	TTL time.Duration
	// MaxSessions caps the sessions held at once (DefaultMaxSessions):
	// each may hold a file as large as limits.max_blob_bytes on disk.
	MaxSessions int
	// Now is the clock (time.Now); tests move it.
	Now func() time.Time
	// Checkpoint is how many bytes a long PATCH writes between syncing
	// them and recording its offset (DefaultCheckpoint): a host that
	// dies mid-PATCH loses at most this much of it.
	Checkpoint int64
	// PruneEvery, if set, removes expired sessions on a timer too, so an
	// abandoned upload's staged bytes (up to limits.max_blob_bytes each)
	// leave the disk even when no other upload comes. Zero: sessions are
	// pruned only when requests touch the store. Close stops the timer.
	PruneEvery time.Duration
}

// Info is what a client sees of a session.
type Info struct {
	ID        string    `json:"id"`
	Offset    int64     `json:"offset"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Store holds the sessions of one data directory.
type Store struct {
	dir  string
	opts Options

	mu       sync.Mutex
	sessions map[string]*session
	janitor  *time.Timer // Options.PruneEvery; nil when off or closed
}

// Open loads the sessions under dir (creating it 0700), dropping expired
// ones and any file that is not a session's.
func Open(dir string, o Options) (*Store, error) {
	if o.TTL <= 0 {
		o.TTL = DefaultTTL
	}
	if o.MaxSessions <= 0 {
		o.MaxSessions = DefaultMaxSessions
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Checkpoint <= 0 {
		o.Checkpoint = DefaultCheckpoint
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("upload sessions: %w", err)
	}
	// MkdirAll keeps the mode of a directory that exists: tighten it.
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("upload sessions: %w", err)
	}
	s := &Store{dir: dir, opts: o, sessions: map[string]*session{}}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("upload sessions: %w", err)
	}
	now := o.Now()
	for _, e := range entries {
		id, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || !ValidID(id) {
			continue
		}
		st, err := readState(filepath.Join(dir, e.Name()))
		if err != nil || st.ID != id || st.Offset < 0 || !now.Before(st.ExpiresAt) {
			s.removeFiles(id)
			continue
		}
		if _, err := st.hasher(); err != nil {
			s.removeFiles(id)
			continue
		}
		// Bytes past the recorded offset were written but never made
		// part of the state (a crash mid-PATCH): they are dropped, so
		// the file and the hash state agree.
		if err := os.Truncate(dataPath(dir, id), st.Offset); err != nil {
			s.removeFiles(id)
			continue
		}
		s.sessions[id] = newSession(*st)
	}
	// Leftovers: data files without state, temporary state files.
	for _, e := range entries {
		name := e.Name()
		id, _, _ := strings.Cut(name, ".")
		if _, ok := s.sessions[id]; !ok && (strings.HasSuffix(name, ".data") || strings.Contains(name, ".json.tmp")) {
			_ = os.Remove(filepath.Join(dir, name))
		}
	}
	if o.PruneEvery > 0 {
		// A timer, not a goroutine: nothing is parked between prunes.
		s.janitor = time.AfterFunc(o.PruneEvery, s.pruneTick)
	}
	return s, nil
}

// pruneTick is the janitor's round: prune, then wait again (unless the
// store was closed meanwhile).
func (s *Store) pruneTick() {
	s.Prune()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.janitor != nil {
		s.janitor.Reset(s.opts.PruneEvery)
	}
}

// Close stops the janitor. Sessions stay on disk for the next Open.
func (s *Store) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.janitor != nil {
		s.janitor.Stop()
		s.janitor = nil
	}
}

// Dir is where the sessions live.
func (s *Store) Dir() string { return s.dir }

// Create starts an empty session. Expired sessions are pruned first; past
// MaxSessions it answers CodeRateLimited.
func (s *Store) Create(ctx context.Context) (Info, error) {
	if err := ctx.Err(); err != nil {
		return Info{}, err
	}
	s.Prune()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.sessions) >= s.opts.MaxSessions {
		return Info{}, &sdk.Error{Code: sdk.CodeRateLimited, Retryable: true, RetryAfter: time.Minute,
			Message: fmt.Sprintf("%d upload sessions are open, the most the host keeps: finish or DELETE /v1/uploads/{id} one, or wait until one expires (%s after its last change)",
				len(s.sessions), s.opts.TTL)}
	}
	now := s.opts.Now()
	st := state{ID: newID(), CreatedAt: now, ExpiresAt: now.Add(s.opts.TTL)}
	f, err := os.OpenFile(dataPath(s.dir, st.ID), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return Info{}, sdk.WrapError(sdk.CodeInternal, err, "upload session: %v", err)
	}
	f.Close()
	if err := st.setHash(newHash()); err != nil {
		s.removeFiles(st.ID)
		return Info{}, err
	}
	if err := writeState(s.dir, &st); err != nil {
		s.removeFiles(st.ID)
		return Info{}, sdk.WrapError(sdk.CodeInternal, err, "upload session: %v", err)
	}
	s.sessions[st.ID] = newSession(st)
	return st.info(), nil
}

// get finds a live session; an id of the wrong shape, an unknown one and
// an expired one are all CodeNotFound.
func (s *Store) get(id string) (*session, error) {
	if !ValidID(id) {
		return nil, &sdk.Error{Code: sdk.CodeNotFound, Field: "id",
			Message: fmt.Sprintf("%q is not an upload id: ids are the 32 hex digits POST /v1/uploads answers", id)}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.sessions[id]
	if ss == nil {
		return nil, notFound(id)
	}
	if !s.opts.Now().Before(ss.expiresAt()) {
		if ss.tryLock() { // a session in use is not pulled from under its PATCH
			delete(s.sessions, id)
			s.removeFiles(id)
			ss.unlock()
		}
		return nil, notFound(id)
	}
	return ss, nil
}

func notFound(id string) error {
	return &sdk.Error{Code: sdk.CodeNotFound, Field: "id",
		Message: fmt.Sprintf("no upload session %s (it finished, was deleted or expired): start a new one with POST /v1/uploads", id)}
}

// Info is a session's offset and expiry.
func (s *Store) Info(id string) (Info, error) {
	ss, err := s.get(id)
	if err != nil {
		return Info{}, err
	}
	return ss.info(), nil
}

// Settled is Info once the request using the session (if any) has ended,
// waiting at most wait: a client resuming after its connection broke
// asks while the host may still be recording what that PATCH received,
// and an offset read a moment too early would send it bytes twice.
func (s *Store) Settled(ctx context.Context, id string, wait time.Duration) (Info, error) {
	ss, err := s.get(id)
	if err != nil {
		return Info{}, err
	}
	ss.settle(ctx, wait)
	return s.Info(id)
}

// Delete drops a session and its staged bytes.
func (s *Store) Delete(id string) error {
	ss, err := s.get(id)
	if err != nil {
		return err
	}
	if !ss.tryLock() {
		return busy(id)
	}
	defer ss.unlock()
	s.drop(id)
	return nil
}

// drop forgets a session and removes its files; the caller holds its lock.
func (s *Store) drop(id string) {
	s.mu.Lock()
	delete(s.sessions, id)
	s.mu.Unlock()
	s.removeFiles(id)
}

// Prune removes expired sessions that no request is using and reports
// how many went.
func (s *Store) Prune() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	now, n := s.opts.Now(), 0
	for id, ss := range s.sessions {
		if now.Before(ss.expiresAt()) || !ss.tryLock() {
			continue
		}
		delete(s.sessions, id)
		s.removeFiles(id)
		ss.unlock()
		n++
	}
	return n
}

// Len is the number of sessions held.
func (s *Store) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}

func (s *Store) removeFiles(id string) {
	// Best effort: what cannot be removed now, Open removes next start.
	_ = os.Remove(dataPath(s.dir, id))
	_ = os.Remove(statePath(s.dir, id))
}

func busy(id string) error {
	return &sdk.Error{Code: sdk.CodeFailedPrecondition, Field: "id", Retryable: true, RetryAfter: time.Second,
		Message: fmt.Sprintf("another request is using upload %s (a PATCH still receiving, or a PUT handing it to the engine): retry once it ends", id)}
}
