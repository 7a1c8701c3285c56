package planner

import (
	"fmt"
	"strings"

	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/state"
)

// A CheckProbe is a column the plan would add, with a CHECK and a default,
// to a live table that holds rows. SQLite tests a new column's CHECK
// against every existing row, each holding the default, and refuses the
// ALTER TABLE ADD COLUMN when one fails; Query finds such a row (it
// returns a row when the CHECK fails), so the plan can block the column
// (DM124) instead of an apply failing.
type CheckProbe struct {
	// Target is "table.column", the key of the WithCheckViolations map.
	Target string
	// Query selects 1 when a live row, given the column's default, fails
	// the CHECK: SELECT 1 FROM (SELECT *, <default> AS "col" FROM "t")
	// WHERE NOT (<check>) LIMIT 1. NULL passes a CHECK, as in SQLite.
	Query string
}

// CheckProbes returns the columns Diff would add with a CHECK and a
// default to live tables that hold rows. Nothing is returned when the plan
// adds none, so the caller makes no request then.
func CheckProbes(spec *hclspec.Spec, env string, live *state.Schema) []CheckProbe {
	if live == nil {
		live = &state.Schema{}
	}
	d := newDiffer(spec, env, live)
	for _, m := range d.models() {
		d.model(m)
	}
	return d.checkProbes
}

// WithCheckViolations gives Diff, keyed by "table.column", whether a
// column the plan would add fails its CHECK on the live rows (see
// CheckProbes). Such a column becomes a blocked step (DM124) instead of
// an ADD COLUMN that apply would see fail.
func WithCheckViolations(v map[string]bool) Option {
	return func(o *options) { o.checkFails = v }
}

// checkProbe reports whether adding c to the live table have needs a look
// at the rows: c has a CHECK and a default, and the table holds rows.
func checkProbe(have *state.Table, c *state.Column) (CheckProbe, bool) {
	if c.Check == "" || normDefault(c.Default) == "" || (!have.HasRows && have.Rows <= 0) {
		return CheckProbe{}, false
	}
	return CheckProbe{
		Target: have.Name + "." + c.Name,
		Query: fmt.Sprintf("SELECT 1 FROM (SELECT *, %s AS %s FROM %s) WHERE NOT (%s) LIMIT 1",
			defaultClause(c.Default), quoteIdent(c.Name), quoteIdent(have.Name), sqlText(c.Check)),
	}, true
}

// checkFailsHint is the DM124 hint of a column whose CHECK its default
// fails on the live rows.
func checkFailsHint(c *state.Column) string {
	return fmt.Sprintf("give field %s a default that passes CHECK (%s), or make it optional without a default (NULL passes a CHECK) and fill it through the runtime", c.Name, strings.TrimSpace(c.Check))
}
