package applier

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

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

// historyInsert writes a row without a bookmark, so it also works on a
// history table from before the bookmark column; historyInsertBookmark
// writes one with it.
var (
	historyInsert = "INSERT INTO " + backend.QuoteIdent(state.HistoryTable) +
		` (plan_id, fingerprint_before, fingerprint_after, steps, counts, tool_version, actor,
  started_at, finished_at, duration_ms, outcome, error, failed_step, kv_namespaces_created)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	historyInsertBookmark = "INSERT INTO " + backend.QuoteIdent(state.HistoryTable) +
		` (plan_id, fingerprint_before, fingerprint_after, steps, counts, tool_version, actor,
  started_at, finished_at, duration_ms, outcome, error, failed_step, kv_namespaces_created, bookmark)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
)

// historySelect reads rows; %s is the bookmark column, or an empty string
// literal for a table from before it.
var historySelect = `SELECT id, plan_id, fingerprint_before, fingerprint_after, steps, counts,
  tool_version, actor, started_at, finished_at, duration_ms, outcome, error, failed_step,
  kv_namespaces_created, %s FROM ` + backend.QuoteIdent(state.HistoryTable) + ` ORDER BY id DESC`

// maxHistorySteps bounds the steps stored in one history row, so the row
// stays far below D1's 2 MB row limit; Counts still covers every step.
const maxHistorySteps = 5000

// maxHistoryError bounds the error text stored in one history row: an
// error quoting a huge statement or value must not make the row itself
// too large to record (D1 refuses a value over 2 MB).
const maxHistoryError = 8 << 10

// timeLayout is how history stores times: UTC ISO-8601 with milliseconds.
const timeLayout = "2006-01-02T15:04:05.000Z"

// stepRefs returns the compact form of the plan's steps for history.
func stepRefs(steps []planner.Step) []state.StepRef {
	n := min(len(steps), maxHistorySteps)
	out := make([]state.StepRef, n)
	for i := range n {
		out[i] = state.StepRef{Action: steps[i].Action.String(), Target: steps[i].Target, Model: steps[i].Model}
	}
	return out
}

// insertStmt renders the history row of rec as a statement.
func insertStmt(rec *state.HistoryRecord) (backend.Stmt, error) {
	steps, err := json.Marshal(rec.Steps)
	if err != nil {
		return backend.Stmt{}, fmt.Errorf("encode history steps: %w", err)
	}
	counts, err := json.Marshal(rec.Counts)
	if err != nil {
		return backend.Stmt{}, fmt.Errorf("encode history counts: %w", err)
	}
	nss := rec.Namespaces
	if nss == nil {
		nss = []state.Namespace{}
	}
	ns, err := json.Marshal(nss)
	if err != nil {
		return backend.Stmt{}, fmt.Errorf("encode history namespaces: %w", err)
	}
	st := backend.Stmt{SQL: historyInsert, Args: []any{
		rec.PlanID, rec.FingerprintBefore, rec.FingerprintAfter, string(steps), string(counts),
		rec.ToolVersion, rec.Actor, rec.StartedAt.UTC().Format(timeLayout), rec.FinishedAt.UTC().Format(timeLayout),
		rec.DurationMS, rec.Outcome, clip(rec.Error, maxHistoryError), int64(rec.FailedStep), string(ns),
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

// writeHistory records rec in its own batch, creating (or upgrading,
// unless an earlier batch of this apply did: prepared) the table when
// needed. Apply uses it for failed and no-op rows and after seeds and
// backfills; otherwise a successful apply writes its row inside its final
// batch instead.
func writeHistory(ctx context.Context, d1 backend.D1, rec *state.HistoryRecord, prepared bool) error {
	ins, err := insertStmt(rec)
	if err != nil {
		return err
	}
	var up []backend.Stmt
	if !prepared {
		if up, err = historyUpgrade(ctx, d1, rec); err != nil {
			return fmt.Errorf("record history: %w", err)
		}
	}
	sts := append([]backend.Stmt{{SQL: historyDDL}}, up...)
	if _, err := d1.Batch(ctx, append(sts, ins)); err != nil {
		return fmt.Errorf("record history: %w", err)
	}
	return nil
}

// History returns the most recent applies recorded in the target, newest
// first; limit <= 0 returns all of them. A database dmplan never applied
// to has no history and returns none. A history table from before the
// bookmark column is read as is, with empty bookmarks.
func History(ctx context.Context, d1 backend.D1, limit int) ([]state.HistoryRecord, error) {
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
	st := backend.Stmt{SQL: fmt.Sprintf(historySelect, col)}
	if limit > 0 {
		st.SQL += " LIMIT ?"
		st.Args = []any{int64(limit)}
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
