package planner

// Codes of blocked steps. A blocked step is never executed; plan exits
// non-zero while one remains.
const (
	// CodeTypeChange: a synced field's column type would change.
	CodeTypeChange = "DM101"
	// CodeUnsynced is retired: a declared field taken out of sync_fields
	// whose column exists is the note DM202, like a deleted field (see
	// alterTable). The code is kept so that it is never reused.
	//
	// Deprecated: Diff no longer returns it.
	CodeUnsynced = "DM102"
	// CodeNotNullNoDefault: a NOT NULL column without a default cannot be
	// added to an existing table.
	CodeNotNullNoDefault = "DM103"
	// CodePrimaryKeyChange: the table's primary key differs from the
	// model's.
	CodePrimaryKeyChange = "DM104"
	// CodeIndexChanged: an index with the declared name exists with other
	// columns (or columns in another order) or uniqueness; dmplan does not
	// drop indexes.
	CodeIndexChanged = "DM105"
	// CodeTooManyColumns: the table would hold more than 100 columns, D1's
	// limit.
	CodeTooManyColumns = "DM106"
	// CodeNullabilityChange: NOT NULL would be added to or removed from an
	// existing column, which SQLite cannot alter in place.
	CodeNullabilityChange = "DM107"
	// CodeIndexNeedsColumn: an index needs a column this plan cannot add.
	CodeIndexNeedsColumn = "DM108"
	// CodeNotInPlace: a column cannot be added in place for another SQLite
	// reason (a non-constant default).
	CodeNotInPlace = "DM109"
	// CodeDuplicateTable: two models map to the same D1 table.
	CodeDuplicateTable = "DM110"
	// CodeUnmanagedNotNull: a live column no synced field maps to is NOT
	// NULL without a default, so every insert of the runtime would fail.
	CodeUnmanagedNotNull = "DM111"
	// CodeUniqueDuplicates: a unique index would be created on a table
	// whose rows already hold duplicate values, so creating it would fail
	// (see WithUniqueViolations).
	CodeUniqueDuplicates = "DM112"
	// CodeUniqueOnBackfill: a unique index would be created on a column
	// this plan adds to a table with rows and fills from the KV objects,
	// so whether the values are unique shows only at apply, after the
	// backfill.
	CodeUniqueOnBackfill = "DM113"
	// CodeIndexDefinition: an index with the declared name exists with the
	// declared columns and uniqueness but another definition: its WHERE
	// clause (partial, or unique = "live"), a key's collation, order or
	// expression differ from the index block's keys and where, as when it
	// was rebuilt by hand. dmplan does not drop indexes.
	CodeIndexDefinition = "DM114"
	// CodeTableNameTaken: a table the plan would create has the name of a
	// live index (SQLite names tables and indexes in one namespace), so
	// CREATE TABLE would fail at apply.
	CodeTableNameTaken = "DM115"

	// Codes of what a CREATE TABLE made by another tool declares (the
	// adoption language). SQLite cannot ALTER any of it in place: the way
	// is to describe the table as it is, or to rebuild it by hand.

	// CodeSQLTypeChange: a field's sql_type differs from the column's
	// declared type.
	CodeSQLTypeChange = "DM116"
	// CodeCheckChange: a column or table CHECK constraint differs.
	CodeCheckChange = "DM117"
	// CodeCollateChange: a column's collation differs.
	CodeCollateChange = "DM118"
	// CodeForeignKeyChange: a column REFERENCES or a table FOREIGN KEY
	// constraint differs.
	CodeForeignKeyChange = "DM119"
	// CodeUniqueConstraintChange: a column UNIQUE or table UNIQUE
	// constraint differs.
	CodeUniqueConstraintChange = "DM120"
	// CodeAutoincrementChange: AUTOINCREMENT on the key differs.
	CodeAutoincrementChange = "DM121"
	// CodeTableOptionChange: STRICT or WITHOUT ROWID differs.
	CodeTableOptionChange = "DM122"
	// CodeSQLDefaultChange: a field's sql_default differs from the
	// column's DEFAULT (D1 fills it, not the runtime, so it matters).
	CodeSQLDefaultChange = "DM123"
	// CodeAddColumnConstraint: a new column carries what ALTER TABLE ADD
	// COLUMN refuses: UNIQUE, or REFERENCES with a default other than
	// NULL.
	CodeAddColumnConstraint = "DM124"
	// CodeNotManageable: a model maps to what dmplan cannot manage: a
	// virtual table (FTS5, R*Tree) or one of its shadow tables, or a
	// generated column.
	CodeNotManageable = "DM125"
)

// Codes of notes: reported, never acted on, never a failure.
const (
	// NoteUnmanagedTable: a live table no model maps to; left alone.
	NoteUnmanagedTable = "DM201"
	// NoteUnmanagedColumn: a live column no synced field maps to (its field
	// was taken out of sync_fields or deleted, or it was never dmplan's):
	// kept, no longer written.
	NoteUnmanagedColumn = "DM202"
	// NoteDefaultDiffers: a column's default differs from the field's;
	// SQLite cannot alter defaults, the runtime writes the field default.
	NoteDefaultDiffers = "DM203"
	// NoteUnmanagedIndex: a live index no index block declares; kept.
	NoteUnmanagedIndex = "DM204"
	// NoteTypeSpelling: a column's declared type is spelled differently but
	// has the same SQLite affinity (INT for INTEGER); left as is.
	NoteTypeSpelling = "DM205"
	// NoteSeedUnchecked: a seed of an existing table was not planned
	// because Diff was given no status for it (WithSeedStatus).
	NoteSeedUnchecked = "DM206"
	// NoteNoBackfillSource: new columns of a table with rows are not
	// backfilled because the model's KV namespace is created by the same
	// plan, so it holds no objects to fill them from.
	NoteNoBackfillSource = "DM207"
	// NoteTargetedGateway: the gateway Worker would change, but a plan
	// with targets (WithTargets) leaves it as it is.
	NoteTargetedGateway = "DM210"
	// NoteFreeQuota: the rows the plan's backfills, seeds and indexes on
	// existing rows are estimated to read or write pass the D1 Free
	// plan's daily quota (see RowEstimate and WithPaidD1).
	NoteFreeQuota = "DM208"
	// NoteVirtualTable: a virtual table (FTS5, R*Tree) no model maps to,
	// with its shadow tables; left alone, noted once.
	NoteVirtualTable = "DM211"
	// NoteGeneratedColumn: a generated column no field can declare;
	// SQLite computes it, dmplan leaves it alone.
	NoteGeneratedColumn = "DM212"
	// NoteUnmodeledSQL: a managed table's CREATE TABLE declares what no
	// HCL attribute can (an ON CONFLICT clause, a deferred foreign key, a
	// STORED generated column, a constraint key with a collation or
	// order); left as is, said so it is never silent.
	NoteUnmodeledSQL = "DM213"
)

// Codes of the fleet (a database per tenant): DM140–DM149, notes
// DM240–DM249.
const (
	// CodeJurisdiction: a database of a fleet whose databases block sets
	// a jurisdiction lives in another one (or none); a jurisdiction is
	// chosen when a database is created, so it is never changed.
	CodeJurisdiction = "DM140"
)
