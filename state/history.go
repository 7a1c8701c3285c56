package state

import "time"

// Apply outcomes recorded in history.
const (
	OutcomeApplied = "applied"
	OutcomeFailed  = "failed"
	OutcomeNoOp    = "no-op"
	// OutcomeRunning marks the row an apply writes before its first step
	// and completes when it ends. A row still running once no apply holds
	// the lock is an apply that never recorded its end: killed, or its
	// last history write failed.
	OutcomeRunning = "running"
	// OutcomeInterrupted is an apply that stopped before its end: stopped
	// by an interrupt (Ctrl-C) between steps, or found still running by
	// the next apply (see OutcomeRunning).
	OutcomeInterrupted = "interrupted"
)

// HistoryRecord is one apply as recorded in the target's history table.
// It never holds secrets: SQL text and error messages only.
type HistoryRecord struct {
	ID                int64     `json:"id"`
	PlanID            string    `json:"plan_id"`
	FingerprintBefore string    `json:"fingerprint_before"`
	FingerprintAfter  string    `json:"fingerprint_after,omitempty"`
	Steps             []StepRef `json:"steps"`
	// Counts is the number of steps per action name ("create_table": 3).
	Counts      map[string]int `json:"counts"`
	ToolVersion string         `json:"tool_version"`
	Actor       string         `json:"actor"` // user@host or $DMPLAN_ACTOR
	StartedAt   time.Time      `json:"started_at"`
	FinishedAt  time.Time      `json:"finished_at"`
	DurationMS  int64          `json:"duration_ms"`
	// Outcome is applied, failed, no-op, running or interrupted.
	Outcome string `json:"outcome"`
	// Error is the failure, empty when applied. FailedStep is the index in
	// Steps of the step that failed, or -1.
	Error      string `json:"error,omitempty"`
	FailedStep int    `json:"failed_step"`
	// Namespaces are the KV namespaces this apply created, with their ids.
	Namespaces []Namespace `json:"kv_namespaces_created,omitempty"`
	// Bookmark is the D1 Time Travel bookmark taken just before the apply
	// (Cloudflare only): the point to restore the database to.
	Bookmark string `json:"bookmark,omitempty"`
}

// StepRef names one step of an applied plan in history.
type StepRef struct {
	Action string `json:"action"`
	Target string `json:"target"`
	Model  string `json:"model,omitempty"`
	// Records is the number of records a seed step wrote; nil for other
	// steps and for seeds that did not run (the apply stopped before).
	Records *int `json:"records,omitempty"`
	// SQL is the step's statements, each clipped to a few kilobytes
	// (the history row must stay far below D1's row size), and none once
	// the row holds enough SQL; SQLClipped says when either happened.
	// Rows from before dmplan recorded SQL have none.
	SQL        []string `json:"sql,omitempty"`
	SQLClipped bool     `json:"sql_clipped,omitempty"`
}
