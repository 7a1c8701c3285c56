package state

// Column types dmplan uses in D1. SQLite accepts others; inspection keeps
// whatever declared type it finds, upper-cased.
const (
	TypeText    = "TEXT"
	TypeInteger = "INTEGER"
	TypeReal    = "REAL"
)

// Schema is a D1 database and its KV namespaces. Tables and Namespaces are
// kept sorted by name (Sort) so that equal schemas compare and fingerprint
// equally.
type Schema struct {
	Tables     []*Table     `json:"tables"`
	Namespaces []*Namespace `json:"kv_namespaces"`
}

// Table is one D1 table.
type Table struct {
	Name    string    `json:"name"`
	Columns []*Column `json:"columns"` // in table order (cid)
	Indexes []*Index  `json:"indexes"` // sorted by name; automatic (sqlite_autoindex_*) indexes excluded
	// HasRows reports whether the live table holds at least one row. It is
	// not part of the fingerprint.
	HasRows bool `json:"has_rows,omitempty"`
	// Rows is the live row count when the inspector counted it, else -1.
	// It is not part of the fingerprint.
	Rows int64 `json:"rows,omitempty"`
	// RowsAtMost bounds the live row count from above when the inspector
	// read it (the highest rowid, at the cost of one row read), else 0
	// (an empty table, a WITHOUT ROWID table). It is not part of the
	// fingerprint.
	RowsAtMost int64 `json:"rows_at_most,omitempty"`

	// What the CREATE TABLE text adds beyond columns and indexes, for
	// tables made by other tools. The zero values are what dmplan's own
	// CREATE TABLE gives, and the fingerprint counts them only when set.
	Strict       bool     `json:"strict,omitempty"`
	WithoutRowid bool     `json:"without_rowid,omitempty"`
	Checks       []string `json:"checks,omitempty"` // table CHECK constraints, normalized SQL text
	// Uniques are the table UNIQUE constraints, column lists in order
	// (SQLite backs them with sqlite_autoindex_* indexes, which Indexes
	// leaves out).
	Uniques     [][]string   `json:"uniques,omitempty"`
	ForeignKeys []ForeignKey `json:"foreign_keys,omitempty"` // table FOREIGN KEY constraints
	// Virtual is the module of a virtual table (fts5, rtree, ...), "" for
	// an ordinary table. ShadowOf names the virtual table whose shadow
	// table (x_data, x_idx, ...) this is. Neither is ever planned against.
	Virtual  string `json:"virtual,omitempty"`
	ShadowOf string `json:"shadow_of,omitempty"`
	// Unmodeled describes, one entry each, what the CREATE TABLE text
	// declares that no HCL attribute can (ON CONFLICT clauses, deferred
	// foreign keys, STORED generated columns, constraint keys with a
	// collation or order), so that the plan can say so.
	Unmodeled []string `json:"unmodeled,omitempty"`
}

// ForeignKey is a FOREIGN KEY constraint: Columns of the table reference
// Reference.Columns of Reference.Table.
type ForeignKey struct {
	Columns   []string  `json:"columns"`
	Reference Reference `json:"references"`
}

// Reference is the target of a foreign key and its actions.
type Reference struct {
	Table   string   `json:"table"`
	Columns []string `json:"columns,omitempty"` // empty: the referenced table's primary key
	// OnDelete and OnUpdate are the actions, upper-case (CASCADE, SET
	// NULL, SET DEFAULT, RESTRICT); "" for NO ACTION, the default.
	OnDelete string `json:"on_delete,omitempty"`
	OnUpdate string `json:"on_update,omitempty"`
}

// Column is one column of a table.
type Column struct {
	Name    string `json:"name"`
	Type    string `json:"type"` // upper-case declared type: TEXT, INTEGER, REAL, ...
	NotNull bool   `json:"not_null,omitempty"`
	// Default is the SQL text of the DEFAULT clause ("'pending'", "0",
	// "NULL"), or "" when there is none.
	Default string `json:"default,omitempty"`
	PK      bool   `json:"pk,omitempty"`
	// KeySeq is the column's 1-based position in a composite primary key
	// (PRAGMA table_info's pk), 0 otherwise.
	KeySeq int `json:"key_seq,omitempty"`

	// What the column definition adds beyond type, NOT NULL and default,
	// for tables made by other tools; zero for dmplan's own columns.
	Collate       string     `json:"collate,omitempty"` // NOCASE, RTRIM; "" for BINARY
	Check         string     `json:"check,omitempty"`   // column CHECK constraints, normalized, ANDed
	Autoincrement bool       `json:"autoincrement,omitempty"`
	Unique        bool       `json:"unique,omitempty"` // a column UNIQUE constraint
	References    *Reference `json:"references,omitempty"`
	// Generated is the normalized expression of a generated column
	// (GENERATED ALWAYS AS (...)), which no field can declare.
	Generated string `json:"generated,omitempty"`
}

// Index is one index of a table. A plain index (index block columns =
// [...]) has Columns in ascending order with their own collation and no
// WHERE clause, so Keys and Where are empty; one declared with keys,
// where or unique = "live", or made by hand, carries more, which the
// planner's desired side and inspection both fill, normalized alike, so
// that the planner sees every difference.
type Index struct {
	Name string `json:"name"`
	// Columns are the indexed columns in order, as the table spells them;
	// a key that is an expression is "<expr>" (its text is in Keys).
	Columns []string `json:"columns"`
	Unique  bool     `json:"unique,omitempty"`
	// Keys, when not empty, holds one entry per column with what the key
	// adds to a plain ascending column: it is nil for plain indexes.
	Keys []IndexKey `json:"keys,omitempty"`
	// Where is the condition of a partial index, normalized so that
	// spelling does not matter (names lower-case and unquoted where they
	// can be, other words upper-case, comments dropped, single spaces), or
	// "" for an index over every row.
	Where string `json:"where,omitempty"`
}

// IndexKey is what one key of an index adds to a plain ascending column.
// The zero value is a plain key.
type IndexKey struct {
	// Expr is the normalized text of an expression key (lower(email)), ""
	// for a column.
	Expr string `json:"expr,omitempty"`
	// Collate is an explicit collation other than BINARY (NOCASE, RTRIM),
	// upper-case.
	Collate string `json:"collate,omitempty"`
	Desc    bool   `json:"desc,omitempty"`
}

// Plain reports whether the index is what dmplan creates: columns only,
// ascending, default collation, over every row.
func (ix *Index) Plain() bool {
	if ix.Where != "" {
		return false
	}
	for _, k := range ix.Keys {
		if k != (IndexKey{}) {
			return false
		}
	}
	return true
}

// Key returns the properties of key i (the zero IndexKey when Keys is
// empty).
func (ix *Index) Key(i int) IndexKey {
	if i < len(ix.Keys) {
		return ix.Keys[i]
	}
	return IndexKey{}
}

// Namespace is a KV namespace, named by its title. ID is known on the live
// side only.
type Namespace struct {
	Title string `json:"title"`
	ID    string `json:"id,omitempty"`
}
