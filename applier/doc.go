// Package applier runs a planner.Plan against a backend: it refuses stale
// and blocked plans, creates KV namespaces, sends the SQL as D1 batches
// (one transaction each on the local backend), and records every apply in
// the target's _dmplan_history table.
package applier
