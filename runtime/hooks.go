package runtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/dmplan/dmplan/hclspec"
)

// Op is the kind of write a hook or middleware sees.
type Op int

// Write kinds. A soft delete is OpDelete even though it stores an update;
// a restore is OpUpdate (its change is deleted_at = null).
const (
	OpCreate Op = iota
	OpUpdate
	OpDelete
	numOps
)

func (o Op) String() string {
	switch o {
	case OpCreate:
		return "create"
	case OpUpdate:
		return "update"
	case OpDelete:
		return "delete"
	}
	return "invalid"
}

// Event is what hooks and middleware receive for one write of one record.
type Event struct {
	Model  string
	Op     Op
	Name   string // the hook event running: before_create, after_update, ...
	ID     string
	UserID string // the handle's user; "" for System
	// Data is the full record as it will be written (before hooks) or was
	// written (after hooks). before_create and before_update hooks may
	// change it; the result is validated again before the write.
	Data map[string]any
	// Changes holds the fields an update changes, with their new values;
	// for a soft delete, deleted_at. Empty for creates.
	Changes map[string]any
	// Old is the stored record before an update or delete; nil for
	// creates. Hooks must not change it.
	Old map[string]any

	write    func(ctx context.Context, ev *Event) error
	written  bool
	writeErr error
}

// HookFunc is a hook: a function run for one event of one model. A before
// hook's error rejects the write (ErrRejected); an after hook's error is
// logged and does not fail the operation.
type HookFunc func(ctx context.Context, ev *Event) error

// WriteFunc performs a write, hooks included.
type WriteFunc func(ctx context.Context, ev *Event) error

// Middleware wraps writes like http middleware: code before next runs
// before the write (an error returned without calling next rejects it),
// code after next runs after it (errors are logged, never returned).
type Middleware func(next WriteFunc) WriteFunc

// HookRunner runs hooks declared outside Go, such as the hook blocks of a
// model in HCL. RunHook is called with ev.Name set to the event.
type HookRunner interface {
	RunHook(ctx context.Context, ev *Event) error
}

type namedHook struct {
	event  string
	source string // "go" or "hcl"
	fn     HookFunc
}

type opHooks struct {
	before, after []namedHook
	mws           []Middleware
}

type hookSet struct{ ops [numOps]opHooks }

// hookTable is a model's hooks, replaced copy-on-write so writes read it
// without locks.
type hookTable struct {
	mu sync.Mutex
	p  atomic.Pointer[hookSet]
}

func (t *hookTable) update(f func(*hookSet)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	next := &hookSet{}
	if cur := t.p.Load(); cur != nil {
		for i := range cur.ops {
			next.ops[i] = opHooks{
				before: append([]namedHook(nil), cur.ops[i].before...),
				after:  append([]namedHook(nil), cur.ops[i].after...),
				mws:    append([]Middleware(nil), cur.ops[i].mws...),
			}
		}
	}
	f(next)
	t.p.Store(next)
}

func eventOp(event string) (Op, bool, error) {
	switch event {
	case hclspec.BeforeCreate:
		return OpCreate, true, nil
	case hclspec.AfterCreate:
		return OpCreate, false, nil
	case hclspec.BeforeUpdate:
		return OpUpdate, true, nil
	case hclspec.AfterUpdate:
		return OpUpdate, false, nil
	case hclspec.BeforeDelete:
		return OpDelete, true, nil
	case hclspec.AfterDelete:
		return OpDelete, false, nil
	}
	return 0, false, fmt.Errorf("%w: hook event %q; use before_create, after_create, before_update, after_update, before_delete or after_delete", ErrInvalid, event)
}

// Hook registers fn for one event (hclspec.BeforeCreate, "after_update",
// ...) of a model, or of every model when model is "". Hooks of an event
// run in registration order. It is safe to call while writes run.
func (ds *Datastore) Hook(model, event string, fn HookFunc) error {
	if fn == nil {
		return fmt.Errorf("register hook: %w: nil function", ErrInvalid)
	}
	if model == "" {
		for _, m := range ds.models {
			if err := ds.addHook(m, event, fn, "go"); err != nil {
				return err
			}
		}
		return nil
	}
	m, err := ds.lookupModel(model)
	if err != nil {
		return fmt.Errorf("register hook: %w", err)
	}
	return ds.addHook(m, event, fn, "go")
}

func (ds *Datastore) addHook(m *model, event string, fn HookFunc, source string) error {
	op, before, err := eventOp(event)
	if err != nil {
		return fmt.Errorf("register hook on %s: %w", m.name, err)
	}
	h := namedHook{event: event, source: source, fn: fn}
	m.hooks.update(func(s *hookSet) {
		if before {
			s.ops[op].before = append(s.ops[op].before, h)
		} else {
			s.ops[op].after = append(s.ops[op].after, h)
		}
	})
	return nil
}

// Use wraps every write of a model (every model when model is "") with mw.
// The first middleware registered is the outermost.
func (ds *Datastore) Use(modelName string, mw Middleware) error {
	if mw == nil {
		return fmt.Errorf("register middleware: %w: nil middleware", ErrInvalid)
	}
	add := func(m *model) {
		m.hooks.update(func(s *hookSet) {
			for i := range s.ops {
				s.ops[i].mws = append(s.ops[i].mws, mw)
			}
		})
	}
	if modelName == "" {
		for _, m := range ds.models {
			add(m)
		}
		return nil
	}
	m, err := ds.lookupModel(modelName)
	if err != nil {
		return fmt.Errorf("register middleware: %w", err)
	}
	add(m)
	return nil
}

// hooked reports whether any hook or middleware would run for op.
func (m *model) hooked(op Op) bool {
	s := m.hooks.p.Load()
	if s == nil {
		return false
	}
	o := &s.ops[op]
	return len(o.before)+len(o.after)+len(o.mws) > 0
}

// run performs ev.write inside the model's hooks and middleware and
// applies the failure rules: a write error is returned as is; no write
// without a write error is a rejection (ErrRejected); an error after a
// successful write is logged and dropped.
func (ds *Datastore) run(ctx context.Context, m *model, ev *Event) (err error) {
	s := m.hooks.p.Load()
	if s == nil {
		return ev.write(ctx, ev)
	}
	o := &s.ops[ev.Op]
	core := func(ctx context.Context, ev *Event) error {
		for _, h := range o.before {
			ev.Name = h.event
			if err := callHook(ctx, h.fn, ev); err != nil {
				return rejection(ev, h, err)
			}
		}
		if err := ev.write(ctx, ev); err != nil {
			ev.writeErr = err
			return err
		}
		ev.written = true
		for _, h := range o.after {
			ev.Name = h.event
			if err := callHook(ctx, h.fn, ev); err != nil {
				ds.logHookError(ctx, ev, h.event, err)
			}
		}
		return nil
	}
	chain := WriteFunc(core)
	for i := len(o.mws) - 1; i >= 0; i-- {
		chain = o.mws[i](chain)
	}
	err = callWrite(ctx, chain, ev)
	switch {
	case ev.writeErr != nil:
		return ev.writeErr
	case !ev.written:
		if err == nil {
			err = errors.New("middleware did not call next")
		}
		if !errors.Is(err, ErrRejected) {
			err = fmt.Errorf("%w: %s %s %s: %w", ErrRejected, m.name, ev.ID, ev.Op, err)
		}
		return err
	case err != nil:
		ds.logHookError(ctx, ev, "after "+ev.Op.String()+" middleware", err)
	}
	return nil
}

func rejection(ev *Event, h namedHook, err error) error {
	return fmt.Errorf("%w: %s hook on %s %s: %w", ErrRejected, h.event, ev.Model, ev.ID, err)
}

// callHook runs a hook, turning a panic into an error.
func callHook(ctx context.Context, fn HookFunc, ev *Event) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("hook panicked: %v", p)
		}
	}()
	return fn(ctx, ev)
}

func callWrite(ctx context.Context, fn WriteFunc, ev *Event) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("middleware panicked: %v", p)
		}
	}()
	return fn(ctx, ev)
}

func (ds *Datastore) logHookError(ctx context.Context, ev *Event, event string, err error) {
	ds.log.LogAttrs(ctx, slog.LevelError, "runtime.hook",
		slog.String("model", ev.Model), slog.String("id", ev.ID), slog.String("event", event),
		slog.String("outcome", "hook_failed"), slog.String("error", err.Error()))
}
