package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/dmplan/dmplan/backend/wranglerdev"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/internal/view"
	"github.com/dmplan/dmplan/planner"
)

var exportCommand = command{
	name:     "export",
	synopsis: "export -format wrangler [flags] [DIR]",
	short:    "Write the plan's SQL as the next wrangler D1 migration file",
	summary: "Plan the *.dm.hcl files in DIR (default \".\") against the environment and\n" +
		"write the plan's SQL steps (tables, columns, indexes) as the next numbered\n" +
		"migration file of `wrangler d1 migrations` (NNNN_name.sql), for teams that\n" +
		"run `wrangler d1 migrations apply` in their deploys. The file goes to -out,\n" +
		"else to the migrations_dir of the D1 database in the wrangler configuration\n" +
		"(wrangler.json, wrangler.jsonc or wrangler.toml in DIR or a parent), else to\n" +
		"DIR/migrations. KV namespaces, backfills, seeds and the gateway Worker are\n" +
		"not SQL: they are listed as not exported (run dmplan apply for them). A plan\n" +
		"with blocked steps is refused; a plan without SQL steps writes nothing.\n\n" +
		"Exit codes: 0 success (a file written, or nothing to export), 1 error or\n" +
		"blocked changes.",
	maxArgs: 1,
}

type exportArgs struct {
	Dir     string
	Env     string
	Format  string
	Out     string
	Name    string
	Binding string
	NoColor bool
}

func parseExport(args []string, c *cli) (exportArgs, error) {
	a := exportArgs{}
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.StringVar(&a.Format, "format", "", "what to write: `wrangler` (a D1 migration file)")
	fs.StringVar(&a.Env, "env", "", envUsage("the environment to plan against"))
	fs.StringVar(&a.Out, "out", "", "write the migration into `DIR` (default: the wrangler configuration's migrations_dir, else DIR/migrations)")
	fs.StringVar(&a.Name, "name", "", "the migration's `name` after its number (default: from the plan's steps)")
	fs.StringVar(&a.Binding, "binding", "", "the D1 `binding` whose migrations_dir to use when the wrangler configuration binds several")
	fs.BoolVar(&a.NoColor, "no-color", false, "do not use colour")
	rest, err := exportCommand.parse(fs, args, c.stdout)
	if a.Env == "" {
		a.Env = c.envDefault()
	}
	a.Dir = dirArg(rest)
	if err == nil {
		switch a.Format {
		case "wrangler":
		case "":
			err = errors.New("export needs -format wrangler (the only format so far)")
		default:
			err = fmt.Errorf("unknown export format %q: the only format is wrangler", a.Format)
		}
	}
	return a, err
}

func (c *cli) export(ctx context.Context, args []string) int {
	var spec *hclspec.Spec
	v := view.NewPlan(view.Human, c.streams(viewArgs{NoColor: true}, &spec))
	a, err := parseExport(args, c)
	if errors.Is(err, errHelp) {
		return exitOK
	}
	if err != nil {
		v.Error(err)
		return exitError
	}
	t, ok := c.loadTarget(a.Dir, a.Env, &spec, v)
	if !ok {
		return exitError
	}
	d, sdiags, err := c.planTarget(ctx, spec, t, false, nil)
	v.Diagnostics(sdiags)
	if err != nil {
		v.Error(err)
		return exitError
	}
	m := wranglerMigration(d.plan)
	if len(m.blocked) > 0 {
		var b strings.Builder
		fmt.Fprintf(&b, "the plan for environment %s has %d blocked step(s), so nothing was exported:\n", t.Environment, len(m.blocked))
		for _, s := range m.blocked {
			fmt.Fprintf(&b, "  ! %s %s: %s\n", s.Code, s.Target, s.Reason)
		}
		b.WriteString("see dmplan plan for what to do by hand")
		v.Error(errors.New(b.String()))
		return exitError
	}
	w := c.stdout
	if len(m.sql) == 0 {
		fmt.Fprintf(w, "Nothing to export: the plan for environment %s has no SQL steps.\n", t.Environment)
		writeNotExported(w, m.skipped)
		return exitOK
	}
	dir, applyCmd, err := migrationsDir(a, t)
	if err != nil {
		v.Error(err)
		return exitError
	}
	wranglerTable := ""
	if t.Backend == hclspec.BackendWrangler && a.Out == "" {
		wranglerTable = cmp.Or(c.wranglerMigrationsTable(t), wranglerdev.DefaultMigrationsTable)
	}
	if err := pendingMigrations(dir, c.relPath(dir), d.ledgers, wranglerTable); err != nil {
		v.Error(fmt.Errorf("%w, so nothing was exported: apply with wrangler first (%s), or delete what should not run", err, applyCmd))
		return exitError
	}
	name := a.Name
	if name == "" {
		name = m.name
	}
	path, num, err := writeMigration(dir, name, migrationText(m, t, d.plan, time.Now().UTC()))
	if err != nil {
		v.Error(err)
		return exitError
	}
	fmt.Fprintf(w, "Wrote migration %s (%d SQL step(s), %d statement(s)) to %s\n", num, len(m.sql), m.statements, c.relPath(path))
	for _, s := range m.sql {
		fmt.Fprintf(w, "  %s %s\n", planSymbol(s.Action), stepLabel(s))
	}
	writeNotExported(w, m.skipped)
	if backfills(m.skipped) {
		fmt.Fprintf(w, "Warning: wrangler does not run the backfills: after it applies this migration the new columns of existing rows stay NULL (and dmplan plan no longer shows them); run `dmplan reconcile -env %s -fix` then to fill them from the KV objects, or apply with dmplan apply instead.\n", t.Environment)
	}
	fmt.Fprintf(w, "Apply it with: %s\n", applyCmd)
	return exitOK
}

// backfills reports whether any of the steps fills rows from KV.
func backfills(steps []planner.Step) bool {
	for _, s := range steps {
		if s.Action == planner.Backfill {
			return true
		}
	}
	return false
}

// exportedMigration is a plan split for a wrangler migration.
type exportedMigration struct {
	sql, skipped, blocked []planner.Step
	statements            int
	name                  string // from the steps
}

// exportable are the actions whose SQL is the whole step: a migration file
// can hold them.
var exportable = map[planner.Action]bool{
	planner.CreateTable: true, planner.AddColumn: true, planner.CreateIndex: true,
}

func wranglerMigration(p *planner.Plan) exportedMigration {
	var m exportedMigration
	var words []string
	for _, s := range p.Steps {
		switch {
		case s.Action == planner.Blocked:
			m.blocked = append(m.blocked, s)
		case exportable[s.Action] && len(s.SQL) > 0:
			m.sql = append(m.sql, s)
			m.statements += len(s.SQL)
			if len(words) < 3 {
				words = append(words, stepWords(s))
			}
		default:
			m.skipped = append(m.skipped, s)
		}
	}
	m.name = strings.Join(words, "_")
	if len(m.sql) > len(words) {
		m.name += "_and_more"
	}
	return m
}

// stepWords names a step in a migration's file name.
func stepWords(s planner.Step) string {
	switch s.Action {
	case planner.CreateTable:
		return "create_" + s.Target
	case planner.AddColumn:
		return "add_" + s.Target
	case planner.CreateIndex:
		return "index_" + s.Target
	}
	return s.Action.String()
}

func planSymbol(a planner.Action) string {
	if a == planner.AddColumn {
		return "~"
	}
	return "+"
}

func stepLabel(s planner.Step) string {
	return strings.ReplaceAll(s.Action.String(), "_", " ") + " " + s.Target
}

func writeNotExported(w io.Writer, skipped []planner.Step) {
	if len(skipped) == 0 {
		return
	}
	fmt.Fprintf(w, "Not exported (not SQL; dmplan apply does them): %d step(s)\n", len(skipped))
	for _, s := range skipped {
		fmt.Fprintf(w, "  - %s\n", stepLabel(s))
	}
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// migrationSlug makes the part of a file name after the number, as
// `wrangler d1 migrations create` does with its message (spaces become
// underscores), keeping only letters, digits, - and _.
func migrationSlug(name string) string {
	s := strings.Trim(unsafeName.ReplaceAllString(strings.ReplaceAll(strings.TrimSpace(name), " ", "_"), "_"), "_")
	if len(s) > 80 {
		s = strings.TrimRight(s[:80], "_")
	}
	if s == "" {
		s = "dmplan"
	}
	return s
}

// migrationText is the file: wrangler's header line, where it came from,
// what was not exported, then each step's statements.
func migrationText(m exportedMigration, t *hclspec.Target, p *planner.Plan, now time.Time) func(num string) string {
	return func(num string) string {
		var b strings.Builder
		fmt.Fprintf(&b, "-- Migration number: %s \t %s\n", num, now.Format("2006-01-02T15:04:05.000Z"))
		fmt.Fprintf(&b, "-- Written by dmplan export -format wrangler from the plan for environment %s (plan %s).\n", t.Environment, p.ID)
		if len(m.skipped) > 0 {
			b.WriteString("-- Not exported (not SQL; run dmplan apply for them):\n")
			for _, s := range m.skipped {
				fmt.Fprintf(&b, "--   %s\n", oneLine(stepLabel(s)))
			}
		}
		for _, s := range m.sql {
			fmt.Fprintf(&b, "\n-- %s\n", oneLine(stepLabel(s)))
			for _, q := range s.SQL {
				b.WriteString(strings.TrimRight(strings.TrimSpace(q), ";"))
				b.WriteString(";\n")
			}
		}
		return b.String()
	}
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// migrationsDir is where the file goes: -out, else migrations_dir of the
// D1 database in the wrangler configuration (a wrangler target's config,
// else found from DIR as wrangler does), else DIR/migrations. applyCmd is
// the wrangler command that applies it: the database's name (or binding)
// in the configuration, "<DATABASE>" without one, and --env for a
// wrangler target's wrangler environment.
func migrationsDir(a exportArgs, t *hclspec.Target) (dir, applyCmd string, err error) {
	dir, db, err := migrationsDirDB(a, t)
	if err != nil {
		return "", "", err
	}
	cmd := "wrangler d1 migrations apply " + cmp.Or(db, "<DATABASE>")
	if t.Backend == hclspec.BackendWrangler && t.WranglerEnv != "" {
		cmd += " --env " + t.WranglerEnv
	}
	return dir, cmd + " [--local | --remote]", nil
}

func migrationsDirDB(a exportArgs, t *hclspec.Target) (dir, db string, err error) {
	wrangler := t.Backend == hclspec.BackendWrangler
	cfgPath := ""
	if wrangler && t.Config != "" {
		cfgPath = t.Config
	} else if cfgPath, err = wranglerdev.FindConfig(a.Dir); errors.Is(err, wranglerdev.ErrNoConfig) {
		if a.Out != "" {
			return a.Out, "", nil
		}
		return filepath.Join(a.Dir, wranglerdev.DefaultMigrationsDir), "", nil
	}
	if err != nil {
		return "", "", err
	}
	cfg, err := wranglerdev.ReadConfig(cfgPath)
	if err != nil {
		return "", "", err
	}
	binding := a.Binding
	if wrangler && t.Binding != "" {
		if binding != "" && binding != t.Binding {
			return "", "", fmt.Errorf("-binding %s: environment %s plans its D1 binding %s, so its migrations go to that database's folder (leave -binding out, or plan the environment whose binding is %s)", binding, t.Environment, t.Binding, binding)
		}
		binding = t.Binding
	}
	if wrangler && t.WranglerEnv != "" {
		if cfg, err = cfg.ForEnv(t.WranglerEnv); err != nil {
			return "", "", err
		}
	}
	d, err := cfg.Database(binding)
	if a.Out != "" {
		if err != nil {
			return a.Out, "", nil
		}
		return a.Out, cmp.Or(d.DatabaseName, d.Binding), nil
	}
	if err != nil {
		return "", "", fmt.Errorf("%w (or pass -out DIR)", err)
	}
	return cfg.MigrationsPath(d), cmp.Or(d.DatabaseName, d.Binding), nil
}

var migrationNumber = regexp.MustCompile(`^(\d+)_`)

// pendingMigrations fails when the database keeps wrangler's ledger and
// dir holds a migration it does not list yet (named after its newest, as
// wrangler applies them in name order): the plan is of the database as it
// is, so a new file would repeat what the pending one does. shown is
// dir as messages show it. wranglerTable, the ledger of a wrangler
// target, makes a database without it one that applied none (elsewhere
// the folder may be another database's).
func pendingMigrations(dir, shown string, ledgers []planner.Ledger, wranglerTable string) error {
	l := wranglerLedger(ledgers)
	if l == nil && wranglerTable == "" {
		return nil
	}
	if l == nil { // a wrangler target whose database has applied none
		l = &planner.Ledger{Kind: planner.WranglerLedger(wranglerTable)}
	}
	pending := l.Pending(migrationFiles(dir))
	if len(pending) == 0 {
		return nil
	}
	what := "migration " + pending[0] + " in " + shown + " is"
	if len(pending) > 1 {
		what = fmt.Sprintf("%d migrations in %s (%s) are", len(pending), shown, strings.Join(pending, ", "))
	}
	return fmt.Errorf("%s not applied yet to this database (its %s %s)", what, l.Kind.Table, l.Listed())
}

// wranglerLedger is wrangler's ledger among those read, nil without one.
func wranglerLedger(ledgers []planner.Ledger) *planner.Ledger {
	var l *planner.Ledger
	for i := range ledgers {
		if ledgers[i].Kind.Code == planner.NoteLedgerWrangler {
			l = &ledgers[i]
		}
	}
	return l
}

// migrationFiles are the names of dir's migrations (NNNN_name.sql), in
// name order; none when dir does not exist.
func migrationFiles(dir string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		if n := e.Name(); strings.HasSuffix(n, ".sql") && migrationNumber.MatchString(n) {
			out = append(out, n)
		}
	}
	return out
}

// writeMigration writes the next migration of dir (created if missing):
// numbered after the highest number of its *.sql files, 4 digits, as
// `wrangler d1 migrations create` numbers them. It never overwrites a
// file. It returns the path and the number.
func writeMigration(dir, name string, text func(num string) string) (string, string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", fmt.Errorf("create migrations directory: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", "", fmt.Errorf("read migrations directory: %w", err)
	}
	highest := 0
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		if m := migrationNumber.FindStringSubmatch(e.Name()); m != nil {
			if n, err := strconv.Atoi(m[1]); err == nil && n > highest {
				highest = n
			}
		}
	}
	num := fmt.Sprintf("%04d", highest+1)
	path := filepath.Join(dir, num+"_"+migrationSlug(name)+".sql")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return "", "", fmt.Errorf("write migration: %w", err)
	}
	if _, err := io.WriteString(f, text(num)); err != nil {
		f.Close()
		os.Remove(path)
		return "", "", fmt.Errorf("write migration %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return "", "", fmt.Errorf("write migration %s: %w", path, err)
	}
	return path, num, nil
}
