package main

import (
	"context"
	"strings"
	"testing"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/runtime"
)

const indexDriftHCL = `project "ix" {}

model "ACCOUNT" {
  field "email" {
    type     = string
    required = true
  }
  field "status" { type = string }
  options { soft_delete = true }
  d1 {
    sync_fields = ["email", "status"]
    index "by_status" { columns = ["status", "email"] }
    index "by_email" {
      columns = ["email"]
      unique  = true
    }
  }
}
`

// An index rebuilt by hand under a dmplan index's name never plans as "No
// changes": each way it can differ blocks with DM105 (columns, order,
// uniqueness) or DM114 (partial, collation, DESC, expression), in every
// format, and a harmless respelling of the same index plans nothing.
func TestIndexDriftBlocks(t *testing.T) {
	dir := appliedDir(t, "accounts.dm.hcl", indexDriftHCL)
	rebuild := func(t *testing.T, name, create string) {
		t.Helper()
		withStore(t, dir, func(be backend.Backend, _ *runtime.Datastore) {
			if _, err := be.D1().Batch(context.Background(), []backend.Stmt{{SQL: `DROP INDEX ` + name}, {SQL: create}}); err != nil {
				t.Fatal(err)
			}
		})
	}
	tests := []struct {
		name, index, create, code string
		want                      []string
	}{
		{"partial", "account_by_status", `CREATE INDEX account_by_status ON account (status, email) WHERE deleted_at IS NULL`, "DM114",
			[]string{"the live index is partial (WHERE deleted_at IS NULL), the declared one covers every row"}},
		{"collate", "account_by_email", `CREATE UNIQUE INDEX account_by_email ON account (email COLLATE NOCASE)`, "DM114",
			[]string{"email is compared with COLLATE NOCASE in the live index"}},
		{"desc", "account_by_status", `CREATE INDEX account_by_status ON account (status DESC, email)`, "DM114",
			[]string{"status is descending in the live index, ascending in the declared one"}},
		{"expression", "account_by_email", `CREATE UNIQUE INDEX account_by_email ON account (lower(email))`, "DM114",
			[]string{"key 1 of the live index is the expression lower(email), not the column email"}},
		{"column order", "account_by_status", `CREATE INDEX account_by_status ON account (email, status)`, "DM105",
			[]string{"the live index covers (email, status), the declared one (status, email)"}},
		{"column list", "account_by_status", `CREATE INDEX account_by_status ON account (status)`, "DM105",
			[]string{"the live index covers (status), the declared one (status, email)"}},
		{"uniqueness", "account_by_email", `CREATE INDEX account_by_email ON account (email)`, "DM105",
			[]string{"the declared index is unique, the live one is not"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rebuild(t, tt.index, tt.create)
			for _, format := range [][]string{nil, {"-json"}, {"-format", "markdown"}} {
				args := append(append([]string{"plan"}, format...), dir)
				code, out, errOut := dmplanRun(t, args...)
				if code != exitError {
					t.Errorf("plan %v: exit %d, want %d\n%s\n%s", format, code, exitError, out, errOut)
				}
				for _, w := range append([]string{tt.code, tt.index, "DROP INDEX"}, tt.want...) {
					if !strings.Contains(out, w) {
						t.Errorf("plan %v does not mention %q:\n%s", format, w, out)
					}
				}
				if strings.Contains(out, "No changes") || strings.Contains(out, "primary key") {
					t.Errorf("plan %v:\n%s", format, out)
				}
			}
			if code, out, errOut := dmplanRun(t, "apply", "-auto-approve", dir); code != exitError {
				t.Errorf("apply: exit %d, want %d\n%s\n%s", code, exitError, out, errOut)
			}
			// Following the hint: drop the index; apply creates it as declared.
			withStore(t, dir, func(be backend.Backend, _ *runtime.Datastore) {
				if _, err := be.D1().Query(context.Background(), backend.Stmt{SQL: `DROP INDEX ` + tt.index}); err != nil {
					t.Fatal(err)
				}
			})
			if code, out, errOut := dmplanRun(t, "apply", "-auto-approve", dir); code != exitOK || !strings.Contains(out, "created index "+tt.index) {
				t.Fatalf("apply after DROP INDEX: exit %d\n%s\n%s", code, out, errOut)
			}
		})
	}
	t.Run("respelled", func(t *testing.T) {
		rebuild(t, "account_by_status", "create index if not exists main.[account_by_status] on \"ACCOUNT\" (\n  \"Status\" ASC, -- same\n  EMAIL collate binary )")
		if code, out, errOut := dmplanRun(t, "plan", "-detailed-exitcode", dir); code != exitOK || !strings.Contains(out, "No changes") {
			t.Errorf("plan of a respelled index: exit %d\n%s\n%s", code, out, errOut)
		}
	})
}
