package applier

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/planner"
	"github.com/dmplan/dmplan/state"
)

// historyDDL creates the history table. It runs as the first statement of
// every apply's first batch, and before a failed row is written.
var historyDDL = "CREATE TABLE IF NOT EXISTS " + backend.QuoteIdent(state.HistoryTable) + ` (
  id INTEGER PRIMARY KEY,
  plan_id TEXT NOT NULL,
  fingerprint_before TEXT NOT NULL,
  fingerprint_after TEXT NOT NULL DEFAULT '',
  steps TEXT NOT NULL,
  counts TEXT NOT NULL,
  tool_version TEXT NOT NULL,
  actor TEXT NOT NULL,
  started_at TEXT NOT NULL,
  finished_at TEXT NOT NULL,
  duration_ms INTEGER NOT NULL,
  outcome TEXT NOT NULL,
  error TEXT NOT NULL DEFAULT '',
  failed_step INTEGER NOT NULL DEFAULT -1,
  kv_namespaces_created TEXT NOT NULL DEFAULT '[]',
  bookmark TEXT NOT NULL DEFAULT ''
)`

// historyAddBookmark upgrades a history table created before the bookmark
// column existed. SQLite fills the old rows with the default.
var historyAddBookmark = "ALTER TABLE " + backend.QuoteIdent(state.HistoryTable) +
	" ADD COLUMN bookmark TEXT NOT NULL DEFAULT ''"

// historyColumns lists the history table's columns; no rows when the table
// does not exist.
var historyColumns = "PRAGMA table_info(" + backend.QuoteIdent(state.HistoryTable) + ")"

// historyTable is the quoted history table name.
var historyTable = backend.QuoteIdent(state.HistoryTable)

// historyInsertColumns are the columns a new row sets, in insertStmt's
// argument order; the bookmark column follows only when the row has one,
// so the insert also works on a history table from before it.
var historyInsertColumns = `plan_id, fingerprint_before, fingerprint_after, steps, counts, tool_version, actor,
  started_at, finished_at, duration_ms, outcome, error, failed_step, kv_namespaces_created`

// historyInsert writes a row without a bookmark, so it also works on a
// history table from before the bookmark column; historyInsertBookmark
// writes one with it.
var (
	historyInsert = "INSERT INTO " + historyTable + " (" + historyInsertColumns + `)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	historyInsertBookmark = "INSERT INTO " + historyTable + " (" + historyInsertColumns + `, bookmark)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
)

// The statements of the row an apply writes before its first step (see
// startStmts). An apply is known by its plan id and start time (?1, ?2),
// so the batch is safe to replay: the insert adds the row only once, and
// the rows it marks interrupted are other applies'.
var (
	// historyRunning lists the rows other applies left running: the lock
	// is held by this apply, so none of them still runs.
	historyRunning = "SELECT id, plan_id, actor, started_at FROM " + historyTable +
		" WHERE outcome = '" + state.OutcomeRunning + "' AND NOT (plan_id = ?1 AND started_at = ?2) ORDER BY id"
	// historyInterrupt marks them interrupted; ?3 is the error it records.
	historyInterrupt = "UPDATE " + historyTable + " SET outcome = '" + state.OutcomeInterrupted + "', error = ?3" +
		" WHERE outcome = '" + state.OutcomeRunning + "' AND NOT (plan_id = ?1 AND started_at = ?2)"
	// historyStarted reads the id of this apply's row.
	historyStarted = "SELECT id FROM " + historyTable + " WHERE plan_id = ?1 AND started_at = ?2 ORDER BY id DESC LIMIT 1"
	// historyComplete rewrites a row's outcome and what ran, by id.
	historyComplete = "UPDATE " + historyTable + ` SET fingerprint_after = ?, steps = ?, counts = ?, finished_at = ?,
  duration_ms = ?, outcome = ?, error = ?, failed_step = ?, kv_namespaces_created = ? WHERE id = ?`
)

// historySelect reads rows; the first %s is the bookmark column, or an
// empty string literal for a table from before it, the second a WHERE
// clause or nothing.
var historySelect = `SELECT id, plan_id, fingerprint_before, fingerprint_after, steps, counts,
  tool_version, actor, started_at, finished_at, duration_ms, outcome, error, failed_step,
  kv_namespaces_created, %s FROM ` + backend.QuoteIdent(state.HistoryTable) + ` %s ORDER BY id DESC`

// maxHistorySteps bounds the steps stored in one history row, so the row
// stays far below D1's 2 MB row limit; Counts still covers every step.
const maxHistorySteps = 5000

// maxHistoryError bounds the error text stored in one history row: an
// error quoting a huge statement or value must not make the row itself
// too large to record (D1 refuses a value over 2 MB).
const maxHistoryError = 8 << 10

// maxHistoryStatement and maxHistorySQL bound the SQL a history row keeps:
// each statement is clipped to the first, and once the row holds the
// second in all, later steps keep none (StepRef.SQLClipped says so).
const (
	maxHistoryStatement = 2 << 10
	maxHistorySQL       = 256 << 10
)

// timeLayout is how history stores times: UTC ISO-8601 with milliseconds.
const timeLayout = "2006-01-02T15:04:05.000Z"

// stepRefs returns the compact form of the plan's steps for history,
// with their SQL clipped (see maxHistorySQL).
func stepRefs(steps []planner.Step) []state.StepRef {
	n := min(len(steps), maxHistorySteps)
	out := make([]state.StepRef, n)
	budget := maxHistorySQL
	for i := range n {
		r := state.StepRef{Action: steps[i].Action.String(), Target: steps[i].Target, Model: steps[i].Model}
		for _, q := range steps[i].SQL {
			if budget <= 0 {
				r.SQLClipped = true
				break
			}
			c := clipSQL(q, min(maxHistoryStatement, budget))
			r.SQLClipped = r.SQLClipped || c != q
			r.SQL = append(r.SQL, c)
			budget -= len(c)
		}
		out[i] = r
	}
	return out
}

// clipSQL cuts q to at most max bytes, at a character boundary, saying
// how much was left out.
func clipSQL(q string, max int) string {
	if len(q) <= max {
		return q
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(q[cut]) {
		cut--
	}
	return q[:cut] + fmt.Sprintf("… (%d more bytes)", len(q)-cut)
}

// historyArgs encodes the JSON columns of rec.
func historyArgs(rec *state.HistoryRecord) (steps, counts, namespaces string, err error) {
	sb, err := json.Marshal(rec.Steps)
	if err != nil {
		return "", "", "", fmt.Errorf("encode history steps: %w", err)
	}
	cb, err := json.Marshal(rec.Counts)
	if err != nil {
		return "", "", "", fmt.Errorf("encode history counts: %w", err)
	}
	nss := rec.Namespaces
	if nss == nil {
		nss = []state.Namespace{}
	}
	nb, err := json.Marshal(nss)
	if err != nil {
		return "", "", "", fmt.Errorf("encode history namespaces: %w", err)
	}
	return string(sb), string(cb), string(nb), nil
}

// formatTime is a time as history stores it; the zero time (an end not
// known yet) is empty.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeLayout)
}

// startStmts are the statements that record an apply before its first
// step, after the table is created or upgraded: other applies' running
// rows are marked interrupted (listed first, so the apply can say so),
// rec is inserted as running, and its id is read back.
func startStmts(rec *state.HistoryRecord) ([]backend.Stmt, error) {
	ins, err := insertStmt(rec)
	if err != nil {
		return nil, err
	}
	key := []any{rec.PlanID, formatTime(rec.StartedAt)}
	// INSERT ... SELECT ... WHERE NOT EXISTS: a replay adds no second row.
	cols, _, _ := strings.Cut(ins.SQL, "VALUES")
	ins.SQL = cols + "SELECT " + strings.TrimSuffix(strings.Repeat("?, ", len(ins.Args)), ", ") +
		" WHERE NOT EXISTS (SELECT 1 FROM " + historyTable + " WHERE plan_id = ? AND started_at = ?)"
	ins.Args = append(ins.Args, key...)
	ins.Idempotent = true
	why := fmt.Sprintf("the apply did not record its end (killed, or its last history write failed); "+
		"found by the apply of plan %s that started %s", rec.PlanID, formatTime(rec.StartedAt))
	return []backend.Stmt{
		{SQL: historyRunning, Args: key},
		{SQL: historyInterrupt, Args: append(key, why), Idempotent: true},
		ins,
		{SQL: historyStarted, Args: key},
	}, nil
}

// completeStmt rewrites the row rec.ID with how the apply ended. It is
// safe to replay.
func completeStmt(rec *state.HistoryRecord) (backend.Stmt, error) {
	steps, counts, ns, err := historyArgs(rec)
	if err != nil {
		return backend.Stmt{}, err
	}
	return backend.Stmt{SQL: historyComplete, Idempotent: true, Args: []any{
		rec.FingerprintAfter, steps, counts, formatTime(rec.FinishedAt), rec.DurationMS,
		rec.Outcome, clipSQL(rec.Error, maxHistoryError), int64(rec.FailedStep), ns, rec.ID,
	}}, nil
}

// recordStmt is the statement that records rec: it completes the row the
// apply started with, or inserts one when there is none (a no-op).
func recordStmt(rec *state.HistoryRecord) (backend.Stmt, error) {
	if rec.ID != 0 {
		return completeStmt(rec)
	}
	return insertStmt(rec)
}

// insertStmt renders the history row of rec as a statement.
func insertStmt(rec *state.HistoryRecord) (backend.Stmt, error) {
	steps, counts, ns, err := historyArgs(rec)
	if err != nil {
		return backend.Stmt{}, err
	}
	st := backend.Stmt{SQL: historyInsert, Args: []any{
		rec.PlanID, rec.FingerprintBefore, rec.FingerprintAfter, steps, counts,
		rec.ToolVersion, rec.Actor, formatTime(rec.StartedAt), formatTime(rec.FinishedAt),
		rec.DurationMS, rec.Outcome, clipSQL(rec.Error, maxHistoryError), int64(rec.FailedStep), ns,
	}}
	if rec.Bookmark != "" {
		st.SQL = historyInsertBookmark
		st.Args = append(st.Args, rec.Bookmark)
	}
	return st, nil
}

// readHistoryColumns reports whether the history table exists and whether
// it has the bookmark column.
func readHistoryColumns(ctx context.Context, d1 backend.D1) (exists, bookmark bool, err error) {
	res, err := d1.Query(ctx, backend.Stmt{SQL: historyColumns})
	if err != nil {
		return false, false, fmt.Errorf("inspect history table: %w", err)
	}
	for _, row := range res.Rows {
		if len(row) > 1 && asString(row[1]) == "bookmark" {
			bookmark = true
		}
	}
	return len(res.Rows) > 0, bookmark, nil
}

// historyUpgrade returns the statements that let rec be written: none
// when rec has no bookmark (the insert then names only the old columns,
// so no read is needed), else the ALTER TABLE that adds the bookmark
// column to a history table from before it. A missing table needs none:
// historyDDL creates it with the column.
func historyUpgrade(ctx context.Context, d1 backend.D1, rec *state.HistoryRecord) ([]backend.Stmt, error) {
	if rec.Bookmark == "" {
		return nil, nil
	}
	exists, has, err := readHistoryColumns(ctx, d1)
	if err != nil {
		return nil, err
	}
	if !exists || has {
		return nil, nil
	}
	return []backend.Stmt{{SQL: historyAddBookmark}}, nil
}

// historyAttempts bounds how often a row's completion is sent when it
// fails: the update is by id, so sending it again is harmless.
const historyAttempts = 3

// writeHistory records rec in its own batch: it completes the row the
// apply started with (retried, see historyAttempts), or inserts a row (a
// no-op's), creating or upgrading the table when needed. Apply uses it
// for failed, interrupted and no-op rows and after seeds and backfills;
// otherwise a successful apply completes its row inside its final batch.
func writeHistory(ctx context.Context, d1 backend.D1, rec *state.HistoryRecord) error {
	st, err := recordStmt(rec)
	if err != nil {
		return err
	}
	sts := []backend.Stmt{st}
	if rec.ID == 0 {
		up, err := historyUpgrade(ctx, d1, rec)
		if err != nil {
			return fmt.Errorf("record history: %w", err)
		}
		sts = append(append([]backend.Stmt{{SQL: historyDDL}}, up...), st)
	}
	for attempt := range historyAttempts {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return fmt.Errorf("record history: %w", err)
			case <-time.After(time.Duration(attempt) * 300 * time.Millisecond):
			}
		}
		if _, err = d1.Batch(ctx, sts); err == nil || rec.ID == 0 {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("record history: %w", err)
	}
	return nil
}

// historyLast reads the newest row's outcome (LastApplyProbe).
var historyLast = "SELECT id, plan_id, actor, started_at, outcome FROM " + historyTable + " ORDER BY id DESC LIMIT 1"

// LastApplyProbe reads the newest history row in a plan's inspection
// (backend.InspectWith runs it in the batch it already sends, and only
// when the history table exists). UnfinishedApply reads its result.
func LastApplyProbe() *backend.Probe {
	return &backend.Probe{Table: state.HistoryTable, Stmt: backend.Stmt{SQL: historyLast}}
}

// LastApply is the newest apply in history, as a plan reports it.
type LastApply struct {
	ID        int64
	PlanID    string
	Actor     string
	StartedAt time.Time
	Outcome   string
}

// UnfinishedApply is the newest apply of a LastApplyProbe's result when
// it did not finish: still recorded as running (a live apply, or one
// killed), or interrupted. Nil otherwise.
func UnfinishedApply(p *backend.Probe) *LastApply {
	if p == nil || p.Result == nil || len(p.Result.Rows) == 0 || len(p.Result.Rows[0]) < 5 {
		return nil
	}
	row := p.Result.Rows[0]
	l := &LastApply{ID: asInt(row[0]), PlanID: asString(row[1]), Actor: asString(row[2]), StartedAt: asTime(row[3]), Outcome: asString(row[4])}
	if l.Outcome != state.OutcomeRunning && l.Outcome != state.OutcomeInterrupted {
		return nil
	}
	return l
}

// History returns the most recent applies recorded in the target, newest
// first; limit <= 0 returns all of them. A database dmplan never applied
// to has no history and returns none. A history table from before the
// bookmark column is read as is, with empty bookmarks.
func History(ctx context.Context, d1 backend.D1, limit int) ([]state.HistoryRecord, error) {
	return queryHistory(ctx, d1, "", nil, limit)
}

// FindHistory returns the rows ref names, newest first: the row with that
// id when ref is a number and such a row exists, else the rows whose plan
// id is ref or starts with it. None when nothing matches.
func FindHistory(ctx context.Context, d1 backend.D1, ref string) ([]state.HistoryRecord, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return []state.HistoryRecord{}, nil
	}
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil {
		recs, err := queryHistory(ctx, d1, "WHERE id = ?", []any{id}, 0)
		if err != nil || len(recs) > 0 {
			return recs, err
		}
		// No such id: the digits may start a plan id.
	}
	return queryHistory(ctx, d1, "WHERE substr(plan_id, 1, length(?1)) = ?1", []any{ref}, 0)
}

// queryHistory reads the rows matching where (with its args), newest
// first, at most limit (<= 0: all).
func queryHistory(ctx context.Context, d1 backend.D1, where string, args []any, limit int) ([]state.HistoryRecord, error) {
	exists, hasBookmark, err := readHistoryColumns(ctx, d1)
	if err != nil {
		return nil, fmt.Errorf("read history: %w", err)
	}
	if !exists {
		return []state.HistoryRecord{}, nil
	}
	col := "''"
	if hasBookmark {
		col = "bookmark"
	}
	st := backend.Stmt{SQL: fmt.Sprintf(historySelect, col, where), Args: args}
	if limit > 0 {
		st.SQL += " LIMIT " + strconv.Itoa(limit)
	}
	res, err := d1.Query(ctx, st)
	if err != nil {
		return nil, fmt.Errorf("read history: %w", err)
	}
	out := make([]state.HistoryRecord, 0, len(res.Rows))
	for _, row := range res.Rows {
		rec, err := scanHistory(row)
		if err != nil {
			return nil, fmt.Errorf("read history: %w", err)
		}
		out = append(out, rec)
	}
	return out, nil
}

func scanHistory(row []any) (state.HistoryRecord, error) {
	if len(row) < 16 {
		return state.HistoryRecord{}, fmt.Errorf("history row of %d columns", len(row))
	}
	rec := state.HistoryRecord{
		ID:                asInt(row[0]),
		PlanID:            asString(row[1]),
		FingerprintBefore: asString(row[2]),
		FingerprintAfter:  asString(row[3]),
		ToolVersion:       asString(row[6]),
		Actor:             asString(row[7]),
		StartedAt:         asTime(row[8]),
		FinishedAt:        asTime(row[9]),
		DurationMS:        asInt(row[10]),
		Outcome:           asString(row[11]),
		Error:             asString(row[12]),
		FailedStep:        int(asInt(row[13])),
		Bookmark:          asString(row[15]),
	}
	if err := json.Unmarshal([]byte(asString(row[4])), &rec.Steps); err != nil {
		return rec, fmt.Errorf("decode steps of history row %d: %w", rec.ID, err)
	}
	if err := json.Unmarshal([]byte(asString(row[5])), &rec.Counts); err != nil {
		return rec, fmt.Errorf("decode counts of history row %d: %w", rec.ID, err)
	}
	if s := asString(row[14]); s != "" {
		if err := json.Unmarshal([]byte(s), &rec.Namespaces); err != nil {
			return rec, fmt.Errorf("decode namespaces of history row %d: %w", rec.ID, err)
		}
	}
	return rec, nil
}

func asString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		return string(x)
	case nil:
		return ""
	default:
		return fmt.Sprint(x)
	}
}

func asInt(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case float64:
		return int64(x)
	default:
		return 0
	}
}

func asTime(v any) time.Time {
	t, err := time.Parse(timeLayout, asString(v))
	if err != nil {
		return time.Time{}
	}
	return t
}

// ImportAction is the step action of the baseline row `dmplan import`
// records: one step per imported table.
const ImportAction = "import"

// Baseline is what `dmplan import` saw, recorded as a history row.
type Baseline struct {
	// Fingerprint is state.Fingerprint of the imported schema; the row
	// records it both before and after, since import changes nothing.
	Fingerprint string
	// Tables are the imported tables, one "import" step each.
	Tables []string
	// Models are the tables' models, in the order of Tables.
	Models      []string
	ToolVersion string
	Actor       string // default $DMPLAN_ACTOR, else user@host
	PlanID      string // a fresh id of the import
	At          time.Time
}

// RecordBaseline writes the baseline row of an import into the history
// table (creating the table when needed), so the history says from which
// schema dmplan took over: its steps are "import" steps, one per table, its
// outcome applied and both fingerprints the imported schema's. It is the
// only write import makes. The record returned carries the row's id.
func RecordBaseline(ctx context.Context, d1 backend.D1, b Baseline) (state.HistoryRecord, error) {
	if b.Actor == "" {
		b.Actor = defaultActor()
	}
	if b.At.IsZero() {
		b.At = time.Now()
	}
	rec := state.HistoryRecord{
		PlanID: b.PlanID, FingerprintBefore: b.Fingerprint, FingerprintAfter: b.Fingerprint,
		Steps: make([]state.StepRef, 0, len(b.Tables)), Counts: map[string]int{},
		ToolVersion: b.ToolVersion, Actor: b.Actor, StartedAt: b.At, FinishedAt: b.At,
		Outcome: state.OutcomeApplied, FailedStep: -1,
	}
	for i, t := range b.Tables {
		r := state.StepRef{Action: ImportAction, Target: t}
		if i < len(b.Models) {
			r.Model = b.Models[i]
		}
		rec.Steps = append(rec.Steps, r)
	}
	if len(b.Tables) > 0 {
		rec.Counts[ImportAction] = len(b.Tables)
	}
	if err := writeHistory(ctx, d1, &rec); err != nil {
		return rec, err
	}
	res, err := d1.Query(ctx, backend.Stmt{SQL: "SELECT id FROM " + historyTable + " WHERE plan_id = ? ORDER BY id DESC LIMIT 1", Args: []any{rec.PlanID}})
	if err != nil {
		return rec, fmt.Errorf("read the import's history id: %w", err)
	}
	if len(res.Rows) > 0 && len(res.Rows[0]) > 0 {
		rec.ID = asInt(res.Rows[0][0])
	}
	return rec, nil
}
