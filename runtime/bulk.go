package runtime

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dmplan/dmplan/backend"
)

// MaxBatchStatements is how many D1 statements SaveMany sends per batch
// request.
const MaxBatchStatements = 100

// CreateMany creates records from data (the maps are copied) in bulk; see
// SaveMany. On a partial write (ErrPartialWrite) it returns the records
// too: SaveMany(ctx, recs) retries them and repairs the D1 rows.
func (h *Handle) CreateMany(ctx context.Context, model string, data []map[string]any) ([]*Record, error) {
	m, err := h.ds.model(model)
	if err != nil {
		return nil, err
	}
	recs := make([]*Record, len(data))
	for i, d := range data {
		recs[i] = &Record{h: h, m: m, data: maps.Clone(d)}
		if recs[i].data == nil {
			recs[i].data = map[string]any{}
		}
	}
	if err := h.SaveMany(ctx, recs); err != nil {
		if errors.Is(err, ErrPartialWrite) {
			return recs, err
		}
		return nil, err
	}
	return recs, nil
}

// staged is one record of a bulk save, prepared and validated.
type staged struct {
	r     *Record
	ev    *Event
	key   string
	val   []byte
	row   []any
	given bool           // the caller chose the id of a new record
	keys  map[string]any // a create's key columns, restored after before hooks
}

// SaveMany saves new and changed records (of any models) in bulk: every
// record is validated first and one ValidationError lists the failures by
// index; then before hooks run; then every KV object is written with bulk
// puts, then the D1 rows with multi-row upserts of at most 100 bound
// parameters each, sent MaxBatchStatements statements per batch request;
// then after hooks run. A rejection or invalid record writes nothing.
// Records of models with middleware (Use) are written one by one.
func (h *Handle) SaveMany(ctx context.Context, recs []*Record) (err error) {
	start := time.Now()
	var name string
	if len(recs) > 0 && recs[0].m != nil {
		name = recs[0].m.name
	}
	ctx = opContext(ctx)
	defer func() {
		h.ds.logOp(ctx, "save_many", name, "", start, "saved "+strconv.Itoa(len(recs))+" records", err)
	}()
	if err := h.checkScope(); err != nil {
		return fmt.Errorf("save many: %w", err)
	}
	var st []*staged
	ve := &ValidationError{Model: name, Bulk: true}
	type recKey struct {
		m  *model
		id string
	}
	seen := map[recKey]int{}
	for i, r := range recs {
		if r == nil {
			ve.add(i, "", CodeRequired, "record is nil")
			continue
		}
		if r.err != nil {
			return fmt.Errorf("save many: record %d: %w", i, r.err)
		}
		if r.m.name != name {
			ve.Model = "records"
		}
		s, err := h.stage(ctx, r, i, ve)
		if err != nil {
			return fmt.Errorf("save many: record %d: %w", i, err)
		}
		if s != nil && s.ev.ID == "" {
			st = append(st, s) // D1 assigns the key
		} else if s != nil {
			k := recKey{s.r.m, s.ev.ID}
			if j, dup := seen[k]; dup {
				return fmt.Errorf("save many: records %d and %d are both %s %s: %w", j, i, s.r.m.name, s.ev.ID, ErrConflict)
			}
			seen[k] = i
			st = append(st, s)
		}
	}
	if len(ve.Fields) > 0 {
		return ve
	}
	if len(st) == 0 {
		return nil
	}
	// Records whose model has middleware take the one-by-one path.
	var bulk []*staged
	for _, s := range st {
		if hs := s.r.m.hooks.p.Load(); hs != nil && len(hs.ops[s.ev.Op].mws) > 0 {
			if err := h.saveOne(ctx, s.r); err != nil {
				return err
			}
			continue
		}
		bulk = append(bulk, s)
	}
	for _, s := range bulk {
		if err := h.before(ctx, s); err != nil {
			return err
		}
	}
	var kvBulk, d1Bulk []*staged
	for _, s := range bulk {
		if s.r.m.d1only {
			d1Bulk = append(d1Bulk, s)
		} else {
			kvBulk = append(kvBulk, s)
		}
	}
	for _, s := range kvBulk {
		if err := h.encode(s); err != nil {
			return err
		}
	}
	if len(kvBulk) > 0 {
		if err := h.writeMany(ctx, kvBulk); err != nil {
			return err
		}
	}
	if err := h.writeManyD1(ctx, d1Bulk); err != nil {
		return err
	}
	for _, s := range bulk {
		s.r.stored(s.ev.Data)
		h.after(ctx, s)
	}
	return nil
}

func (h *Handle) saveOne(ctx context.Context, r *Record) error {
	if r.orig == nil {
		return h.create(ctx, r)
	}
	return h.updateAs(ctx, r, plainUpdate, r.data)
}

// stage prepares and validates one record; nil means nothing to write.
func (h *Handle) stage(ctx context.Context, r *Record, i int, ve *ValidationError) (*staged, error) {
	m := r.m
	if r.orig == nil {
		given := r.data[m.pk] != nil && r.data[m.pk] != "" && (r.genID == "" || r.data[m.pk] != r.genID)
		n := len(ve.Fields)
		if len(m.sqlDefaults) > 0 {
			if err := h.fillSQLDefaults(ctx, m, r.data); err != nil {
				return nil, err
			}
		}
		if err := h.prepareCreate(m, r.data, i, ve); err != nil {
			return nil, err
		}
		if !given {
			r.genID, _ = r.data[m.pk].(string)
		}
		if len(ve.Fields) > n {
			return nil, nil
		}
		id := m.idOf(r.data)
		return &staged{r: r, given: given, keys: m.keyValues(r.data), ev: &Event{Model: m.name, Op: OpCreate, ID: id, UserID: h.user, Data: r.data, Changes: map[string]any{}}}, nil
	}
	if err := h.canWrite(m, r.orig); err != nil {
		return nil, fmt.Errorf("%s %v: %w", m.name, r.orig[m.pk], err)
	}
	if r.shared {
		return nil, nil // nothing was Set since the record was stored
	}
	n := len(ve.Fields)
	if err := h.prepareUpdate(ctx, m, r.data, r.orig, r.orig["deleted_at"], false, ve); err != nil {
		return nil, err
	}
	for j := n; j < len(ve.Fields); j++ {
		ve.Fields[j].Index = i
	}
	if len(ve.Fields) > n {
		return nil, nil
	}
	changes := diff(r.orig, r.data)
	delete(changes, "updated_at")
	if len(changes) == 0 {
		return nil, nil
	}
	if m.timestamps {
		r.data["updated_at"] = FormatTime(h.ds.now())
	}
	id := m.idOf(r.orig)
	return &staged{r: r, ev: &Event{Model: m.name, Op: OpUpdate, ID: id, UserID: h.user, Data: r.data, Changes: changes, Old: r.orig}}, nil
}

// checkFreeMany refuses caller-chosen ids of new records that are taken,
// with one bulk read per namespace (models in the order of st). The keys
// are those encode set.
func (h *Handle) checkFreeMany(ctx context.Context, st []*staged) error {
	var given grouped[*staged]
	for _, s := range st {
		if s.given {
			given.add(s.r.m, s)
		}
	}
	for _, m := range given.order {
		ns, err := m.namespace(ctx, h.ds.resolveNamespaces)
		if err != nil {
			return fmt.Errorf("save many %s: %w", m.name, err)
		}
		list := given.of[m]
		keys := make([]string, len(list))
		for i, s := range list {
			keys[i] = s.key
		}
		found, err := h.ds.kv.GetMany(ctx, ns, keys)
		if err != nil {
			return fmt.Errorf("save many %s: kv get many: %w", m.name, notMigrated(err))
		}
		for _, s := range list {
			if _, ok := found[s.key]; ok {
				return fmt.Errorf("save many: create %s %s: %w", m.name, s.ev.ID, ErrConflict)
			}
		}
	}
	return nil
}

// before runs a staged record's before hooks and re-checks its data.
func (h *Handle) before(ctx context.Context, s *staged) error {
	m := s.r.m
	hs := m.hooks.p.Load()
	if hs == nil || len(hs.ops[s.ev.Op].before) == 0 {
		return nil
	}
	for _, hk := range hs.ops[s.ev.Op].before {
		s.ev.Name = hk.event
		if err := callHook(ctx, hk.fn, s.ev); err != nil {
			return rejection(s.ev, hk, err)
		}
	}
	ve := &ValidationError{Model: m.name}
	if s.ev.Op == OpCreate {
		m.restoreKeys(s.ev.Data, s.keys)
		if err := h.prepareCreate(m, s.ev.Data, -1, ve); err != nil {
			return fmt.Errorf("create %s %s: %w", m.name, s.ev.ID, err)
		}
	} else {
		updatedAt := s.ev.Data["updated_at"]
		if err := h.prepareUpdate(ctx, m, s.ev.Data, s.r.orig, s.r.orig["deleted_at"], true, ve); err != nil {
			return fmt.Errorf("update %s %s: %w", m.name, s.ev.ID, err)
		}
		s.ev.Changes = diff(s.r.orig, s.ev.Data)
		delete(s.ev.Changes, "updated_at")
		if m.timestamps {
			s.ev.Data["updated_at"] = updatedAt
		}
	}
	if len(ve.Fields) > 0 {
		return ve
	}
	return nil
}

func (h *Handle) after(ctx context.Context, s *staged) {
	hs := s.r.m.hooks.p.Load()
	if hs == nil {
		return
	}
	for _, hk := range hs.ops[s.ev.Op].after {
		s.ev.Name = hk.event
		if err := callHook(ctx, hk.fn, s.ev); err != nil {
			h.ds.logHookError(ctx, s.ev, hk.event, err)
		}
	}
}

// encode builds a staged record's KV entry and D1 row, checking limits.
func (h *Handle) encode(s *staged) error {
	m := s.r.m
	var err error
	if s.key, err = m.key(s.ev.ID); err != nil {
		return fmt.Errorf("save %s %s: %w", m.name, s.ev.ID, err)
	}
	if s.val, err = m.encode(s.ev.Data); err != nil {
		return fmt.Errorf("save %s %s: encode: %w: %v", m.name, s.ev.ID, ErrInvalid, err)
	}
	if len(s.val) > backend.MaxValueBytes {
		return fmt.Errorf("save %s %s: %w: object is %d bytes, over the %d-byte KV value limit",
			m.name, s.ev.ID, ErrTooLarge, len(s.val), backend.MaxValueBytes)
	}
	s.row = make([]any, len(m.cols))
	if err := m.rowArgs(s.ev.Data, s.row); err != nil {
		return fmt.Errorf("save %s %s: %w", m.name, s.ev.ID, err)
	}
	return nil
}

// writeMany writes every KV object (bulk puts per namespace), then every
// D1 row (multi-row upserts, batched), holding the locks of every record
// (see recordLocks) from the taken-id check of the creates with
// caller-chosen ids to the end of any compensation. Those creates are
// multi-row INSERTs that never replace a row (see put).
func (h *Handle) writeMany(ctx context.Context, st []*staged) error {
	lockKeys := make([]string, len(st))
	for i, s := range st {
		lockKeys[i] = lockKey(s.r.m, s.ev.ID)
	}
	unlock, err := h.ds.locks.lock(ctx, lockKeys...)
	if err != nil {
		return fmt.Errorf("save many: %w", err)
	}
	defer unlock()
	if err := h.checkFreeMany(ctx, st); err != nil {
		return err
	}
	var g grouped[*staged]
	for _, s := range st {
		g.add(s.r.m, s)
	}
	order, byModel := g.order, g.of
	nss := make(map[*model]string, len(order))
	finishing := false
	for mi, m := range order {
		t := time.Now()
		ns, err := m.namespace(ctx, h.ds.resolveNamespaces)
		if err != nil {
			return h.takeBackPuts(ctx, nss, byModel, order[:mi], fmt.Errorf("save many %s: %w", m.name, err))
		}
		nss[m] = ns
		list := byModel[m]
		es := make([]backend.Entry, len(list))
		for i, s := range list {
			es[i] = backend.Entry{Key: s.key, Value: s.val}
		}
		if err := h.ds.kv.PutMany(ctx, ns, es); err != nil {
			// A bulk put is not atomic: some of its objects may be written.
			return h.takeBackPuts(ctx, nss, byModel, order[:mi+1], fmt.Errorf("save many %s: kv put many (%d objects): %w", m.name, len(es), notMigrated(err)))
		}
		h.ds.logBulkStep(ctx, "kv.put_many", m.name, len(es), 1, t)
		if !finishing {
			// KV holds writes: finish them even if the caller gives up now.
			var cancel context.CancelFunc
			ctx, cancel = repairContext(ctx)
			defer cancel()
			finishing = true
		}
	}
	t := time.Now()
	var sts []backend.Stmt
	var owners []stmtOwner
	for _, m := range order {
		var inserts, upserts []*staged
		for _, s := range byModel[m] {
			if s.given {
				inserts = append(inserts, s)
			} else {
				upserts = append(upserts, s)
			}
		}
		for _, group := range []struct {
			list   []*staged
			insert bool
		}{{upserts, false}, {inserts, true}} {
			tail := m.upsertTail
			if group.insert {
				tail = m.insertTail
			}
			rows := make([][]any, len(group.list))
			for i, s := range group.list {
				rows[i] = s.row
			}
			// Both may be replayed after a 5xx: a replayed INSERT of
			// creates with chosen ids finds its own rows (see put).
			for k, st := range m.rowStmts(rows, tail) {
				from := k * m.rowsPerStm
				sts = append(sts, st)
				owners = append(owners, stmtOwner{m, group.list[from:min(from+m.rowsPerStm, len(group.list))], group.insert})
			}
		}
	}
	var taken []*staged // creates whose INSERT found the id's row
	for from := 0; from < len(sts); from += MaxBatchStatements {
		to := min(from+MaxBatchStatements, len(sts))
		res, err := h.ds.d1.Batch(ctx, sts[from:to])
		if err != nil {
			if errors.Is(err, backend.ErrConstraint) {
				// A batch is atomic: none of its rows were written, nor
				// those of the batches after it.
				err := h.compensateMany(ctx, nss, owners[from:], from > 0, err)
				if len(taken) > 0 {
					err = errors.Join(err, h.takenMany(ctx, nss, taken))
				}
				return err
			}
			perr := &PartialWriteError{Err: notMigrated(err), written: true}
			// KV holds every record's object: saving the records again
			// repairs them, creates with chosen ids included (not those
			// another write took the id of).
			for _, s := range st {
				if s.given && !slices.Contains(taken, s) {
					s.r.genID = s.ev.ID
				}
			}
			for _, o := range owners[from:] {
				if perr.Model == "" {
					perr.Model = o.m.name
				} else if perr.Model != o.m.name && !strings.Contains(perr.Model, o.m.name) {
					perr.Model += "," + o.m.name
				}
				for _, s := range o.st {
					perr.IDs = append(perr.IDs, s.ev.ID)
				}
			}
			if len(taken) > 0 {
				// Creates of earlier batches whose ids another write
				// took: KV must not keep their objects.
				return errors.Join(perr, h.takenMany(ctx, nss, taken))
			}
			return perr
		}
		for i, o := range owners[from:to] {
			if o.insert && i < len(res) && res[i].Changes < int64(len(o.st)) {
				taken = append(taken, o.st...)
			}
		}
	}
	for _, s := range st {
		if s.r.m.refusable {
			h.ds.memo.set(lockKey(s.r.m, s.ev.ID), s.val)
		}
	}
	models := make([]string, len(order))
	for i, m := range order {
		models[i] = m.name
	}
	h.ds.logBulkStep(ctx, "d1.upsert_many", strings.Join(models, ","), len(st), len(sts), t)
	if len(taken) > 0 {
		return h.takenMany(ctx, nss, taken)
	}
	return nil
}

// takeBackPuts takes back the KV writes of the records of models after a
// KV failure of the bulk save (no D1 row was written yet), so that a KV
// failure writes nothing, as for one Save. When KV cannot be put back, the
// records are a partial write for `dmplan reconcile`.
func (h *Handle) takeBackPuts(ctx context.Context, nss map[*model]string, byModel map[*model][]*staged, models []*model, kvErr error) error {
	if len(models) == 0 {
		return kvErr
	}
	ctx, cancel := repairContext(ctx)
	defer cancel()
	for _, m := range models {
		us := make([]undo, len(byModel[m]))
		for i, s := range byModel[m] {
			us[i] = undo{id: s.ev.ID, key: s.key, val: s.val, prev: s.r.orig}
		}
		if err := h.takeBack(ctx, m, nss[m], us); err != nil {
			return &PartialWriteError{Model: m.name, IDs: undoIDs(us), Err: errors.Join(kvErr, fmt.Errorf("restore kv: %w", err))}
		}
	}
	return &takenBackError{err: kvErr}
}

// takenBackError is a KV failure of a bulk save whose writes were taken
// back. Taking them back settled the outcome, so it no longer matches
// backend.ErrOutcomeUnknown, although the KV failure did; every other
// cause still matches with errors.Is and errors.As.
type takenBackError struct{ err error }

func (e *takenBackError) Error() string {
	return e.err.Error() + " (the KV writes of this call were taken back: nothing was written)"
}

func (e *takenBackError) Is(target error) bool {
	return target != backend.ErrOutcomeUnknown && errors.Is(e.err, target)
}

// As lets errors.As find the KV failure's typed causes.
func (e *takenBackError) As(target any) bool { return errors.As(e.err, target) }

// takenMany sorts out the creates whose multi-row INSERT skipped rows (see
// takenBy); the other records of the call are saved.
func (h *Handle) takenMany(ctx context.Context, nss map[*model]string, taken []*staged) error {
	var g grouped[undo]
	for _, s := range taken {
		g.add(s.r.m, undo{id: s.ev.ID, key: s.key, val: s.val, row: s.row})
	}
	var errs []error
	for _, m := range g.order {
		if err := h.takenBy(ctx, m, nss[m], g.of[m]); err != nil {
			errs = append(errs, err)
		}
		for _, u := range g.of[m] {
			h.ds.memo.set(lockKey(m, u.id), nil)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("save many (the other records were saved): %w", err)
	}
	return nil
}

// stmtOwner is the model and records of one multi-row statement; insert:
// the creates with caller-chosen ids, which never replace a row.
type stmtOwner struct {
	m      *model
	st     []*staged
	insert bool
}

// compensateMany takes back the KV writes of records whose D1 rows were not
// written because a batch broke a constraint (see compensate).
func (h *Handle) compensateMany(ctx context.Context, nss map[*model]string, owners []stmtOwner, earlier bool, d1err error) error {
	var g grouped[undo]
	for _, o := range owners {
		for _, s := range o.st {
			g.add(o.m, undo{id: s.ev.ID, key: s.key, val: s.val, prev: s.r.orig})
		}
	}
	var errs []error
	for _, m := range g.order {
		errs = append(errs, h.compensate(ctx, "save", m, nss[m], g.of[m], d1err))
	}
	err := errors.Join(errs...)
	if earlier {
		return fmt.Errorf("save many (the records of earlier batches were saved): %w", err)
	}
	return fmt.Errorf("save many: %w", err)
}

// grouped holds values by model, the models in the order they first
// appear (a bulk call writes and reports them in that order).
type grouped[T any] struct {
	order []*model
	of    map[*model][]T
}

func (g *grouped[T]) add(m *model, v T) {
	if g.of == nil {
		g.of = map[*model][]T{}
	}
	if _, ok := g.of[m]; !ok {
		g.order = append(g.order, m)
	}
	g.of[m] = append(g.of[m], v)
}
