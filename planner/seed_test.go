package planner

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/state"
)

const seedHCL = `
model "USER" {
  primary_key = "user_id"
  options { user_tracking = false }
  field "email" {
    type     = string
    required = true
  }
  field "role" { type = string }
  d1 {
    table       = "users"
    sync_fields = ["email", "role"]
  }
}

seed "USER" "admin" {
  condition = "if_missing"
  match     = ["email"]
  data      = { email = env.ADMIN_EMAIL, role = "admin" }
}

seed "USER" "guest" {
  condition = "if_empty"
  match     = ["email"]
  data      = { email = "guest@example.com" }
}

seed "USER" "robot" {
  condition = "always"
  match     = ["email"]
  data      = { email = "robot@example.com", role = "bot" }
}
`

func TestDiffSeeds(t *testing.T) {
	spec, diags := hclspec.LoadSources("app", map[string][]byte{"m.dm.hcl": []byte(seedHCL)})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	existing := Desired(spec, "local")
	type line struct{ Target, Reason string }
	tests := []struct {
		name   string
		live   *state.Schema
		status map[string]SeedStatus
		want   []line
		notes  []string
	}{
		{
			name: "new table: every seed runs, no status needed",
			live: &state.Schema{},
			want: []line{
				{"USER.admin", "1 record if missing: table users is created by this plan"},
				{"USER.guest", "1 record if empty: table users is created by this plan"},
				{"USER.robot", "1 record (always): table users is created by this plan"},
			},
		},
		{
			name: "existing table: status decides",
			live: existing,
			status: map[string]SeedStatus{
				"USER.admin": {Records: 0, Reason: "a users row matches email"},
				"USER.guest": {Records: 0, Reason: "table users has rows"},
				"USER.robot": {Records: 1, Reason: "the stored record differs in role"},
			},
			want: []line{{"USER.robot", "1 record (always): the stored record differs in role"}},
		},
		{
			name: "env vars unset: status unknown on an existing table, planned",
			live: existing,
			status: map[string]SeedStatus{
				"USER.admin": {Unset: []string{"ADMIN_EMAIL", "ADMIN_PASSWORD"}, Unknown: true},
				"USER.guest": {Records: 0, Reason: "table users has rows"},
				"USER.robot": {Records: 0, Reason: "the stored record holds its data"},
			},
			want: []line{{"USER.admin", "status unknown (if missing): ADMIN_EMAIL, ADMIN_PASSWORD not set; apply needs them"}},
		},
		{
			name: "one env var unset: status unknown, in the singular",
			live: existing,
			status: map[string]SeedStatus{
				"USER.admin": {Unset: []string{"ADMIN_EMAIL"}, Unknown: true},
				"USER.guest": {Records: 0, Reason: "table users has rows"},
				"USER.robot": {Records: 0, Reason: "the stored record holds its data"},
			},
			want: []line{{"USER.admin", "status unknown (if missing): ADMIN_EMAIL not set; apply needs it"}},
		},
		{
			name: "env vars unset but the status decided without them: not planned",
			live: existing,
			status: map[string]SeedStatus{
				"USER.admin": {Reason: "a users row matches email", Unset: []string{"ADMIN_PASSWORD"}},
				"USER.guest": {Records: 0, Reason: "table users has rows"},
				"USER.robot": {Records: 1, Reason: "the stored record differs in role", Unset: []string{"ROBOT_KEY"}},
			},
			want: []line{{"USER.robot", "1 record (always): the stored record differs in role; apply needs ROBOT_KEY (not set here)"}},
		},
		{
			name: "env vars unset: a new table is seeded anyway",
			live: &state.Schema{},
			status: map[string]SeedStatus{
				"USER.admin": {Unset: []string{"ADMIN_EMAIL"}, Unknown: true},
			},
			want: []line{
				{"USER.admin", "1 record if missing: table users is created by this plan; apply needs ADMIN_EMAIL (not set here)"},
				{"USER.guest", "1 record if empty: table users is created by this plan"},
				{"USER.robot", "1 record (always): table users is created by this plan"},
			},
		},
		{
			name:  "existing table without status: noted, not planned",
			live:  existing,
			notes: []string{"USER.admin", "USER.guest", "USER.robot"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Diff(spec, "local", tt.live, WithSeedStatus(tt.status))
			var got []line
			for _, s := range p.Steps {
				if s.Action == Seed {
					got = append(got, line{s.Target, s.Reason})
					if !s.Safe || len(s.SQL) != 0 || s.Model != "USER" {
						t.Errorf("seed step %+v: want safe, no SQL, model USER", s)
					}
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("seed steps (-want +got):\n%s", diff)
			}
			var notes []string
			for _, n := range p.Notes {
				if n.Code == NoteSeedUnchecked {
					notes = append(notes, n.Target)
				}
			}
			if diff := cmp.Diff(tt.notes, notes); diff != "" {
				t.Errorf("DM206 notes (-want +got):\n%s", diff)
			}
			if n := len(p.Steps); n > 0 && p.Steps[n-1].Action != Seed && len(p.Blocked()) == 0 && len(got) > 0 {
				t.Errorf("seed steps must come last among executable steps: %v", p.Steps[n-1].Summary())
			}
		})
	}
}
