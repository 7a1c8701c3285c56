package view

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/dmplan/dmplan/operator"
)

// Reconcile renders the reconcile command. Reconcile and Error each end
// the output; Progress may be called any number of times before.
type Reconcile interface {
	Diagnostics(diags hcl.Diagnostics)
	// Progress reports a page done (human view on a terminal only).
	Progress(p operator.Progress)
	// Reconcile prints the report and what is left to do (next).
	Reconcile(t Target, rep *operator.ReconcileReport, next []Next)
	// TakeD1 prints what reconcile -take-d1 did; then is the command
	// that checks the model again.
	TakeD1(t Target, model string, res []operator.TakeD1Result, then string)
	// TakeKV prints what reconcile -take-kv did, as TakeD1.
	TakeKV(t Target, model string, res []operator.TakeD1Result, then string)
	Error(err error)
}

// Next is one thing left to do after a reconcile, with the exact command
// that does it. Model and ID name the record when it is about one.
type Next struct {
	Model   string `json:"model,omitempty"`
	ID      string `json:"id,omitempty"`
	What    string `json:"what"`
	Command string `json:"command"`
}

var (
	_ Reconcile = (*ReconcileHuman)(nil)
	_ Reconcile = (*ReconcileJSON)(nil)
)

// NewReconcile returns the reconcile view for the format (markdown falls
// back to human). progress turns the live progress line on (stderr is a
// terminal).
func NewReconcile(t Type, s Streams, progress bool) Reconcile {
	if t == JSON {
		return &ReconcileJSON{jsonView: jsonView{out: s.Out}}
	}
	return &ReconcileHuman{humanView: newHumanView(s), live: progress}
}

// ReconcileHuman prints one section per model with its drift.
type ReconcileHuman struct {
	humanView
	live    bool
	showing bool
}

// Progress rewrites one status line on stderr.
func (v *ReconcileHuman) Progress(p operator.Progress) {
	if !v.live {
		return
	}
	v.showing = true
	fmt.Fprintf(v.s.Err, "\r\x1b[K%s", ProgressLine(clean(p)))
}

// ProgressLine is "PAGE: 12,000 of 12,408 records · 3,412/s · ETA 1s".
func ProgressLine(p operator.Progress) string {
	line := p.Model + ": " + Thousands(p.Done)
	if p.Total >= 0 {
		line += " of " + Thousands(p.Total)
	}
	line += " records"
	if p.Written > 0 {
		line += " · " + Thousands(p.Written) + " written"
	}
	if p.Rate > 0 {
		line += fmt.Sprintf(" · %s/s", Thousands(int64(p.Rate)))
	}
	if p.ETA > 0 {
		line += " · ETA " + p.ETA.Round(time.Second).String()
	}
	return line
}

// Reconcile prints the report.
func (v *ReconcileHuman) Reconcile(t Target, rep *operator.ReconcileReport, next []Next) {
	t, rep, next = clean(t), clean(rep), clean(next)
	if v.showing {
		fmt.Fprint(v.s.Err, "\r\x1b[K")
		v.showing = false
	}
	v.printf("%s\n", targetLine(v.out, t))
	tot := rep.Totals()
	for _, m := range rep.Models {
		n := m.Missing + m.Stale + m.Orphans + m.Bad
		v.printf("\n%s %s\n", v.out.Heading.Render(m.Model),
			v.out.Muted.Render("(D1 table "+m.Table+", KV namespace "+m.Namespace+")"))
		v.printf("  %s KV objects, %s D1 rows", Thousands(m.Objects), Thousands(m.Rows))
		if n == 0 {
			v.printf(": in sync\n")
			continue
		}
		var parts []string
		for _, c := range []struct {
			n         int64
			one, many string
		}{{m.Missing, "missing row", "missing rows"}, {m.Stale, "stale row", "stale rows"},
			{m.Orphans, "orphan row", "orphan rows"}, {m.Bad, "bad KV object", "bad KV objects"}} {
			if c.n > 0 {
				parts = append(parts, plural(int(c.n), c.one, c.many))
			}
		}
		v.printf(": %s\n", strings.Join(parts, ", "))
		tw := tabwriter.NewWriter(v.s.Out, 0, 4, 2, ' ', 0)
		for _, d := range m.Drift {
			fmt.Fprintf(tw, "  %s %s\t%s\t%s\n", v.symbol(d), d.Kind, d.ID, v.detail(d))
		}
		_ = tw.Flush()
		if m.Truncated {
			v.printf("  %s\n", v.out.Muted.Render(fmt.Sprintf("(first %d listed; -json has the same list)", operator.MaxDriftListed)))
		}
	}
	v.printf("\n")
	switch {
	case tot.Drifted == 0:
		v.printf("%s every one of %s KV objects matches its D1 row.\n", v.out.Success.Render("No drift:"), Thousands(tot.Objects))
	case rep.Fix || tot.Pruned > 0:
		var said []string
		if tot.Rewritten > 0 {
			said = append(said, fmt.Sprintf("%s %s rewritten from KV.", v.out.Success.Render("Fixed:"), thousandsOf(tot.Rewritten, "D1 row", "D1 rows")))
		} else if rep.Fix {
			said = append(said, "No D1 row needed rewriting.")
		}
		if left := tot.Orphans - tot.Pruned; left > 0 {
			said = append(said, thousandsOf(left, "orphan row", "orphan rows")+" left in place (D1 rows without a KV object).")
		}
		if tot.Pruned > 0 {
			said = append(said, thousandsOf(tot.Pruned, "orphan row", "orphan rows")+" deleted.")
		}
		if tot.Bad > 0 {
			said = append(said, thousandsOf(tot.Bad, "bad KV object", "bad KV objects")+" not repaired: correct the KV value by hand, then run reconcile -fix again.")
		}
		v.printf("%s\n", strings.Join(said, " "))
	default:
		v.printf("%s %s disagree between KV and D1 (%s KV objects checked).\n",
			v.out.Warning.Render("Drift:"), thousandsOf(tot.Drifted, "record", "records"), Thousands(tot.Objects))
	}
	v.printf("%s\n", v.out.Muted.Render("D1 rows: "+CostText(rep.Cost)+"."))
	if len(next) > 0 {
		v.printf("\n%s\n", v.out.Heading.Render("Left to do:"))
		for _, n := range next {
			if n.ID != "" {
				v.printf("  %s %s: %s\n      %s\n", n.Model, n.ID, n.What, n.Command)
			} else {
				v.printf("  %s:\n      %s\n", n.What, n.Command)
			}
		}
	}
}

// TakeD1 prints one line per record.
func (v *ReconcileHuman) TakeD1(t Target, model string, res []operator.TakeD1Result, then string) {
	v.took(t, model, res, then)
}

// TakeKV prints one line per record.
func (v *ReconcileHuman) TakeKV(t Target, model string, res []operator.TakeD1Result, then string) {
	v.took(t, model, res, then)
}

func (v *ReconcileHuman) took(t Target, model string, res []operator.TakeD1Result, then string) {
	t, model, res, then = clean(t), clean(model), clean(res), clean(then)
	v.printf("%s\n\n", targetLine(v.out, t))
	for _, r := range res {
		what := map[string]string{
			operator.TookRemoved:      "KV object removed (D1 has no row)",
			operator.TookRewritten:    "KV object rewritten from its D1 row",
			operator.TookCreated:      "KV object created from its D1 row",
			operator.TookNothing:      "unchanged (KV already agrees with D1)",
			operator.TookRowRewritten: "D1 row rewritten from its KV object",
			operator.TookRowCreated:   "D1 row written from its KV object",
			operator.TookRowRemoved:   "D1 row removed (KV has no object)",
			operator.TookNoRecord:     "no such record (neither KV nor D1 holds it); nothing done",
		}[r.Outcome]
		v.printf("  %s %s: %s\n", model, r.ID, what)
	}
	v.printf("\nCheck the model again with:\n      %s\n", then)
}

func (v *ReconcileHuman) symbol(d operator.Drift) string {
	switch {
	case d.Fixed && d.Kind == operator.DriftOrphanRow:
		return v.out.Other.String()
	case d.Fixed:
		return v.out.Create.String()
	case d.Kind == operator.DriftStaleRow:
		return v.out.Add.String()
	case d.Kind == operator.DriftOrphanRow:
		return v.out.Other.String()
	}
	return v.out.Blocked.String()
}

func (v *ReconcileHuman) detail(d operator.Drift) string {
	var s string
	switch d.Kind {
	case operator.DriftMissingRow:
		s = "no D1 row for KV key " + d.Key
	case operator.DriftStaleRow:
		s = "differs in " + strings.Join(d.Columns, ", ")
	case operator.DriftOrphanRow:
		if d.Fixed {
			return "no KV object " + d.Key + ": row deleted"
		}
		s = "no KV object " + d.Key + ": row kept"
	case operator.DriftBadObject:
		s = "KV key " + d.Key + ": " + d.Problem
	}
	if d.Fixed {
		s += v.out.Muted.Render(" (fixed)")
	} else if d.Problem != "" && d.Kind != operator.DriftBadObject {
		s += ": " + d.Problem
	}
	return s
}

// ReconcileJSON writes {format_version, target, reconcile, diagnostics}.
type ReconcileJSON struct {
	jsonView
}

// Diagnostics collects diagnostics for the document.
func (v *ReconcileJSON) Diagnostics(diags hcl.Diagnostics) { v.addDiagnostics(diags) }

// Progress is not shown in JSON.
func (v *ReconcileJSON) Progress(operator.Progress) {}

// Reconcile writes the document.
func (v *ReconcileJSON) Reconcile(t Target, rep *operator.ReconcileReport, next []Next) {
	if v.done {
		return
	}
	v.done = true
	doc := struct {
		FormatVersion string                    `json:"format_version"`
		Target        Target                    `json:"target"`
		Drifted       bool                      `json:"drifted"`
		Unrepaired    int64                     `json:"unrepaired"`
		Totals        operator.ReconcileTotals  `json:"totals"`
		Reconcile     *operator.ReconcileReport `json:"reconcile"`
		Next          []Next                    `json:"next"`
		Diagnostics   []Diagnostic              `json:"diagnostics"`
	}{FormatVersion, t, rep.Drifted(), rep.Unrepaired(), rep.Totals(), rep, next, jsonDiagnostics(v.diags)}
	if doc.Next == nil {
		doc.Next = []Next{}
	}
	writeJSON(v.out, doc)
}

// TakeKV writes {format_version, target, model, take_kv, next}.
func (v *ReconcileJSON) TakeKV(t Target, model string, res []operator.TakeD1Result, then string) {
	v.took(t, model, nil, &res, then)
}

// TakeD1 writes {format_version, target, model, take_d1, next}.
func (v *ReconcileJSON) TakeD1(t Target, model string, res []operator.TakeD1Result, then string) {
	v.took(t, model, &res, nil, then)
}

// took writes the document of -take-d1 or -take-kv: exactly one of d1
// and kv is set, and only its key appears.
func (v *ReconcileJSON) took(t Target, model string, d1, kv *[]operator.TakeD1Result, then string) {
	if v.done {
		return
	}
	v.done = true
	doc := struct {
		FormatVersion string                   `json:"format_version"`
		Target        Target                   `json:"target"`
		Model         string                   `json:"model"`
		TakeD1        *[]operator.TakeD1Result `json:"take_d1,omitempty"`
		TakeKV        *[]operator.TakeD1Result `json:"take_kv,omitempty"`
		Next          []Next                   `json:"next"`
		Diagnostics   []Diagnostic             `json:"diagnostics"`
	}{FormatVersion, t, model, d1, kv, []Next{{What: "check the model again", Command: then}}, jsonDiagnostics(v.diags)}
	writeJSON(v.out, doc)
}

// Error writes {format_version, error: {message}, diagnostics}.
func (v *ReconcileJSON) Error(err error) { v.writeError(err) }

func writeJSON(w io.Writer, doc any) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if enc.Encode(doc) == nil {
		_, _ = w.Write(jsonSafe(b.Bytes()))
	}
}

// thousandsOf is "1,005 orphan rows": n with comma separators and the
// word that fits it.
func thousandsOf(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return Thousands(n) + " " + many
}

// Thousands formats n with comma separators: 12,408.
func Thousands(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
