package backend

// A Probe is a read of a table that Inspect's caller needs besides the
// schema, such as the progress of unfinished backfills in an internal
// table. InspectWith runs it in the same batch as the schema reads, and
// only when its table exists (the first read lists every table), so the
// caller needs neither a request to learn whether the table is there nor
// one for the read itself.
type Probe struct {
	// Table must exist for the probe to run; internal tables (_dmplan_*)
	// count.
	Table string
	// Stmt is the read. It must not write: it runs in a read-only batch.
	Stmt Stmt
	// Result is set by InspectWith: nil when Table does not exist.
	Result *Result
}

// askProbes resets every probe's Result and returns those whose table is
// present.
func askProbes(probes []*Probe, present map[string]bool) []*Probe {
	var asked []*Probe
	for _, p := range probes {
		if p == nil {
			continue
		}
		p.Result = nil
		if present[p.Table] {
			asked = append(asked, p)
		}
	}
	return asked
}
