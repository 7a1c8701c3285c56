package view

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// HistoryEntry is one recorded apply.
type HistoryEntry struct {
	PlanID            string         `json:"plan_id"`
	Outcome           string         `json:"outcome"`
	Steps             int            `json:"steps"`
	FingerprintBefore string         `json:"fingerprint_before"`
	FingerprintAfter  string         `json:"fingerprint_after"`
	ToolVersion       string         `json:"tool_version"`
	Actor             string         `json:"actor"`
	Counts            map[string]int `json:"counts"`
	StartedAt         time.Time      `json:"started_at"`
	FinishedAt        time.Time      `json:"finished_at"`
	Error             string         `json:"error,omitempty"`
	// Bookmark is the D1 Time Travel bookmark taken just before the apply
	// (Cloudflare only).
	Bookmark string `json:"bookmark,omitempty"`
}

// History renders the history command. History and Error each end the
// output.
type History interface {
	Diagnostics(diags hcl.Diagnostics)
	History(t Target, entries []HistoryEntry)
	Error(err error)
}

var (
	_ History = (*HistoryHuman)(nil)
	_ History = (*HistoryJSON)(nil)
)

// NewHistory returns the history view for the format (markdown falls back
// to human).
func NewHistory(t Type, s Streams) History {
	if t == JSON {
		return &HistoryJSON{jsonView{out: s.Out}}
	}
	return &HistoryHuman{newHumanView(s)}
}

// HistoryHuman prints the history as an aligned table, newest first.
type HistoryHuman struct{ humanView }

// History prints the target and one line per apply.
func (v *HistoryHuman) History(t Target, entries []HistoryEntry) {
	t, entries = clean(t), clean(entries)
	v.printf("%s\n\n", targetLine(v.out, t))
	if len(entries) == 0 {
		v.printf("No applies recorded yet.\n")
		return
	}
	tw := tabwriter.NewWriter(v.s.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STARTED (UTC)\tPLAN\tOUTCOME\tSTEPS\tDURATION\tFINGERPRINT\tVERSION")
	for _, e := range entries {
		fp := shortFingerprint(e.FingerprintBefore) + " → " + shortFingerprint(e.FingerprintAfter)
		d := e.FinishedAt.Sub(e.StartedAt).Round(time.Millisecond)
		if e.FinishedAt.IsZero() {
			d = 0
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\n",
			e.StartedAt.UTC().Format("2006-01-02 15:04:05"), e.PlanID, e.Outcome, e.Steps, d, fp, e.ToolVersion)
	}
	_ = tw.Flush()
	for _, e := range entries {
		if e.Error != "" {
			v.printf("\n%s %s: %s\n", v.out.Error.Render("failed"), e.PlanID, e.Error)
		}
	}
	v.bookmarks(t, entries)
}

// bookmarks lists the D1 Time Travel bookmark taken before each apply
// that has one, with the command that restores the database to it.
func (v *HistoryHuman) bookmarks(t Target, entries []HistoryEntry) {
	shown := false
	for _, e := range entries {
		if e.Bookmark == "" {
			continue
		}
		if !shown {
			shown = true
			v.printf("\nD1 Time Travel bookmarks taken before each apply:\n")
		}
		v.printf("  %s  %s\n", e.PlanID, e.Bookmark)
	}
	if !shown {
		return
	}
	db := t.Database
	if db == "" {
		db = "<database>"
	}
	v.printf("To restore the database to its state before an apply: wrangler d1 time-travel restore %s --bookmark=<bookmark>\n", db)
}

// HistoryJSON writes the history as one JSON document.
type HistoryJSON struct{ jsonView }

// Diagnostics collects diagnostics for the document.
func (v *HistoryJSON) Diagnostics(diags hcl.Diagnostics) { v.addDiagnostics(diags) }

// History writes {format_version, target, history: [...]}.
func (v *HistoryJSON) History(t Target, entries []HistoryEntry) {
	if entries == nil {
		entries = []HistoryEntry{}
	}
	v.write(document{Target: &t, History: &entries})
}

// Error writes {format_version, error: {message}, diagnostics}.
func (v *HistoryJSON) Error(err error) { v.writeError(err) }
