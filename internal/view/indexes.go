package view

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/hashicorp/hcl/v2"
)

// ModelIndexes is what the indexes command found for one model: its
// indexes and, for each query shape tried, how SQLite runs it.
type ModelIndexes struct {
	Model string `json:"model"`
	Table string `json:"table"`
	// Scoped says the shapes were tried through a user's handle, which
	// adds user_id = ? to every query; SoftDelete that deleted_at IS NULL
	// is added too.
	Scoped     bool         `json:"scoped"`
	SoftDelete bool         `json:"soft_delete"`
	Indexes    []IndexInfo  `json:"indexes"`
	Shapes     []QueryShape `json:"queries"`
}

// IndexInfo is one index of a model's table.
type IndexInfo struct {
	Name    string   `json:"name"`
	Columns []string `json:"columns"` // "<expr>" for an expression key
	Unique  bool     `json:"unique,omitempty"`
	// Keys are the keys as SQL writes them ("lower(email)", "name COLLATE
	// NOCASE", "created_at DESC") when the index was declared with keys.
	Keys []string `json:"keys,omitempty"`
	// Where is the condition of a partial index (a unique = "live" index
	// holds deleted_at IS NULL): it serves only queries whose filters
	// include it, as every query of a soft-deleting model does.
	Where string `json:"where,omitempty"`
}

// QueryShape is one query's filters and order and how SQLite runs it:
// found by an index search (Index, Search) or by reading every row
// (FullScan), its page read in an index's order or sorted in memory.
type QueryShape struct {
	Where         []string `json:"where"`
	OrderBy       string   `json:"order_by,omitempty"`
	Index         string   `json:"index,omitempty"`
	Search        string   `json:"search,omitempty"`
	FullScan      bool     `json:"full_scan"`
	OrderIndex    string   `json:"order_index,omitempty"`
	SortsInMemory bool     `json:"sorts_in_memory"`
}

// Indexes renders the indexes command. Indexes and Error each end the
// output.
type Indexes interface {
	Diagnostics(diags hcl.Diagnostics)
	Indexes(models []ModelIndexes)
	Error(err error)
}

var (
	_ Indexes = (*IndexesHuman)(nil)
	_ Indexes = (*IndexesJSON)(nil)
)

// NewIndexes returns the indexes view for the format (markdown falls back
// to human).
func NewIndexes(t Type, s Streams) Indexes {
	if t == JSON {
		return &IndexesJSON{jsonView{out: s.Out}}
	}
	return &IndexesHuman{newHumanView(s)}
}

// IndexesHuman prints one table of query shapes per model.
type IndexesHuman struct{ humanView }

// Indexes prints each model's indexes and query shapes.
func (v *IndexesHuman) Indexes(models []ModelIndexes) {
	for i, m := range models {
		if i > 0 {
			v.printf("\n")
		}
		v.printf("%s %s\n", v.out.Heading.Render(m.Model), v.out.Muted.Render("(D1 table "+m.Table+")"))
		var added []string
		if m.Scoped {
			added = append(added, "user_id = ?")
		}
		if m.SoftDelete {
			added = append(added, "deleted_at IS NULL")
		}
		if len(added) > 0 {
			who := "every query also filters"
			if m.Scoped {
				who = "a user's queries also filter"
			}
			v.printf("  %s\n", v.out.Muted.Render("("+who+" "+strings.Join(added, " and ")+")"))
		}
		if len(m.Indexes) == 0 {
			v.printf("  Indexes: none besides the primary key\n")
		} else {
			v.printf("  Indexes:\n")
			for _, ix := range m.Indexes {
				u := ""
				if ix.Unique {
					u = " unique"
				}
				keys := ix.Columns
				if len(ix.Keys) > 0 {
					keys = ix.Keys
				}
				w := ""
				if ix.Where != "" {
					w = " WHERE " + ix.Where
				}
				v.printf("    %s (%s)%s%s\n", ix.Name, strings.Join(keys, ", "), u, w)
			}
		}
		tw := tabwriter.NewWriter(v.s.Out, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "  QUERY\tFINDS ROWS BY\tORDER\n")
		for _, s := range m.Shapes {
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", shapeText(s), findsText(s), orderText(s))
		}
		_ = tw.Flush()
	}
	full := 0
	for _, m := range models {
		for _, s := range m.Shapes {
			if s.FullScan {
				full++
			}
		}
	}
	if full > 0 {
		v.printf("\n%s every row of the table to find the matches, and a page's total\n"+
			"counts them all: D1 bills each row read. An index whose first columns are a query's\n"+
			"equality filters serves it.\n",
			v.out.Warning.Render(plural(full, "query shape reads", "query shapes read")))
	}
}

func shapeText(s QueryShape) string {
	var parts []string
	if len(s.Where) > 0 {
		ws := make([]string, len(s.Where))
		for i, w := range s.Where {
			ws[i] = w + " = ?"
		}
		parts = append(parts, "where "+strings.Join(ws, ", "))
	}
	if s.OrderBy != "" {
		parts = append(parts, "order by "+s.OrderBy)
	}
	if len(parts) == 0 {
		return "(no filter)"
	}
	return strings.Join(parts, " ")
}

func findsText(s QueryShape) string {
	switch {
	case s.FullScan:
		return "full scan"
	case s.Index != "" && s.Search != "":
		return s.Index + " (" + s.Search + ")"
	case s.Index != "":
		return s.Index
	}
	return "primary key"
}

func orderText(s QueryShape) string {
	switch {
	case s.SortsInMemory:
		return "sorted in memory"
	case s.OrderIndex != "":
		return "index " + s.OrderIndex
	}
	return "table order"
}

// IndexesJSON writes {format_version, indexes, diagnostics}.
type IndexesJSON struct{ jsonView }

// Diagnostics collects diagnostics for the document.
func (v *IndexesJSON) Diagnostics(diags hcl.Diagnostics) { v.addDiagnostics(diags) }

// Indexes writes the document.
func (v *IndexesJSON) Indexes(models []ModelIndexes) {
	if models == nil {
		models = []ModelIndexes{}
	}
	v.write(document{Indexes: &models})
}

// Error writes the document with the error.
func (v *IndexesJSON) Error(err error) { v.writeError(err) }
