package operator_test

import (
	"context"
	"strings"
	"testing"

	"github.com/dmplan/dmplan/operator"
)

// TestPlanStatusWithoutSecrets: a plan without the seeds' env vars decides
// what does not depend on them, uses what apply remembered for the rest,
// and calls unknown only what still depends on them. Nothing it returns
// holds a value.
func TestPlanStatusWithoutSecrets(t *testing.T) {
	ctx := context.Background()
	src := seedModels + `
seed "USER" "admin" {
  match = ["email"]
  data  = { email = env.ADMIN_EMAIL, role = "admin" }
}
seed "USER" "ops" {
  match = ["email"]
  data  = { email = "ops@example.com", password_hash = bcrypt(env.ADMIN_PASSWORD) }
}
seed "USER" "bot" {
  condition = "always"
  match     = ["email"]
  data      = { email = "bot@example.com", role = env.BOT_ROLE }
}
seed "USER" "auditor" {
  condition = "always"
  match     = ["email"]
  data      = { email = "auditor@example.com", role = "auditor", password_hash = bcrypt(env.ADMIN_PASSWORD) }
}
seed "SETTING" "theme" {
  condition = "if_empty"
  match     = ["name"]
  data      = { name = env.THEME_NAME, value = "dark" }
}
`
	e := newSeedEnv(t, src)
	e.env["BOT_ROLE"] = "bot"
	e.env["THEME_NAME"] = "theme"
	e.initialize(t)
	in, err := operator.Inspect(ctx, e.be.D1(), e.be.KV())
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Seeds) != 4 {
		t.Errorf("initialize remembered %d seeds, want 4 (every seed but the if_empty one reads a variable): %v", len(in.Seeds), in.Seeds)
	}

	e.env = map[string]string{} // a pull request's job
	seeds := operator.NewSeeds(e.ds, e.getenv)
	type want struct {
		records int
		unknown bool
		reason  string
	}
	check := func(t *testing.T, memos map[string]operator.SeedMemo, wants map[string]want) {
		t.Helper()
		st, err := seeds.PlanStatus(ctx, in.Live, memos)
		if err != nil {
			t.Fatal(err)
		}
		for key, w := range wants {
			got := st[key]
			if got.Records != w.records || got.Unknown != w.unknown || !strings.Contains(got.Reason, w.reason) {
				t.Errorf("%s: %+v, want records %d, unknown %v, reason with %q", key, got, w.records, w.unknown, w.reason)
			}
			if len(got.Unset) == 0 {
				t.Errorf("%s: no unset variables named", key)
			}
			for _, secret := range []string{secretEmail, secretPassword} {
				if strings.Contains(got.Reason, secret) {
					t.Errorf("%s: the reason holds a secret: %q", key, got.Reason)
				}
			}
		}
	}
	t.Run("with what apply remembered", func(t *testing.T) {
		check(t, in.Seeds, map[string]want{
			"USER.admin":    {reason: "the record the last apply found for it is in users"},
			"USER.ops":      {reason: "a users row matches email"},
			"USER.bot":      {unknown: true, reason: "may differ in role"},
			"USER.auditor":  {reason: "the stored record holds the seed's data"},
			"SETTING.theme": {reason: "has rows"},
		})
	})
	t.Run("without", func(t *testing.T) {
		check(t, map[string]operator.SeedMemo{}, map[string]want{
			"USER.admin": {unknown: true},
			"USER.ops":   {reason: "a users row matches email"},
		})
	})
	t.Run("the remembered record gone", func(t *testing.T) {
		e.rows(t, `DELETE FROM users WHERE email = ?`, secretEmail)
		check(t, in.Seeds, map[string]want{
			"USER.admin": {unknown: true, reason: "no longer in users"},
		})
	})
}
