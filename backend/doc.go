// Package backend declares the small interfaces through which dmplan reaches a
// D1 database and Workers KV: statements with bound parameters, atomic
// batches, and key-value namespaces. Concrete stores live in sub-packages
// (backend/local, backend/cloudflare); everything else depends only on these
// interfaces.
//
// Beside the interfaces it holds what every backend and caller shares: D1's
// and KV's limits and sentinel errors, CheckStmt (the checks D1 applies
// before a statement runs), QuoteIdent, IsInternalTable, and Inspect, which
// reads a live schema in at most two D1 requests.
package backend
