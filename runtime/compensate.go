package runtime

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dmplan/dmplan/backend"
)

// undo is one KV write to take back: the record's key and the stored
// record it replaced (nil: the write created the key).
type undo struct {
	id, key string
	prev    map[string]any
}

// compensate takes back KV writes whose D1 rows a constraint refused. A
// constraint failure is definite (D1 wrote nothing of the statement or
// batch), so putting KV back leaves both stores as they were; the caller
// gets a *ConstraintError (ErrConflict) naming the constraint. If KV cannot be put back, the
// records are a partial write for `dmplan reconcile`.
func (h *Handle) compensate(ctx context.Context, verb string, m *model, ns string, us []undo, d1err error) error {
	t := time.Now()
	var del []string
	var put []backend.Entry
	for _, u := range us {
		if u.prev == nil {
			del = append(del, u.key)
			continue
		}
		val, err := m.encode(u.prev)
		if err != nil {
			return &PartialWriteError{Model: m.name, IDs: undoIDs(us), Err: errors.Join(d1err, fmt.Errorf("restore kv: %w", err))}
		}
		put = append(put, backend.Entry{Key: u.key, Value: val})
	}
	var err error
	switch {
	case len(del) == 1:
		err = h.ds.kv.Delete(ctx, ns, del[0])
	case len(del) > 1:
		for from := 0; from < len(del) && err == nil; from += backend.MaxBulkDelete {
			err = h.ds.kv.DeleteMany(ctx, ns, del[from:min(from+backend.MaxBulkDelete, len(del))])
		}
	}
	if err == nil && len(put) > 0 {
		if len(put) == 1 {
			err = h.ds.kv.Put(ctx, ns, put[0])
		} else {
			err = h.ds.kv.PutMany(ctx, ns, put)
		}
	}
	if err != nil {
		return &PartialWriteError{Model: m.name, IDs: undoIDs(us), Err: errors.Join(d1err, fmt.Errorf("restore kv: %w", err))}
	}
	h.ds.logBulkStep(ctx, "kv.compensate", m.name, len(us), len(del)+len(put), t)
	return &ConstraintError{Op: verb, Model: m.name, IDs: undoIDs(us), Constraint: constraintName(d1err), Err: d1err}
}

func undoIDs(us []undo) []string {
	ids := make([]string, len(us))
	for i, u := range us {
		ids[i] = u.id
	}
	return ids
}

// constraintName extracts "UNIQUE constraint failed: t.c" (the kind and the
// columns, never a value) from a D1 error, or "constraint failed".
func constraintName(err error) string {
	msg := err.Error()
	i := strings.LastIndex(msg, "constraint failed")
	if i < 0 {
		return "constraint failed"
	}
	start := i
	for _, kind := range []string{"NOT NULL ", "UNIQUE ", "CHECK ", "FOREIGN KEY ", "PRIMARY KEY "} {
		if strings.HasSuffix(msg[:i], kind) {
			start = i - len(kind)
			break
		}
	}
	end := i + len("constraint failed")
	if rest, ok := strings.CutPrefix(msg[end:], ": "); ok {
		cols := rest
		if j := strings.IndexAny(cols, ":("); j >= 0 {
			cols = cols[:j]
		}
		end += 2 + len(strings.TrimRight(cols, " "))
	}
	return msg[start:end]
}
