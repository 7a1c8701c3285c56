package state

import "strings"

// HistoryTable is the table in the target D1 database where the applier
// records every apply.
const HistoryTable = "_dmplan_history"

// IsInternalTable reports whether a table belongs to dmplan itself
// (_dmplan_*), to Cloudflare (_cf_*), to SQLite (sqlite_*) or is another
// migration tool's ledger: wrangler's d1_migrations, drizzle's
// __drizzle_migrations, Prisma's _prisma_migrations (a plan notes those,
// planner.Ledgers). Such tables are never planned against, never reported
// as unmanaged, never imported and not part of the fingerprint.
func IsInternalTable(name string) bool {
	n := strings.ToLower(name)
	return strings.HasPrefix(n, "_dmplan_") ||
		strings.HasPrefix(n, "_cf_") ||
		strings.HasPrefix(n, "sqlite_") ||
		n == "d1_migrations" || n == "__drizzle_migrations" || n == "_prisma_migrations"
}
