package view

import (
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/dmplan/dmplan/state"
)

// HistoryEntry is one recorded apply: every field history stores, and
// what the command derives (StepCount, Unfinished).
type HistoryEntry struct {
	ID      int64  `json:"id"`
	PlanID  string `json:"plan_id"`
	Outcome string `json:"outcome"`
	// Unfinished is set on a row still "running" while no apply holds the
	// lock: the apply was killed or could not record its end (the next
	// apply marks it interrupted).
	Unfinished bool `json:"unfinished,omitempty"`
	// StepCount is the number of executable steps; Steps lists them.
	StepCount         int               `json:"step_count"`
	Steps             []state.StepRef   `json:"steps"`
	Counts            map[string]int    `json:"counts"`
	FingerprintBefore string            `json:"fingerprint_before"`
	FingerprintAfter  string            `json:"fingerprint_after"`
	ToolVersion       string            `json:"tool_version"`
	Actor             string            `json:"actor"`
	StartedAt         time.Time         `json:"started_at"`
	FinishedAt        time.Time         `json:"finished_at"`
	DurationMS        int64             `json:"duration_ms"`
	Error             string            `json:"error,omitempty"`
	FailedStep        int               `json:"failed_step"` // 0-based index in Steps, or -1
	Namespaces        []state.Namespace `json:"kv_namespaces_created"`
	// Bookmark is the D1 Time Travel bookmark taken just before the apply
	// (Cloudflare only).
	Bookmark string `json:"bookmark,omitempty"`
}

// shownOutcome is the outcome as the human views print it.
func (e HistoryEntry) shownOutcome() string {
	if e.Unfinished {
		return "unfinished"
	}
	return e.Outcome
}

// History renders the history command. History and Error each end the
// output.
type History interface {
	Diagnostics(diags hcl.Diagnostics)
	History(t Target, entries []HistoryEntry)
	// Show prints one apply in full (history show ID); also lists the
	// ids of other rows of the same plan.
	Show(t Target, e HistoryEntry, also []int64)
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
	fmt.Fprintln(tw, "ID\tSTARTED (UTC)\tPLAN\tOUTCOME\tSTEPS\tDURATION\tFINGERPRINT\tVERSION")
	for _, e := range entries {
		fp := shortFingerprint(e.FingerprintBefore) + " → " + shortFingerprint(e.FingerprintAfter)
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n",
			e.ID, e.StartedAt.UTC().Format("2006-01-02 15:04:05"), e.PlanID, e.shownOutcome(), e.StepCount, duration(e), fp, e.ToolVersion)
	}
	_ = tw.Flush()
	for _, e := range entries {
		switch {
		case e.Unfinished:
			v.printf("\n%s %d (plan %s): %s\n", v.out.Warning.Render("unfinished"), e.ID, e.PlanID, unfinishedText)
		case e.Error != "":
			v.printf("\n%s %d (plan %s): %s\n", v.out.Error.Render(e.Outcome), e.ID, e.PlanID, e.Error)
		}
	}
	v.bookmarks(t, entries)
	v.printf("\n%s\n", v.out.Muted.Render("dmplan history show ID prints one apply in full."))
}

// unfinishedText explains a row still running while no apply holds the
// lock.
const unfinishedText = "recorded as running, but no apply holds the lock: it was killed or could not record its end. " +
	"The next apply marks it interrupted; dmplan plan shows what is left."

// duration is how long the apply took; 0 when its end is unknown.
func duration(e HistoryEntry) time.Duration {
	if e.FinishedAt.IsZero() {
		return 0
	}
	return e.FinishedAt.Sub(e.StartedAt).Round(time.Millisecond)
}

// maxShownSQLLines is how many lines of a statement history show prints;
// -json has the stored text.
const maxShownSQLLines = 12

// Show prints one apply: who, when, how it ended, then every step with
// its SQL.
func (v *HistoryHuman) Show(t Target, e HistoryEntry, also []int64) {
	t, e = clean(t), clean(e)
	v.printf("%s\n\n", targetLine(v.out, t))
	v.printf("%s\n", v.out.Heading.Render(fmt.Sprintf("Apply %d · plan %s · %s", e.ID, e.PlanID, e.shownOutcome())))
	row := func(k, val string) {
		if val != "" {
			v.printf("  %-13s %s\n", k+":", val)
		}
	}
	row("Actor", e.Actor)
	row("Started", e.StartedAt.UTC().Format("2006-01-02 15:04:05.000 UTC"))
	if !e.FinishedAt.IsZero() {
		row("Finished", e.FinishedAt.UTC().Format("2006-01-02 15:04:05.000 UTC")+" ("+duration(e).String()+")")
	} else {
		row("Finished", "not recorded")
	}
	row("Tool", e.ToolVersion)
	after := e.FingerprintAfter
	if after == "" {
		after = "unknown"
	}
	row("Fingerprint", shortFingerprint(e.FingerprintBefore)+" → "+shortFingerprint(after))
	if e.Bookmark != "" {
		row("Bookmark", e.Bookmark)
	}
	var counts []string
	for _, k := range sortedKeys(e.Counts) {
		counts = append(counts, fmt.Sprintf("%d %s", e.Counts[k], strings.ReplaceAll(k, "_", " ")))
	}
	row("Counts", strings.Join(counts, ", "))
	for _, ns := range e.Namespaces {
		row("Namespace", ns.Title+" (id "+ns.ID+", created)")
	}
	switch {
	case e.Unfinished:
		row("Note", unfinishedText)
	case e.Error != "":
		row("Error", e.Error)
	}
	if len(also) > 0 {
		ids := make([]string, len(also))
		for i, id := range also {
			ids[i] = fmt.Sprint(id)
		}
		row("Also", "this plan has other history rows: "+strings.Join(ids, ", "))
	}
	v.printf("\n%s\n", v.out.Heading.Render(fmt.Sprintf("Steps (%d):", len(e.Steps))))
	for i, s := range e.Steps {
		line := fmt.Sprintf("  %3d. %s %s", i+1, strings.ReplaceAll(s.Action, "_", " "), s.Target)
		if s.Records != nil {
			line += fmt.Sprintf(": %s", plural(*s.Records, "record", "records"))
		}
		if i == e.FailedStep {
			line += " " + v.out.Error.Render("(failed here)")
		}
		v.printf("%s\n", line)
		for _, q := range s.SQL {
			v.printf("%s\n", renderLines(v.out.SQL, indent(clipLines(prettySQL(q), maxShownSQLLines), "         ")))
		}
		if s.SQLClipped {
			v.printf("         %s\n", v.out.Muted.Render("(SQL clipped in history)"))
		}
	}
	if e.Bookmark != "" {
		db := t.Database
		if db == "" {
			db = "<database>"
		}
		v.printf("\nTo restore the database to its state before this apply: wrangler d1 time-travel restore %s --bookmark=%s\n", db, e.Bookmark)
	}
}

// clipLines keeps the first max lines of text, saying how many it left out.
func clipLines(text string, max int) string {
	lines := strings.Split(text, "\n")
	if len(lines) <= max {
		return text
	}
	return strings.Join(lines[:max], "\n") + fmt.Sprintf("\n… (%d more lines; history show -json has the stored text)", len(lines)-max)
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
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

// Show writes {format_version, target, apply: {...}, also: [...]}.
func (v *HistoryJSON) Show(t Target, e HistoryEntry, also []int64) {
	if v.done {
		return
	}
	v.done = true
	if also == nil {
		also = []int64{}
	}
	writeJSON(v.out, struct {
		FormatVersion string       `json:"format_version"`
		Target        Target       `json:"target"`
		Apply         HistoryEntry `json:"apply"`
		Also          []int64      `json:"other_rows_of_plan"`
		Diagnostics   []Diagnostic `json:"diagnostics"`
	}{FormatVersion, t, e, also, jsonDiagnostics(v.diags)})
}

// Error writes {format_version, error: {message}, diagnostics}.
func (v *HistoryJSON) Error(err error) { v.writeError(err) }
