package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/local"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/internal/view"
	"github.com/dmplan/dmplan/planner"
	"github.com/dmplan/dmplan/runtime"
	"github.com/dmplan/dmplan/state"
)

var indexesCommand = command{
	name:     "indexes",
	synopsis: "indexes [flags] [DIR]",
	short:    "Show which filters and orders each model's indexes serve",
	summary: "Show, for each model of DIR (default \".\"), its D1 indexes and how SQLite runs\n" +
		"the runtime's queries: for the equality filters each index can serve, for each\n" +
		"synced column no index leads, and for an order by the column each index has\n" +
		"after those filters (where board = ? order by priority),\n" +
		"whether the matching rows are found by an index search or by reading every row\n" +
		"(a full scan, which D1 bills per row), and whether the page is sorted in memory.\n" +
		"The declared schema is built in an in-memory SQLite database and each query's\n" +
		"plan read with EXPLAIN QUERY PLAN; no database is touched. Queries of models\n" +
		"with user_tracking are tried as a user's handle would run them.",
	maxArgs: 1,
}

type indexesArgs struct {
	Dir     string
	Model   string
	Format  view.Type
	NoColor bool
}

func parseIndexes(args []string, c *cli) (indexesArgs, error) {
	var a indexesArgs
	fs := flag.NewFlagSet("indexes", flag.ContinueOnError)
	fs.StringVar(&a.Model, "model", "", "show only the `MODEL`")
	fs.Var(jsonFlag{&a.Format}, "json", "print the result as JSON")
	fs.BoolVar(&a.NoColor, "no-color", false, "do not use colour")
	rest, err := indexesCommand.parse(fs, args, c.stdout)
	a.Dir = dirArg(rest)
	return a, err
}

func (c *cli) indexes(ctx context.Context, args []string) int {
	va := scanViewArgs(args)
	var spec *hclspec.Spec
	v := view.NewIndexes(va.Format, c.streams(va, &spec))
	a, err := parseIndexes(args, c)
	if errors.Is(err, errHelp) {
		return exitOK
	}
	if err != nil {
		v.Error(err)
		return exitError
	}
	diags, err := loadDir(a.Dir, &spec)
	v.Diagnostics(diags)
	if err != nil {
		v.Error(err)
		return exitError
	}
	names := make([]string, 0, len(spec.Models))
	for _, m := range spec.Models {
		names = append(names, m.Name)
	}
	slices.Sort(names)
	if a.Model != "" {
		if spec.Model(a.Model) == nil {
			v.Error(fmt.Errorf("no model %q in %s; the models are %s", a.Model, a.Dir, strings.Join(names, ", ")))
			return exitError
		}
		names = []string{a.Model}
	}
	out, err := explainIndexes(ctx, spec, names)
	if err != nil {
		v.Error(err)
		return exitError
	}
	v.Indexes(out)
	return exitOK
}

// explainIndexes builds the declared D1 schema in memory and reads the
// plan of each model's query shapes.
func explainIndexes(ctx context.Context, spec *hclspec.Spec, names []string) ([]view.ModelIndexes, error) {
	store, err := local.OpenMemory(ctx)
	if err != nil {
		return nil, fmt.Errorf("open an in-memory database: %w", err)
	}
	defer store.Close()
	p := planner.Diff(spec, "local", &state.Schema{})
	for _, s := range p.Steps {
		switch s.Action {
		case planner.CreateTable, planner.AddColumn, planner.CreateIndex:
		default:
			continue
		}
		for _, sql := range s.SQL {
			if _, err := store.D1().Query(ctx, backend.Stmt{SQL: sql}); err != nil {
				return nil, fmt.Errorf("build %s in memory: %w", s.Target, err)
			}
		}
	}
	ds, err := runtime.Open(ctx, spec, store, runtime.WithNamespaces(nil),
		runtime.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		return nil, err
	}
	var out []view.ModelIndexes
	for _, name := range names {
		mi, err := explainModel(ctx, ds, spec.Model(name))
		if err != nil {
			return nil, err
		}
		out = append(out, mi)
	}
	return out, nil
}

func explainModel(ctx context.Context, ds *runtime.Datastore, m *hclspec.Model) (view.ModelIndexes, error) {
	mi := view.ModelIndexes{Model: m.Name, Table: m.D1.Table, Indexes: []view.IndexInfo{}, Shapes: []view.QueryShape{},
		Scoped: m.Options.UserTracking && m.Field("user_id") != nil && m.D1.SyncFields[0] != "user_id", SoftDelete: m.Options.SoftDelete}
	h := ds.System()
	if mi.Scoped {
		h = ds.Auth("user")
	}
	pk := m.D1.SyncFields[0]
	led := map[string]bool{pk: true}
	var shapes []view.QueryShape
	seen := map[string]bool{}
	// auto says a column every query of the handle already filters by
	// equality: user_id on a user's handle, deleted_at (IS NULL) on a
	// soft-delete model. It is left out of the shapes people read.
	auto := func(c string) bool {
		return (mi.Scoped && c == "user_id") || (mi.SoftDelete && c == "deleted_at")
	}
	add := func(s view.QueryShape) {
		s.Where = slices.DeleteFunc(slices.Clone(s.Where), auto)
		if auto(s.OrderBy) {
			s.OrderBy = ""
		}
		key := strings.Join(s.Where, ",") + "|" + s.OrderBy
		if !seen[key] {
			seen[key] = true
			shapes = append(shapes, s)
		}
	}
	add(view.QueryShape{})
	for _, ix := range m.D1.Indexes {
		mi.Indexes = append(mi.Indexes, view.IndexInfo{Name: ix.Name, Columns: ix.Columns, Unique: ix.Unique,
			Keys: indexKeyTexts(ix), Where: ix.Condition()})
		// The runtime filters and orders by columns: the shapes an index
		// serves end at its first expression key.
		cols := ix.Columns
		if i := slices.Index(cols, "<expr>"); i >= 0 {
			cols = cols[:i]
		}
		if len(cols) == 0 {
			continue
		}
		led[cols[0]] = true
		// Each run of equality filters an index leads with, and the order
		// by the index's next column after them: the listing the index
		// is declared for (where board = ? order by priority).
		for k := 0; k <= len(cols); k++ {
			if k > 0 {
				add(view.QueryShape{Where: cols[:k]})
			}
			if k < len(cols) && cols[k] != pk && !auto(cols[k]) {
				add(view.QueryShape{Where: cols[:k], OrderBy: cols[k]})
			}
		}
	}
	for _, f := range m.D1.SyncFields {
		switch {
		case f == "user_id" && mi.Scoped, f == "deleted_at":
			// A user's handle filters user_id; deleted_at is the
			// soft-delete filter every query has.
		case (f == "created_at" || f == "updated_at") && m.Options.Timestamps:
			add(view.QueryShape{OrderBy: f}) // ordered by, seldom compared
		case !led[f] && sampleValue(m, f) != nil:
			add(view.QueryShape{Where: []string{f}})
		}
	}
	for _, s := range shapes {
		q := h.Query(m.Name)
		for _, w := range s.Where {
			q = q.Where(w, sampleValue(m, w))
		}
		if s.OrderBy != "" {
			q = q.OrderBy(s.OrderBy, runtime.Asc)
		}
		e, err := q.Explain(ctx)
		if err != nil {
			return mi, fmt.Errorf("explain a query of %s: %w", m.Name, err)
		}
		s.Index, s.Search, s.FullScan = indexName(e.Index), e.Search, e.FullScan
		s.OrderIndex, s.SortsInMemory = indexName(e.OrderIndex), e.SortsInMemory
		if s.Where == nil {
			s.Where = []string{}
		}
		mi.Shapes = append(mi.Shapes, s)
	}
	return mi, nil
}

// indexKeyTexts writes the keys of an index declared with keys as
// written in SQL ("lower(email)", "name COLLATE NOCASE", "created_at
// DESC"), nil for a plain columns list.
func indexKeyTexts(ix *hclspec.Index) []string {
	if len(ix.Keys) == 0 {
		return nil
	}
	out := make([]string, len(ix.Keys))
	for i, k := range ix.Keys {
		s := k.Column
		if k.Expr != "" {
			s = k.Expr
		}
		if k.Collate != "" {
			s += " COLLATE " + k.Collate
		}
		if k.Desc {
			s += " DESC"
		}
		out[i] = s
	}
	return out
}

// indexName names SQLite's implicit index of a primary key or UNIQUE
// column for people.
func indexName(name string) string {
	if strings.HasPrefix(name, "sqlite_autoindex_") {
		return "primary key"
	}
	return name
}

// sampleValue is a value of the column's type to build a query with, or
// nil for JSON and array columns, which queries do not compare.
func sampleValue(m *hclspec.Model, col string) any {
	f := m.Field(col)
	if f == nil { // a built-in column
		if strings.HasSuffix(col, "_at") {
			return "2026-01-01T00:00:00.000Z"
		}
		return "x"
	}
	switch f.Type {
	case hclspec.String, hclspec.Text:
		return "x"
	case hclspec.Integer:
		return int64(1)
	case hclspec.Number:
		return 1.5
	case hclspec.Boolean:
		return true
	case hclspec.Timestamp:
		return "2026-01-01T00:00:00.000Z"
	}
	return nil
}
