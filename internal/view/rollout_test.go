package view

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/dmplan/dmplan/fleet"
)

func sampleRollout() *fleet.RolloutReport {
	start := time.Date(2026, 12, 7, 21, 0, 0, 0, time.UTC)
	return &fleet.RolloutReport{
		Rollout: "r20261207T210000-1a2b3c4d", Environment: "prod", Started: start, Finished: start.Add(8 * time.Second),
		Waves: 3, Stopped: "2 database(s) failed, more than the 1 allowed", Requests: 14,
		Results: []fleet.RolloutResult{
			{Database: "t-1", Status: fleet.OutcomeDone, PlanID: "r:abc", RestorePoint: "2026-12-07T21:00:01.000Z"},
			{Database: "t-2", Status: fleet.OutcomeCurrent},
			{Database: "t-3", Status: fleet.OutcomeBlocked, Code: "DM112", Reason: "unique index over duplicate | values"},
			{Database: "t-4", Status: fleet.OutcomeFailed, FailedAt: "inspect", Reason: "inspect: HTTP 503"},
			{Database: "t-5", Status: fleet.OutcomeFailed, FailedAt: "apply", Reason: "apply: locked"},
			{Database: "t-6", Status: fleet.OutcomeSkipped, Reason: "stopped"},
			{Database: "t-7", Status: fleet.OutcomeMissing, Reason: "the database does not exist"},
		},
	}
}

// TestRolloutViews renders one report in the three formats and checks
// what each must say.
func TestRolloutViews(t *testing.T) {
	rep := sampleRollout()
	tests := []struct {
		name   string
		render func(*bytes.Buffer)
		want   []string
	}{
		{"human", func(b *bytes.Buffer) { RolloutHuman(b, rep) }, []string{
			"Rollout r20261207T210000-1a2b3c4d of environment prod: 7 databases in 3 waves, 8s",
			"1 done · 1 current · 1 blocked · 2 failed · 1 skipped · 1 missing\n",
			"14 API requests (2.0 per database)",
			"Missing:\n  t-7  the database does not exist",
			"Blocked:\n  t-3  DM112  unique index over duplicate | values",
			"Failed:\n  t-4  inspect: HTTP 503\n  t-5  apply: locked",
			"Stopped: 2 database(s) failed, more than the 1 allowed.",
			"dmplan apply -env prod -resume r20261207T210000-1a2b3c4d",
		}},
		{"markdown", func(b *bytes.Buffer) { RolloutMarkdown(b, rep) }, []string{
			"### Rollout `r20261207T210000-1a2b3c4d` of `prod`",
			"| failed | 2 |",
			"| missing | 1 |",
			"1 database missing</summary>",
			"| `t-3` | DM112 | unique index over duplicate \\| values |",
			"**Stopped:**",
		}},
		{"json", func(b *bytes.Buffer) {
			if err := RolloutJSON(b, rep); err != nil {
				t.Fatal(err)
			}
		}, []string{`"counts": {`, `"failed": 2`, `"restore_point": "2026-12-07T21:00:01.000Z"`, `"failed_at": "inspect"`, `"missing": 1`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			tc.render(&b)
			for _, w := range tc.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, b.String())
				}
			}
			if tc.name == "json" {
				var doc map[string]any
				if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
					t.Errorf("not JSON: %v", err)
				}
				if dbs, _ := doc["databases"].([]any); len(dbs) != 7 {
					t.Errorf("databases = %d, want 7", len(dbs))
				}
			}
		})
	}
}
