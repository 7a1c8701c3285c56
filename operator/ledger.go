package operator

import (
	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/planner"
)

// LedgerProbes returns one probe per migrations table of another tool
// (planner.Ledgers), for Inspect's extra probes: each runs only when its
// table exists, in Inspect's second request, so reading the ledgers costs
// no request.
func LedgerProbes() []*backend.Probe {
	out := make([]*backend.Probe, len(planner.Ledgers))
	for i, k := range planner.Ledgers {
		out[i] = &backend.Probe{Table: k.Table, Stmt: backend.Stmt{SQL: k.ReadSQL()}}
	}
	return out
}

// Ledgers reads the probes LedgerProbes returned once Inspect ran them:
// the ledgers found, in planner.Ledgers' order, for planner.WithLedgers.
func Ledgers(probes []*backend.Probe) []planner.Ledger {
	var out []planner.Ledger
	for i, p := range probes {
		if i >= len(planner.Ledgers) || p == nil || p.Result == nil {
			continue
		}
		out = append(out, planner.Ledgers[i].ReadLedger(p.Result.Columns, p.Result.Rows))
	}
	return out
}
