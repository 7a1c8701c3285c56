package hclspec

import (
	"strings"

	"github.com/hashicorp/hcl/v2"
)

var modelSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "primary_key"}, {Name: "storage"}},
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
	var pkItems []stringItem // the key columns when primary_key is a list
	if a, ok := content.Attributes["primary_key"]; ok {
		pkRange = a.Expr.Range()
		if _, ld := hcl.ExprList(a.Expr); !ld.HasErrors() {
			items, pd := staticStringList(a)
			diags = append(diags, pd...)
			if !pd.HasErrors() {
				pkItems, diags = checkKeyList(name, a, items, diags)
			}
		} else {
			pk, pd := staticString(a)
			diags = append(diags, pd...)
			if !pd.HasErrors() {
				pkItems = []stringItem{{pk, pkRange}}
			}
		}
		for _, it := range pkItems {
			if why := checkSQLName(it.Value); why != "" {
				diags = append(diags, errorf(it.Range, "Invalid primary key name",
					"The primary key %q cannot be used as a column name: %s.", it.Value, why))
			}
		}
		if len(pkItems) > 0 {
			m.PrimaryKey = pkItems[0].Value
		}
		if len(pkItems) > 1 {
			for _, it := range pkItems {
				m.PrimaryKeys = append(m.PrimaryKeys, it.Value)
			}
		}
	} else if checkSQLName(name) == "" {
		if why := checkSQLName(m.PrimaryKey); why != "" {
			diags = append(diags, errorf(r.name, "Invalid primary key name",
				"The default primary key %q cannot be used as a column name: %s. Set primary_key.", m.PrimaryKey, why))
		}
	}
	storageRange := blk.DefRange
	m.Storage = StorageD1KV
	if a, ok := content.Attributes["storage"]; ok {
		st, sd := staticString(a)
		diags = append(diags, sd...)
		switch {
		case sd.HasErrors():
		case st == StorageD1 || st == StorageD1KV:
			m.Storage = st
			storageRange = a.Expr.Range()
		default:
			diags = append(diags, errorf(a.Expr.Range(), "Invalid storage",
				"The storage must be \"d1+kv\" (the default: the object in KV, the synced fields in D1) or \"d1\" (a D1-only model: every field a column, no KV side)."))
		}
	}
	if len(m.PrimaryKeys) > 0 && !m.D1Only() {
		diags = append(diags, errorf(pkRange, "Composite key on a model with a KV side",
			"A composite primary key is for D1-only models: a KV object has one id. Set storage = \"d1\" on model %q, or use one key column.", name))
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
	if m.D1Only() {
		if kv := first(byType["kv"]); kv != nil {
			diags = append(diags, errorf(kv.DefRange, "kv block on a D1-only model",
				"Model %q has storage = \"d1\" (declared at %s): it has no KV side. Remove the kv block, or set storage = \"d1+kv\" to add one (the plan then copies every row into KV).", name, storageRange.String()))
		}
		if m.Options.Auth {
			diags = append(diags, errorf(optRange, "auth on a D1-only model",
				"Model %q is D1-only (storage = \"d1\"), but the auth option keeps _auth in KV. Set options { auth = false }.", name))
			m.Options.Auth = false
		}
	}

	// Fields: the primary key, declared, built-ins. A declared field named
	// as a key column declares that column's type and SQL; a key column
	// not declared is the built-in string key.
	builtins := builtinFields(m.Options, optRange)
	keyFields := make([]*Field, len(pkItems))
	if len(pkItems) == 0 {
		keyFields = []*Field{nil}
	}
	var declared []*Field
	columnAttrs := map[*Field]hcl.Attributes{}
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
		if bf := findField(builtins, fname); bf != nil {
			diags = append(diags, errorf(lr, "Field name collides with a built-in field",
				"Model %q already has the built-in field %q from its options (%s). Remove this field, or turn the option off.", name, bf.Name, builtinOption(bf.Name)))
			continue
		}
		f, attrs, fd := decodeField(b)
		diags = append(diags, fd...)
		columnAttrs[f] = attrs
		if k := keyIndex(m, fname); k >= 0 {
			f.Primary, f.Synced, f.Required = true, true, true
			diags = append(diags, checkKeyField(m, f, attrs)...)
			keyFields[k] = f
			continue
		}
		declared = append(declared, f)
	}
	for i, f := range keyFields {
		if f != nil {
			continue
		}
		if len(m.PrimaryKeys) > 0 {
			diags = append(diags, errorf(pkItems[i].Range, "Undeclared key column",
				"Declare a field %q in model %q: each column of a composite primary key needs its type.", pkItems[i].Value, name))
			f = &Field{Name: pkItems[i].Value, Type: String, Required: true, DeclRange: pkItems[i].Range}
		} else {
			f = &Field{Name: m.PrimaryKey, Type: String, BuiltIn: true, DeclRange: pkRange}
		}
		f.Primary, f.Synced = true, true
		keyFields[i] = f
	}
	m.Fields = append(m.Fields, keyFields...)
	m.Fields = append(m.Fields, declared...)
	if bf := findField(builtins, m.PrimaryKey); bf != nil {
		diags = append(diags, errorf(pkRange, "Primary key collides with a built-in field",
			"The primary key of model %q cannot be named %q: that is the built-in field from %s.", name, m.PrimaryKey, builtinOption(bf.Name)))
		builtins = removeField(builtins, bf.Name)
	}
	for _, k := range m.PrimaryKeys[min(1, len(m.PrimaryKeys)):] {
		if bf := findField(builtins, k); bf != nil {
			diags = append(diags, errorf(pkRange, "Primary key collides with a built-in field",
				"The primary key of model %q cannot hold %q: that is the built-in field from %s.", name, k, builtinOption(bf.Name)))
			builtins = removeField(builtins, bf.Name)
		}
	}
	m.Fields = append(m.Fields, builtins...)
	if m.D1Only() {
		for _, f := range m.Fields {
			f.Synced = !f.KVOnly
		}
	}

	diags = append(diags, d.kv(m, first(byType["kv"]))...)
	diags = append(diags, d.d1(m, first(byType["d1"]))...)
	diags = append(diags, checkColumnSQL(m, columnAttrs)...)
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
