package operator

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/planner"
	"github.com/dmplan/dmplan/runtime"
	"github.com/dmplan/dmplan/state"
)

// volatileFuncs give a new value on every evaluation.
var volatileFuncs = map[string]bool{"bcrypt": true, "uuid": true, "timestamp": true}

// preparedSeed is one seed evaluated for one run: its normalized data,
// match fields and record id. Values are never printed.
type preparedSeed struct {
	seed     *hclspec.Seed
	m        *runtime.Storage
	key      string
	data     map[string]any  // the seed's fields, normalized
	volatile map[string]bool // fields computed by bcrypt, uuid or timestamp
	match    []string
	id       string   // the primary key from data, or derived
	secrets  []string // env-derived strings, scrubbed from errors
	// others are the record ids of the model's other seeds: if_empty
	// ignores them, so that every if_empty seed of a model runs on the
	// first apply and none on the second.
	others []string
	// unset names the env vars the seed reads that are not set, when it
	// was prepared for a plan (prepareForPlan); unknown holds the fields
	// whose value reads one of them, and data holds a placeholder for
	// them. idUnknown is set when the record's identity (its primary key
	// or a match field) is such a field, and othersUnknown when the
	// identity of another seed of the model is (if_empty cannot tell
	// that seed's record from the others).
	unset         []string
	unknown       map[string]bool
	idUnknown     bool
	othersUnknown bool
	// remembered is the record id apply remembered for a seed whose
	// identity is unknown (SeedsTable), when the plan looks it up.
	remembered string
}

// linkOthers gives each if_empty seed the ids of its model's other seeds.
func linkOthers(preps []*preparedSeed) {
	for _, p := range preps {
		if p.seed.Condition != hclspec.SeedIfEmpty {
			continue
		}
		p.others = p.others[:0]
		for _, o := range preps {
			if o != p && o.m.Model() == p.m.Model() && o.id != p.id {
				p.others = append(p.others, o.id)
				p.othersUnknown = p.othersUnknown || o.idUnknown
			}
		}
	}
}

// prepare evaluates a seed and checks it: env vars set, match fields
// stable, data valid for a new record. Diagnostics never hold values.
func (s *Seeds) prepare(sd *hclspec.Seed) (*preparedSeed, hcl.Diagnostics) {
	return s.prepareSeed(sd, false)
}

// prepareSeed is prepare; forPlan evaluates a seed whose env vars are not
// all set as far as it can without them (see unsetFields).
func (s *Seeds) prepareSeed(sd *hclspec.Seed, forPlan bool) (*preparedSeed, hcl.Diagnostics) {
	key := planner.SeedKey(sd.Model, sd.Name)
	rng := sd.DeclRange
	fail := func(summary, detail string, args ...any) hcl.Diagnostics {
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: summary, Detail: fmt.Sprintf(detail, args...), Subject: &rng}}
	}
	m, err := s.ds.Storage(sd.Model)
	if err != nil {
		return nil, fail("Unknown model", "The seed %s seeds model %q, which the spec does not declare.", key, sd.Model)
	}
	p := &preparedSeed{seed: sd, m: m, key: key, volatile: volatileFields(sd.Data)}
	getenv := s.getenv
	if forPlan {
		getenv = p.unsetFields(s.getenv)
	}
	record, sensitive, diags := sd.Evaluate(getenv)
	if diags.HasErrors() {
		return nil, diags
	}
	// D1's row and KV's value and key limits, now that env values are
	// known (plan checked the seeds that read none).
	if d := planner.CheckSeedLimits(m.Spec(), sd, record); d.HasErrors() {
		return nil, d
	}
	for name := range sensitive {
		p.secrets = appendStrings(p.secrets, record[name])
	}
	p.data = make(map[string]any, len(record))
	for _, name := range sortedFields(record) {
		if m.Field(name) == nil {
			diags = append(diags, fail("Unknown field in seed data", "Model %q has no field %q (seed %s).", m.Model(), name, key)...)
			continue
		}
		v, msg := m.Normalize(name, record[name])
		if msg != "" && p.unknown[name] {
			v, msg = record[name], "" // a placeholder: apply checks the value
		}
		if msg != "" {
			diags = append(diags, fail("Invalid seed value", "Field %q of seed %s %s.", name, key, msg)...)
			continue
		}
		p.data[name] = v
	}
	p.match = sd.Match
	if len(p.match) == 0 {
		p.match = p.defaultMatch()
	}
	for _, name := range p.match {
		switch {
		case p.volatile[name]:
			diags = append(diags, fail("Seed matches on a computed value",
				"The seed %s matches existing records on %q, whose value comes from bcrypt(), uuid() or timestamp(): those give a new value on every run, so the seed could never find its record. Match on fields with stable values, or set the primary key in data.", key, name)...)
		case m.Field(name) == nil || !m.Field(name).Synced:
			diags = append(diags, fail("Match field not synced",
				"The seed %s matches on %q, which is not a D1 column of table %q.", key, name, m.Spec().D1.Table)...)
		}
	}
	if len(p.match) == 0 {
		diags = append(diags, fail("Seed has nothing to match on",
			"The seed %s sets no stable D1 column that could identify its record: set match, or the primary key in data.", key)...)
	}
	if diags.HasErrors() {
		return nil, diags
	}
	// Validate as a new record, on a copy: defaults, required fields,
	// types, named validators and enums, as a Save would.
	probe := maps.Clone(p.data)
	ve, err := m.CheckNew(probe)
	if err != nil {
		return nil, fail("Invalid seed data", "The seed %s cannot be saved: %s.", key, err.Error())
	}
	for _, fe := range ve.Fields {
		if p.unknown[fe.Field] {
			continue // a placeholder: apply checks the value
		}
		diags = append(diags, fail("Invalid seed data", "Field %q of seed %s %s.", fe.Field, key, fe.Message)...)
	}
	if diags.HasErrors() {
		return nil, diags
	}
	if id, ok := p.data[m.PrimaryKey()].(string); ok && id != "" {
		p.id = id
		p.idUnknown = p.unknown[m.PrimaryKey()]
		return p, nil
	}
	if m.Field(m.PrimaryKey()).Type != hclspec.String || len(m.Spec().PrimaryKeys) > 1 {
		// An integer or composite key: the seed's data names it, or D1
		// assigns it (INTEGER PRIMARY KEY); no id is derived, the match
		// fields find the record.
		if v := p.data[m.PrimaryKey()]; v != nil && len(m.Spec().PrimaryKeys) == 0 {
			p.id = fmt.Sprint(v)
			p.idUnknown = p.unknown[m.PrimaryKey()]
		}
		return p, nil
	}
	vals := make([]any, len(p.match))
	for i, name := range p.match {
		vals[i] = p.data[name]
		p.idUnknown = p.idUnknown || p.unknown[name]
	}
	id, err := derivedID(m.Model(), sd.Name, vals)
	if err != nil {
		return nil, fail("Invalid seed data", "The seed %s: %s.", key, err.Error())
	}
	p.id = id
	return p, nil
}

// unsetPlaceholder stands for an unset env var while a seed is prepared
// for a plan; fields that read one are marked unknown and never compared.
const unsetPlaceholder = hclspec.UnsetPlaceholder

// unsetFields records which env vars of the seed are not set and which
// data fields read them (p.unset, p.unknown), and returns a getenv that
// gives those variables a placeholder, so the rest of the seed can be
// evaluated: a plan needs no secret to find a record whose identity does
// not depend on one. When data is not an object constructor, every field
// counts as reading the unset variables.
func (p *preparedSeed) unsetFields(getenv func(string) (string, bool)) func(string) (string, bool) {
	if getenv == nil {
		getenv = os.LookupEnv
	}
	for _, n := range p.seed.EnvNames() {
		if _, ok := getenv(n); !ok {
			p.unset = append(p.unset, n)
		}
	}
	if len(p.unset) == 0 {
		return getenv
	}
	isUnset := func(n string) bool { return slices.Contains(p.unset, n) }
	p.unknown = map[string]bool{}
	pairs, diags := hcl.ExprMap(p.seed.Data)
	for _, kv := range pairs {
		name := hcl.ExprAsKeyword(kv.Key)
		if name == "" {
			v, d := kv.Key.Value(nil)
			if d.HasErrors() || !v.IsKnown() || v.IsNull() || v.Type() != cty.String {
				diags = append(diags, d...)
				continue
			}
			name = v.AsString()
		}
		if slices.ContainsFunc(hclspec.EnvNames(kv.Value), isUnset) {
			p.unknown[name] = true
		}
	}
	if diags.HasErrors() || pairs == nil {
		for _, f := range p.m.Spec().Fields {
			p.unknown[f.Name] = true
		}
	}
	return func(n string) (string, bool) {
		if isUnset(n) {
			return unsetPlaceholder, true
		}
		return getenv(n)
	}
}

// defaultMatch is the primary key when data sets it, else every synced
// scalar field of data whose value is stable.
func (p *preparedSeed) defaultMatch() []string {
	if _, ok := p.data[p.m.PrimaryKey()]; ok {
		return []string{p.m.PrimaryKey()}
	}
	var out []string
	for _, f := range p.m.Columns() {
		v, ok := p.data[f.Name]
		if !ok || p.volatile[f.Name] || f.Type == hclspec.JSON || f.Type == hclspec.Array {
			continue
		}
		switch v.(type) {
		case string, int64, float64, bool:
			out = append(out, f.Name)
		}
	}
	return out
}

// notThere says why the seed needs no lookup: its table or a match column
// does not exist yet (so nothing can match, and the table is empty).
func (p *preparedSeed) notThere(live *state.Schema) string {
	t := live.Table(p.m.Spec().D1.Table)
	if t == nil {
		return "table " + p.m.Spec().D1.Table + " does not exist yet"
	}
	if p.seed.Condition == hclspec.SeedIfEmpty {
		return ""
	}
	for _, name := range p.match {
		if t.Column(name) == nil {
			return "column " + t.Name + "." + name + " does not exist yet"
		}
	}
	return ""
}

// lookup is the statement that checks the seed's condition: any row
// besides the records of the model's other seeds (if_empty), or the id of the first row whose match columns equal the
// seed's values (IS, so a null value matches a null column).
func (p *preparedSeed) lookup() (backend.Stmt, error) {
	m := p.m
	if p.seed.Condition == hclspec.SeedIfEmpty {
		if len(p.others) == 0 || len(p.others) > backend.MaxParams {
			return backend.Stmt{SQL: "SELECT 1 FROM " + m.Table() + " LIMIT 1"}, nil
		}
		holders := strings.TrimSuffix(strings.Repeat("?, ", len(p.others)), ", ")
		args := make([]any, len(p.others))
		for i, id := range p.others {
			args[i] = id
		}
		return backend.Stmt{SQL: "SELECT 1 FROM " + m.Table() + " WHERE " + m.QuotedPrimaryKey() + " NOT IN (" + holders + ") LIMIT 1", Args: args}, nil
	}
	conds := make([]string, len(p.match))
	args := make([]any, len(p.match))
	for i, name := range p.match {
		v, err := m.ColumnArg(name, p.data[name])
		if err != nil {
			return backend.Stmt{}, fmt.Errorf("encode match field %s: %w", name, err)
		}
		conds[i] = backend.QuoteIdent(name) + " IS ?"
		args[i] = v
	}
	return backend.Stmt{
		SQL:  "SELECT " + m.QuotedPrimaryKey() + " FROM " + m.Table() + " WHERE " + strings.Join(conds, " AND ") + " LIMIT 1",
		Args: args,
	}, nil
}

// differs returns the stable fields of the seed whose values differ from
// the stored record, sorted. Fields whose value is unknown (an unset env
// var, see unsetFields) are not compared: see comparedUnknown.
func (p *preparedSeed) differs(stored map[string]any) []string {
	var out []string
	for k, v := range p.data {
		if p.volatile[k] || k == p.m.PrimaryKey() || p.unknown[k] {
			continue
		}
		if !runtime.EqualValues(stored[k], v) {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// comparedUnknown returns the stable fields an always seed would compare
// whose value reads an unset env var, sorted.
func (p *preparedSeed) comparedUnknown() []string {
	var out []string
	for k := range p.unknown {
		if _, ok := p.data[k]; ok && !p.volatile[k] && k != p.m.PrimaryKey() {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// scrub replaces env-derived values in err's message with "(sensitive)".
func (p *preparedSeed) scrub(err error) error {
	if err == nil || p == nil || len(p.secrets) == 0 {
		return err
	}
	msg := err.Error()
	clean := msg
	for _, s := range p.secrets {
		if s != "" {
			clean = strings.ReplaceAll(clean, s, "(sensitive)")
		}
	}
	if clean == msg {
		return err
	}
	return &scrubbedError{msg: clean, err: err}
}

// scrubbedError shows a cleaned message and still unwraps to the original
// for errors.Is and errors.As.
type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }

// appendStrings appends every string inside v.
func appendStrings(out []string, v any) []string {
	switch x := v.(type) {
	case string:
		return append(out, x)
	case []any:
		for _, e := range x {
			out = appendStrings(out, e)
		}
	case map[string]any:
		for _, e := range x {
			out = appendStrings(out, e)
		}
	}
	return out
}

// volatileFields returns the data keys whose value expression calls
// bcrypt, uuid or timestamp.
func volatileFields(data hcl.Expression) map[string]bool {
	out := map[string]bool{}
	if data == nil {
		return out
	}
	pairs, diags := hcl.ExprMap(data)
	if diags.HasErrors() {
		return out
	}
	for _, kv := range pairs {
		name := hcl.ExprAsKeyword(kv.Key)
		if name == "" {
			v, d := kv.Key.Value(nil)
			if d.HasErrors() || !v.IsKnown() || v.IsNull() {
				continue
			}
			if s, err := hclspec.ToGo(v); err == nil {
				name, _ = s.(string)
			}
		}
		if name != "" && callsVolatile(kv.Value) {
			out[name] = true
		}
	}
	return out
}

func callsVolatile(e hcl.Expression) bool {
	se, ok := e.(hclsyntax.Expression)
	if !ok {
		return false
	}
	found := false
	_ = hclsyntax.VisitAll(se, func(n hclsyntax.Node) hcl.Diagnostics {
		if c, ok := n.(*hclsyntax.FunctionCallExpr); ok && volatileFuncs[c.Name] {
			found = true
		}
		return nil
	})
	return found
}
