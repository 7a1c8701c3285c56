package backend_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/local"
	"github.com/dmplan/dmplan/state"
)

// TestInspectTableSQL inspects tables made the way other tools make them
// on a real SQLite file and checks what the CREATE TABLE text adds, still
// in two D1 requests.
func TestInspectTableSQL(t *testing.T) {
	ctx := context.Background()
	s, err := local.OpenMemory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, err = s.D1().Batch(ctx, []backend.Stmt{
		{SQL: "CREATE TABLE `orgs` (`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL, `slug` text(64) NOT NULL COLLATE NOCASE UNIQUE)"},
		{SQL: `CREATE TABLE "members" ("user_id" INTEGER NOT NULL, "org_id" INTEGER NOT NULL REFERENCES "orgs" ("id") ON DELETE CASCADE,
			"role" TEXT NOT NULL DEFAULT 'member' CHECK ("role" IN ('member', 'admin')), "joined" DATETIME DEFAULT CURRENT_TIMESTAMP,
			"twice" INTEGER GENERATED ALWAYS AS ("user_id" * 2) VIRTUAL,
			PRIMARY KEY ("org_id", "user_id"), UNIQUE ("org_id", "role", "user_id"), CHECK (user_id > 0)) WITHOUT ROWID`},
		{SQL: `CREATE TABLE kv (k TEXT PRIMARY KEY ON CONFLICT REPLACE, v ANY REFERENCES orgs DEFERRABLE INITIALLY DEFERRED) STRICT`},
		{SQL: `CREATE VIRTUAL TABLE notes_fts USING fts5(title, body)`},
	})
	if err != nil {
		t.Fatal(err)
	}
	d1 := &countingD1{D1: s.D1()}
	got, err := backend.Inspect(ctx, d1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d1.requests != 2 {
		t.Errorf("Inspect made %d D1 requests, want 2", d1.requests)
	}
	byName := map[string]*state.Table{}
	for _, tb := range got.Tables {
		byName[tb.Name] = tb
		tb.Indexes, tb.HasRows, tb.Rows, tb.RowsAtMost = nil, false, 0, 0
	}
	want := map[string]*state.Table{
		"orgs": {Name: "orgs", Columns: []*state.Column{
			{Name: "id", Type: "INTEGER", NotNull: true, PK: true, Autoincrement: true},
			{Name: "slug", Type: "TEXT(64)", NotNull: true, Collate: "NOCASE", Unique: true},
		}},
		"members": {Name: "members", WithoutRowid: true,
			Checks:  []string{"user_id > 0"},
			Uniques: [][]string{{"org_id", "role", "user_id"}},
			Columns: []*state.Column{
				{Name: "user_id", Type: "INTEGER", NotNull: true, PK: true, KeySeq: 2},
				{Name: "org_id", Type: "INTEGER", NotNull: true, PK: true, KeySeq: 1, References: &state.Reference{Table: "orgs", Columns: []string{"id"}, OnDelete: "CASCADE"}},
				{Name: "role", Type: "TEXT", NotNull: true, Default: "'member'", Check: "role IN ('member', 'admin')"},
				{Name: "joined", Type: "DATETIME", Default: "CURRENT_TIMESTAMP"},
				{Name: "twice", Generated: "user_id * 2"},
			}},
		"kv": {Name: "kv", Strict: true, Unmodeled: []string{"column k: ON CONFLICT REPLACE", "column v: REFERENCES is DEFERRABLE INITIALLY DEFERRED"}, Columns: []*state.Column{
			{Name: "k", Type: "TEXT", NotNull: true, PK: true}, // STRICT makes the key NOT NULL
			{Name: "v", Type: "ANY", References: &state.Reference{Table: "orgs"}},
		}},
		"notes_fts": {Name: "notes_fts", Virtual: "fts5", Columns: []*state.Column{{Name: "title"}, {Name: "body"}}},
	}
	for name, w := range want {
		if diff := cmp.Diff(w, byName[name]); diff != "" {
			t.Errorf("table %s (-want +got):\n%s", name, diff)
		}
	}
	if pk := byName["members"].PrimaryKey(); !cmp.Equal(pk, []string{"org_id", "user_id"}) {
		t.Errorf("members key %v, want [org_id user_id] (key order, not table order)", pk)
	}
	for _, suffix := range []string{"_data", "_idx", "_content", "_docsize", "_config"} {
		if tb := byName["notes_fts"+suffix]; tb == nil || tb.ShadowOf != "notes_fts" {
			t.Errorf("notes_fts%s: %+v, want a shadow of notes_fts", suffix, tb)
		}
	}
}
