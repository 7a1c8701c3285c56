package planner

import (
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/state"
)

// maxColumns is D1's limit of columns per table (backend.MaxColumns; the
// planner does no I/O and does not import backend).
const maxColumns = 100

// Option adjusts Diff.
type Option func(*options)

type options struct {
	id    string
	now   time.Time
	seeds map[string]SeedStatus
	// pending are backfills an interrupted apply left unfinished.
	pending []PendingBackfill
	// duplicates are unique indexes whose table holds duplicate values.
	duplicates map[string]bool
	// checkFails are the added columns ("table.column") whose CHECK
	// fails on the live rows with the column's default (checkprobe.go).
	checkFails map[string]bool
	// gateway is what the account holds for the environment's gateway.
	gateway *GatewayLive
	// paid: the account is on a Workers Paid plan (WithPaidD1).
	paid bool
	// targets are the models a targeted plan covers (WithTargets).
	targets []string
	// stored says which models' KV namespaces hold objects (RefillPeeks).
	stored map[string]bool
	// ledgers are other tools' migrations tables (WithLedgers).
	ledgers []Ledger
	// fillKV plans FillKV steps (WithFillKV).
	fillKV bool
}

// WithID sets the plan id instead of a new random UUID.
func WithID(id string) Option { return func(o *options) { o.id = id } }

// WithTime sets the plan's CreatedAt instead of the current time.
func WithTime(t time.Time) Option { return func(o *options) { o.now = t } }

// Diff compares the schema the spec declares for the environment with the
// live one and returns the plan that brings live to desired using additive
// steps only. It does no I/O and never fails: what cannot be done safely
// becomes a Blocked step with a code, a reason and a hint.
//
// Steps come in a fixed order: create KV namespaces; create tables, each
// followed by its indexes; add columns; backfill the new columns of tables
// that hold rows (see backfills) and refill from KV the tables created
// while their model's namespace holds objects (see WithStoredObjects);
// create indexes on existing tables; deploy
// or update the gateway Worker (see WithGateway), once what it binds
// exists; seeds (in declaration order, see WithSeedStatus); then blocked
// steps.
// Within a phase, steps follow the table name, then the model's column and
// index order, so the same input always gives the same plan apart from ID
// and CreatedAt. Seed steps carry no values: apply evaluates the seed again
// from the spec and the environment.
func Diff(spec *hclspec.Spec, env string, live *state.Schema, opts ...Option) *Plan {
	o := options{}
	for _, fn := range opts {
		fn(&o)
	}
	if o.id == "" {
		o.id = uuid.NewString()
	}
	if o.now.IsZero() {
		o.now = time.Now().UTC()
	}
	if live == nil {
		live = &state.Schema{}
	}
	d := newDiffer(spec, env, live)
	d.duplicates = o.duplicates
	d.checkFails = o.checkFails
	d.pending = o.pending
	d.targets = o.targets
	scope := d.namespaces()
	for _, m := range d.models() {
		if !d.targeted(m.Name) {
			d.skipModel(m)
			continue
		}
		d.model(m)
	}
	d.unmanagedTables()
	d.ledgerNotes(o.ledgers)
	d.refills(o.stored)
	d.backfills(o.pending)
	if o.fillKV {
		d.fillKVs(o.pending)
	}
	d.seeds(o.seeds)
	var workerSteps []Step
	if len(d.targets) > 0 {
		if s := d.gatewayStep(o.gateway); s != nil {
			d.note(NoteTargetedGateway, s.Target, "the gateway Worker binds every model's namespace, so a plan with -target leaves it as it is; plan without -target to "+s.Action.String())
		}
	} else if s := d.gatewayStep(o.gateway); s != nil {
		workerSteps = append(workerSteps, *s)
	}

	steps := make([]Step, 0, len(d.nsSteps)+len(d.createSteps)+len(d.addSteps)+len(d.backfillSteps)+len(d.fillSteps)+len(d.indexSteps)+len(workerSteps)+len(d.seedSteps)+len(d.blocked))
	for _, phase := range [][]Step{d.nsSteps, d.createSteps, d.addSteps, d.backfillSteps, d.fillSteps, d.indexSteps, workerSteps, d.seedSteps, d.blocked} {
		steps = append(steps, phase...)
	}
	steps = d.keepTargeted(steps)
	d.estimate(steps, o.paid)
	p := &Plan{
		FormatVersion:  FormatVersion,
		ID:             o.id,
		CreatedAt:      o.now,
		NamespaceScope: scope,
		Steps:          steps,
		Notes:          d.notes,
		Targets:        d.targets,
	}
	p.Fingerprint = p.LiveFingerprint(live)
	p.FingerprintAfter = p.LiveFingerprint(d.after)
	return p
}

// differ holds one Diff's working state: the live tables by lower-cased
// name, the expected schema after the plan runs, and the steps per phase.
type differ struct {
	spec        *hclspec.Spec
	env         string
	live        *state.Schema
	byName      map[string]*state.Table // live tables, lower-cased names
	after       *state.Schema
	afterByName map[string]*state.Table
	claimed     map[string]string // lower table name -> model name
	// fkFromBlock: of the table alterTable compares, the columns (lower
	// case) whose declared REFERENCES is a one-column foreign_key block.
	fkFromBlock map[string]bool
	duplicates  map[string]bool   // index name -> its table holds duplicates
	targets     []string          // WithTargets: the models planned; none: all
	pending     []PendingBackfill // backfills an interrupted apply left
	probes      []UniqueIndexProbe
	checkFails  map[string]bool // WithCheckViolations
	checkProbes []CheckProbe
	refilled    []string // lower-cased tables created and refilled from KV

	nsSteps, createSteps, addSteps, backfillSteps, indexSteps, seedSteps, blocked []Step
	fillSteps                                                                     []Step // FillKV (fillkv.go)
	notes                                                                         []Note
}

func newDiffer(spec *hclspec.Spec, env string, live *state.Schema) *differ {
	if spec == nil {
		spec = &hclspec.Spec{}
	}
	d := &differ{
		spec:        spec,
		env:         env,
		live:        live,
		byName:      map[string]*state.Table{},
		after:       live.Clone(),
		afterByName: map[string]*state.Table{},
		claimed:     map[string]string{},
	}
	for _, t := range live.Tables {
		if t != nil && !state.IsInternalTable(t.Name) {
			d.byName[strings.ToLower(t.Name)] = t
		}
	}
	for _, t := range d.after.Tables {
		d.afterByName[strings.ToLower(t.Name)] = t
	}
	return d
}

// models returns the spec's models ordered by table name, then model name.
func (d *differ) models() []*hclspec.Model {
	ms := make([]*hclspec.Model, 0, len(d.spec.Models))
	for _, m := range d.spec.Models {
		if m != nil && m.D1.Table != "" {
			ms = append(ms, m)
		}
	}
	sort.SliceStable(ms, func(i, j int) bool {
		a, b := strings.ToLower(ms[i].D1.Table), strings.ToLower(ms[j].D1.Table)
		if a != b {
			return a < b
		}
		return ms[i].Name < ms[j].Name
	})
	return ms
}

// namespaces plans one CreateNamespace per declared title missing live and
// returns the declared titles, sorted.
func (d *differ) namespaces() []string {
	users := map[string][]string{} // title -> model names
	var kvNames = map[string]string{}
	for _, m := range d.spec.Models {
		if m == nil || m.KV.Namespace == "" {
			continue
		}
		title := d.spec.NamespaceTitle(d.env, m.KV.Namespace)
		users[title] = append(users[title], m.Name)
		kvNames[title] = m.KV.Namespace
	}
	liveNS := make(map[string]bool, len(d.live.Namespaces))
	for _, n := range d.live.Namespaces {
		if n != nil {
			liveNS[n.Title] = true
		}
	}
	titles := make([]string, 0, len(users))
	for t := range users {
		titles = append(titles, t)
	}
	sort.Strings(titles)
	for _, title := range titles {
		if liveNS[title] || !d.anyTargeted(users[title]) {
			continue
		}
		ms := users[title]
		sort.Strings(ms)
		d.nsSteps = append(d.nsSteps, Step{
			Action: CreateNamespace,
			Model:  ms[0],
			Target: title,
			Reason: modelList(ms) + " keep" + plural(len(ms), "s", "") + " records in KV namespace " + kvNames[title],
			Safe:   true,
		})
		d.after.Namespaces = append(d.after.Namespaces, &state.Namespace{Title: title})
	}
	return titles
}

// unmanagedTables notes live tables no model maps to.
func (d *differ) unmanagedTables() {
	names := make([]string, 0)
	virtual := map[string]string{} // name -> module
	for lower, t := range d.byName {
		if _, ok := d.claimed[lower]; !ok && t.ShadowOf == "" {
			names = append(names, t.Name)
			if t.Virtual != "" {
				virtual[t.Name] = t.Virtual
			}
		}
	}
	sort.Strings(names)
	for _, n := range names {
		if mod, ok := virtual[n]; ok {
			d.note(NoteVirtualTable, n, "table "+n+" is a "+mod+" virtual table (with its shadow tables): dmplan cannot declare it, left alone")
			continue
		}
		d.notes = append(d.notes, Note{
			Code:    NoteUnmanagedTable,
			Target:  n,
			Message: "table " + n + " is not declared by any model: unmanaged table left alone",
		})
	}
}

func (d *differ) block(m *hclspec.Model, target, code, reason, hint string) {
	d.blocked = append(d.blocked, Step{
		Action: Blocked, Model: m.Name, Target: target, Reason: reason, Safe: false, Code: code, Hint: hint,
	})
}

func (d *differ) note(code, target, msg string) {
	d.notes = append(d.notes, Note{Code: code, Target: target, Message: msg})
}

func modelList(ms []string) string {
	if len(ms) == 1 {
		return "model " + ms[0]
	}
	return "models " + strings.Join(ms, ", ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
