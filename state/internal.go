package state

import "strings"

// HistoryTable is the table in the target D1 database where the applier
// records every apply.
const HistoryTable = "_dmplan_history"

// IsInternalTable reports whether a table belongs to dmplan itself
// (_dmplan_*), to Cloudflare (_cf_*), to wrangler (d1_migrations) or to
// SQLite (sqlite_*). Such tables are never planned against, never reported
// as unmanaged and not part of the fingerprint.
func IsInternalTable(name string) bool {
	n := strings.ToLower(name)
	return strings.HasPrefix(n, "_dmplan_") ||
		strings.HasPrefix(n, "_cf_") ||
		strings.HasPrefix(n, "sqlite_") ||
		n == "d1_migrations"
}
