package state

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"slices"
	"strconv"
	"strings"
)

// Fingerprint returns the SHA-256 (hex) of a canonical encoding of the
// schema. It depends only on what a plan is computed from: table names,
// columns in table order (name, type, NOT NULL, default, primary key),
// indexes (name, unique, columns in order, and the keys' order,
// collation and expression and the WHERE clause of indexes that have them),
// what a CREATE TABLE made by another tool adds (key order, collation,
// CHECK, AUTOINCREMENT, UNIQUE, REFERENCES, generated columns, STRICT,
// WITHOUT ROWID, table constraints, virtual and shadow tables; each
// written only when set, so older fingerprints are unchanged) and KV
// namespace titles. It does
// not depend on the order of Tables, Indexes or Namespaces in the input,
// on HasRows and Rows, on namespace ids, or on internal tables
// (IsInternalTable). A nil schema fingerprints like an empty one. The input
// is not modified.
func Fingerprint(s *Schema) string {
	if s == nil {
		s = &Schema{}
	}
	w := fpWriter{h: sha256.New(), buf: make([]byte, 0, 256)}
	w.str("dmplan-schema-v1\n")

	tables := make([]*Table, 0, len(s.Tables))
	for _, t := range s.Tables {
		if t != nil && !IsInternalTable(t.Name) {
			tables = append(tables, t)
		}
	}
	slices.SortStableFunc(tables, func(a, b *Table) int { return strings.Compare(a.Name, b.Name) })
	var idx []*Index
	for _, t := range tables {
		w.str("table ")
		w.quote(t.Name)
		w.str("\n")
		for _, c := range t.Columns {
			if c == nil {
				continue
			}
			w.str(" column ")
			w.quote(c.Name)
			w.str(" ")
			w.quote(strings.ToUpper(strings.TrimSpace(c.Type)))
			w.str(" notnull=" + strconv.FormatBool(c.NotNull) + " pk=" + strconv.FormatBool(c.PK) + " default=")
			w.quote(c.Default)
			// Written only when set, so that the fingerprints of tables
			// dmplan made stay what they were.
			if c.KeySeq > 0 {
				w.str(" keyseq=" + strconv.Itoa(c.KeySeq))
			}
			w.opt("collate", c.Collate)
			w.opt("check", c.Check)
			if c.Autoincrement {
				w.str(" autoincrement")
			}
			if c.Unique {
				w.str(" unique")
			}
			if c.References != nil {
				w.str(" references")
				w.ref(*c.References)
			}
			w.opt("generated", c.Generated)
			w.str("\n")
		}
		if t.Strict {
			w.str(" strict\n")
		}
		if t.WithoutRowid {
			w.str(" without_rowid\n")
		}
		for _, c := range t.Checks {
			w.opt("check", c)
			w.str("\n")
		}
		for _, u := range t.Uniques {
			w.str(" unique")
			w.list(u)
			w.str("\n")
		}
		for _, fk := range t.ForeignKeys {
			w.str(" foreign_key")
			w.list(fk.Columns)
			w.ref(fk.Reference)
			w.str("\n")
		}
		for _, u := range t.Unmodeled {
			w.opt("unmodeled", u)
			w.str("\n")
		}
		w.opt("virtual", t.Virtual)
		w.opt("shadow_of", t.ShadowOf)
		idx = idx[:0]
		for _, ix := range t.Indexes {
			if ix != nil {
				idx = append(idx, ix)
			}
		}
		slices.SortStableFunc(idx, func(a, b *Index) int { return strings.Compare(a.Name, b.Name) })
		for _, ix := range idx {
			w.str(" index ")
			w.quote(ix.Name)
			w.str(" unique=" + strconv.FormatBool(ix.Unique))
			for _, col := range ix.Columns {
				w.str(" ")
				w.quote(col)
			}
			// Written only for indexes that are not plain, so that the
			// fingerprints of plain schemas stay what they were.
			for i, k := range ix.Keys {
				if k != (IndexKey{}) {
					w.str(" key" + strconv.Itoa(i) + " desc=" + strconv.FormatBool(k.Desc) + " collate=")
					w.quote(k.Collate)
					w.str(" expr=")
					w.quote(k.Expr)
				}
			}
			if ix.Where != "" {
				w.str(" where=")
				w.quote(ix.Where)
			}
			w.str("\n")
		}
	}
	titles := make([]string, 0, len(s.Namespaces))
	for _, n := range s.Namespaces {
		if n != nil {
			titles = append(titles, n.Title)
		}
	}
	slices.Sort(titles)
	for _, t := range titles {
		w.str("kv_namespace ")
		w.quote(t)
		w.str("\n")
	}
	w.flush()
	return hex.EncodeToString(w.h.Sum(nil))
}

// fpWriter buffers the canonical encoding into the hash.
type fpWriter struct {
	h   hash.Hash
	buf []byte
}

func (w *fpWriter) str(s string) {
	w.buf = append(w.buf, s...)
	if len(w.buf) > 4096 {
		w.flush()
	}
}

func (w *fpWriter) quote(s string) {
	w.buf = strconv.AppendQuote(w.buf, s)
}

// opt writes " name=<quoted value>" when the value is set.
func (w *fpWriter) opt(name, v string) {
	if v != "" {
		w.str(" " + name + "=")
		w.quote(v)
	}
}

func (w *fpWriter) list(items []string) {
	w.str(" (")
	for i, s := range items {
		if i > 0 {
			w.str(",")
		}
		w.quote(s)
	}
	w.str(")")
}

func (w *fpWriter) ref(r Reference) {
	w.str(" ")
	w.quote(r.Table)
	w.list(r.Columns)
	w.opt("on_delete", r.OnDelete)
	w.opt("on_update", r.OnUpdate)
}

func (w *fpWriter) flush() {
	w.h.Write(w.buf)
	w.buf = w.buf[:0]
}
