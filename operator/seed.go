package operator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/hcl/v2"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/planner"
	"github.com/dmplan/dmplan/runtime"
	"github.com/dmplan/dmplan/state"
)

// Seeds runs the seeds of a Datastore's Spec through its System handle:
// the same save path as any write, so KV and D1 stay consistent,
// validation applies and hooks run (with an empty user id).
//
// Conditions: if_empty writes when the model's table has no row besides
// the records of the model's other seeds (soft-deleted rows count), so
// every if_empty seed of a new table runs; if_missing writes when no row matches the
// seed's match fields; always writes when no row matches, or updates the
// matching record when its stored data differs from the seed's. A
// soft-deleted matching record counts as present and is left alone. A
// seed whose record is in KV without its D1 row (an earlier run whose D1
// step failed: a partial write) writes the row from the KV object, and
// its status says so; an always seed then updates it if it differs.
//
// Match fields default to the primary key when data sets it, else to
// every synced scalar field of data not computed by a function. A seed
// whose match field is computed by bcrypt, uuid or timestamp is an error:
// the value changes on every run, so the seed could never find its record.
//
// Fields computed by bcrypt, uuid or timestamp are written when the seed
// creates its record and never compared or rewritten afterwards: an always
// seed whose other fields equal the stored record writes nothing.
//
// Identity: a seed whose data sets the primary key uses it; otherwise the
// record id is a UUID version 5 (SHA-1) in SeedNamespace of
// "<model>\x00<seed name>\x00<JSON array of the match values>", so the
// same seed with the same match values always creates the same record and
// re-running never piles up duplicates.
//
// Values read from env.X are sensitive: they are never logged, and errors
// are scrubbed of them.
type Seeds struct {
	ds     *runtime.Datastore
	getenv func(string) (string, bool)
	// found is what the last Status found for the seeds Remember keeps.
	found map[string]SeedMemo
}

var _ applier.Seeder = (*Seeds)(nil)

// SeedNamespace is the UUID namespace of derived seed record ids.
var SeedNamespace = uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://github.com/dmplan/dmplan/seed"))

// NewSeeds returns the seed runner of the Datastore. getenv reads env.X (nil:
// os.LookupEnv).
func NewSeeds(ds *runtime.Datastore, getenv func(string) (string, bool)) *Seeds {
	return &Seeds{ds: ds, getenv: getenv}
}

// SeedError reports seeds that cannot run: an unset environment variable,
// a match field computed by a function, data that fails validation.
// Diagnostics point at the seed blocks and never hold a value.
// errors.Is(err, runtime.ErrInvalid) is true.
type SeedError struct {
	Diagnostics hcl.Diagnostics
}

func (e *SeedError) Error() string {
	var parts []string
	for _, d := range e.Diagnostics {
		if d.Severity != hcl.DiagError {
			continue
		}
		msg := d.Summary
		if d.Detail != "" {
			msg += ": " + d.Detail
		}
		if d.Subject != nil {
			msg = d.Subject.String() + ": " + msg
		}
		parts = append(parts, msg)
	}
	return "seeds: " + strings.Join(parts, "; ")
}

// Unwrap makes errors.Is(err, runtime.ErrInvalid) true.
func (e *SeedError) Unwrap() error { return runtime.ErrInvalid }

// Status checks every seed against the target and returns what each would
// write now, keyed by planner.SeedKey, for planner.WithSeedStatus. live is
// the inspected schema (nil: inspected here); a seed whose table or match
// column does not exist yet would write its record. All lookups go in one
// D1 batch; always seeds whose record exists add one KV read each, and
// seeds that would create their record one KV read each (plus one D1 read
// when KV holds an object under the seed's id: a create whose D1 step
// failed, whose row the seed then writes from KV).
func (s *Seeds) Status(ctx context.Context, live *state.Schema) (map[string]planner.SeedStatus, error) {
	return s.status(ctx, live, false, nil)
}

// PlanStatus is Status for a plan made without every env var the seeds
// read (a pull request's job has no seed secrets). A seed is evaluated as
// far as it can be without them, and what can be decided is: an if_missing
// seed whose match fields read no unset variable is looked up as usual,
// and is not planned when its record is there; an always seed compares the
// fields that read none (fields computed by bcrypt, uuid or timestamp are
// never compared anyway). Only when the answer depends on an unset
// variable — the record's identity, a compared field, or for if_empty
// another seed's identity — is the status Unknown. Every status names the
// unset variables (Unset): apply needs them.
//
// memos are the records apply remembered (Inspection.Seeds, see
// Remember): a seed whose identity reads an unset variable is then looked
// up by the record id apply found for it last, if its definition has not
// changed since. Its record there means present (an always seed still
// compares the fields it can); the plan cannot see a variable whose value
// changed since that apply.
func (s *Seeds) PlanStatus(ctx context.Context, live *state.Schema, memos map[string]SeedMemo) (map[string]planner.SeedStatus, error) {
	return s.status(ctx, live, true, memos)
}

func (s *Seeds) status(ctx context.Context, live *state.Schema, forPlan bool, memos map[string]SeedMemo) (map[string]planner.SeedStatus, error) {
	out := map[string]planner.SeedStatus{}
	if len(s.ds.Spec().Seeds) == 0 {
		return out, nil
	}
	var preps []*preparedSeed
	var diags hcl.Diagnostics
	for _, sd := range s.ds.Spec().Seeds {
		p, d := s.prepareSeed(sd, forPlan)
		diags = append(diags, d...)
		if p != nil {
			preps = append(preps, p)
		}
	}
	if diags.HasErrors() {
		return nil, &SeedError{Diagnostics: diags}
	}
	linkOthers(preps)
	if live == nil {
		var err error
		if live, err = backend.Inspect(ctx, s.ds.D1(), s.ds.KV()); err != nil {
			return nil, fmt.Errorf("seed status: inspect: %w", err)
		}
	}
	var stmts []backend.Stmt
	var asked []*preparedSeed
	for _, p := range preps {
		if why := p.notThere(live); why != "" {
			if p.idUnknown {
				out[p.key] = planner.SeedStatus{Records: 1, Reason: why, Unset: p.unset}
				continue
			}
			st, err := s.inKV(ctx, p, live, why)
			if err != nil {
				return nil, p.scrub(err)
			}
			st.Unset = p.unset
			out[p.key] = st
			continue
		}
		if p.seed.Condition == hclspec.SeedIfEmpty && p.othersUnknown {
			out[p.key] = planner.SeedStatus{Unknown: true, Unset: p.unset}
			continue
		}
		if p.idUnknown && p.seed.Condition != hclspec.SeedIfEmpty {
			// An if_empty seed's lookup needs no identity of its own.
			m, ok := memos[p.key]
			if !ok || m.Definition != p.definition(s.ds.Spec().Sources) {
				out[p.key] = planner.SeedStatus{Unknown: true, Unset: p.unset}
				continue
			}
			p.remembered = m.RecordID
			stmts = append(stmts, backend.Stmt{SQL: "SELECT " + p.m.QuotedPrimaryKey() + " FROM " + p.m.Table() + " WHERE " + p.m.QuotedPrimaryKey() + " = ? LIMIT 1", Args: []any{m.RecordID}})
			asked = append(asked, p)
			continue
		}
		st, err := p.lookup()
		if err != nil {
			return nil, p.scrub(fmt.Errorf("seed %s: %w", p.key, err))
		}
		stmts = append(stmts, st)
		asked = append(asked, p)
	}
	if len(stmts) == 0 {
		return out, nil
	}
	res, err := s.ds.D1().Batch(ctx, stmts)
	if err != nil {
		return nil, fmt.Errorf("seed status: %w", runtime.NotMigrated(err))
	}
	for i, p := range asked {
		found := firstString(res[i])
		if p.remembered != "" && found == "" {
			out[p.key] = planner.SeedStatus{Unknown: true, Unset: p.unset,
				Reason: "the record the last apply found for it is no longer in " + p.m.Spec().D1.Table}
			continue
		}
		st, err := s.decide(ctx, p, len(res[i].Rows) > 0, found)
		if err != nil {
			return nil, p.scrub(err)
		}
		if !forPlan && found != "" && len(p.seed.EnvNames()) > 0 && p.seed.Condition != hclspec.SeedIfEmpty {
			if s.found == nil {
				s.found = map[string]SeedMemo{}
			}
			s.found[p.key] = SeedMemo{Definition: p.definition(s.ds.Spec().Sources), RecordID: found}
		}
		st.status.Unset = p.unset
		if p.remembered != "" && st.status.Records == 0 && !st.status.Unknown {
			st.status.Reason = "the record the last apply found for it is in " + p.m.Spec().D1.Table +
				" (assuming " + strings.Join(p.unset, ", ") + " did not change since)"
		}
		out[p.key] = st.status
	}
	return out, nil
}

// inKV is the status of a seed whose table does not exist: it would write
// its record, unless the table's namespace already holds the record (the
// table was dropped by hand): the plan then refills the table from KV
// (planner.RefillPeeks), which restores the seed's row. It costs one KV
// read, only when the table is missing and its namespace exists.
func (s *Seeds) inKV(ctx context.Context, p *preparedSeed, live *state.Schema, why string) (planner.SeedStatus, error) {
	create := planner.SeedStatus{Records: 1, Reason: why}
	table := p.m.Spec().D1.Table
	if live.Table(table) != nil || p.m.D1Only() || p.id == "" || live.Namespace(p.m.NamespaceTitle()) == nil {
		return create, nil
	}
	key, err := p.m.Key(p.id)
	if err != nil {
		return create, nil // the create reports it
	}
	ns, err := p.m.Namespace(ctx)
	if err != nil {
		return create, nil
	}
	if _, err := s.ds.KV().Get(ctx, ns, key); errors.Is(err, backend.ErrKeyNotFound) {
		return create, nil
	} else if err != nil {
		return planner.SeedStatus{}, fmt.Errorf("seed %s: read kv: %w", p.key, err)
	}
	return planner.SeedStatus{Reason: "its record is in KV: the refill of table " + table + " from KV restores its row"}, nil
}

// RunSeed evaluates the seed again, checks its condition and writes what
// it must; it implements applier.Seeder. The outcome says what it wrote:
// records created or updated, a D1 row restored from the seed's KV
// object, or nothing, with the reason.
func (s *Seeds) RunSeed(ctx context.Context, model, name string) (out applier.SeedOutcome, err error) {
	start := time.Now()
	var p *preparedSeed
	var same []*preparedSeed // the model's seeds, for if_empty
	var diags hcl.Diagnostics
	for _, x := range s.ds.Spec().Seeds {
		if x.Model != model {
			continue
		}
		px, d := s.prepare(x)
		diags = append(diags, d...)
		if px != nil {
			same = append(same, px)
			if x.Name == name {
				p = px
			}
		}
	}
	if diags.HasErrors() {
		return out, &SeedError{Diagnostics: diags}
	}
	if p == nil {
		return out, fmt.Errorf("run seed %s: %w: the spec has no such seed", planner.SeedKey(model, name), runtime.ErrInvalid)
	}
	sd := p.seed
	linkOthers(same)
	defer func() {
		err = p.scrub(err)
		lvl, outcome := slog.LevelInfo, "seeded"
		switch {
		case err != nil:
			lvl, outcome = slog.LevelError, runtime.Outcome(err)
		case out.Restored > 0:
			outcome = "repaired_d1_row"
		case out.Written == 0:
			outcome = "unchanged"
		}
		attrs := []slog.Attr{slog.String("model", model), slog.String("seed", name),
			slog.String("condition", sd.Condition), slog.Int("records", out.Records()),
			slog.Duration("duration", time.Since(start)), slog.String("outcome", outcome)}
		if err != nil {
			attrs = append(attrs, slog.String("error", err.Error()))
		}
		s.ds.Logger().LogAttrs(ctx, lvl, "runtime.seed", attrs...)
	}()
	st, err := p.lookup()
	if err != nil {
		return out, fmt.Errorf("seed %s: %w", p.key, err)
	}
	res, err := s.ds.D1().Query(ctx, st)
	if err != nil {
		return out, fmt.Errorf("seed %s: look up: %w", p.key, runtime.NotMigrated(err))
	}
	d, err := s.decide(ctx, p, len(res.Rows) > 0, firstString(res))
	if err != nil {
		return out, err
	}
	switch {
	case d.status.Records == 0:
		return applier.SeedOutcome{Note: d.status.Reason}, nil
	case d.update != nil:
		return s.update(ctx, p, d.update)
	case d.repair != nil:
		return s.repair(ctx, p, d.repair)
	default:
		return s.create(ctx, p, d.id)
	}
}

// decision is what a seed would do: its status, and the stored record it
// would update or the id it would create.
type decision struct {
	status planner.SeedStatus
	update *runtime.Record
	id     string
	// repair is the D1 row to write from the seed's KV object, when KV
	// holds it and D1 has no row (see createOrRepair).
	repair []any
}

// decide turns a lookup result into what the seed would do.
func (s *Seeds) decide(ctx context.Context, p *preparedSeed, exists bool, foundID string) (decision, error) {
	table := p.m.Spec().D1.Table
	matchWords := strings.Join(p.match, ", ")
	switch p.seed.Condition {
	case hclspec.SeedIfEmpty:
		if exists {
			return decision{status: planner.SeedStatus{Reason: "table " + table + " has rows"}}, nil
		}
		return s.createOrRepair(ctx, p, "table "+table+" has no rows")
	case hclspec.SeedIfMissing:
		if exists {
			return decision{status: planner.SeedStatus{Reason: "a " + table + " row matches " + matchWords}}, nil
		}
		return s.createOrRepair(ctx, p, "no "+table+" row matches "+matchWords)
	}
	if !exists {
		return s.createOrRepair(ctx, p, "no "+table+" row matches "+matchWords)
	}
	r, err := s.ds.System().Get(ctx, p.m.Model(), foundID, runtime.IncludingDeleted())
	if errors.Is(err, runtime.ErrNotFound) || errors.Is(err, runtime.ErrNotMigrated) {
		// A D1 row without its KV object: writing the record repairs it.
		return decision{status: planner.SeedStatus{Records: 1, Reason: "the matching record is missing from KV"}, id: foundID}, nil
	}
	if err != nil {
		return decision{}, fmt.Errorf("seed %s: read stored record: %w", p.key, err)
	}
	if r.IsDeleted() {
		return decision{status: planner.SeedStatus{Reason: "the matching record is deleted; seeds leave deleted records alone"}}, nil
	}
	if fields := p.differs(r.Data()); len(fields) > 0 {
		return decision{status: planner.SeedStatus{Records: 1, Reason: "the stored record differs in " + strings.Join(fields, ", ")}, update: r}, nil
	}
	if fields := p.comparedUnknown(); len(fields) > 0 {
		return decision{status: planner.SeedStatus{Unknown: true, Reason: "the stored record may differ in " + strings.Join(fields, ", ")}}, nil
	}
	return decision{status: planner.SeedStatus{Reason: "the stored record holds the seed's data"}}, nil
}

// createOrRepair decides to create the seed's record, unless KV already
// holds an object under the seed's id and D1 has no row for it: a create
// whose D1 step failed (the seed's own, on an earlier apply). Creating
// again would find the id taken; the repair writes the row from the KV
// object instead, as a save of the record again or reconcile -fix would.
// It costs one KV read, and one D1 read when the object is there.
func (s *Seeds) createOrRepair(ctx context.Context, p *preparedSeed, why string) (decision, error) {
	create := decision{status: planner.SeedStatus{Records: 1, Reason: why}, id: p.id}
	if p.idUnknown || p.id == "" || p.m.D1Only() {
		// Its id reads an unset variable (apply checks KV), D1 assigns
		// it, or the model has no KV side: nothing to repair from KV.
		return create, nil
	}
	key, err := p.m.Key(p.id)
	if err != nil {
		return create, nil // the create reports it
	}
	ns, err := p.m.Namespace(ctx)
	if err != nil {
		return create, nil // not migrated yet: nothing can be in KV
	}
	e, err := s.ds.KV().Get(ctx, ns, key)
	if errors.Is(err, backend.ErrKeyNotFound) {
		return create, nil
	}
	if err != nil {
		return decision{}, fmt.Errorf("seed %s: read kv: %w", p.key, runtime.NotMigrated(err))
	}
	rows, err := p.m.Rows(ctx, []string{p.id})
	if err != nil {
		return decision{}, fmt.Errorf("seed %s: read d1 row: %w", p.key, runtime.NotMigrated(err))
	}
	if _, ok := rows[p.id]; ok {
		return create, nil // a row under the id that no longer matches: the create decides
	}
	row, problem := p.m.Project(p.id, e.Value)
	if problem != "" {
		return decision{status: planner.SeedStatus{Reason: "KV key " + key + " holds a value that is not a valid record (" + problem + ") and D1 has no row for it; dmplan reconcile reports it"}}, nil
	}
	return decision{status: planner.SeedStatus{Records: 1,
		Reason: "the seed's record is in KV without its D1 row (a write whose D1 step failed, or a row deleted by hand): the row is written back from KV"},
		id: p.id, repair: row}, nil
}

// repair writes the D1 row of a seed's KV object (createOrRepair).
func (s *Seeds) repair(ctx context.Context, p *preparedSeed, row []any) (applier.SeedOutcome, error) {
	if _, err := s.ds.D1().Batch(ctx, p.m.Upserts([][]any{row})); err != nil {
		if errors.Is(err, backend.ErrConstraint) {
			return applier.SeedOutcome{}, fmt.Errorf("seed %s: write the missing d1 row from kv: %w: %s", p.key, backend.ErrConstraint, runtime.ConstraintName(err))
		}
		return applier.SeedOutcome{}, fmt.Errorf("seed %s: write the missing d1 row from kv: %w", p.key, runtime.NotMigrated(err))
	}
	restored := applier.SeedOutcome{Restored: 1}
	if p.seed.Condition != hclspec.SeedAlways {
		return restored, nil
	}
	stored, err := s.ds.System().Get(ctx, p.m.Model(), p.id, runtime.IncludingDeleted())
	if err != nil {
		return restored, fmt.Errorf("seed %s: read stored record: %w", p.key, err)
	}
	if stored.IsDeleted() || len(p.differs(stored.Data())) == 0 {
		return restored, nil
	}
	o, err := s.update(ctx, p, stored)
	o.Restored = 1
	return o, err
}

// create saves the seed's record as new with the id.
func (s *Seeds) create(ctx context.Context, p *preparedSeed, id string) (applier.SeedOutcome, error) {
	r := s.ds.System().New(p.m.Model())
	r.SetAll(p.data)
	if _, given := p.data[p.m.PrimaryKey()]; !given && id != "" {
		r.Set(p.m.PrimaryKey(), id) // the derived id of a text key
	}
	err := r.Save(ctx)
	var ce *runtime.ConstraintError
	if errors.Is(err, runtime.ErrConflict) && !errors.As(err, &ce) {
		// The derived id is taken by a record that no longer matches (its
		// match fields were changed): an always seed updates it, the
		// other conditions leave it alone.
		taken := applier.SeedOutcome{Note: "a record with the seed's id exists but no longer matches; left alone"}
		if p.seed.Condition != hclspec.SeedAlways {
			s.ds.Logger().LogAttrs(ctx, slog.LevelWarn, "runtime.seed", slog.String("model", p.m.Model()),
				slog.String("seed", p.seed.Name), slog.String("id", id),
				slog.String("outcome", "id_taken"), slog.String("hint", "a record with the seed's id exists but no longer matches; left alone"))
			return taken, nil
		}
		stored, gerr := s.ds.System().Get(ctx, p.m.Model(), id, runtime.IncludingDeleted())
		if gerr != nil {
			return applier.SeedOutcome{}, fmt.Errorf("seed %s: read stored record: %w", p.key, gerr)
		}
		if stored.IsDeleted() {
			return applier.SeedOutcome{Note: "the record with the seed's id is deleted; seeds leave deleted records alone"}, nil
		}
		if len(p.differs(stored.Data())) == 0 {
			return applier.SeedOutcome{Note: "the stored record holds the seed's data"}, nil
		}
		return s.update(ctx, p, stored)
	}
	if err != nil {
		return applier.SeedOutcome{}, fmt.Errorf("seed %s: %w", p.key, err)
	}
	return applier.SeedOutcome{Written: 1}, nil
}

// update writes the seed's stable fields over the stored record.
func (s *Seeds) update(ctx context.Context, p *preparedSeed, r *runtime.Record) (applier.SeedOutcome, error) {
	for k, v := range p.data {
		if !p.volatile[k] && k != p.m.PrimaryKey() {
			r.Set(k, v)
		}
	}
	if err := r.Save(ctx); err != nil {
		return applier.SeedOutcome{}, fmt.Errorf("seed %s: %w", p.key, err)
	}
	return applier.SeedOutcome{Written: 1}, nil
}

func firstString(res *backend.Result) string {
	if res == nil || len(res.Rows) == 0 || len(res.Rows[0]) == 0 {
		return ""
	}
	switch v := res.Rows[0][0].(type) {
	case string:
		return v
	case []byte:
		return string(v)
	case int64:
		return strconv.FormatInt(v, 10) // an integer key, as Get takes it
	}
	return ""
}

// derivedID is the UUID v5 of a seed without a primary key in its data.
func derivedID(model, name string, matchValues []any) (string, error) {
	b, err := json.Marshal(matchValues)
	if err != nil {
		return "", fmt.Errorf("encode match values: %w", err)
	}
	key := model + "\x00" + name + "\x00" + string(b)
	return uuid.NewSHA1(SeedNamespace, []byte(key)).String(), nil
}

func sortedFields(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
