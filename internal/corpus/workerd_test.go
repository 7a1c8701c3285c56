package corpus

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/cloudflare"
	"github.com/dmplan/dmplan/backend/cloudflare/cftest"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/importer"
	"github.com/dmplan/dmplan/planner"
)

func TestMain(m *testing.M) { os.Exit(cftest.Main(m)) }

// TestCorpusOnWorkerd applies every schema to a D1 database of the workerd
// harness statement by statement, imports it through the REST API, and
// checks that the models are byte for byte those the local import wrote
// (import.golden), that they plan as "No changes" against the D1 database
// (once the adoption language plans, see adoptionPlanned) and that the
// database did not change.
func TestCorpusOnWorkerd(t *testing.T) {
	if testing.Short() {
		t.Skip("the workerd harness is not started in -short mode")
	}
	h := cftest.Shared(t)
	planToo, why := adoptionPlanned(t)
	if !planToo {
		t.Log("the plan half is not run: " + why)
	}
	for _, name := range schemas(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			acct := h.NewAccount(t)
			h.NewDatabase(t, acct, "corpus")
			s, err := cloudflare.Open(ctx, cloudflare.Config{
				AccountID: acct, APIToken: h.Token, Database: "corpus", BaseURL: h.BaseURL,
				Getenv: func(string) string { return "" }, Environment: "test",
			})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if err := ApplyD1(ctx, s.D1(), filepath.Join("testdata", name)); err != nil {
				t.Fatal(err)
			}
			before, err := Dump(ctx, s.D1())
			if err != nil {
				t.Fatal(err)
			}
			live, err := importer.Read(ctx, s.D1())
			if err != nil {
				t.Fatal(err)
			}
			res, err := importer.Generate(live, importer.Options{Source: `environment "local" (local)`})
			if err != nil {
				t.Fatal(err)
			}
			// D1 keeps a table of its own (_cf_KV); it is listed as
			// Cloudflare's and is not part of the local golden file.
			kept := res.Unmanaged[:0]
			for _, u := range res.Unmanaged {
				if !strings.HasPrefix(strings.ToLower(u.Name), "_cf_") {
					kept = append(kept, u)
				}
			}
			res.Unmanaged = kept
			want, err := os.ReadFile(filepath.Join("testdata", name, "import.golden"))
			if err != nil {
				t.Fatal(err)
			}
			if got := golden(res); !bytes.Equal(got, want) {
				t.Errorf("the import on workerd differs from the local one:\n%s", got)
			}
			if planToo {
				models := t.TempDir()
				for _, f := range res.Files {
					if err := os.WriteFile(filepath.Join(models, f.Name), f.Content, 0o644); err != nil {
						t.Fatal(err)
					}
				}
				spec, diags := hclspec.LoadDir(models)
				if diags.HasErrors() {
					t.Fatalf("the imported models do not load: %s", diags.Error())
				}
				schema, err := backend.Inspect(ctx, s.D1(), s.KV())
				if err != nil {
					t.Fatal(err)
				}
				for _, st := range planner.Diff(spec, "production", schema).Steps {
					t.Errorf("plan step %s %s: %s %s", st.Action, st.Target, st.Code, st.Reason)
				}
			}
			after, err := Dump(ctx, s.D1())
			if err != nil {
				t.Fatal(err)
			}
			if after != before {
				t.Errorf("the database changed:\nbefore:\n%s\nafter:\n%s", before, after)
			}
		})
	}
}
