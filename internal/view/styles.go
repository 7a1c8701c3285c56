package view

import (
	"io"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/dmplan/dmplan/planner"
)

// Styles are every style the human views use, in one place. Each action
// style carries its own symbol so the glyph and its colour cannot drift
// apart.
type Styles struct {
	Create  lipgloss.Style // "+"
	Add     lipgloss.Style // "~"
	Blocked lipgloss.Style // "!"
	Other   lipgloss.Style // backfill, seed: "»"

	Heading lipgloss.Style // model names, section titles
	Target  lipgloss.Style // the target description in headers
	SQL     lipgloss.Style // statements under a step
	Muted   lipgloss.Style // reasons, hints, notes
	Code    lipgloss.Style // DMxxx codes
	Summary lipgloss.Style // the closing "Plan: ..." line
	Success lipgloss.Style // "Apply complete", "No changes"
	Error   lipgloss.Style // "Error:"
	Warning lipgloss.Style // "Warning:"
}

// DefaultStyles returns the styles bound to a renderer for w. With color
// false the renderer uses the ASCII profile, so rendering yields the same
// text with no escape codes.
func DefaultStyles(w io.Writer, color bool) Styles {
	profile := termenv.Ascii
	if color {
		profile = termenv.ANSI
	}
	r := lipgloss.NewRenderer(w, termenv.WithProfile(profile))
	r.SetColorProfile(profile)
	r.SetHasDarkBackground(true) // never query the terminal
	green, yellow, red, cyan := lipgloss.Color("2"), lipgloss.Color("3"), lipgloss.Color("1"), lipgloss.Color("6")
	return Styles{
		Create:  r.NewStyle().Foreground(green).Bold(true).SetString("+"),
		Add:     r.NewStyle().Foreground(yellow).Bold(true).SetString("~"),
		Blocked: r.NewStyle().Foreground(red).Bold(true).SetString("!"),
		Other:   r.NewStyle().Foreground(cyan).Bold(true).SetString("»"),
		Heading: r.NewStyle().Bold(true),
		Target:  r.NewStyle().Foreground(cyan),
		SQL:     r.NewStyle().Faint(true),
		Muted:   r.NewStyle().Faint(true),
		Code:    r.NewStyle().Foreground(red).Bold(true),
		Summary: r.NewStyle().Bold(true),
		Success: r.NewStyle().Foreground(green).Bold(true),
		Error:   r.NewStyle().Foreground(red).Bold(true),
		Warning: r.NewStyle().Foreground(yellow).Bold(true),
	}
}

// Action returns the style, symbol included, of a step's action.
func (s Styles) Action(a planner.Action) lipgloss.Style {
	switch a {
	case planner.CreateTable, planner.CreateIndex, planner.CreateNamespace, planner.DeployWorker:
		return s.Create
	case planner.AddColumn, planner.UpdateWorker:
		return s.Add
	case planner.Blocked:
		return s.Blocked
	default:
		return s.Other
	}
}
