package hclspec

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// SeedConditions are the conditions a seed may use.
var SeedConditions = []string{SeedAlways, SeedIfEmpty, SeedIfMissing}

var seedSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "condition"}, {Name: "match"}, {Name: "data", Required: true},
	},
}

// seed decodes one seed block. Data stays an expression: it may read
// env.X and call functions, which happens when the seed runs.
func (d *decoder) seed(blk *hcl.Block) (*Seed, hcl.Diagnostics) {
	s := &Seed{Model: blk.Labels[0], Name: blk.Labels[1], Condition: SeedIfMissing, DeclRange: blk.DefRange}
	var diags hcl.Diagnostics
	m := d.spec.Model(s.Model)
	if m == nil {
		diags = append(diags, errorf(labelRange(blk, 0), "Unknown model",
			"There is no model named %q to seed.%s", s.Model, d.modelHint(s.Model)))
	}
	if s.Name == "" {
		diags = append(diags, errorf(labelRange(blk, 1), "Empty seed name",
			"Give the seed a name, like seed \"%s\" \"admin\".", s.Model))
	}
	content, cd := blk.Body.Content(seedSchema)
	diags = append(diags, cd...)
	if content == nil {
		return s, diags
	}
	if a, ok := content.Attributes["condition"]; ok {
		c, cd := staticString(a)
		diags = append(diags, cd...)
		if !cd.HasErrors() {
			if !contains(SeedConditions, c) {
				diags = append(diags, errorf(a.Expr.Range(), "Unknown seed condition",
					"The condition must be one of %s.", strings.Join(SeedConditions, ", ")))
			} else {
				s.Condition = c
			}
		}
	}
	var matchRange *hcl.Range
	if a, ok := content.Attributes["match"]; ok {
		r := a.Expr.Range()
		matchRange = &r
		items, md := staticStringList(a)
		diags = append(diags, md...)
		if !md.HasErrors() && len(items) == 0 {
			diags = append(diags, errorf(a.Expr.Range(), "Empty match",
				"List the fields that identify the seeded record, or leave match out to use the primary key."))
		}
		seen := map[string]bool{}
		for _, it := range items {
			if seen[it.Value] {
				diags = append(diags, errorf(it.Range, "Duplicate match field",
					"The field %q is listed twice.", it.Value))
				continue
			}
			seen[it.Value] = true
			s.Match = append(s.Match, it.Value)
			if m == nil {
				continue
			}
			switch f := m.Field(it.Value); {
			case f == nil:
				diags = append(diags, errorf(it.Range, "Unknown match field",
					"Model %q has no field named %q.%s", m.Name, it.Value, fieldHint(m, it.Value)))
			case !f.Synced:
				diags = append(diags, errorf(it.Range, "Match field not synced",
					"The field %q is not a D1 column of table %q, so existing records cannot be looked up by it; add it to sync_fields.", it.Value, m.D1.Table))
			}
		}
	} else if m != nil {
		s.Match = []string{m.PrimaryKey}
		if len(m.PrimaryKeys) > 0 { // a composite key: all its columns
			s.Match = append([]string(nil), m.PrimaryKeys...)
		}
	}
	if a, ok := content.Attributes["data"]; ok {
		s.Data = a.Expr
		if m != nil {
			diags = append(diags, checkSeedData(s, m, a, matchRange)...)
		}
	}
	return s, diags
}

// checkSeedData checks what can be known before the seed runs: data is an
// object whose keys are fields of the model, values only read env.X and
// call known functions, constant values fit their fields, the match fields
// and the required fields are present.
func checkSeedData(s *Seed, m *Model, a *hcl.Attribute, matchRange *hcl.Range) hcl.Diagnostics {
	if matchRange == nil {
		r := a.Expr.Range()
		matchRange = &r
	}
	pairs, pd := hcl.ExprMap(a.Expr)
	if pd.HasErrors() {
		return hcl.Diagnostics{errorf(a.Expr.Range(), "Invalid seed data",
			"The data must be an object of field values, like data = { email = env.ADMIN_EMAIL }.")}
	}
	var diags hcl.Diagnostics
	keys := map[string]hcl.Range{}
	for _, p := range pairs {
		k, ok := keyword(p.Key)
		if !ok {
			diags = append(diags, errorf(p.Key.Range(), "Invalid seed data key",
				"Each key must be a field name of model %q.", m.Name))
			continue
		}
		if prev, dup := keys[k]; dup {
			diags = append(diags, errorf(p.Key.Range(), "Duplicate seed data key",
				"The field %q is already set at %s.", k, prev.String()))
			continue
		}
		keys[k] = p.Key.Range()
		f := m.Field(k)
		if f == nil {
			diags = append(diags, errorf(p.Key.Range(), "Unknown field in seed data",
				"Model %q has no field named %q.%s", m.Name, k, fieldHint(m, k)))
			continue
		}
		if f.Auto {
			diags = append(diags, errorf(p.Key.Range(), "Automatic field in seed data",
				"The field %q is set by dmplan when the record is saved.", k))
			continue
		}
		rd := append(checkReferences(p.Value, m, "env"), checkFunctions(p.Value)...)
		diags = append(diags, rd...)
		if rd.HasErrors() || len(p.Value.Variables()) > 0 {
			continue
		}
		v, vd := p.Value.Value(nil)
		if vd.HasErrors() || f.Type == 0 {
			continue // function calls: checked when the seed runs
		}
		if _, why := convertValue(f.Type, v); why != "" {
			diags = append(diags, errorf(p.Value.Range(), "Invalid seed value",
				"The value of field %q does not fit its type: %s.", k, why))
		}
	}
	for _, name := range s.Match {
		if _, ok := keys[name]; !ok && m.Field(name) != nil {
			diags = append(diags, errorf(*matchRange, "Seed data lacks a match field",
				"The seed matches existing records on %q, so data must set it.", name))
		}
	}
	var missing []string
	owner := false
	for _, f := range m.Fields {
		// Of the built-in fields, seeds must set the owner: they are
		// written by the system, which owns no record.
		// A field with an SQL default is filled by D1.
		if !f.Required || f.Default != nil || f.SQL.Default != "" || f.Primary || (f.BuiltIn && f.Name != FieldUserID) {
			continue
		}
		if _, ok := keys[f.Name]; !ok {
			missing = append(missing, f.Name)
			owner = owner || f.BuiltIn
		}
	}
	if len(missing) > 0 {
		why := ""
		if owner {
			why = fmt.Sprintf(" %q is the owner of the record, which the model tracks (option user_tracking); set it to a user id, or turn user_tracking off.", FieldUserID)
		}
		diags = append(diags, errorf(a.Expr.Range(), "Missing required field in seed data",
			"Model %q requires %s, which this seed does not set.%s", m.Name, quoteJoin(missing), why))
	}
	return diags
}

func quoteJoin(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}

// modelHint suggests a model with a similar name.
func (d *decoder) modelHint(name string) string {
	for _, m := range d.spec.Models {
		if strings.EqualFold(m.Name, name) || EditDistance(m.Name, name) <= 2 {
			return fmt.Sprintf(" Did you mean %q?", m.Name)
		}
	}
	return ""
}
