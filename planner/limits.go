package planner

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/dmplan/dmplan/hclspec"
)

// CheckLimits checks what applying spec would send to Cloudflare against
// the platform's limits (hclspec.MaxStatementBytes and its neighbours),
// so that validate and plan report it at the HCL that causes it, before
// anything is written, rather than apply failing after it created
// namespaces or tables:
//
//   - a synced field's default holding a NUL character (D1 rejects NUL in
//     SQL text, and a DEFAULT clause is SQL text);
//   - a default over D1's 2,000,000 bytes per value, or a KV-only default
//     over KV's 25 MiB per value;
//   - a default that makes its table's CREATE TABLE or ADD COLUMN
//     statement longer than D1's 100,000 bytes;
//   - a seed whose D1 row would pass 2,000,000 bytes, whose KV object
//     would pass 25 MiB, or whose KV key would pass 512 bytes. Seeds that
//     read env.X are checked when apply evaluates them, before its first
//     write; plan has no secrets to evaluate them with.
//
// Column counts are checked by hclspec (MaxColumns) and, for tables that
// exist, by Diff (DM106). The diagnostics give sizes, never the text.
func CheckLimits(spec *hclspec.Spec) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, m := range spec.Models {
		diags = append(diags, checkModelLimits(m)...)
	}
	for _, s := range spec.Seeds {
		if m := spec.Model(s.Model); m != nil {
			diags = append(diags, CheckSeedLimits(m, s, nil)...)
		}
	}
	return diags
}

func limitError(rng hcl.Range, summary, detail string, args ...any) *hcl.Diagnostic {
	r := rng
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: fmt.Sprintf(detail, args...), Subject: &r}
}

// checkModelLimits checks the defaults of one model and the statements
// that create its table and add its columns.
func checkModelLimits(m *hclspec.Model) hcl.Diagnostics {
	var diags hcl.Diagnostics
	t := desiredTable(m)
	var largest *hclspec.Field // the synced field with the longest default
	for _, f := range m.Fields {
		if f.Default == nil {
			continue
		}
		synced := t != nil && !f.KVOnly && t.Column(f.Name) != nil
		size := valueBytes(f.Default)
		switch {
		case synced && f.Type != hclspec.JSON && hasNUL(f.Default):
			diags = append(diags, limitError(f.DefaultRange, "NUL character in a default",
				"The default of field %q holds a NUL character (\\u0000). Its column's DEFAULT clause is SQL text, which D1 refuses to hold NUL; remove the character.", f.Name))
		case synced && size > hclspec.MaxRowBytes:
			diags = append(diags, limitError(f.DefaultRange, "Default too large for D1",
				"The default of field %q is %s bytes; D1 stores at most %s bytes in one value.", f.Name, byteCount(size), byteCount(hclspec.MaxRowBytes)))
		case !synced && size > hclspec.MaxValueBytes:
			diags = append(diags, limitError(f.DefaultRange, "Default too large for KV",
				"The default of field %q is %s bytes; a KV value holds at most %s bytes.", f.Name, byteCount(size), byteCount(hclspec.MaxValueBytes)))
		case synced:
			if n := len(addColumnSQL(t.Name, t.Column(f.Name))); n > hclspec.MaxStatementBytes {
				diags = append(diags, limitError(f.DefaultRange, "Default too large for one SQL statement",
					"The default of field %q makes the statement that adds its column %s bytes long; D1 runs statements of at most %s bytes. Keep defaults short: set long values when a record is created.",
					f.Name, byteCount(n), byteCount(hclspec.MaxStatementBytes)))
			} else if largest == nil || len(defaultLiteral(f)) > len(defaultLiteral(largest)) {
				largest = f
			}
		}
	}
	if t == nil || diags.HasErrors() {
		return diags
	}
	if n := len(createTableSQL(t)); n > hclspec.MaxStatementBytes {
		rng := m.DeclRange
		detail := ""
		if largest != nil {
			rng = largest.DefaultRange
			detail = fmt.Sprintf(" The longest default is field %q's, %s bytes of SQL.", largest.Name, byteCount(len(defaultLiteral(largest))))
		}
		diags = append(diags, limitError(rng, "Defaults too large for one SQL statement",
			"The CREATE TABLE statement of table %q would be %s bytes long; D1 runs statements of at most %s bytes.%s Keep defaults short: set long values when a record is created.",
			t.Name, byteCount(n), byteCount(hclspec.MaxStatementBytes), detail))
	}
	return diags
}

// CheckSeedLimits checks one seed's record against D1's row size and KV's
// value and key sizes. record is the evaluated seed data; nil evaluates it
// without environment variables and checks nothing when it reads one.
func CheckSeedLimits(m *hclspec.Model, s *hclspec.Seed, record map[string]any) hcl.Diagnostics {
	if s.Data == nil {
		return nil
	}
	if record == nil {
		if len(s.EnvNames()) > 0 {
			return nil
		}
		rec, _, d := s.Evaluate(func(string) (string, bool) { return "", false })
		if d.HasErrors() {
			return nil // reported where seeds are evaluated
		}
		record = rec
	}
	where := seedValueRanges(s)
	at := func(field string) hcl.Range {
		if r, ok := where[field]; ok {
			return r
		}
		return s.Data.Range()
	}
	var diags hcl.Diagnostics
	row, largest, largestSize := 0, "", -1
	for _, f := range m.Fields {
		if !f.Synced || f.KVOnly {
			continue
		}
		v, ok := record[f.Name]
		if !ok {
			v = f.Default
		}
		n := valueBytes(v)
		row += n
		if n > largestSize {
			largest, largestSize = f.Name, n
		}
	}
	if row > hclspec.MaxRowBytes {
		diags = append(diags, limitError(at(largest), "Seed too large for D1",
			"The D1 row of seed %s.%s would hold %s bytes; D1 stores at most %s bytes in one row. Field %q holds %s of them; keep large values out of sync_fields (in KV only).",
			s.Model, s.Name, byteCount(row), byteCount(hclspec.MaxRowBytes), largest, byteCount(largestSize)))
	}
	if b, err := json.Marshal(record); err == nil && len(b) > hclspec.MaxValueBytes {
		diags = append(diags, limitError(s.Data.Range(), "Seed too large for KV",
			"The KV object of seed %s.%s would be over %s bytes; a KV value holds at most %s bytes.",
			s.Model, s.Name, byteCount(len(b)), byteCount(hclspec.MaxValueBytes)))
	}
	if id, ok := record[m.PrimaryKey].(string); ok {
		if key := m.KV.Key(id); len(key) > hclspec.MaxKeyBytes {
			diags = append(diags, limitError(at(m.PrimaryKey), "Seed key too long for KV",
				"The KV key of seed %s.%s would be %s bytes (key_pattern %q with this %s); KV keys hold at most %d bytes.",
				s.Model, s.Name, byteCount(len(key)), m.KV.KeyPattern, m.PrimaryKey, hclspec.MaxKeyBytes))
		}
	}
	return diags
}

// seedValueRanges maps each field the seed's data sets to its value's
// range.
func seedValueRanges(s *hclspec.Seed) map[string]hcl.Range {
	pairs, d := hcl.ExprMap(s.Data)
	if d.HasErrors() {
		return nil
	}
	out := make(map[string]hcl.Range, len(pairs))
	for _, p := range pairs {
		if k := hcl.ExprAsKeyword(p.Key); k != "" {
			out[k] = p.Value.Range()
		}
	}
	return out
}

// valueBytes is how many bytes a value takes where it is stored: a
// string's length, JSON text for lists and objects, 8 for a number or a
// boolean.
func valueBytes(v any) int {
	switch x := v.(type) {
	case nil:
		return 0
	case string:
		return len(x)
	case []byte:
		return len(x)
	case bool, int, int64, float64:
		return 8
	}
	b, err := json.Marshal(v)
	if err != nil {
		return 0
	}
	return len(b)
}

// hasNUL reports whether a string default holds a NUL (a json field's
// default is written as JSON text, which escapes it).
func hasNUL(v any) bool {
	s, ok := v.(string)
	return ok && strings.IndexByte(s, 0) >= 0
}

// byteCount writes a byte count with comma separators: 2,000,000.
func byteCount(n int) string { return thousands(int64(n)) }
