package planner

import "fmt"

// Summary is a one-line, human description of the step, built from its
// action, target and model, for views and logs:
//
//	create table page_meta (model PAGE)
//	add column page_meta.title (model PAGE)
//	DM101 blocked: page_meta.status (model PAGE)
func (s Step) Summary() string {
	var what string
	switch s.Action {
	case CreateTable:
		what = "create table " + s.Target
	case AddColumn:
		what = "add column " + s.Target
	case CreateIndex:
		what = "create index " + s.Target
	case CreateNamespace:
		what = "create KV namespace " + s.Target
	case Backfill:
		what = "backfill " + s.Target
	case Seed:
		what = "seed " + s.Target
	case Blocked:
		what = s.Code + " blocked: " + s.Target
	case DeployWorker:
		what = "deploy worker " + s.Target
	case UpdateWorker:
		what = "update worker " + s.Target
	case FillKV:
		what = "fill KV from " + s.Target
	default:
		what = fmt.Sprintf("%s %s", s.Action, s.Target)
	}
	if s.Model != "" {
		what += " (model " + s.Model + ")"
	}
	return what
}

// Explain is the summary followed by the reason and, for blocked steps,
// what a person can do by hand.
func (s Step) Explain() string {
	out := s.Summary() + ": " + s.Reason
	if s.Hint != "" {
		out += "; " + s.Hint
	}
	return out
}
