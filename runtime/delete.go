package runtime

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/dmplan/dmplan/backend"
)

// remove is Record.Delete. Its errors start with "delete MODEL id".
func (h *Handle) remove(ctx context.Context, r *Record) error {
	return opError("delete", r.m.name, r.ID(), h.removeRecord(ctx, r))
}

func (h *Handle) removeRecord(ctx context.Context, r *Record) error {
	m := r.m
	if r.orig == nil || r.IsDeleted() {
		return fmt.Errorf("delete %s %s: %w", m.name, r.ID(), ErrNotFound)
	}
	if m.soft {
		data := maps.Clone(r.orig)
		data["deleted_at"] = FormatTime(h.ds.now())
		if err := h.updateAs(ctx, r, softDelete, data); err != nil {
			return err
		}
		return nil
	}
	return h.hardDelete(ctx, r)
}

func (h *Handle) hardDelete(ctx context.Context, r *Record) (err error) {
	m := r.m
	id := m.idOf(r.orig)
	start := time.Now()
	ctx = opContext(ctx)
	defer func() { h.ds.logOp(ctx, "delete", m.name, id, start, "deleted", err) }()
	if err := h.checkScope(); err != nil {
		return fmt.Errorf("delete %s %s: %w", m.name, id, err)
	}
	if err := h.canWrite(m, r.orig); err != nil {
		return fmt.Errorf("delete %s %s: %w", m.name, id, err)
	}
	if m.d1only {
		ev := &Event{Model: m.name, Op: OpDelete, ID: id, UserID: h.user, Data: r.orig, Changes: map[string]any{}, Old: r.orig}
		ev.write = func(ctx context.Context, ev *Event) error { return h.deleteD1(ctx, m, r.orig) }
		if err := h.ds.run(ctx, m, ev); err != nil {
			return err
		}
		r.orig, r.shared = nil, false
		return nil
	}
	key, err := m.key(id)
	if err != nil {
		return fmt.Errorf("delete %s: %w", m.name, err)
	}
	ns, err := m.namespace(ctx, h.ds.resolveNamespaces)
	if err != nil {
		return fmt.Errorf("delete %s %s: %w", m.name, id, err)
	}
	ev := &Event{Model: m.name, Op: OpDelete, ID: id, UserID: h.user, Data: r.orig, Changes: map[string]any{}, Old: r.orig}
	ev.write = func(ctx context.Context, ev *Event) error {
		unlock, err := h.ds.locks.lock(ctx, lockKey(m, id))
		if err != nil {
			return fmt.Errorf("delete %s %s: %w", m.name, id, err)
		}
		defer unlock()
		h.ds.memo.set(lockKey(m, id), nil)
		// KV first, then D1, in one round trip on a backend that
		// pipelines; deleting by key is safe to replay. Once the request
		// carrying the KV delete is sent, the delete is finished even if
		// the caller gives up (repairContext).
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("delete %s %s: kv delete: %w", m.name, id, err)
		}
		ctx, cancel := repairContext(ctx)
		defer cancel()
		_, err = backend.RunOpsMetered(ctx, h.ds.b, []backend.Op{
			{Kind: backend.OpKVDelete, NS: ns, Key: key},
			{Kind: backend.OpD1Query, Stmt: backend.Stmt{SQL: m.deleteSQL, Args: []any{id}, Idempotent: true}},
		})
		if err == nil {
			return nil
		}
		if _, partial, cause := dualFailure(err); partial {
			return &PartialWriteError{Model: m.name, IDs: []string{id}, Err: notMigrated(cause)}
		}
		return fmt.Errorf("delete %s %s: kv delete: %w", m.name, id, notMigrated(opErr(err)))
	}
	if err := h.ds.run(ctx, m, ev); err != nil {
		return err
	}
	r.orig, r.shared = nil, false
	return nil
}

// restore is Record.Restore. Its errors start with "restore MODEL id".
func (h *Handle) restore(ctx context.Context, r *Record) error {
	return opError("restore", r.m.name, r.ID(), h.restoreRecord(ctx, r))
}

func (h *Handle) restoreRecord(ctx context.Context, r *Record) error {
	m := r.m
	if !m.soft {
		return fmt.Errorf("restore %s: %w: the model has soft_delete = false", m.name, ErrInvalid)
	}
	if r.orig == nil {
		return fmt.Errorf("restore %s %s: %w", m.name, r.ID(), ErrNotFound)
	}
	if !r.IsDeleted() {
		return nil
	}
	data := maps.Clone(r.orig)
	data["deleted_at"] = nil
	return h.updateAs(ctx, r, restoreUpdate, data)
}

// opError makes err start with "verb model id" (a hook rejection, a
// validation or partial-write error starts with "runtime: ...").
func opError(verb, model, id string, err error) error {
	if err == nil || strings.HasPrefix(err.Error(), verb+" "+model) {
		return err
	}
	return fmt.Errorf("%s %s %s: %w", verb, model, id, err)
}
