package main

import (
	"context"
	"path/filepath"
	"sync/atomic"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/local"
	"github.com/dmplan/dmplan/hclspec"
)

// prefetch opens and inspects the default local environment while the
// configuration is still loading. Which environment plan reads is known
// only once the configuration is decoded (it may declare its own "local"),
// but without -env it is nearly always DIR/.dmplan, and opening and
// inspecting that is a fifth of what plan costs. If the configuration
// points elsewhere, the prefetch is closed unused. Only plan prefetches:
// apply inspects under its lock.
type prefetch struct {
	path string // the local backend directory prefetched
	done chan struct{}
	be   backend.Backend
	in   *inspected
	err  error
}

// prefetchesTaken counts the prefetches plan used, for tests.
var prefetchesTaken atomic.Int64

// startPrefetch starts prefetching the default local environment of dir
// when env selects it and it exists; otherwise it returns nil.
func startPrefetch(ctx context.Context, dir, env string) *prefetch {
	if env != "" && env != defaultEnv {
		return nil
	}
	path := filepath.Clean(filepath.Join(absDir(dir), hclspec.DefaultLocalPath))
	// Only an existing database, opened read-only: plan writes nothing,
	// here or wherever the configuration turns out to point.
	if !fileExists(filepath.Join(path, local.D1File)) {
		return nil
	}
	p := &prefetch{path: path, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		s, err := local.OpenReadOnly(ctx, path)
		if err != nil {
			p.err = err
			return
		}
		p.be = s
		p.in, p.err = inspect(ctx, s)
	}()
	return p
}

// take returns the prefetched backend and live schema when they are for
// target t, or nil when t is elsewhere or the prefetch failed (the caller
// then opens and inspects t itself, and reports any error from there).
// The caller closes a backend it is given; anything else is closed here.
func (p *prefetch) take(t *hclspec.Target) (backend.Backend, *inspected) {
	if p == nil {
		return nil, nil
	}
	<-p.done
	if p.err == nil && t.Backend == hclspec.BackendLocal && t.Path == p.path {
		be := p.be
		p.be = nil
		prefetchesTaken.Add(1)
		return be, p.in
	}
	p.close()
	return nil, nil
}

// close waits for the prefetch and closes what it opened.
func (p *prefetch) close() {
	if p == nil {
		return
	}
	<-p.done
	if p.be != nil {
		p.be.Close()
		p.be = nil
	}
}
