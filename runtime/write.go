package runtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/hclspec"
)

// create is Save of a new record: the spec's storage strategy in order.
func (h *Handle) create(ctx context.Context, r *Record) (err error) {
	m := r.m
	start := time.Now()
	ctx = opContext(ctx)
	defer func() { h.ds.logOp(ctx, "save", m.name, r.ID(), start, "created", err) }()
	if err := h.checkScope(); err != nil {
		return fmt.Errorf("create %s: %w", m.name, err)
	}
	data := r.data
	given := data[m.pk] != nil && data[m.pk] != "" && (r.genID == "" || data[m.pk] != r.genID)
	ve := &ValidationError{Model: m.name}
	if len(m.sqlDefaults) > 0 {
		if err := h.fillSQLDefaults(ctx, m, data); err != nil {
			return fmt.Errorf("create %s: %w", m.name, err)
		}
	}
	if err := h.prepareCreate(m, data, -1, ve); err != nil {
		return fmt.Errorf("create %s: %w", m.name, err)
	}
	if !given {
		r.genID = r.ID()
	}
	if len(ve.Fields) > 0 {
		return ve
	}
	id := r.ID()
	if m.d1only {
		keys := m.keyValues(data)
		ev := &Event{Model: m.name, Op: OpCreate, ID: id, UserID: h.user, Data: data, Changes: map[string]any{}}
		ev.write = func(ctx context.Context, ev *Event) error {
			if m.hooked(OpCreate) {
				m.restoreKeys(ev.Data, keys)
				ve := &ValidationError{Model: m.name}
				if err := h.prepareCreate(m, ev.Data, -1, ve); err != nil {
					return fmt.Errorf("create %s %s: %w", m.name, id, err)
				}
				if len(ve.Fields) > 0 {
					return ve
				}
			}
			row, err := h.createD1(ctx, m, ev.Data)
			if err != nil {
				return err
			}
			ev.Data = row
			ev.ID = m.idOf(row)
			return nil
		}
		if err := h.ds.run(ctx, m, ev); err != nil {
			return err
		}
		r.genID = ""
		r.stored(ev.Data)
		return nil
	}
	ns, err := m.namespace(ctx, h.ds.resolveNamespaces)
	if err != nil {
		return fmt.Errorf("create %s %s: %w", m.name, id, err)
	}
	ev := &Event{Model: m.name, Op: OpCreate, ID: id, UserID: h.user, Data: data, Changes: map[string]any{}}
	ev.write = func(ctx context.Context, ev *Event) error {
		if m.hooked(OpCreate) {
			if err := h.recheckCreate(m, ev, id); err != nil {
				return err
			}
		}
		return h.put(ctx, "save", m, ns, id, ev.Data, nil, given)
	}
	if err := h.ds.run(ctx, m, ev); err != nil {
		if pw := (*PartialWriteError)(nil); given && errors.As(err, &pw) && pw.written {
			r.genID = id // KV holds this create's object: a retry repairs it
		}
		return err
	}
	r.stored(ev.Data)
	return nil
}

// prepareCreate sets the id, owner, _auth, timestamps and defaults of a new
// record and validates it. It returns ErrForbidden when a scoped handle
// names another owner.
func (h *Handle) prepareCreate(m *model, data map[string]any, index int, ve *ValidationError) error {
	switch v := data[m.pk]; {
	case len(m.pks) > 1 || m.intKey:
		// Integer and composite keys are the caller's, or D1's (dbFills).
		for _, p := range m.pks {
			if data[p] == nil && !m.dbFills(m.fields[p]) {
				ve.add(index, p, CodeRequired, "is required: it is part of the primary key, which the caller chooses")
			}
		}
	case v == nil || v == "":
		data[m.pk] = h.ds.newID()
	}
	if _, ok := m.fields["user_id"]; ok && m.spec.Options.UserTracking {
		if h.scoped {
			switch u := data["user_id"]; {
			case u == nil || u == "":
				data["user_id"] = h.user
			case u != h.user:
				return fmt.Errorf("%w: a user cannot create a record owned by another user", ErrForbidden)
			}
		}
	}
	if m.auth {
		switch u, _ := data["user_id"].(string); {
		case m.owned && data["_auth"] != nil:
			// The creator may share the new record: the list must name
			// the owner (JS readers check _auth.includes(user)).
			setAuth(data, u, index, ve)
		case m.owned:
			if u != "" {
				data["_auth"] = []any{u}
			}
		case h.scoped:
			// No owner: only System sets the list. A scoped creator may
			// name just itself, what the runtime sets anyway.
			if v := data["_auth"]; v != nil {
				if nv, msg := normalize(hclspec.Array, v); msg != "" || !equalValues(nv, []any{h.user}) {
					ve.add(index, "_auth", CodeReadOnly, "is read-only: on a model without user_tracking only System sets it")
				}
			}
			data["_auth"] = []any{h.user}
		case data["_auth"] == nil:
			data["_auth"] = []any{}
		default:
			setAuth(data, "", index, ve)
		}
	}
	if m.timestamps {
		now := FormatTime(h.ds.now())
		data["created_at"] = now
		data["updated_at"] = now
	}
	if m.soft {
		data["deleted_at"] = nil
	}
	for _, f := range m.spec.Fields {
		if f.Default != nil && data[f.Name] == nil {
			data[f.Name] = cloneJSON(f.Default)
		}
	}
	validate(m, data, nil, index, ve)
	return nil
}

// recheckCreate re-applies the rules a before hook could have broken.
func (h *Handle) recheckCreate(m *model, ev *Event, id string) error {
	ev.Data[m.pk] = m.typedID(id)
	ve := &ValidationError{Model: m.name}
	if err := h.prepareCreate(m, ev.Data, -1, ve); err != nil {
		return fmt.Errorf("create %s %s: %w", m.name, id, err)
	}
	if len(ve.Fields) > 0 {
		return ve
	}
	return nil
}

// checkFree refuses a caller-chosen id that is already taken. The caller
// holds the record's lock, so within the Datastore no other create of the
// id runs between this read and the KV write; across processes the D1
// insert decides (see put).
func (h *Handle) checkFree(ctx context.Context, m *model, ns, id string) error {
	key, err := m.key(id)
	if err != nil {
		return fmt.Errorf("create %s: %w", m.name, err)
	}
	_, found, err := h.ds.kvGet(ctx, ns, key)
	switch {
	case err != nil:
		return fmt.Errorf("create %s %s: kv get: %w", m.name, id, notMigrated(err))
	case found:
		return fmt.Errorf("create %s %s: %w", m.name, id, ErrConflict)
	}
	return nil
}

type updateKind int

const (
	plainUpdate updateKind = iota
	restoreUpdate
	softDelete
)

// updateAs writes the changes of a stored record: a plain update (data is
// the record's own map), a restore or a soft delete (data is a copy of the
// stored object with deleted_at changed).
func (h *Handle) updateAs(ctx context.Context, r *Record, kind updateKind, data map[string]any) (err error) {
	m := r.m
	id := m.idOf(r.orig)
	start := time.Now()
	name, outcome, op := "save", "updated", OpUpdate
	switch kind {
	case restoreUpdate:
		name, outcome = "restore", "restored"
	case softDelete:
		name, outcome, op = "delete", "soft_deleted", OpDelete
	}
	ctx = opContext(ctx)
	defer func() { h.ds.logOp(ctx, name, m.name, id, start, outcome, err) }()
	if err := h.checkScope(); err != nil {
		return fmt.Errorf("%s %s %s: %w", name, m.name, id, err)
	}
	if err := h.canWrite(m, r.orig); err != nil {
		return fmt.Errorf("%s %s %s: %w", name, m.name, id, err)
	}
	if kind == plainUpdate && r.shared {
		outcome = "unchanged" // nothing was Set since the record was stored
		return nil
	}
	// deleted_at is what a restore or soft delete sets (data holds it),
	// the stored value for a plain update.
	deletedAt := r.orig["deleted_at"]
	if kind != plainUpdate {
		deletedAt = data["deleted_at"]
	}
	ve := &ValidationError{Model: m.name}
	if err := h.prepareUpdate(ctx, m, data, r.orig, deletedAt, false, ve); err != nil {
		return fmt.Errorf("%s %s %s: %w", name, m.name, id, err)
	}
	if len(ve.Fields) > 0 {
		return ve
	}
	changes := diff(r.orig, data)
	delete(changes, "updated_at")
	if len(changes) == 0 {
		outcome = "unchanged"
		r.data = data
		return nil
	}
	updatedAt := FormatTime(h.ds.now())
	if m.timestamps {
		data["updated_at"] = updatedAt
	}
	ns := ""
	if !m.d1only {
		if ns, err = m.namespace(ctx, h.ds.resolveNamespaces); err != nil {
			return fmt.Errorf("%s %s %s: %w", name, m.name, id, err)
		}
	}
	ev := &Event{Model: m.name, Op: op, ID: id, UserID: h.user, Data: data, Changes: changes, Old: r.orig}
	ev.write = func(ctx context.Context, ev *Event) error {
		if m.hooked(op) {
			// Before hooks may have changed ev.Data: every kind re-applies
			// its rules, and deleted_at stays what this kind sets.
			ve := &ValidationError{Model: m.name}
			if err := h.prepareUpdate(ctx, m, ev.Data, r.orig, deletedAt, true, ve); err != nil {
				return fmt.Errorf("%s %s %s: %w", name, m.name, id, err)
			}
			if len(ve.Fields) > 0 {
				return ve
			}
			ev.Changes = diff(r.orig, ev.Data)
			delete(ev.Changes, "updated_at")
			if m.timestamps {
				ev.Data["updated_at"] = updatedAt
			}
		}
		if m.d1only {
			row, err := h.updateD1(ctx, name, m, ev.Data, r.orig, ev.Changes)
			if err != nil {
				return err
			}
			ev.Data = row
			return nil
		}
		return h.put(ctx, name, m, ns, id, ev.Data, r.orig, false)
	}
	if err := h.ds.run(ctx, m, ev); err != nil {
		return err
	}
	r.stored(ev.Data)
	return nil
}

// prepareUpdate refuses changes to the fields the runtime manages, keeps
// the rest of them, and validates. deletedAt is the value deleted_at must
// have on a soft-delete model: the stored one for a plain update, the one
// a restore or soft delete sets. An untouched stored value that no
// longer matches its field (a KV-only field changed type) is kept and
// logged at warn level, without its value (not again when recheck: the
// second pass after before hooks).
func (h *Handle) prepareUpdate(ctx context.Context, m *model, data, orig map[string]any, deletedAt any, recheck bool, ve *ValidationError) error {
	for _, p := range m.pks {
		if !equalValues(data[p], orig[p]) {
			ve.add(-1, p, CodeImmutable, "is the primary key and cannot change")
		}
	}
	if m.owned && !equalValues(data["user_id"], orig["user_id"]) {
		if h.scoped {
			return fmt.Errorf("%w: a user cannot give a record to another user", ErrForbidden)
		}
	}
	if m.timestamps {
		readOnly(m, data, orig, "created_at", ve)
	}
	if m.soft {
		readOnly(m, data, map[string]any{"deleted_at": deletedAt}, "deleted_at", ve)
	}
	if m.auth {
		owner, _ := orig["user_id"].(string)
		switch u, _ := data["user_id"].(string); {
		case m.owned && !equalValues(data["_auth"], orig["_auth"]):
			// Sharing: the owner (or System) sets the whole list.
			if h.scoped && h.user != owner {
				ve.add(-1, "_auth", CodeReadOnly, "is read-only: only the record's owner can share it")
				data["_auth"] = orig["_auth"]
				break
			}
			setAuth(data, u, -1, ve)
		case m.owned && u != owner && u != "":
			// A reassign (System only) hands the owner's place in the
			// list to the new owner; the other entries stay.
			data["_auth"] = reassignAuth(orig["_auth"], owner, u)
		case m.owned:
			// Untouched: kept exactly as stored, entries another writer
			// (a Worker sharing the record) added included.
			data["_auth"] = orig["_auth"]
		case h.scoped:
			readOnly(m, data, orig, "_auth", ve)
			data["_auth"] = orig["_auth"]
		case !equalValues(data["_auth"], orig["_auth"]):
			setAuth(data, "", -1, ve)
		}
	}
	if m.timestamps {
		data["created_at"] = orig["created_at"]
		data["updated_at"] = orig["updated_at"]
	}
	if m.soft {
		data["deleted_at"] = deletedAt
	}
	stale := validateUpdate(m, data, orig, ve)
	if len(stale) > 0 && !recheck && h.ds.log.Enabled(ctx, slog.LevelWarn) {
		id := m.idOf(orig)
		h.ds.log.LogAttrs(ctx, slog.LevelWarn, "runtime.stale_value",
			slog.String("model", m.name), slog.String("id", id),
			slog.Any("fields", stale),
			slog.String("outcome", "kept"),
			slog.String("hint", "the stored value no longer matches the field's type or rule; it is kept until the field is set"))
	}
	return nil
}

// readOnly refuses a change of a field the runtime manages: the value must
// equal the stored one (or one of also, values the runtime would derive).
func readOnly(m *model, data, orig map[string]any, name string, ve *ValidationError, also ...any) {
	v, o := data[name], orig[name]
	if equalValues(v, o) {
		return // untouched: kept as stored, in whatever form it was written
	}
	if f := m.fields[name]; f != nil && v != nil {
		// Compare normalized forms: the same instant written as
		// 2026-01-01T10:00:05Z and as a time.Time is no change.
		if nv, msg := normalize(f.Type, v); msg == "" {
			v = nv
		}
		if no, msg := normalize(f.Type, o); msg == "" && o != nil {
			o = no
		}
	}
	if equalValues(v, o) {
		return
	}
	for _, a := range also {
		if equalValues(v, a) {
			return
		}
	}
	ve.add(-1, name, CodeReadOnly, "is read-only: the runtime manages it")
}

// put is the dual write: every limit checked first, then KV, then D1; verb
// ("save", "delete", "restore") starts its errors. prev is the stored
// record an update replaces (nil for a create). It holds the record's
// lock (see recordLocks) from the taken-id check of a create with a
// caller-chosen id (given) to the end of any compensation.
//
// The D1 statement of a create with a caller-chosen id is an INSERT that
// never replaces a row, so D1 decides which of several creates of the id
// wins, across processes too: a create that finds the id's row taken by
// another write is ErrConflict and its KV write is taken back (see
// compensate). Every other save upserts. When D1 refuses the row for a
// constraint the KV write is taken back and the error is a
// *ConstraintError (ErrConflict); any other D1 failure is a partial write.
func (h *Handle) put(ctx context.Context, verb string, m *model, ns, id string, data, prev map[string]any, given bool) error {
	key, err := m.key(id)
	if err != nil {
		return fmt.Errorf("%s %s %s: %w", verb, m.name, id, err)
	}
	val, err := m.encode(data)
	if err != nil {
		return fmt.Errorf("%s %s %s: encode: %w: %v", verb, m.name, id, ErrInvalid, err)
	}
	if len(val) > backend.MaxValueBytes {
		return fmt.Errorf("%s %s %s: %w: object is %d bytes, over the %d-byte KV value limit",
			verb, m.name, id, ErrTooLarge, len(val), backend.MaxValueBytes)
	}
	args := make([]any, len(m.cols))
	if err := m.rowArgs(data, args); err != nil {
		return fmt.Errorf("%s %s %s: %w", verb, m.name, id, err)
	}
	unlock, err := h.ds.locks.lock(ctx, lockKey(m, id))
	if err != nil {
		return fmt.Errorf("%s %s %s: %w", verb, m.name, id, err)
	}
	defer unlock()
	if given {
		if err := h.checkFree(ctx, m, ns, id); err != nil {
			return err
		}
	}
	t := time.Now()
	// The caller's context bounds the start. Once the request carrying
	// the KV write is sent, the write is finished even if the caller gives
	// up (repairContext): a dual write must not stop between KV and D1.
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s %s %s: kv put: %w", verb, m.name, id, err)
	}
	ctx, cancel := repairContext(ctx)
	defer cancel()
	sql := m.upsert1
	if given {
		sql = m.insert1
	}
	// KV first, then D1: one round trip on a backend that pipelines (the
	// gateway), two calls elsewhere. Both may be replayed after a 5xx
	// (backend.Stmt.Idempotent; a KV put is): an upsert writes the same
	// row again; the second run of the INSERT of a create with a chosen id
	// finds the row its first run wrote, which takenBy tells from another
	// write's row (equal columns: success).
	out, err := backend.RunOpsMetered(ctx, h.ds.b, []backend.Op{
		{Kind: backend.OpKVPut, NS: ns, Entry: backend.Entry{Key: key, Value: val}},
		{Kind: backend.OpD1Query, Stmt: backend.Stmt{SQL: sql, Args: args, Idempotent: true}},
	})
	if err != nil {
		d1, partial, cause := dualFailure(err)
		switch {
		case d1 && errors.Is(cause, backend.ErrConstraint):
			return h.compensate(ctx, verb, m, ns, []undo{{id: id, key: key, val: val, prev: prev}}, cause)
		case partial:
			// KV took the write and D1 did not, or the request carrying
			// both may have run in part: saving the record again (same
			// id) repairs it either way.
			return &PartialWriteError{Model: m.name, IDs: []string{id}, Err: notMigrated(cause), written: true}
		}
		return fmt.Errorf("%s %s %s: kv put: %w", verb, m.name, id, notMigrated(cause))
	}
	res := out[1].Results[0]
	if given && res.Changes == 0 {
		// The id's row exists: this statement ran before (a replayed
		// request) or another create took the id first.
		if err := h.takenBy(ctx, m, ns, []undo{{id: id, key: key, val: val, row: args}}); err != nil {
			return err
		}
	}
	h.ds.logStep(ctx, "kv.put+d1.upsert", m.name, id, t)
	if m.refusable {
		h.ds.memo.set(lockKey(m, id), val)
	}
	return nil
}

// rowArgs fills args with the D1 column values of data, refusing rows over
// the D1 row limit.
func (m *model) rowArgs(data map[string]any, args []any) error {
	size := 0
	for i, f := range m.cols {
		v, err := m.colValue(i, data[f.Name])
		if err != nil {
			return fmt.Errorf("encode column %s: %w: %v", f.Name, ErrInvalid, err)
		}
		args[i] = v
		size += columnSize(v)
	}
	if size > backend.MaxRowBytes {
		return fmt.Errorf("%w: D1 row is %d bytes, over the %d-byte row limit", ErrTooLarge, size, backend.MaxRowBytes)
	}
	return nil
}

// cloneJSON deep-copies maps and slices of a default value.
func cloneJSON(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = cloneJSON(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = cloneJSON(e)
		}
		return out
	}
	return v
}

// dualFailure sorts out the error of a KV-then-D1 pipeline (the KV op at
// index 0, the D1 op at 1): d1 when the D1 op failed (KV holds the
// write), partial when KV may hold the write D1 lacks (d1, or an unknown
// outcome); cause is the failing op's error. Otherwise the KV op failed
// and nothing was written.
func dualFailure(err error) (d1, partial bool, cause error) {
	var pe *backend.PipelineError
	d1 = errors.As(err, &pe) && pe.Index == 1
	return d1, d1 || errors.Is(err, backend.ErrOutcomeUnknown), opErr(err)
}

// setAuth checks an _auth value a caller set: an array of non-empty user
// ids that names the owner (when the model has one). It stores the
// normalized list, or adds a FieldError without values.
func setAuth(data map[string]any, owner string, index int, ve *ValidationError) {
	nv, msg := normalize(hclspec.Array, data["_auth"])
	list, _ := nv.([]any)
	if msg != "" || list == nil {
		ve.add(index, "_auth", CodeType, "must be an array of user ids")
		return
	}
	for _, e := range list {
		if s, ok := e.(string); !ok || s == "" {
			ve.add(index, "_auth", CodeType, "must be an array of user ids (non-empty strings)")
			return
		}
	}
	if owner != "" && !inAuth(list, owner) {
		ve.add(index, "_auth", CodeFormat, "must list the record's owner (user_id)")
		return
	}
	data["_auth"] = list
}

// reassignAuth returns the stored _auth with the previous owner replaced
// by the new one (added when the list did not name it).
func reassignAuth(stored any, prev, owner string) []any {
	list, _ := stored.([]any)
	out := make([]any, 0, len(list)+1)
	seen := false
	for _, e := range list {
		if e == prev || e == owner {
			if !seen {
				out = append(out, owner)
				seen = true
			}
			continue
		}
		out = append(out, e)
	}
	if !seen {
		out = append([]any{owner}, out...)
	}
	return out
}
