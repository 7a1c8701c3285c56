package state

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
)

// Fingerprint returns the SHA-256 (hex) of a canonical encoding of the
// schema. It depends only on what a plan is computed from: table names,
// columns in table order (name, type, NOT NULL, default, primary key),
// indexes (name, unique, columns in order) and KV namespace titles. It does
// not depend on the order of Tables, Indexes or Namespaces in the input,
// on HasRows and Rows, on namespace ids, or on internal tables
// (IsInternalTable). A nil schema fingerprints like an empty one.
func Fingerprint(s *Schema) string {
	c := s.Clone()
	if c == nil {
		c = &Schema{}
	}
	c.Sort()
	var b strings.Builder
	b.WriteString("dmplan-schema-v1\n")
	for _, t := range c.Tables {
		if IsInternalTable(t.Name) {
			continue
		}
		b.WriteString("table ")
		b.WriteString(strconv.Quote(t.Name))
		b.WriteByte('\n')
		for _, col := range t.Columns {
			b.WriteString(" column ")
			b.WriteString(strconv.Quote(col.Name))
			b.WriteByte(' ')
			b.WriteString(strconv.Quote(strings.ToUpper(strings.TrimSpace(col.Type))))
			b.WriteString(" notnull=")
			b.WriteString(strconv.FormatBool(col.NotNull))
			b.WriteString(" pk=")
			b.WriteString(strconv.FormatBool(col.PK))
			b.WriteString(" default=")
			b.WriteString(strconv.Quote(col.Default))
			b.WriteByte('\n')
		}
		for _, ix := range t.Indexes {
			b.WriteString(" index ")
			b.WriteString(strconv.Quote(ix.Name))
			b.WriteString(" unique=")
			b.WriteString(strconv.FormatBool(ix.Unique))
			for _, col := range ix.Columns {
				b.WriteByte(' ')
				b.WriteString(strconv.Quote(col))
			}
			b.WriteByte('\n')
		}
	}
	for _, n := range c.Namespaces {
		b.WriteString("kv_namespace ")
		b.WriteString(strconv.Quote(n.Title))
		b.WriteByte('\n')
	}
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:])
}
