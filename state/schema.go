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
}

// Index is one index of a table.
type Index struct {
	Name    string   `json:"name"`
	Columns []string `json:"columns"`
	Unique  bool     `json:"unique,omitempty"`
}

// Namespace is a KV namespace, named by its title. ID is known on the live
// side only.
type Namespace struct {
	Title string `json:"title"`
	ID    string `json:"id,omitempty"`
}
