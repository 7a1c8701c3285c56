// Package planner computes the safe, additive steps that bring a live D1/KV
// schema to the declared one. It does no I/O: a Plan is plain data, rendered
// by views and executed by the applier.
//
// Desired turns a spec into the schema it declares; Diff compares it with
// the live schema (backend.Inspect) and returns a Plan whose steps come in
// a fixed order: create KV namespaces, create tables (each followed by its
// indexes), add columns, create indexes on existing tables, seeds, then
// blocked steps. The planner does no I/O, so seed status (does the table
// have rows, does the seed's record exist, does it hold the seed's data)
// comes in through WithSeedStatus; a seed step holds no values. Likewise
// whether a table with rows holds duplicates for a unique index the plan
// would create comes in through WithUniqueViolations (UniqueIndexProbes
// lists what to ask the target). Whether a column can be added in place follows SQLite's ALTER
// TABLE rules, kept in one helper (addColumnCheck).
//
// Blocked steps are never executed and make plan exit non-zero. Each has a
// code, the reason and what a person can do by hand:
//
//	DM101  a synced field's column type would change
//	DM102  retired: a field taken out of sync_fields is the note DM202
//	DM103  a NOT NULL column without a default cannot be added to an existing table
//	DM104  the primary key differs from the table's
//	DM105  an index of the declared name exists with other columns or uniqueness
//	DM106  the table would exceed D1's 100 columns
//	DM107  NOT NULL would be added to or removed from an existing column
//	DM108  an index needs a column this plan cannot add
//	DM109  a column has a non-constant default SQLite cannot add in place
//	DM110  two models map to the same table
//	DM111  a live column no synced field maps to is NOT NULL without a default
//	DM112  a unique index would be created on a table holding duplicate values
//	DM113  a unique index would be created on a column the plan adds and backfills
//	DM114  an index of the declared name is partial, or has a collation, a DESC key or an expression
//	DM115  a table to create has the name of a live index
//	DM116  a field's sql_type differs from the column's declared type
//	DM117  a column or table CHECK differs
//	DM118  a column's collation differs
//	DM119  a column REFERENCES or table FOREIGN KEY differs
//	DM120  a column or table UNIQUE constraint differs
//	DM121  AUTOINCREMENT on the key differs
//	DM122  STRICT or WITHOUT ROWID differs
//	DM123  a field's sql_default differs from the column's default
//	DM124  a new column is UNIQUE, or REFERENCES with a non-NULL default
//	DM125  a model maps to a virtual or shadow table, a field to a generated column
//	DM140  a database of a fleet lives in another jurisdiction than its databases block sets
//
// Notes are reported and never acted on: DM201 unmanaged table, DM202
// a column no synced field maps to (kept, no longer written), DM203 default differs (SQLite cannot alter defaults),
// DM204 unmanaged index, DM205 type spelled differently with the same
// affinity, DM206 seed not checked (no status given), DM207 no backfill
// from a KV namespace the plan creates, DM211 a virtual table and its
// shadow tables, DM212 a generated column, DM213 SQL of a managed table no
// attribute declares (ON CONFLICT, deferred foreign keys, STORED, ...).
package planner
