package adopttest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/cloudflare"
	"github.com/dmplan/dmplan/backend/cloudflare/cftest"
	"github.com/dmplan/dmplan/backend/local"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/planner"
)

// schema is a set of tables as another tool writes them and the HCL that
// describes them exactly.
type schema struct {
	name string
	sql  []string // CREATE TABLE statements as the tool writes them
	hcl  string
	// changes rebuild one table with one property changed by hand; the
	// plan must block with the code.
	changes []change
}

type change struct {
	name  string
	table string // dropped, then created again by sql
	sql   string
	code  string
}

const off = `options {
    timestamps    = false
    soft_delete   = false
    user_tracking = false
    auth          = false
  }`

var schemas = []schema{
	{
		name: "drizzle",
		sql: []string{
			"CREATE TABLE `users` (\n\t`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,\n\t`email` text NOT NULL,\n\t`name` text,\n\t" +
				"`created_at` integer DEFAULT (unixepoch()) NOT NULL,\n\t`is_admin` integer DEFAULT false NOT NULL\n)",
			"CREATE TABLE `posts` (\n\t`id` integer PRIMARY KEY NOT NULL,\n\t`author_id` integer NOT NULL,\n\t`title` text(200) NOT NULL,\n\t`body` blob,\n\t" +
				"FOREIGN KEY (`author_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade\n)",
		},
		hcl: `
model "USER" {
  storage     = "d1"
  primary_key = "id"
  ` + off + `
  field "id" {
    type          = integer
    autoincrement = true
  }
  field "email" {
    type     = string
    required = true
  }
  field "name" { type = string }
  field "created_at" {
    type        = integer
    required    = true
    sql_default = "(unixepoch())"
  }
  field "is_admin" {
    type        = boolean
    required    = true
    sql_default = "false"
  }
  d1 { table = "users" }
}

model "POST" {
  storage     = "d1"
  primary_key = "id"
  ` + off + `
  field "id" { type = integer }
  field "author_id" {
    type     = integer
    required = true
  }
  field "title" {
    type     = string
    required = true
    sql_type = "text(200)"
  }
  field "body" { type = blob }
  d1 {
    table = "posts"
    foreign_key {
      columns    = ["author_id"]
      references = "users(id)"
      on_delete  = "cascade"
      on_update  = "no action"
    }
  }
}
`,
		changes: []change{
			{"autoincrement dropped", "users", "CREATE TABLE `users` (`id` integer PRIMARY KEY NOT NULL, `email` text NOT NULL, `name` text, `created_at` integer DEFAULT (unixepoch()) NOT NULL, `is_admin` integer DEFAULT false NOT NULL)", planner.CodeAutoincrementChange},
			{"sql default changed", "users", "CREATE TABLE `users` (`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL, `email` text NOT NULL, `name` text, `created_at` integer DEFAULT (strftime('%s', 'now')) NOT NULL, `is_admin` integer DEFAULT false NOT NULL)", planner.CodeSQLDefaultChange},
			{"foreign key action changed", "posts", "CREATE TABLE `posts` (`id` integer PRIMARY KEY NOT NULL, `author_id` integer NOT NULL, `title` text(200) NOT NULL, `body` blob, FOREIGN KEY (`author_id`) REFERENCES `users`(`id`) ON DELETE set null)", planner.CodeForeignKeyChange},
			{"declared type changed", "posts", "CREATE TABLE `posts` (`id` integer PRIMARY KEY NOT NULL, `author_id` integer NOT NULL, `title` varchar(200) NOT NULL, `body` blob, FOREIGN KEY (`author_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade)", planner.CodeSQLTypeChange},
		},
	},
	{
		name: "prisma",
		sql: []string{
			`CREATE TABLE "User" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "email" TEXT NOT NULL,
    "name" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
)`,
			`CREATE TABLE "Membership" (
    "orgId" INTEGER NOT NULL,
    "userId" TEXT NOT NULL,
    "role" TEXT NOT NULL DEFAULT 'member',
    "score" DECIMAL(10,2),
    PRIMARY KEY ("orgId", "userId"),
    CONSTRAINT "Membership_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
)`,
		},
		hcl: `
model "USER" {
  storage     = "d1"
  primary_key = "id"
  ` + off + `
  field "id" { type = string }
  field "email" {
    type     = string
    required = true
  }
  field "name" { type = string }
  field "createdAt" {
    type        = timestamp
    required    = true
    sql_type    = "DATETIME"
    sql_default = "CURRENT_TIMESTAMP"
  }
  field "updatedAt" {
    type     = timestamp
    required = true
    sql_type = "DATETIME"
  }
  d1 { table = "User" }
}

model "MEMBERSHIP" {
  storage     = "d1"
  primary_key = ["orgId", "userId"]
  ` + off + `
  field "orgId" { type = integer }
  field "userId" { type = string }
  field "role" {
    type     = string
    required = true
    default  = "member"
  }
  field "score" {
    type     = number
    sql_type = "DECIMAL(10, 2)"
  }
  d1 {
    table = "Membership"
    foreign_key {
      columns    = ["userId"]
      references = "User(id)"
      on_delete  = "restrict"
      on_update  = "cascade"
    }
  }
}
`,
		changes: []change{
			{"declared type changed", "User", `CREATE TABLE "User" ("id" TEXT NOT NULL PRIMARY KEY, "email" TEXT NOT NULL, "name" TEXT, "createdAt" TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, "updatedAt" DATETIME NOT NULL)`, planner.CodeSQLTypeChange},
			{"sql default changed", "User", `CREATE TABLE "User" ("id" TEXT NOT NULL PRIMARY KEY, "email" TEXT NOT NULL, "name" TEXT, "createdAt" DATETIME NOT NULL DEFAULT CURRENT_DATE, "updatedAt" DATETIME NOT NULL)`, planner.CodeSQLDefaultChange},
			{"key order swapped", "Membership", `CREATE TABLE "Membership" ("orgId" INTEGER NOT NULL, "userId" TEXT NOT NULL, "role" TEXT NOT NULL DEFAULT 'member', "score" DECIMAL(10,2), PRIMARY KEY ("userId", "orgId"), FOREIGN KEY ("userId") REFERENCES "User" ("id") ON DELETE RESTRICT ON UPDATE CASCADE)`, planner.CodePrimaryKeyChange},
			{"foreign key dropped", "Membership", `CREATE TABLE "Membership" ("orgId" INTEGER NOT NULL, "userId" TEXT NOT NULL, "role" TEXT NOT NULL DEFAULT 'member', "score" DECIMAL(10,2), PRIMARY KEY ("orgId", "userId"))`, planner.CodeForeignKeyChange},
		},
	},
	{
		name: "hand-written",
		sql: []string{
			`CREATE TABLE orgs (id INTEGER PRIMARY KEY, name TEXT NOT NULL)`,
			`CREATE TABLE IF NOT EXISTS tags (
  org_id INTEGER NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  slug TEXT NOT NULL COLLATE NOCASE,
  label TEXT NOT NULL CHECK (length(label) <= 64), -- shown in the UI
  color TEXT DEFAULT 'grey' CHECK (color IN ('grey', 'red')),
  uses INTEGER NOT NULL DEFAULT 0,
  code TEXT UNIQUE,
  PRIMARY KEY (org_id, slug),
  CHECK (uses >= 0)
) WITHOUT ROWID`,
			`CREATE TABLE events (id INTEGER PRIMARY KEY, at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')), kind TEXT NOT NULL, payload BLOB, UNIQUE (kind, at)) STRICT`,
			`CREATE TABLE "lines" (id INTEGER PRIMARY KEY, "order" INTEGER NOT NULL CHECK ("order" > 0), "group" TEXT, CHECK ("group" <> 'order' OR "order" < 10))`,
		},
		hcl: `
model "ORG" {
  storage     = "d1"
  primary_key = "id"
  ` + off + `
  field "id" { type = integer }
  field "name" {
    type     = string
    required = true
  }
  d1 { table = "orgs" }
}

model "TAG" {
  storage     = "d1"
  primary_key = ["org_id", "slug"]
  ` + off + `
  field "org_id" {
    type       = integer
    references = "orgs.id"
    on_delete  = "cascade"
  }
  field "slug" {
    type    = string
    collate = "NOCASE"
  }
  field "label" {
    type     = string
    required = true
    check    = "length(label) <= 64"
  }
  field "color" {
    type    = string
    default = "grey"
    check   = "color IN ('grey', 'red')"
  }
  field "uses" {
    type     = integer
    required = true
    default  = 0
  }
  field "code" {
    type   = string
    unique = true
  }
  d1 {
    table         = "tags"
    without_rowid = true
    checks        = ["uses >= 0"]
  }
}

model "EVENT" {
  storage     = "d1"
  primary_key = "id"
  ` + off + `
  field "id" { type = integer }
  field "at" {
    type        = string
    required    = true
    sql_default = "(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))"
  }
  field "kind" {
    type     = string
    required = true
  }
  field "payload" { type = blob }
  d1 {
    table  = "events"
    strict = true
    unique = [["kind", "at"]]
  }
}

model "LINE" {
  storage     = "d1"
  primary_key = "id"
  ` + off + `
  field "id" { type = integer }
  field "order" {
    type     = integer
    required = true
    check    = "\"order\" > 0"
  }
  field "group" { type = string }
  d1 {
    table  = "lines"
    checks = ["\"group\" <> 'order' OR \"order\" < 10"]
  }
}
`,
		changes: []change{
			{"collation dropped", "tags", `CREATE TABLE tags (org_id INTEGER NOT NULL REFERENCES orgs(id) ON DELETE CASCADE, slug TEXT NOT NULL, label TEXT NOT NULL CHECK (length(label) <= 64), color TEXT DEFAULT 'grey' CHECK (color IN ('grey', 'red')), uses INTEGER NOT NULL DEFAULT 0, code TEXT UNIQUE, PRIMARY KEY (org_id, slug), CHECK (uses >= 0)) WITHOUT ROWID`, planner.CodeCollateChange},
			{"column check changed", "tags", `CREATE TABLE tags (org_id INTEGER NOT NULL REFERENCES orgs(id) ON DELETE CASCADE, slug TEXT NOT NULL COLLATE NOCASE, label TEXT NOT NULL CHECK (length(label) <= 32), color TEXT DEFAULT 'grey' CHECK (color IN ('grey', 'red')), uses INTEGER NOT NULL DEFAULT 0, code TEXT UNIQUE, PRIMARY KEY (org_id, slug), CHECK (uses >= 0)) WITHOUT ROWID`, planner.CodeCheckChange},
			{"table check dropped", "tags", `CREATE TABLE tags (org_id INTEGER NOT NULL REFERENCES orgs(id) ON DELETE CASCADE, slug TEXT NOT NULL COLLATE NOCASE, label TEXT NOT NULL CHECK (length(label) <= 64), color TEXT DEFAULT 'grey' CHECK (color IN ('grey', 'red')), uses INTEGER NOT NULL DEFAULT 0, code TEXT UNIQUE, PRIMARY KEY (org_id, slug)) WITHOUT ROWID`, planner.CodeCheckChange},
			{"column unique dropped", "tags", `CREATE TABLE tags (org_id INTEGER NOT NULL REFERENCES orgs(id) ON DELETE CASCADE, slug TEXT NOT NULL COLLATE NOCASE, label TEXT NOT NULL CHECK (length(label) <= 64), color TEXT DEFAULT 'grey' CHECK (color IN ('grey', 'red')), uses INTEGER NOT NULL DEFAULT 0, code TEXT, PRIMARY KEY (org_id, slug), CHECK (uses >= 0)) WITHOUT ROWID`, planner.CodeUniqueConstraintChange},
			{"column reference action changed", "tags", `CREATE TABLE tags (org_id INTEGER NOT NULL REFERENCES orgs(id), slug TEXT NOT NULL COLLATE NOCASE, label TEXT NOT NULL CHECK (length(label) <= 64), color TEXT DEFAULT 'grey' CHECK (color IN ('grey', 'red')), uses INTEGER NOT NULL DEFAULT 0, code TEXT UNIQUE, PRIMARY KEY (org_id, slug), CHECK (uses >= 0)) WITHOUT ROWID`, planner.CodeForeignKeyChange},
			{"without rowid dropped", "tags", `CREATE TABLE tags (org_id INTEGER NOT NULL REFERENCES orgs(id) ON DELETE CASCADE, slug TEXT NOT NULL COLLATE NOCASE, label TEXT NOT NULL CHECK (length(label) <= 64), color TEXT DEFAULT 'grey' CHECK (color IN ('grey', 'red')), uses INTEGER NOT NULL DEFAULT 0, code TEXT UNIQUE, PRIMARY KEY (org_id, slug), CHECK (uses >= 0))`, planner.CodeTableOptionChange},
			{"strict dropped", "events", `CREATE TABLE events (id INTEGER PRIMARY KEY, at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')), kind TEXT NOT NULL, payload BLOB, UNIQUE (kind, at))`, planner.CodeTableOptionChange},
			{"table unique dropped", "events", `CREATE TABLE events (id INTEGER PRIMARY KEY, at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')), kind TEXT NOT NULL, payload BLOB) STRICT`, planner.CodeUniqueConstraintChange},
		},
	},
	{
		// The same constraints spelled the other way round: a CHECK in the
		// table or on a column is the same CHECK, a one-column
		// FOREIGN KEY or UNIQUE is the column's REFERENCES or UNIQUE to
		// SQLite (PRAGMA foreign_key_list and index_list cannot tell them
		// apart), REFERENCES t is REFERENCES t(its key), and DEFAULT
		// false, TRUE, 0.0 are the values default = false, true, 0 write.
		name: "other spellings",
		sql: []string{
			`CREATE TABLE teams (id INTEGER PRIMARY KEY, name TEXT NOT NULL, size INTEGER CHECK (size >= 0), rank INTEGER CHECK (rank > 0 OR rank IS NULL) CHECK (rank < 100), UNIQUE (name), CONSTRAINT "teams_name_check" CHECK (length(name) > 1))`,
			`CREATE TABLE players (
  id INTEGER PRIMARY KEY,
  team_id INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
  coach_id INTEGER,
  nick TEXT UNIQUE,
  active BOOLEAN NOT NULL DEFAULT TRUE,
  banned INTEGER NOT NULL DEFAULT false,
  rating REAL NOT NULL DEFAULT 0.0,
  bonus DOUBLE PRECISION DEFAULT +0.5,
  badge BLOB DEFAULT x'00ff',
  FOREIGN KEY (coach_id) REFERENCES teams ON DELETE SET NULL
)`,
		},
		hcl: `
model "TEAM" {
  storage     = "d1"
  primary_key = "id"
  ` + off + `
  field "id" { type = integer }
  field "name" {
    type     = string
    required = true
    unique   = true
    check    = "length(name) > 1"
  }
  field "size" { type = integer }
  field "rank" {
    type  = integer
    check = "(rank > 0 OR rank IS NULL) AND (rank < 100)"
  }
  d1 {
    table  = "teams"
    checks = ["size >= 0"]
  }
}

model "PLAYER" {
  storage     = "d1"
  primary_key = "id"
  ` + off + `
  field "id" { type = integer }
  field "team_id" {
    type     = integer
    required = true
  }
  field "coach_id" {
    type       = integer
    references = "teams.id"
    on_delete  = "set null"
  }
  field "nick" { type = string }
  field "active" {
    type     = boolean
    required = true
    sql_type = "BOOLEAN"
    default  = true
  }
  field "banned" {
    type     = boolean
    required = true
    default  = false
  }
  field "rating" {
    type     = number
    required = true
    default  = 0
  }
  field "bonus" {
    type     = number
    sql_type = "double precision"
    default  = 0.5
  }
  field "badge" {
    type        = blob
    sql_default = "X'00FF'"
  }
  d1 {
    table  = "players"
    unique = [["nick"]]
    foreign_key {
      columns    = ["team_id"]
      references = "teams(id)"
      on_delete  = "cascade"
    }
  }
}
`,
		changes: []change{
			{"column reference action changed", "players", `CREATE TABLE players (id INTEGER PRIMARY KEY, team_id INTEGER NOT NULL REFERENCES teams (id) ON DELETE RESTRICT, coach_id INTEGER, nick TEXT UNIQUE, active BOOLEAN NOT NULL DEFAULT TRUE, banned INTEGER NOT NULL DEFAULT false, rating REAL NOT NULL DEFAULT 0.0, bonus DOUBLE PRECISION DEFAULT +0.5, badge BLOB DEFAULT x'00ff', FOREIGN KEY (coach_id) REFERENCES teams ON DELETE SET NULL)`, planner.CodeForeignKeyChange},
			{"table reference to another column", "players", `CREATE TABLE players (id INTEGER PRIMARY KEY, team_id INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE, coach_id INTEGER, nick TEXT UNIQUE, active BOOLEAN NOT NULL DEFAULT TRUE, banned INTEGER NOT NULL DEFAULT false, rating REAL NOT NULL DEFAULT 0.0, bonus DOUBLE PRECISION DEFAULT +0.5, badge BLOB DEFAULT x'00ff', FOREIGN KEY (coach_id) REFERENCES teams (name) ON DELETE SET NULL)`, planner.CodeForeignKeyChange},
			{"column unique dropped", "players", `CREATE TABLE players (id INTEGER PRIMARY KEY, team_id INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE, coach_id INTEGER, nick TEXT, active BOOLEAN NOT NULL DEFAULT TRUE, banned INTEGER NOT NULL DEFAULT false, rating REAL NOT NULL DEFAULT 0.0, bonus DOUBLE PRECISION DEFAULT +0.5, badge BLOB DEFAULT x'00ff', FOREIGN KEY (coach_id) REFERENCES teams ON DELETE SET NULL)`, planner.CodeUniqueConstraintChange},
		},
	},
}

// target opens a fresh, empty database.
type target func(t *testing.T) backend.Backend

func localTarget(t *testing.T) backend.Backend {
	s, err := local.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func workerdTarget(t *testing.T) backend.Backend {
	if testing.Short() {
		t.Skip("starts the workerd harness")
	}
	h := cftest.Shared(t)
	acct := h.NewAccount(t)
	name := fmt.Sprintf("adopt%d", time.Now().UnixNano())
	h.NewDatabase(t, acct, name)
	s, err := cloudflare.Open(context.Background(), cloudflare.Config{AccountID: acct, APIToken: h.Token, Database: name,
		BaseURL: h.BaseURL, Getenv: func(string) string { return "" }, Environment: "local"})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRoundTripLocal(t *testing.T)   { roundTrip(t, localTarget) }
func TestRoundTripWorkerd(t *testing.T) { roundTrip(t, workerdTarget) }

// roundTrip checks, for each schema: the tool's tables plan as "No
// changes" against their HCL; each property changed by hand blocks with
// its code; and the tables dmplan creates from the HCL plan as "No
// changes" too.
func roundTrip(t *testing.T, open target) {
	for _, sc := range schemas {
		t.Run(sc.name, func(t *testing.T) {
			spec, diags := hclspec.LoadSources("adopt", map[string][]byte{sc.name + ".dm.hcl": []byte(sc.hcl)})
			if diags.HasErrors() {
				t.Fatal(diags.Error())
			}
			be := open(t)
			exec(t, be, sc.sql...)
			if p := plan(t, be, spec); len(p.Steps) > 0 || len(p.Notes) > 0 {
				t.Fatalf("tables as the tool made them: want No changes, got\n%s", describe(p))
			}
			for _, ch := range sc.changes {
				exec(t, be, "DROP TABLE "+quote(ch.table), ch.sql)
				p := plan(t, be, spec)
				var codes []string
				for _, s := range p.Blocked() {
					codes = append(codes, s.Code)
				}
				if !slices.Equal(codes, []string{ch.code}) {
					t.Errorf("%s: blocked codes %v, want [%s]\n%s", ch.name, codes, ch.code, describe(p))
				}
				// Back to the tool's tables: children first.
				for i := len(sc.sql) - 1; i >= 0; i-- {
					exec(t, be, "DROP TABLE "+quote(tableOf(sc.sql[i])))
				}
				exec(t, be, sc.sql...)
			}

			// dmplan's own CREATE TABLE from the HCL.
			fresh := open(t)
			p := plan(t, fresh, spec)
			for _, s := range p.Steps {
				if s.Action != planner.CreateTable {
					t.Fatalf("on an empty database: step %s %s (%s)", s.Action, s.Target, s.Reason)
				}
				exec(t, fresh, s.SQL...)
			}
			live, err := backend.Inspect(context.Background(), fresh.D1(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := p.LiveFingerprint(live); got != p.FingerprintAfter {
				t.Errorf("fingerprint after creating %s, the plan expected %s", got, p.FingerprintAfter)
			}
			if p := plan(t, fresh, spec); len(p.Steps) > 0 || len(p.Notes) > 0 {
				t.Errorf("tables dmplan created: want No changes, got\n%s", describe(p))
			}
		})
	}
}

func plan(t *testing.T, be backend.Backend, spec *hclspec.Spec) *planner.Plan {
	t.Helper()
	live, err := backend.Inspect(context.Background(), be.D1(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return planner.Diff(spec, "local", live)
}

func exec(t *testing.T, be backend.Backend, sqls ...string) {
	t.Helper()
	for _, s := range sqls {
		if _, err := be.D1().Query(context.Background(), backend.Stmt{SQL: s}); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// tableOf returns the table name of a CREATE TABLE statement of the
// schemas above.
func tableOf(sql string) string {
	f := strings.Fields(strings.ReplaceAll(sql, "(", " ("))
	name := f[2]
	if strings.EqualFold(name, "IF") {
		name = f[5]
	}
	return strings.Trim(name, "`\"")
}

func quote(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

func describe(p *planner.Plan) string {
	var b strings.Builder
	for _, s := range p.Steps {
		fmt.Fprintf(&b, "  step %s %s %s: %s (hint: %s) %v\n", s.Action, s.Code, s.Target, s.Reason, s.Hint, s.SQL)
	}
	for _, n := range p.Notes {
		fmt.Fprintf(&b, "  note %s %s: %s\n", n.Code, n.Target, n.Message)
	}
	return b.String()
}
