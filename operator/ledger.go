package operator

import (
	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/planner"
)

// LedgerProbes returns one probe per migrations table of another tool
// (planner.Ledgers, then the extra kinds: wrangler's ledger under a
// configured name), for Inspect's extra probes: each runs only when its
// table exists, in Inspect's second request, so reading the ledgers costs
// no request.
func LedgerProbes(extra ...planner.LedgerKind) []*backend.Probe {
	kinds := planner.LedgerKinds(extra...)
	out := make([]*backend.Probe, len(kinds))
	for i, k := range kinds {
		out[i] = &backend.Probe{Table: k.Table, Stmt: backend.Stmt{SQL: k.ReadSQL()}}
	}
	return out
}

// Ledgers reads the probes LedgerProbes(extra...) returned once Inspect
// ran them: the ledgers found, in that order, for planner.WithLedgers.
func Ledgers(probes []*backend.Probe, extra ...planner.LedgerKind) []planner.Ledger {
	kinds := planner.LedgerKinds(extra...)
	var out []planner.Ledger
	for i, p := range probes {
		if i >= len(kinds) || p == nil || p.Result == nil {
			continue
		}
		out = append(out, kinds[i].ReadLedger(p.Result.Columns, p.Result.Rows))
	}
	return out
}
