package gen_test

import (
	"testing"

	"github.com/dmplan/dmplan/hclspec"
)

// adoptionSpec is a model set using the adoption language: a D1-only
// table with an integer autoincrement key, a blob and a SQL default; a
// D1-only table with a composite key; and a D1+KV model with a blob.
// It is built by hand: the decoding of storage = "d1" lands separately.
func adoptionSpec(t *testing.T) *hclspec.Spec {
	t.Helper()
	event := &hclspec.Model{
		Name: "EVENT", PrimaryKey: "id", Storage: hclspec.StorageD1,
		Fields: []*hclspec.Field{
			{Name: "id", Type: hclspec.Integer, Primary: true, Required: true, Synced: true,
				SQL: hclspec.ColumnSQL{Autoincrement: true}},
			{Name: "kind", Type: hclspec.String, Required: true, Synced: true,
				Validation: hclspec.Validation{Enum: []string{"click", "view"}}, SQL: hclspec.ColumnSQL{Type: "VARCHAR(16)"}},
			{Name: "payload", Type: hclspec.Blob, Synced: true},
			{Name: "score", Type: hclspec.Number, Synced: true, SQL: hclspec.ColumnSQL{Type: "DECIMAL(10,2)"}},
			{Name: "seen", Type: hclspec.Boolean, Required: true, Default: false, Synced: true, SQL: hclspec.ColumnSQL{Type: "BOOLEAN"}},
			{Name: "meta", Type: hclspec.JSON, Synced: true},
			{Name: "at", Type: hclspec.Timestamp, Required: true, Synced: true,
				SQL: hclspec.ColumnSQL{Type: "DATETIME", Default: "CURRENT_TIMESTAMP"}},
		},
		D1: hclspec.D1{Table: "events", SyncFields: []string{"id", "kind", "payload", "score", "seen", "meta", "at"}},
	}
	member := &hclspec.Model{
		Name: "MEMBERSHIP", PrimaryKey: "org_id", PrimaryKeys: []string{"org_id", "user_id"}, Storage: hclspec.StorageD1,
		Fields: []*hclspec.Field{
			{Name: "org_id", Type: hclspec.String, Required: true, Synced: true},
			{Name: "user_id", Type: hclspec.String, Required: true, Synced: true},
			{Name: "role", Type: hclspec.String, Synced: true},
		},
		D1: hclspec.D1{Table: "memberships", SyncFields: []string{"org_id", "user_id", "role"}, WithoutRowid: true},
	}
	file := &hclspec.Model{
		Name: "FILE", PrimaryKey: "file_id", Storage: hclspec.StorageD1KV,
		Options: hclspec.Options{Timestamps: true},
		Fields: []*hclspec.Field{
			{Name: "file_id", Type: hclspec.String, Primary: true, BuiltIn: true, Synced: true},
			{Name: "name", Type: hclspec.String, Required: true, Synced: true},
			{Name: "data", Type: hclspec.Blob, Required: true},
			{Name: "thumb", Type: hclspec.Blob, Synced: true},
			{Name: "created_at", Type: hclspec.Timestamp, BuiltIn: true, Auto: true, Synced: true},
			{Name: "updated_at", Type: hclspec.Timestamp, BuiltIn: true, Auto: true, Synced: true},
		},
		KV: hclspec.KV{Namespace: "FILES", KeyPattern: "file:{id}", Binding: "APP_FILES"},
		D1: hclspec.D1{Table: "files", SyncFields: []string{"file_id", "name", "thumb", "created_at", "updated_at"}},
	}
	return &hclspec.Spec{
		Project: hclspec.Project{Name: "app", BindingPrefix: "APP_"},
		Models:  []*hclspec.Model{event, file, member},
	}
}
