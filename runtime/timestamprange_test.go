package runtime_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dmplan/dmplan/runtime"
)

// TestTimestampYearRange: a timestamp is stored only when it falls in
// years 0000 to 9999 in UTC, where its stored form is RFC 3339 and sorts
// by time; outside, every write path and a query filter refuse it with a
// validation error naming the field.
func TestTimestampYearRange(t *testing.T) {
	e := setup(t)
	sys := e.ds.System()
	minus := time.FixedZone("-01:00", -3600)
	accepted := []struct {
		in   any
		want string
	}{
		{"0000-01-01T00:00:00Z", "0000-01-01T00:00:00.000Z"},
		{time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), "0000-01-01T00:00:00.000Z"},
		{"1969-12-31T23:59:59.999Z", "1969-12-31T23:59:59.999Z"},
		{"9999-12-31T22:59:59.999-01:00", "9999-12-31T23:59:59.999Z"},
		{time.Date(9999, 12, 31, 23, 59, 59, 999_999_999, time.UTC), "9999-12-31T23:59:59.999Z"},
	}
	refused := []any{
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 12, 31, 23, 59, 59, 0, time.UTC),
		time.Date(-5000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 30, 0, 0, minus), // 10000-01-01 in UTC
		ptr(time.Date(12345, 6, 7, 0, 0, 0, 0, time.UTC)),
		"0000-01-01T00:30:00+01:00", // year -1 in UTC
		"9999-12-31T23:30:00-01:00", // year 10000 in UTC
		time.Unix(1<<40, 0),
	}
	var ids []string
	for _, a := range accepted {
		r, err := sys.Create(e.ctx, "ITEM", map[string]any{"user_id": "u1", "name": "ok", "seen_at": a.in})
		if err != nil {
			t.Fatalf("create with %v: %v", a.in, err)
		}
		if got := r.Get("seen_at"); got != a.want {
			t.Errorf("stored %v as %v, want %s", a.in, got, a.want)
		}
		ids = append(ids, r.ID())
	}
	// Stored strings sort by time, in D1 as in Go.
	res, err := sys.Query("ITEM").WhereIn("item_id", anySlice(ids)...).OrderBy("seen_at", runtime.Asc).OrderBy("item_id", runtime.Asc).List(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, row := range res.Data {
		got = append(got, row["seen_at"].(string))
	}
	if !slices.IsSorted(got) || len(got) != len(accepted) {
		t.Errorf("D1 order: %v", got)
	}
	for i := 1; i < len(got); i++ {
		a, _ := time.Parse(time.RFC3339Nano, got[i-1])
		b, _ := time.Parse(time.RFC3339Nano, got[i])
		if a.After(b) {
			t.Errorf("%s sorts before %s but is later", got[i-1], got[i])
		}
	}

	r, err := sys.Create(e.ctx, "ITEM", map[string]any{"user_id": "u1", "name": "keep", "seen_at": "2026-01-01T00:00:00Z"})
	if err != nil {
		t.Fatal(err)
	}
	checkRefused := func(t *testing.T, err error) {
		t.Helper()
		var ve *runtime.ValidationError
		if !errors.As(err, &ve) || !errors.Is(err, runtime.ErrInvalid) {
			t.Fatalf("err = %v, want a ValidationError", err)
		}
		if len(ve.Fields) != 1 || ve.Fields[0].Field != "seen_at" || ve.Fields[0].Code != runtime.CodeType ||
			!strings.Contains(ve.Fields[0].Message, "outside years 0000 to 9999") {
			t.Errorf("fields = %+v, want seen_at outside years 0000 to 9999", ve.Fields)
		}
	}
	for i, in := range refused {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			_, err := sys.Create(e.ctx, "ITEM", map[string]any{"user_id": "u1", "name": "bad", "seen_at": in})
			checkRefused(t, err)
			_, err = sys.CreateMany(e.ctx, "ITEM", []map[string]any{{"user_id": "u1", "name": "bad", "seen_at": in}})
			checkRefused(t, err)
			r.Set("seen_at", in)
			checkRefused(t, r.Save(e.ctx))
			back, err := sys.Get(e.ctx, "ITEM", r.ID())
			if err != nil || back.Get("seen_at") != "2026-01-01T00:00:00.000Z" {
				t.Errorf("stored after a refused save: %v %v", back, err)
			}
			r.Set("seen_at", "2026-01-01T00:00:00Z")
			_, err = sys.Query("ITEM").WhereOp("seen_at", "<", in).List(e.ctx)
			if !errors.Is(err, runtime.ErrInvalid) || !strings.Contains(err.Error(), "outside years 0000 to 9999") {
				t.Errorf("query filter: err = %v", err)
			}
		})
	}
	res, err = sys.Query("ITEM").Where("name", "bad").List(e.ctx)
	if err != nil || res.Pagination.Total != 0 {
		t.Errorf("refused records were stored: %v %v", res, err)
	}
}

func ptr[T any](v T) *T { return &v }

func anySlice[T any](in []T) []any {
	out := make([]any, len(in))
	for i, v := range in {
		out[i] = v
	}
	return out
}
