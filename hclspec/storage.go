package hclspec

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// Cloudflare's limits the configuration is checked against, documented in
// "Limits · Cloudflare D1" and "Limits · Workers KV". They copy
// backend.MaxColumns and its neighbours, the one place the backends take
// them from, because hclspec imports only hcl, cty and the standard
// library; a test keeps the copies equal.
const (
	MaxColumns        = 100              // columns per D1 table
	MaxKeyBytes       = 512              // bytes per KV key
	MaxStatementBytes = 100 * 1000       // bytes of SQL text per D1 statement
	MaxRowBytes       = 2 * 1000 * 1000  // bytes per D1 row, string or BLOB
	MaxValueBytes     = 25 * 1024 * 1024 // bytes per KV value
)

// idLen is the length of a generated record id (a UUID).
const idLen = 36

var kvSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "namespace"}, {Name: "key_pattern"}},
}

var d1Schema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "table"}, {Name: "sync_fields"},
		{Name: "strict"}, {Name: "without_rowid"}, {Name: "checks"}, {Name: "unique"},
	},
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "index", LabelNames: []string{"label"}},
		{Type: "foreign_key"},
	},
}

// kv decodes the model's kv block (blk may be nil) and fills the defaults.
func (d *decoder) kv(m *Model, blk *hcl.Block) hcl.Diagnostics {
	r := d.ranges[m]
	if m.D1Only() {
		m.KV = KV{} // no KV side; a kv block is reported by model
		return nil
	}
	m.KV = KV{Namespace: m.Name, KeyPattern: strings.ToLower(m.Name) + ":{id}"}
	var diags hcl.Diagnostics
	if blk != nil {
		content, cd := blk.Body.Content(kvSchema)
		diags = append(diags, cd...)
		if a, ok := content.Attributes["namespace"]; ok {
			ns, nd := staticString(a)
			diags = append(diags, nd...)
			if !nd.HasErrors() {
				r.namespace = a.Expr.Range()
				if !isIdent(ns) || len(ns) > maxIdentLen {
					diags = append(diags, errorf(r.namespace, "Invalid KV namespace name",
						"A namespace name must start with a letter or underscore, hold only letters, digits and underscores and be at most %d characters, because it forms the Worker binding name.", maxIdentLen))
				}
				m.KV.Namespace = ns
			}
		}
		if a, ok := content.Attributes["key_pattern"]; ok {
			kp, kd := staticString(a)
			diags = append(diags, kd...)
			if !kd.HasErrors() {
				r.keyPattern = a.Expr.Range()
				if n := strings.Count(kp, "{id}"); n != 1 {
					diags = append(diags, errorf(r.keyPattern, "Invalid key pattern",
						"A key pattern must contain \"{id}\" exactly once (it holds %d), like \"page:{id}\"; the record id replaces it.", n))
				} else if l := len(kp) - len("{id}") + idLen; l > MaxKeyBytes {
					diags = append(diags, errorf(r.keyPattern, "Key pattern too long",
						"With a %d-character id, keys would be %d bytes long; Workers KV allows at most %d.", idLen, l, MaxKeyBytes))
				}
				m.KV.KeyPattern = kp
			}
		}
	}
	return diags
}

// d1 decodes the model's d1 block (blk may be nil), completes SyncFields
// and marks the synced fields.
func (d *decoder) d1(m *Model, blk *hcl.Block) hcl.Diagnostics {
	r := d.ranges[m]
	m.D1.Table = strings.ToLower(m.Name)
	listed := map[string]bool{}
	var diags hcl.Diagnostics
	var content *hcl.BodyContent
	syncRange := r.name
	if blk != nil {
		syncRange = blk.DefRange
		var cd hcl.Diagnostics
		content, cd = blk.Body.Content(d1Schema)
		diags = append(diags, cd...)
		if a, ok := content.Attributes["table"]; ok {
			t, td := staticString(a)
			diags = append(diags, td...)
			if !td.HasErrors() {
				r.table = a.Expr.Range()
				if why := checkTableName(t); why != "" {
					diags = append(diags, errorf(r.table, "Invalid table name",
						"The table name %q cannot be used: %s.", t, why))
				}
				m.D1.Table = t
			}
		}
		if a, ok := content.Attributes["sync_fields"]; ok && m.D1Only() {
			diags = append(diags, errorf(a.Expr.Range(), "sync_fields on a D1-only model",
				"Model %q is D1-only (storage = \"d1\"): every field is a column. Remove sync_fields.", m.Name))
		} else if ok {
			syncRange = a.Expr.Range()
			items, sd := staticStringList(a)
			diags = append(diags, sd...)
			seen := map[string]hcl.Range{}
			for _, it := range items {
				if prev, ok := seen[it.Value]; ok {
					diags = append(diags, errorf(it.Range, "Duplicate sync field",
						"The field %q is already listed at %s.", it.Value, prev.String()))
					continue
				}
				seen[it.Value] = it.Range
				f := m.Field(it.Value)
				switch {
				case f == nil:
					diags = append(diags, errorf(it.Range, "Unknown sync field",
						"Model %q has no field named %q.%s", m.Name, it.Value, fieldHint(m, it.Value)))
				case f.KVOnly:
					diags = append(diags, errorf(it.Range, "KV-only field in sync_fields",
						"The field %q is stored in KV only and cannot be a D1 column.", it.Value))
				default:
					listed[it.Value] = true
				}
			}
		}
	}
	for _, f := range m.Fields {
		if !f.BuiltIn && listed[f.Name] {
			f.Synced = true
		}
		if f.Synced {
			m.D1.SyncFields = append(m.D1.SyncFields, f.Name)
		}
	}
	if n := len(m.D1.SyncFields); n > MaxColumns {
		diags = append(diags, errorf(syncRange, "Too many columns",
			"Table %q would have %d columns; D1 allows at most %d. Keep the rest in KV by removing them from sync_fields.", m.D1.Table, n, MaxColumns))
	}
	if content != nil {
		var indexBlocks []*hcl.Block
		for _, b := range content.Blocks {
			if b.Type == "index" {
				indexBlocks = append(indexBlocks, b)
			}
		}
		diags = append(diags, d.indexes(m, indexBlocks)...)
		diags = append(diags, decodeTableSQL(m, content)...)
	}
	return diags
}

// fieldHint suggests a field with a similar name, as " Did you mean ...?".
func fieldHint(m *Model, name string) string {
	best, bestDist := "", 3
	for _, f := range m.Fields {
		if dist := EditDistance(strings.ToLower(name), strings.ToLower(f.Name)); dist < bestDist {
			best, bestDist = f.Name, dist
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" Did you mean %q?", best)
}

// EditDistance is the optimal string alignment distance between a and b:
// insertions, deletions, substitutions and swaps of adjacent bytes. It
// ranks "did you mean" hints here and in the CLI.
func EditDistance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
