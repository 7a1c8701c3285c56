package operator_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/operator"
)

const uniqueV1 = `
project "app" {}

model "NOTE" {
  field "title" { type = string }
  d1 { sync_fields = ["title"] }
}
`

var uniqueV2 = strings.Replace(uniqueV1, `d1 { sync_fields = ["title"] }`, `d1 {
    sync_fields = ["title"]
    index "by_title" {
      columns = ["title"]
      unique  = true
    }
  }`, 1)

// Initialize refuses a unique index on rows that hold duplicates (DM112),
// and creates it once the records are fixed through the runtime.
func TestInitializeRefusesUniqueIndexOnDuplicates(t *testing.T) {
	ctx := context.Background()
	e := newSeedEnv(t, uniqueV1)
	if _, err := operator.InitializeWith(ctx, e.ds, operator.InitOptions{Getenv: e.getenv}); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, title := range []string{"same", "same", "", ""} {
		data := map[string]any{"user_id": "u1"}
		if title != "" {
			data["title"] = title // two records without a title: NULLs never conflict
		}
		r, err := e.ds.System().Create(ctx, "NOTE", data)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID())
	}

	e.open(t, uniqueV2)
	_, err := operator.InitializeWith(ctx, e.ds, operator.InitOptions{Getenv: e.getenv})
	if !errors.Is(err, applier.ErrBlocked) || !strings.Contains(err.Error(), "DM112 note_by_title: unique index note_by_title on note(title) cannot be created: the table holds duplicate values") {
		t.Fatalf("Initialize = %v, want ErrBlocked listing DM112 note_by_title", err)
	}
	if n := len(e.rows(t, "SELECT 1 FROM sqlite_master WHERE name = 'note_by_title'")); n != 0 {
		t.Fatal("Initialize created the index despite the duplicates")
	}

	if _, err := e.ds.System().Update(ctx, "NOTE", ids[1], map[string]any{"title": "other"}); err != nil {
		t.Fatal(err)
	}
	rep, err := operator.InitializeWith(ctx, e.ds, operator.InitOptions{Getenv: e.getenv})
	if err != nil {
		t.Fatalf("Initialize after the fix: %v", err)
	}
	if diff := cmp.Diff([]string{"note_by_title"}, rep.IndexesCreated); diff != "" {
		t.Errorf("indexes created (-want +got):\n%s", diff)
	}
}
