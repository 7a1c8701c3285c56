package runtime

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/internal/sqlnorm"
)

// undo is one KV write to take back.
type undo struct {
	id, key string
	val     []byte         // the object the write put in KV
	prev    map[string]any // the stored record it replaced; nil: it created the key
	row     []any          // a create's D1 row (takenBy compares it)
}

// compensate takes back KV writes whose D1 rows a constraint refused. A
// constraint failure is definite (D1 wrote nothing of the statement or
// batch), so the caller gets a *ConstraintError (ErrConflict) naming the
// constraint once KV holds again what it held before (see takeBack). If
// KV cannot be put back, the records are a partial write for `dmplan
// reconcile`.
func (h *Handle) compensate(ctx context.Context, verb string, m *model, ns string, us []undo, d1err error) error {
	ctx, cancel := repairContext(ctx)
	defer cancel()
	if err := h.takeBack(ctx, m, ns, us); err != nil {
		return &PartialWriteError{Model: m.name, IDs: undoIDs(us), Err: errors.Join(d1err, fmt.Errorf("restore kv: %w", err))}
	}
	c := constraintName(d1err)
	return &ConstraintError{Op: verb, Model: m.name, IDs: undoIDs(us), Constraint: c, Fields: m.constraintFields(c), Err: d1err}
}

// repairTimeout bounds the rest of a write once KV holds it (see
// repairContext).
const repairTimeout = time.Minute

// repairContext is the context the rest of a write runs in once its KV
// step took effect (the D1 step, then any repair of KV): the caller's
// values without its cancellation or deadline, bounded by repairTimeout.
// A caller that gives up then (a client hanging up) must not stop the
// write halfway: KV would keep a write D1 never saw (a partial write) or
// one D1 refused, which the next save of the record would read and carry.
func repairContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), repairTimeout)
}

// takenBy handles creates with caller-chosen ids whose INSERT found the
// id's row already there: a row equal to the one the create meant to
// write is this very statement replayed (success); any other row is
// another write that took the id first, so the create is ErrConflict and
// its KV write is taken back.
func (h *Handle) takenBy(ctx context.Context, m *model, ns string, us []undo) error {
	ctx, cancel := repairContext(ctx)
	defer cancel()
	rows, err := h.ds.rowsByID(ctx, m, undoIDs(us))
	if err != nil {
		return &PartialWriteError{Model: m.name, IDs: undoIDs(us), Err: fmt.Errorf("the id's D1 row exists; read it: %w", notMigrated(err))}
	}
	var lost []undo
	for _, u := range us {
		if have, ok := rows[u.id]; !ok || !m.sameRow(u.row, have) {
			lost = append(lost, u)
		}
	}
	if len(lost) == 0 {
		return nil
	}
	if err := h.takeBack(ctx, m, ns, lost); err != nil {
		return &PartialWriteError{Model: m.name, IDs: undoIDs(lost), Err: fmt.Errorf("another write took the id in D1; restore kv: %w", err)}
	}
	ids := undoIDs(lost)
	if len(ids) > 5 {
		ids = append(ids[:5:5], fmt.Sprintf("and %d more", len(lost)-5))
	}
	return fmt.Errorf("create %s %s: %w (another write took the id first; KV was put back)", m.name, strings.Join(ids, ", "), ErrConflict)
}

// takeBack puts KV back as it was before the writes of us, which D1 did
// not accept. The caller holds the records' locks, so no other write of
// this Datastore runs on them meanwhile. For each record:
//
//   - KV holds neither this write's object nor what it replaced (see
//     stillMine): another write (of another process) came after it, and
//     its object stays.
//   - D1 has no row for the id: a create is removed, an update's previous
//     object is put back.
//   - Otherwise the row is the last write D1 accepted, and KV gets the
//     object whose projection it is: the last object this Datastore wrote
//     for the record (memo) or the one the write replaced (prev). When it
//     is neither, a write of another process came between the read this
//     write started from and its KV write, and was overwritten by it; its
//     object is rebuilt from prev and the row's columns (KV-only fields it
//     changed cannot be recovered), and a warning names the record.
//
// This costs a KV read and a D1 read besides the KV writes; it runs only
// after D1 refused a row. Across processes KV has no compare-and-swap:
// a write of another process landing between the read and the put back
// is overwritten (the window is one request long).
func (h *Handle) takeBack(ctx context.Context, m *model, ns string, us []undo) error {
	t := time.Now()
	// What KV and D1 hold now, read in one round trip on a backend that
	// pipelines: the KV objects, then the D1 rows of the ids.
	keys := make([]string, len(us))
	ids := make([]string, len(us))
	for i, u := range us {
		keys[i], ids[i] = u.key, u.id
	}
	ops := []backend.Op{{Kind: backend.OpKVGetMany, NS: ns, Keys: keys}}
	if len(us) == 1 {
		ops[0] = backend.Op{Kind: backend.OpKVGet, NS: ns, Key: us[0].key}
	}
	sts := rowsStmts(m, ids)
	if len(sts) == 1 {
		ops = append(ops, backend.Op{Kind: backend.OpD1Query, Stmt: sts[0]})
	} else {
		ops = append(ops, backend.Op{Kind: backend.OpD1Batch, Stmts: sts})
	}
	out, err := backend.RunOpsMetered(ctx, h.ds.b, ops)
	if err != nil {
		if len(out) == 0 {
			return fmt.Errorf("kv get: %w", opErr(err))
		}
		return fmt.Errorf("read d1 rows: %w", notMigrated(opErr(err)))
	}
	cur := out[0].Values
	if len(us) == 1 {
		cur = map[string][]byte{}
		if out[0].Found {
			cur[us[0].key] = out[0].Entry.Value
		}
	}
	var mine []undo
	for _, u := range us {
		if m.stillMine(u, cur) {
			mine = append(mine, u)
			continue
		}
		h.ds.log.LogAttrs(ctx, slog.LevelInfo, "runtime.compensate",
			slog.String("model", m.name), slog.String("id", u.id), slog.String("outcome", "kept_later_write"),
			slog.String("hint", "KV holds a later write than the refused one; it is left as it is"))
	}
	if len(mine) == 0 {
		return nil
	}
	rows, err := parseRows(m, out[1].Results)
	if err != nil {
		return fmt.Errorf("read d1 rows: %w", err)
	}
	var del []string
	var put []backend.Entry
	for _, u := range mine {
		val, rebuilt, err := h.previous(m, u, rows)
		if err != nil {
			return err
		}
		if rebuilt {
			h.ds.log.LogAttrs(ctx, slog.LevelWarn, "runtime.compensate",
				slog.String("model", m.name), slog.String("id", u.id), slog.String("outcome", "rebuilt_from_d1"),
				slog.String("hint", "another process wrote the record while this refused save ran; its object was rebuilt from its D1 row, and KV-only fields it changed may be lost"))
		}
		if val == nil {
			del = append(del, u.key)
		} else {
			put = append(put, backend.Entry{Key: u.key, Value: val})
		}
		if m.refusable {
			h.ds.memo.set(lockKey(m, u.id), val)
		}
	}
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
		for _, u := range mine {
			h.ds.memo.set(lockKey(m, u.id), nil)
		}
		return err
	}
	h.ds.logBulkStep(ctx, "kv.compensate", m.name, len(us), len(del)+len(put), t)
	return nil
}

// stillMine reports whether KV (cur, read after D1 refused u) may still
// hold u's write, so that putting KV back cannot erase a later write: it
// holds u's object, or a read that missed u's put (Workers KV reads may
// lag a write) shows what u replaced: no key for a create, prev's object
// for an update. Putting back is harmless in those cases.
func (m *model) stillMine(u undo, cur map[string][]byte) bool {
	v, ok := cur[u.key]
	switch {
	case !ok:
		return u.prev == nil
	case bytes.Equal(v, u.val):
		return true
	case u.prev != nil:
		old, err := m.encode(u.prev)
		return err == nil && bytes.Equal(v, old)
	}
	return false
}

// previous returns the object KV must hold again for u (nil: no object),
// and whether it had to be rebuilt from the D1 row.
func (h *Handle) previous(m *model, u undo, rows map[string][]any) ([]byte, bool, error) {
	row, ok := rows[u.id]
	if !ok {
		if u.prev == nil {
			return nil, false, nil
		}
		val, err := m.encode(u.prev)
		return val, false, err
	}
	if last := h.ds.memo.get(lockKey(m, u.id)); last != nil {
		if data, err := decodeObject(m, last); err == nil && m.projects(data, row) {
			return last, false, nil
		}
	}
	if u.prev != nil && m.projects(u.prev, row) {
		val, err := m.encode(u.prev)
		return val, false, err
	}
	val, err := m.encode(m.rebuild(u.prev, row))
	return val, true, err
}

// projects reports whether row is the D1 projection of data.
func (m *model) projects(data map[string]any, row []any) bool {
	want := make([]any, len(m.cols))
	if err := m.rowArgs(data, want); err != nil {
		return false
	}
	return m.sameRow(want, row)
}

// sameRow compares two rows of column values (as rowArgs makes them or D1
// returns them) column by column, as sameColumn does.
func (m *model) sameRow(a, b []any) bool {
	if len(a) != len(m.cols) || len(b) != len(m.cols) {
		return false
	}
	for i := range m.cols {
		if !m.sameColumn(i, a[i], b[i]) {
			return false
		}
	}
	return true
}

// rebuild returns base (copied; nil for none) with the values of the D1
// row's columns, and the _auth a new record would get when base has none.
func (m *model) rebuild(base map[string]any, row []any) map[string]any {
	data := make(map[string]any, len(m.fields))
	for k, v := range base {
		data[k] = v
	}
	for i, f := range m.cols {
		data[f.Name] = fromColumn(f.Type, row[i])
	}
	if _, ok := data["_auth"]; m.auth && !ok {
		if u, _ := data["user_id"].(string); m.owned && u != "" {
			data["_auth"] = []any{u}
		} else {
			data["_auth"] = []any{}
		}
	}
	return data
}

// rowsByID reads the D1 rows of the ids, by id (one request per 100 ids).
func (ds *Datastore) rowsByID(ctx context.Context, m *model, ids []string) (map[string][]any, error) {
	sts := rowsStmts(m, ids)
	var res []*backend.Result
	switch {
	case len(sts) == 1:
		r, err := ds.d1.Query(ctx, sts[0])
		if err != nil {
			return nil, err
		}
		res = []*backend.Result{r}
	case len(sts) > 1:
		var err error
		if res, err = ds.d1.Batch(ctx, sts); err != nil {
			return nil, err
		}
	}
	return parseRows(m, res)
}

// rowsStmts are the statements reading the D1 rows of the ids, 100 ids
// each.
func rowsStmts(m *model, ids []string) []backend.Stmt {
	var sts []backend.Stmt
	for from := 0; from < len(ids); from += backend.MaxParams {
		chunk := ids[from:min(from+backend.MaxParams, len(ids))]
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		sts = append(sts, backend.Stmt{SQL: m.selectByPK + "?" + strings.Repeat(", ?", len(chunk)-1) + ")", Args: args})
	}
	return sts
}

// parseRows maps the rows rowsStmts read by id.
func parseRows(m *model, res []*backend.Result) (map[string][]any, error) {
	out := map[string][]any{}
	for _, r := range res {
		for _, row := range r.Rows {
			if len(row) != len(m.cols) {
				return nil, fmt.Errorf("row of %d columns, want %d", len(row), len(m.cols))
			}
			if id := idText(fromColumn(m.cols[0].Type, row[0])); id != "" {
				out[id] = row
			}
		}
	}
	return out, nil
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

// constraintFields returns the model's fields a constraint text names:
// "UNIQUE constraint failed: projects.org, projects.slug" names columns,
// "UNIQUE constraint failed: index 'projects_by_email'" (an index with an
// expression key) names one of the model's indexes, whose columns and the
// columns its expressions read are the fields. nil when it names neither.
func (m *model) constraintFields(constraint string) []string {
	_, rest, ok := strings.Cut(constraint, "constraint failed: ")
	if !ok {
		return nil
	}
	var out []string
	add := func(name string) {
		if i, ok := m.colFold(name); ok && !slices.Contains(out, m.cols[i].Name) {
			out = append(out, m.cols[i].Name)
		}
	}
	if name, ok := strings.CutPrefix(rest, "index '"); ok {
		name = strings.TrimSuffix(name, "'")
		for _, ix := range m.spec.D1.Indexes {
			if !strings.EqualFold(ix.Name, name) {
				continue
			}
			for i, c := range ix.Columns {
				if i < len(ix.Keys) && ix.Keys[i].Expr != "" {
					if toks, ok := sqlnorm.Tokenize(ix.Keys[i].Expr); ok {
						for _, n := range sqlnorm.Refs(toks) {
							add(n)
						}
					}
					continue
				}
				add(c)
			}
		}
		return out
	}
	for _, part := range strings.Split(rest, ",") {
		part = strings.TrimSpace(part)
		if _, col, ok := strings.Cut(part, "."); ok {
			add(col)
		}
	}
	return out
}

// colFold returns the position of the synced field named name, ignoring
// ASCII case as SQLite does.
func (m *model) colFold(name string) (int, bool) {
	if i, ok := m.colIdx[name]; ok {
		return i, true
	}
	for i, f := range m.cols {
		if strings.EqualFold(f.Name, name) {
			return i, true
		}
	}
	return 0, false
}
