package operator_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/local"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/operator"
	"github.com/dmplan/dmplan/runtime"
)

// seedModels are the models the seed tests use; seeds are appended.
const seedModels = `
project "app" {}

model "USER" {
  primary_key = "user_id"
  options { user_tracking = false }
  field "email" {
    type       = string
    required   = true
    validation = "email"
  }
  field "password_hash" { type = string }
  field "role" {
    type    = string
    default = "member"
  }
  field "is_admin" {
    type    = boolean
    default = false
  }
  field "profile" { type = json }
  kv { namespace = "USERS" }
  d1 {
    table       = "users"
    sync_fields = ["email", "role", "is_admin"]
    index "by_email" {
      columns = ["email"]
      unique  = true
    }
  }
}

model "SETTING" {
  options { user_tracking = false }
  field "name" {
    type     = string
    required = true
  }
  field "value" { type = string }
  d1 {
    table       = "settings"
    sync_fields = ["name", "value"]
  }
}
`

const adminSeed = `
seed "USER" "admin" {
  condition = "%s"
  match     = ["email"]
  data = {
    email         = env.ADMIN_EMAIL
    password_hash = bcrypt(env.ADMIN_PASSWORD)
    role          = "admin"
    is_admin      = true
    profile       = { name = "Administrator", tags = ["ops", 1] }
  }
}
`

// condSeed is adminSeed without bcrypt (slow under -race), for the
// condition matrix.
const condSeed = `
seed "USER" "admin" {
  condition = "%s"
  match     = ["email"]
  data = {
    email    = env.ADMIN_EMAIL
    role     = "admin"
    is_admin = true
    profile  = { name = "Administrator", tags = ["ops", 1] }
  }
}
`

const settingSeeds = `
seed "SETTING" "theme" {
  condition = "always"
  match     = ["name"]
  data      = { name = "theme", value = "dark" }
}

seed "SETTING" "welcome" {
  condition = "if_empty"
  match     = ["name"]
  data      = { name = "welcome", value = "hello" }
}
`

const (
	secretEmail    = "root-7f3a9c@example.org"
	secretPassword = "pw-d41d8cd98f00b204e980"
)

// seedEnv is a local target in a temp dir and a Datastore on it.
type seedEnv struct {
	dir  string
	be   *local.Store
	ds   *runtime.Datastore
	logs *bytes.Buffer
	env  map[string]string
}

func (e *seedEnv) getenv(k string) (string, bool) { v, ok := e.env[k]; return v, ok }

func newSeedEnv(t *testing.T, src string) *seedEnv {
	t.Helper()
	e := &seedEnv{dir: t.TempDir(), logs: &bytes.Buffer{},
		env: map[string]string{"ADMIN_EMAIL": secretEmail, "ADMIN_PASSWORD": secretPassword}}
	be, err := local.Open(context.Background(), e.dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { be.Close() })
	e.be = be
	e.open(t, src)
	return e
}

// open (re)opens the Datastore with a spec, as a redeployed service would.
func (e *seedEnv) open(t *testing.T, src string) {
	t.Helper()
	spec, diags := hclspec.LoadSources("app", map[string][]byte{"app.dm.hcl": []byte(src)})
	if diags.HasErrors() {
		t.Fatalf("load spec: %s", diags.Error())
	}
	logger := slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ds, err := runtime.Open(context.Background(), spec, e.be, runtime.WithLogger(logger))
	if err != nil {
		t.Fatal(err)
	}
	e.ds = ds
}

func (e *seedEnv) initialize(t *testing.T) *operator.InitReport {
	t.Helper()
	rep, err := operator.InitializeWith(context.Background(), e.ds, operator.InitOptions{Getenv: e.getenv, Actor: "test"})
	if err != nil {
		t.Fatalf("initialize: %v", err)
	}
	return rep
}

func (e *seedEnv) rows(t *testing.T, sql string, args ...any) [][]any {
	t.Helper()
	res, err := e.be.D1().Query(context.Background(), backend.Stmt{SQL: sql, Args: args})
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return res.Rows
}

func seedRecords(rep *operator.InitReport) map[string]int {
	out := map[string]int{}
	for _, s := range rep.SeedsRun {
		out[s.Model] = s.Records
	}
	return out
}

func TestSeedConditions(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name      string
		condition string
		existing  map[string]any // a USER created before the seed runs; nil: empty table
		want      int            // records the seed writes
		wantRole  string         // role of the record with the seed's email afterwards
	}{
		{"if_empty on empty table", "if_empty", nil, 1, "admin"},
		{"if_empty on table with rows", "if_empty", map[string]any{"email": "other@example.com"}, 0, ""},
		{"if_missing on empty table", "if_missing", nil, 1, "admin"},
		{"if_missing, another record", "if_missing", map[string]any{"email": "other@example.com"}, 1, "admin"},
		{"if_missing, matching record", "if_missing", map[string]any{"email": secretEmail, "role": "member"}, 0, "member"},
		{"always on empty table", "always", nil, 1, "admin"},
		{"always, matching record differs", "always", map[string]any{"email": secretEmail, "role": "member"}, 1, "admin"},
		{"always, matching record equal", "always", map[string]any{"email": secretEmail, "role": "admin", "is_admin": true,
			"profile": map[string]any{"name": "Administrator", "tags": []any{"ops", 1}}}, 0, "admin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newSeedEnv(t, seedModels)
			e.initialize(t) // tables, no seeds yet
			if tt.existing != nil {
				if _, err := e.ds.System().Create(ctx, "USER", tt.existing); err != nil {
					t.Fatal(err)
				}
			}
			e.open(t, seedModels+sprintf(condSeed, tt.condition))
			status, err := operator.NewSeeds(e.ds, e.getenv).Status(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := status["USER.admin"].Records; got != tt.want {
				t.Errorf("status records = %d (%s), want %d", got, status["USER.admin"].Reason, tt.want)
			}
			rep := e.initialize(t)
			if got := seedRecords(rep)["USER"]; got != tt.want {
				t.Errorf("initialize wrote %d records, want %d", got, tt.want)
			}
			rows := e.rows(t, "SELECT role FROM users WHERE email = ?", secretEmail)
			gotRole := ""
			if len(rows) == 1 {
				gotRole, _ = rows[0][0].(string)
			}
			if gotRole != tt.wantRole || len(rows) > 1 {
				t.Errorf("rows with the seed's email = %v, want role %q", rows, tt.wantRole)
			}
			// Idempotent: the second run writes nothing.
			again := e.initialize(t)
			if got := seedRecords(again)["USER"]; got != 0 {
				t.Errorf("second initialize wrote %d records", got)
			}
		})
	}
}

func TestSeedAlwaysKeepsComputedFieldsAndID(t *testing.T) {
	ctx := context.Background()
	e := newSeedEnv(t, seedModels+sprintf(adminSeed, "always"))
	e.initialize(t)
	first := e.rows(t, "SELECT user_id FROM users")
	if len(first) != 1 {
		t.Fatalf("users = %v", first)
	}
	id := first[0][0].(string)
	r, err := e.ds.System().Get(ctx, "USER", id)
	if err != nil {
		t.Fatal(err)
	}
	hash := r.Get("password_hash")
	// A changed stable field is written; the bcrypt hash is kept.
	if _, err := e.ds.System().Update(ctx, "USER", id, map[string]any{"role": "member"}); err != nil {
		t.Fatal(err)
	}
	rep := e.initialize(t)
	if got := seedRecords(rep)["USER"]; got != 1 {
		t.Fatalf("always seed over a changed record wrote %d", got)
	}
	r, err = e.ds.System().Get(ctx, "USER", id)
	if err != nil {
		t.Fatal(err)
	}
	if r.Get("role") != "admin" || r.Get("password_hash") != hash {
		t.Errorf("after always seed: role %v, hash kept %v", r.Get("role"), r.Get("password_hash") == hash)
	}
	if n := len(e.rows(t, "SELECT 1 FROM users")); n != 1 {
		t.Errorf("users rows = %d, want 1 (no duplicates)", n)
	}
	// The derived id is stable: a fresh database gets the same one.
	e2 := newSeedEnv(t, seedModels+sprintf(adminSeed, "always"))
	e2.initialize(t)
	if got := e2.rows(t, "SELECT user_id FROM users")[0][0]; got != id {
		t.Errorf("derived id %v on a fresh target, want %v", got, id)
	}
}

func TestSeedIfEmptyWithOtherSeeds(t *testing.T) {
	e := newSeedEnv(t, seedModels+settingSeeds)
	rep := e.initialize(t)
	if got := seedRecords(rep)["SETTING"]; got != 2 {
		t.Errorf("first initialize wrote %d settings, want 2 (theme and welcome)", got)
	}
	if got := seedRecords(e.initialize(t))["SETTING"]; got != 0 {
		t.Errorf("second initialize wrote %d settings, want 0", got)
	}
}

func TestSeedErrors(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		src  string
		env  map[string]string
		want []string
	}{
		{
			name: "missing env var",
			src:  seedModels + sprintf(adminSeed, "if_missing"),
			env:  map[string]string{"ADMIN_EMAIL": secretEmail},
			want: []string{"USER.admin", "ADMIN_PASSWORD", "not set"},
		},
		{
			name: "match on a computed value",
			src: seedModels + `
seed "SETTING" "token" {
  match = ["value"]
  data  = { name = "token", value = uuid() }
}`,
			want: []string{"SETTING.token", `"value"`, "uuid()"},
		},
		{
			name: "invalid value",
			src:  seedModels + sprintf(adminSeed, "if_missing"),
			env:  map[string]string{"ADMIN_EMAIL": "not-an-email-" + secretPassword, "ADMIN_PASSWORD": secretPassword},
			want: []string{"USER.admin", `"email"`, "valid email"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newSeedEnv(t, seedModels)
			if tt.env != nil {
				e.env = tt.env
			}
			e.open(t, tt.src)
			_, err := operator.NewSeeds(e.ds, e.getenv).Status(ctx, nil)
			var se *operator.SeedError
			if !errors.As(err, &se) || !errors.Is(err, runtime.ErrInvalid) {
				t.Fatalf("Status = %v, want a *SeedError", err)
			}
			for _, w := range tt.want {
				if !bytes.Contains([]byte(err.Error()), []byte(w)) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			for _, secret := range []string{secretEmail, secretPassword} {
				if bytes.Contains([]byte(err.Error()), []byte(secret)) {
					t.Errorf("error holds a secret: %q", err)
				}
			}
			if _, err := operator.InitializeWith(ctx, e.ds, operator.InitOptions{Getenv: e.getenv}); !errors.As(err, &se) {
				t.Errorf("Initialize = %v, want the seed error", err)
			}
		})
	}
}

func TestInitializeReportShape(t *testing.T) {
	e := newSeedEnv(t, seedModels+sprintf(adminSeed, "if_missing")+settingSeeds)
	rep := e.initialize(t)
	rep.Duration = 0
	got, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"tablesCreated":["settings","users"],"columnsAdded":[],"indexesCreated":["users_by_email"],` +
		`"seedsRun":[{"model":"USER","records":1},{"model":"SETTING","records":2}],"duration":0}`
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("report JSON (-want +got):\n%s", diff)
	}

	// A new synced field: one column added, nothing else.
	grown := seedModels + sprintf(adminSeed, "if_missing") + settingSeeds
	grown = replaceOnce(grown, `sync_fields = ["name", "value"]`, `sync_fields = ["name", "value", "note"]`)
	grown = replaceOnce(grown, `field "value" { type = string }`, "field \"value\" { type = string }\n  field \"note\" { type = string }")
	e.open(t, grown)
	rep = e.initialize(t)
	rep.Duration = 0
	got, _ = json.Marshal(rep)
	const want2 = `{"tablesCreated":[],"columnsAdded":[{"table":"settings","column":"note"}],"indexesCreated":[],` +
		`"seedsRun":[{"model":"USER","records":0},{"model":"SETTING","records":0}],"duration":0}`
	if diff := cmp.Diff(want2, string(got)); diff != "" {
		t.Errorf("report JSON after a new column (-want +got):\n%s", diff)
	}
}

func TestInitializeTwiceRecordsOnce(t *testing.T) {
	ctx := context.Background()
	e := newSeedEnv(t, seedModels+sprintf(adminSeed, "if_missing")+settingSeeds)
	e.initialize(t)
	rep := e.initialize(t)
	want := &operator.InitReport{TablesCreated: []string{}, ColumnsAdded: []operator.ColumnRef{}, IndexesCreated: []string{},
		SeedsRun: []operator.SeedRecord{{Model: "USER"}, {Model: "SETTING"}}, Duration: rep.Duration}
	if diff := cmp.Diff(want, rep); diff != "" {
		t.Errorf("second initialize (-want +got):\n%s", diff)
	}
	hist, err := applier.History(ctx, e.be.D1(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 1 {
		t.Fatalf("history rows = %d, want 1 (a no-op is not recorded)", len(hist))
	}
	var seeds []string
	for _, s := range hist[0].Steps {
		if s.Action == "seed" && s.Records != nil {
			seeds = append(seeds, s.Target+"="+itoa(*s.Records))
		}
	}
	if diff := cmp.Diff([]string{"USER.admin=1", "SETTING.theme=1", "SETTING.welcome=1"}, seeds); diff != "" {
		t.Errorf("history seed counts (-want +got):\n%s", diff)
	}
}

func TestInitializeRefusesBlocked(t *testing.T) {
	ctx := context.Background()
	e := newSeedEnv(t, seedModels)
	if _, err := e.be.D1().Query(ctx, backend.Stmt{SQL: `CREATE TABLE settings (setting_id TEXT PRIMARY KEY NOT NULL, name INTEGER)`}); err != nil {
		t.Fatal(err)
	}
	_, err := operator.InitializeWith(ctx, e.ds, operator.InitOptions{Getenv: e.getenv})
	if !errors.Is(err, applier.ErrBlocked) || !strings.Contains(err.Error(), "DM101 settings.name") {
		t.Fatalf("Initialize = %v, want ErrBlocked listing DM101 settings.name", err)
	}
	if n := len(e.rows(t, "SELECT 1 FROM sqlite_master WHERE name = 'users'")); n != 0 {
		t.Error("Initialize created tables despite a blocked step")
	}
}
