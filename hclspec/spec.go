package hclspec

import (
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// Spec is the normalized content of every *.dm.hcl file in a directory.
type Spec struct {
	Project      Project
	Environments []*Environment // in declaration order
	Models       []*Model       // sorted by name
	Seeds        []*Seed        // in declaration order (files sorted by name)

	// Sources are the files' contents by name, for the source lines of
	// diagnostics (WriteDiagnostics) and so that a saved plan can carry
	// them and be applied elsewhere. The syntax trees are not kept: a
	// loaded Spec holds what was decoded from them.
	Sources map[string][]byte

	// hasProject records whether a project block was declared.
	hasProject bool
	// tenant is the database name when the Spec is one tenant's view of a
	// fleet (Spec.Tenant), else "".
	tenant string
}

// Project is the optional project block.
type Project struct {
	Name          string // default: base name of the directory, lower-cased
	BindingPrefix string // prepended to KV namespace names to form binding names
}

// Environment is one environment block. Attribute expressions are kept
// unevaluated so that only the selected environment needs its env vars;
// evaluate with Spec.ResolveEnvironment.
type Environment struct {
	Name    string
	Backend string // "local" or "cloudflare"
	Attrs   hcl.Attributes
	// Gateway is the environment's gateway block, nil without one.
	Gateway *Gateway
	// Fleet is the environment's databases block, nil without one: the
	// environment is then a fleet of databases rather than one.
	Fleet     *Fleet
	DeclRange hcl.Range
}

// Model is one model block with its built-in fields expanded.
type Model struct {
	Name       string // as declared, e.g. "PAGE"
	PrimaryKey string // default: lower(Name) + "_id"
	Options    Options
	// Fields in storage order: the primary key, declared fields in
	// declaration order, then the built-ins user_id, created_at,
	// updated_at, deleted_at, _auth (those the options enable).
	Fields []*Field
	KV     KV
	D1     D1
	Hooks  []*Hook
	// Storage says where records live: StorageD1KV (the default: the full
	// object in KV, the synced fields in D1) or StorageD1 (a D1-only
	// model, every field a column, no KV side; what `dmplan import` writes
	// for a table another tool made).
	Storage string
	// PrimaryKeys holds every primary key column in key order when the key
	// is composite (primary_key = ["org_id", "user_id"], D1-only models
	// only); nil for a single-column key, which is PrimaryKey.
	PrimaryKeys []string

	DeclRange hcl.Range
}

// Model storage kinds (the model attribute storage).
const (
	StorageD1KV = "d1+kv"
	StorageD1   = "d1"
)

// D1Only reports whether the model has no KV side.
func (m *Model) D1Only() bool { return m.Storage == StorageD1 }

// Options are the model's built-in behaviours; all default to true.
type Options struct {
	Timestamps   bool
	SoftDelete   bool
	UserTracking bool
	Auth         bool
}

// KV is where the full object lives.
type KV struct {
	Namespace  string // e.g. "PAGES"; default: the model name
	KeyPattern string // contains "{id}"; default: lower(Name) + ":{id}"
	Binding    string // Project.BindingPrefix + Namespace, set once the project is known
}

// Key returns the KV key of the record with the id.
func (k KV) Key(id string) string { return strings.ReplaceAll(k.KeyPattern, "{id}", id) }

// Prefix returns the constant part of the key pattern before "{id}", which
// every key of the model starts with.
func (k KV) Prefix() string {
	i := strings.Index(k.KeyPattern, "{id}")
	if i < 0 {
		return k.KeyPattern
	}
	return k.KeyPattern[:i]
}

// D1 is the queryable projection of the model.
type D1 struct {
	Table string // default: lower(Name)
	// SyncFields is the complete list of field names stored as columns, in
	// column order: the primary key, declared sync_fields in field order,
	// then user_id, created_at, updated_at and deleted_at when present.
	SyncFields []string
	Indexes    []*Index
	// Table options and table constraints, for tables made by other tools
	// (d1 block attributes strict, without_rowid, checks, unique and
	// foreign_key blocks). CREATE TABLE writes them; SQLite cannot add
	// them to a table that exists, so a difference is blocked.
	Strict       bool
	WithoutRowid bool
	Checks       []string     // table CHECK expressions, SQL text
	Uniques      [][]string   // table UNIQUE constraints, column lists
	ForeignKeys  []ForeignKey // table FOREIGN KEY constraints (composite keys)
}

// ForeignKey is a FOREIGN KEY constraint: Columns of this table reference
// Reference.Columns of Reference.Table.
type ForeignKey struct {
	Columns   []string
	Reference Reference
	DeclRange hcl.Range
}

// Reference is the REFERENCES clause of a column or table constraint.
type Reference struct {
	Table    string
	Columns  []string // empty: the referenced table's primary key
	OnDelete string   // "", "CASCADE", "SET NULL", "SET DEFAULT", "RESTRICT", "NO ACTION" (upper-case)
	OnUpdate string
}

// Index is one index block of a d1 block.
type Index struct {
	Label   string // the block label
	Name    string // the SQL index name: Table + "_" + Label, or the name attribute
	Columns []string
	Unique  bool
	// Keys, when not empty, are the index's keys as written in
	// keys = ["lower(email)", "created_at DESC", "name COLLATE NOCASE"]
	// (exclusive with a plain columns list, which leaves Keys nil); each
	// key names a column or holds an expression. Columns then lists the
	// keys' columns, "<expr>" for an expression, as state.Index does.
	Keys []IndexKey
	// Where is the condition of a partial index as written (SQL text),
	// "" for an index over every row. With UniqueLive it is ANDed with
	// "deleted_at IS NULL".
	Where string
	// UniqueLive is unique = "live": unique among the rows that are not
	// soft-deleted (a partial unique index WHERE deleted_at IS NULL).
	UniqueLive bool
	DeclRange  hcl.Range
}

// IndexKey is one key of an index declared with keys: a column or an
// expression, with an optional collation and order.
type IndexKey struct {
	Column  string // the column name, "" for an expression key
	Expr    string // SQL text of an expression key, "" for a column key
	Collate string // "", or an upper-case collation name: NOCASE, RTRIM, BINARY
	Desc    bool
}

// FieldType is the declared type of a field.
type FieldType int

// Field types.
const (
	String FieldType = iota + 1
	Text
	JSON
	Array
	Timestamp
	Integer
	Number
	Boolean
	// Blob is a BLOB column; in KV objects and JSON it is base64 text, in
	// Go a []byte.
	Blob
)

var fieldTypeNames = map[FieldType]string{
	String: "string", Text: "text", JSON: "json", Array: "array",
	Timestamp: "timestamp", Integer: "integer", Number: "number", Boolean: "boolean",
	Blob: "blob",
}

func (t FieldType) String() string {
	if s, ok := fieldTypeNames[t]; ok {
		return s
	}
	return "invalid"
}

// ParseFieldType returns the type with the name, or false.
func ParseFieldType(name string) (FieldType, bool) {
	for t, s := range fieldTypeNames {
		if s == name {
			return t, true
		}
	}
	return 0, false
}

// ColumnType is the D1 column type the field is stored as: TEXT for
// string/text/json/array/timestamp, INTEGER for integer/boolean, REAL for
// number.
func (t FieldType) ColumnType() string {
	switch t {
	case Integer, Boolean:
		return "INTEGER"
	case Number:
		return "REAL"
	case Blob:
		return "BLOB"
	default:
		return "TEXT"
	}
}

// Field is one field of a model, declared or built in.
type Field struct {
	Name     string
	Type     FieldType
	Required bool
	// Default is the default value as a plain Go value (string, int64,
	// float64, bool, []any, map[string]any), or nil for none.
	Default    any
	Validation Validation
	Primary    bool // the primary key
	BuiltIn    bool // added by the options, not declared
	Auto       bool // set by the runtime (created_at, updated_at)
	Synced     bool // stored as a D1 column
	KVOnly     bool // _auth: stored in KV, never in D1

	DeclRange hcl.Range
	// DefaultRange is where the default value is written; zero when the
	// field has none.
	DefaultRange hcl.Range
	// SQL is how the column is declared beyond what Type implies, for
	// columns made by other tools (field attributes sql_type, sql_default,
	// check, collate, autoincrement, unique, references, on_delete,
	// on_update). The zero value is a column dmplan would make itself.
	SQL ColumnSQL
}

// ColumnSQL is the part of a column's declaration that Type does not
// imply.
type ColumnSQL struct {
	// Type is the declared SQL type as written ("DATETIME",
	// "VARCHAR(255)", "DECIMAL(10,2)"), "" for Type.ColumnType(). Its
	// affinity agrees with Type.
	Type string
	// Default is a raw SQL default expression ("CURRENT_TIMESTAMP",
	// "(strftime('%s','now'))"), exclusive with Field.Default.
	Default       string
	Check         string // column CHECK expression, SQL text
	Collate       string // upper-case collation name, "" for BINARY
	Autoincrement bool   // INTEGER PRIMARY KEY AUTOINCREMENT
	Unique        bool   // a column UNIQUE constraint
	References    *Reference
}

// Validation is a named validator ("url", "email", "uuid", ...) or an enum
// list of allowed values; at most one of the two is set.
type Validation struct {
	Named string
	Enum  []string
}

// Hook events.
const (
	BeforeCreate = "before_create"
	AfterCreate  = "after_create"
	BeforeUpdate = "before_update"
	AfterUpdate  = "after_update"
	BeforeDelete = "before_delete"
	AfterDelete  = "after_delete"
)

// Hook is one hook block: a condition and the actions it runs. Expressions
// are evaluated at run time over self and changes (EvalContext).
type Hook struct {
	Event   string
	When    hcl.Expression // nil means always
	Webhook *Webhook
	Log     *LogAction

	DeclRange hcl.Range
}

// Webhook is a webhook action.
type Webhook struct {
	URL    hcl.Expression
	Event  hcl.Expression // nil: "<model>.<event>" in lower case
	Body   hcl.Expression // nil: the record
	Secret hcl.Expression // nil: unsigned

	DeclRange hcl.Range
}

// LogAction is a log action: a message logged through the runtime logger.
type LogAction struct {
	Message hcl.Expression
	Level   string // debug, info, warn, error; default info

	DeclRange hcl.Range
}

// Seed conditions.
const (
	SeedAlways    = "always"
	SeedIfEmpty   = "if_empty"
	SeedIfMissing = "if_missing"
)

// Seed is one seed block: records a model starts with.
type Seed struct {
	Model     string
	Name      string
	Condition string   // always, if_empty or if_missing; default if_missing
	Match     []string // identity fields for if_missing and always; default the primary key
	Data      hcl.Expression

	DeclRange hcl.Range
}

// Model returns the model with the name, or nil.
func (s *Spec) Model(name string) *Model {
	for _, m := range s.Models {
		if m.Name == name {
			return m
		}
	}
	return nil
}

// Field returns the field with the name, or nil.
func (m *Model) Field(name string) *Field {
	for _, f := range m.Fields {
		if f.Name == name {
			return f
		}
	}
	return nil
}

// Columns returns the synced fields in column order (D1.SyncFields).
func (m *Model) Columns() []*Field {
	out := make([]*Field, 0, len(m.D1.SyncFields))
	for _, n := range m.D1.SyncFields {
		if f := m.Field(n); f != nil {
			out = append(out, f)
		}
	}
	return out
}

// NamespaceTitle is the KV namespace title dmplan creates and looks up for a
// model's kv.namespace in an environment: "<project>-<environment>-<NAMESPACE>",
// e.g. "nimbus-production-PAGES".
func (s *Spec) NamespaceTitle(env, namespace string) string {
	return s.Project.Name + "-" + env + "-" + namespace
}

// Target is a resolved environment: where plan and apply go. Values that
// came from env.X are in Sensitive and must never be printed.
type Target struct {
	Environment string
	Backend     string // "local", "cloudflare" or "wrangler"
	Path        string // local: directory holding d1.sqlite and kv.sqlite
	AccountID   string // cloudflare
	Database    string // cloudflare: D1 database name or id
	APIToken    string // cloudflare: from api_token = env.X; empty means CLOUDFLARE_API_TOKEN
	BaseURL     string // cloudflare: API base URL override; empty means the SDK default
	// wrangler: the wrangler configuration file ("" = found as wrangler
	// finds it), the D1 binding ("" = the only one), the wrangler
	// environment (--env) and wrangler's --persist-to directory ("" =
	// wrangler's default, .wrangler/state beside the configuration).
	Config, Binding, WranglerEnv, PersistTo string
	// Sensitive holds the attribute names whose values came from env.X.
	Sensitive map[string]bool
	// Gateway is the environment's gateway block, nil without one. Its
	// secrets are only named: the deploy reads them when it uploads.
	Gateway *Gateway
	// Fleet is the environment's databases block, nil for one database.
	// With a fleet, a local Path is the directory holding one
	// subdirectory per database, and Database is empty.
	Fleet *Fleet
}
