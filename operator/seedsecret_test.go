package operator_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/operator"
	"github.com/dmplan/dmplan/planner"
	"github.com/dmplan/dmplan/state"
)

// TestSeedSecretsNeverShown runs seeds whose values come from env.X and
// checks that no plan, report, history row, log line or error holds them,
// including a failed apply; the plaintext password is in no file at all.
func TestSeedSecretsNeverShown(t *testing.T) {
	ctx := context.Background()
	e := newSeedEnv(t, seedModels+sprintf(adminSeed, "if_missing"))
	var shown []string // every text a person or a file could see
	show := func(what string, v any) {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		shown = append(shown, what+": "+string(b))
	}

	live, err := backend.Inspect(ctx, e.be.D1(), e.be.KV())
	if err != nil {
		t.Fatal(err)
	}
	status, err := operator.NewSeeds(e.ds, e.getenv).Status(ctx, live)
	if err != nil {
		t.Fatal(err)
	}
	show("status", status)
	p := planner.Diff(e.ds.Spec(), "local", live, planner.WithSeedStatus(status))
	show("plan", p)
	for _, s := range p.Steps {
		shown = append(shown, s.Explain())
	}
	rep := e.initialize(t)
	show("report", rep)

	// A second seed that fails at apply time: its email is already taken
	// by the first (unique index), so the D1 write fails after KV.
	e.open(t, seedModels+sprintf(adminSeed, "if_missing")+`
seed "USER" "shadow" {
  match = ["role"]
  data  = { email = env.ADMIN_EMAIL, role = "shadow", password_hash = bcrypt(env.ADMIN_PASSWORD) }
}`)
	_, err = operator.InitializeWith(ctx, e.ds, operator.InitOptions{Getenv: e.getenv})
	if err == nil {
		t.Fatal("initialize with a conflicting seed succeeded")
	}
	t.Logf("the failed run says: %v", err)
	shown = append(shown, "error: "+err.Error())
	var se *applier.StepError
	if !errors.As(err, &se) || se.Step.Target != "USER.shadow" {
		t.Errorf("error %v does not name the failing seed step", err)
	}

	hist, err := applier.History(ctx, e.be.D1(), 0)
	if err != nil {
		t.Fatal(err)
	}
	show("history", hist)
	if len(hist) != 2 || hist[0].Outcome != state.OutcomeFailed || hist[0].FailedStep < 0 ||
		hist[0].Steps[hist[0].FailedStep].Target != "USER.shadow" || hist[0].Error == "" {
		t.Errorf("history does not record the failed run and where it stopped: %+v", hist)
	}
	shown = append(shown, "logs: "+e.logs.String())

	for _, text := range shown {
		for _, secret := range []string{secretEmail, secretPassword} {
			if strings.Contains(text, secret) {
				t.Errorf("a secret appears in %.300s", text)
			}
		}
	}
	if !strings.Contains(e.logs.String(), "runtime.seed") {
		t.Error("the seed runs were not logged")
	}
	// The password is stored only as its bcrypt hash: no file holds it.
	err = filepath.WalkDir(e.dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.Contains(string(b), secretPassword) {
			t.Errorf("%s holds the plaintext password", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
