package view

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/hashicorp/hcl/v2"

	"github.com/dmplan/dmplan/fleet"
)

// Drift shows which databases are behind the spec: a compact listing for
// a cron job.
type Drift interface {
	Diagnostics(diags hcl.Diagnostics)
	Drift(r FleetReport)
	Error(err error)
}

var (
	_ Drift = (*DriftHuman)(nil)
	_ Drift = (*DriftJSON)(nil)
)

// NewDrift returns the drift view for the format (markdown is human).
func NewDrift(t Type, s Streams) Drift {
	if t == JSON {
		return &DriftJSON{fleetJSON{jsonView{out: s.Out}}}
	}
	return &DriftHuman{newHumanView(s)}
}

// DriftHuman prints the summary line, then one line per database that is
// not current: status, name, and what its plan would do or why it could
// not be planned.
type DriftHuman struct{ humanView }

// Drift prints the listing.
func (v *DriftHuman) Drift(r FleetReport) {
	r.Target = clean(r.Target)
	st := v.out
	var b strings.Builder
	b.WriteString(targetLine(st, r.Target) + "\n")
	line := strings.Replace(FleetLine(r.Result), "Fleet: ", "Drift: ", 1)
	behind := 0
	for _, d := range r.Result.Databases {
		if d.Status != fleet.StatusCurrent {
			behind++
		}
	}
	if behind == 0 {
		b.WriteString(st.Success.Render(line) + "\n")
		v.printf("%s", b.String())
		return
	}
	b.WriteString(st.Summary.Render(line) + "\n\n")
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	for _, d := range r.Result.Databases {
		if d.Status == fleet.StatusCurrent {
			continue
		}
		what := d.Error
		if what == "" {
			what = StepsLine(r.Result.Groups[d.Group].Plan, 4)
		}
		if d.Status == fleet.StatusCreate {
			what = "+ create database, " + what
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", d.Status, d.Database.Name, clean(what))
	}
	tw.Flush()
	v.printf("%s", b.String())
}

// DriftJSON writes {format_version, target, drift: {databases, counts,
// behind: [{name, status, group, error}], groups}, diagnostics}; behind
// lists the databases that are not current.
type DriftJSON struct{ fleetJSON }

type driftDoc struct {
	FormatVersion string       `json:"format_version"`
	Target        Target       `json:"target"`
	Drift         jsonDrift    `json:"drift"`
	Diagnostics   []Diagnostic `json:"diagnostics"`
}

type jsonDrift struct {
	Databases int               `json:"databases"`
	Counts    map[string]int    `json:"counts"`
	Behind    []jsonFleetMember `json:"behind"`
	Groups    []jsonDriftGroup  `json:"groups"`
}

type jsonDriftGroup struct {
	Status string `json:"status"`
	Count  int    `json:"count"`
	// Steps is the group's plan on one line (StepsLine).
	Steps string `json:"steps,omitempty"`
}

// Drift writes the document.
func (v *DriftJSON) Drift(r FleetReport) {
	if v.done {
		return
	}
	v.done = true
	d := jsonDrift{Databases: len(r.Result.Databases), Counts: fleetCounts(r.Result), Behind: []jsonFleetMember{}, Groups: []jsonDriftGroup{}}
	for _, m := range r.Result.Databases {
		if m.Status != fleet.StatusCurrent {
			d.Behind = append(d.Behind, newJSONFleetMember(m))
		}
	}
	for _, g := range r.Result.Groups {
		d.Groups = append(d.Groups, jsonDriftGroup{Status: string(g.Status), Count: len(g.Databases), Steps: StepsLine(g.Plan, 20)})
	}
	writeJSON(v.out, driftDoc{FormatVersion: FormatVersion, Target: r.Target, Drift: d, Diagnostics: jsonDiagnostics(v.diags)})
}
