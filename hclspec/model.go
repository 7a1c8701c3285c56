package hclspec

import (
	"strings"

	"github.com/hashicorp/hcl/v2"
)

var modelSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "primary_key"}},
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "options"},
		{Type: "field", LabelNames: []string{"name"}},
		{Type: "kv"},
		{Type: "d1"},
		{Type: "hook", LabelNames: []string{"event"}},
	},
}

var optionsSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "timestamps"}, {Name: "soft_delete"}, {Name: "user_tracking"}, {Name: "auth"},
	},
}

// model decodes one model block. The model is returned even with errors so
// that later checks (seeds, cross-model) can still refer to it.
func (d *decoder) model(blk *hcl.Block) (*Model, hcl.Diagnostics) {
	name := blk.Labels[0]
	m := &Model{
		Name:       name,
		PrimaryKey: strings.ToLower(name) + "_id",
		Options:    Options{Timestamps: true, SoftDelete: true, UserTracking: true, Auth: true},
		DeclRange:  blk.DefRange,
	}
	r := &modelRanges{name: labelRange(blk, 0)}
	r.table, r.namespace, r.keyPattern = r.name, r.name, r.name
	d.ranges[m] = r

	var diags hcl.Diagnostics
	if why := checkTableName(name); why != "" {
		diags = append(diags, errorf(r.name, "Invalid model name",
			"The model name %q cannot be used: %s. It names the default table and primary key.", name, why))
	}
	content, cd := blk.Body.Content(modelSchema)
	diags = append(diags, cd...)
	if content == nil {
		return m, diags
	}

	pkRange := r.name
	if a, ok := content.Attributes["primary_key"]; ok {
		pk, pd := staticString(a)
		diags = append(diags, pd...)
		if !pd.HasErrors() {
			pkRange = a.Expr.Range()
			if why := checkSQLName(pk); why != "" {
				diags = append(diags, errorf(pkRange, "Invalid primary key name",
					"The primary key %q cannot be used as a column name: %s.", pk, why))
			}
			m.PrimaryKey = pk
		}
	} else if checkSQLName(name) == "" {
		if why := checkSQLName(m.PrimaryKey); why != "" {
			diags = append(diags, errorf(r.name, "Invalid primary key name",
				"The default primary key %q cannot be used as a column name: %s. Set primary_key.", m.PrimaryKey, why))
		}
	}

	byType := map[string][]*hcl.Block{}
	for _, b := range content.Blocks {
		byType[b.Type] = append(byType[b.Type], b)
	}
	for _, t := range []string{"options", "kv", "d1"} {
		for _, b := range byType[t][min(1, len(byType[t])):] {
			diags = append(diags, duplicate(b.DefRange, byType[t][0].DefRange,
				"Duplicate "+t+" block", "A "+t+" block for model \""+name+"\""))
		}
	}
	optRange := blk.DefRange
	if opts := byType["options"]; len(opts) > 0 {
		optRange = opts[0].DefRange
		diags = append(diags, decodeOptions(opts[0], &m.Options)...)
	}

	// Fields: primary key, declared, built-ins.
	m.Fields = append(m.Fields, &Field{
		Name: m.PrimaryKey, Type: String, Primary: true, BuiltIn: true, Synced: true, DeclRange: pkRange,
	})
	builtins := builtinFields(m.Options, optRange)
	seen := map[string]hcl.Range{}
	for _, b := range byType["field"] {
		fname := b.Labels[0]
		lr := labelRange(b, 0)
		// SQLite column names ignore case, so "Title" and "title" clash.
		if prev, ok := seen[strings.ToLower(fname)]; ok {
			diags = append(diags, duplicate(lr, prev, "Duplicate field declaration",
				"A field named \""+fname+"\" (column names ignore case) in model \""+name+"\""))
			continue
		}
		seen[strings.ToLower(fname)] = lr
		if strings.EqualFold(fname, m.PrimaryKey) {
			diags = append(diags, errorf(lr, "Field name collides with the primary key",
				"Model %q already has the primary key %q (a string set by dmplan when absent). Remove this field or set primary_key to another name.", name, fname))
			continue
		}
		if bf := findField(builtins, fname); bf != nil {
			diags = append(diags, errorf(lr, "Field name collides with a built-in field",
				"Model %q already has the built-in field %q from its options (%s). Remove this field, or turn the option off.", name, bf.Name, builtinOption(bf.Name)))
			continue
		}
		f, fd := decodeField(b)
		diags = append(diags, fd...)
		m.Fields = append(m.Fields, f)
	}
	if bf := findField(builtins, m.PrimaryKey); bf != nil {
		diags = append(diags, errorf(pkRange, "Primary key collides with a built-in field",
			"The primary key of model %q cannot be named %q: that is the built-in field from %s.", name, m.PrimaryKey, builtinOption(bf.Name)))
		builtins = removeField(builtins, bf.Name)
	}
	m.Fields = append(m.Fields, builtins...)

	diags = append(diags, d.kv(m, first(byType["kv"]))...)
	diags = append(diags, d.d1(m, first(byType["d1"]))...)
	diags = append(diags, keywordWarnings(m, r.table, pkRange)...)

	for _, b := range byType["hook"] {
		h, hd := decodeHook(m, b)
		diags = append(diags, hd...)
		if h != nil {
			m.Hooks = append(m.Hooks, h)
		}
	}
	return m, diags
}

func decodeOptions(blk *hcl.Block, o *Options) hcl.Diagnostics {
	content, diags := blk.Body.Content(optionsSchema)
	if content == nil {
		return diags
	}
	for name, dst := range map[string]*bool{
		"timestamps": &o.Timestamps, "soft_delete": &o.SoftDelete,
		"user_tracking": &o.UserTracking, "auth": &o.Auth,
	} {
		if a, ok := content.Attributes[name]; ok {
			v, d := staticBool(a)
			if hasFollowUp(d) {
				diags = append(diags, d...)
				continue
			}
			if d.HasErrors() {
				diags = append(diags, errorf(a.Expr.Range(), "Invalid option value",
					"The option %q must be true or false.", name))
				continue
			}
			*dst = v
		}
	}
	sortByRange(diags, subjectRange)
	return diags
}

// first returns the first block, or nil.
func first(blocks []*hcl.Block) *hcl.Block {
	if len(blocks) == 0 {
		return nil
	}
	return blocks[0]
}
