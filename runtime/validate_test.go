package runtime_test

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dmplan/dmplan/runtime"
)

type payload struct {
	A int    `json:"a"`
	B string `json:"b"`
}

func TestValidationOfEveryType(t *testing.T) {
	e := setup(t)
	sys := e.ds.System()
	ts := time.Date(2026, 1, 2, 3, 4, 5, 6_000_000, time.FixedZone("X", 3600))
	tests := []struct {
		field   string
		in      any
		want    any    // stored value when valid
		wantErr string // message when invalid
	}{
		{"name", "n", "n", ""},
		{"name", []byte("bytes"), "bytes", ""},
		{"name", 5, nil, "must be a string"},
		{"name", "", nil, "is required"},
		{"body", "long text", "long text", ""},
		{"body", true, nil, "must be a string"},
		{"meta", map[string]any{"k": []any{1.0, "x"}}, map[string]any{"k": []any{1.0, "x"}}, ""},
		{"meta", payload{A: 1, B: "x"}, map[string]any{"a": 1.0, "b": "x"}, ""},
		{"meta", json.RawMessage(`{"a":[1,2]}`), map[string]any{"a": []any{1.0, 2.0}}, ""},
		{"meta", json.RawMessage(`{"a":`), nil, "must be valid JSON"},
		{"meta", "just a string", "just a string", ""},
		{"meta", func() {}, nil, "must be JSON-encodable"},
		{"meta", math.NaN(), nil, "must be JSON-encodable"},
		{"tags", []any{"a", 1.0}, []any{"a", 1.0}, ""},
		{"tags", []string{"a", "b"}, []any{"a", "b"}, ""},
		{"tags", json.RawMessage(`["x"]`), []any{"x"}, ""},
		{"tags", "a,b", nil, "must be an array"},
		{"tags", map[string]any{}, nil, "must be an array"},
		{"seen_at", ts, "2026-01-02T02:04:05.006Z", ""},
		{"seen_at", "2026-01-02T03:04:05+01:00", "2026-01-02T02:04:05.000Z", ""},
		{"seen_at", "2026-01-02T03:04:05.123456789Z", "2026-01-02T03:04:05.123Z", ""},
		{"seen_at", "yesterday", nil, "must be an RFC 3339 timestamp"},
		{"seen_at", "2026-01-02", nil, "must be an RFC 3339 timestamp"},
		{"seen_at", 12, nil, "must be a timestamp"},
		{"count", 7, int64(7), ""},
		{"count", int64(1<<53 - 1), int64(1<<53 - 1), ""},
		{"count", int64(-(1<<53 - 1)), int64(-(1<<53 - 1)), ""},
		{"count", int64(math.MaxInt64), nil, "is out of range"},
		{"count", 1 << 53, nil, "is out of range"},
		{"count", float64(-(1 << 53)), nil, "is out of range"},
		{"count", uint8(3), int64(3), ""},
		{"count", 3.0, int64(3), ""},
		{"count", json.Number("42"), int64(42), ""},
		{"count", 3.5, nil, "must be an integer"},
		{"count", "7", nil, "must be an integer"},
		{"count", uint64(math.MaxUint64), nil, "must be an integer"},
		{"score", 1.5, 1.5, ""},
		{"score", 2, 2.0, ""},
		{"score", float32(0.5), 0.5, ""},
		{"score", math.Inf(1), nil, "must be a finite number"},
		{"score", "1.5", nil, "must be a finite number"},
		{"active", false, false, ""},
		{"active", 1, nil, "must be a boolean"},
		{"active", "true", nil, "must be a boolean"},
		{"email", "a@example.com", "a@example.com", ""},
		{"email", "not-an-email", nil, "must be a valid email"},
		{"ref", "0b9d8f2e-3c4a-4d5e-8f6a-7b8c9d0e1f2a", "0b9d8f2e-3c4a-4d5e-8f6a-7b8c9d0e1f2a", ""},
		{"ref", "0b9d8f2e", nil, "must be a valid uuid"},
		{"home", "https://example.com/x", "https://example.com/x", ""},
		{"home", "ftp://example.com", nil, "must be a valid url"},
		{"home", "example.com", nil, "must be a valid url"},
		{"kind", "b", "b", ""},
		{"kind", "z", nil, "must be one of a, b, c"},
	}
	for _, tt := range tests {
		name := tt.field + "/" + strings.ReplaceAll(strings.ReplaceAll(jsonish(tt.in), "/", "_"), " ", "_")
		t.Run(name, func(t *testing.T) {
			data := map[string]any{"name": "n", "user_id": "u1"}
			data[tt.field] = tt.in
			r, err := sys.Create(e.ctx, "ITEM", data)
			if tt.wantErr != "" {
				var ve *runtime.ValidationError
				if !errors.As(err, &ve) || !errors.Is(err, runtime.ErrInvalid) {
					t.Fatalf("err = %v, want a ValidationError", err)
				}
				if len(ve.Fields) != 1 || ve.Fields[0].Field != tt.field || !strings.Contains(ve.Fields[0].Message, tt.wantErr) {
					t.Fatalf("fields = %+v, want %s: %s", ve.Fields, tt.field, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, r.Get(tt.field)); d != "" {
				t.Errorf("saved value (-want +got):\n%s", d)
			}
			back, err := sys.Get(e.ctx, "ITEM", r.ID())
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, back.Get(tt.field)); d != "" {
				t.Errorf("loaded value (-want +got):\n%s", d)
			}
			// The D1 projection round-trips to the same value.
			res, err := sys.Query("ITEM").Where("item_id", r.ID()).List(e.ctx)
			if err != nil || len(res.Data) != 1 {
				t.Fatalf("query: %v %v", res, err)
			}
			if _, synced := res.Data[0][tt.field]; synced {
				if d := cmp.Diff(tt.want, res.Data[0][tt.field]); d != "" {
					t.Errorf("D1 value (-want +got):\n%s", d)
				}
			}
		})
	}
}

func jsonish(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "unencodable"
	}
	if len(b) > 30 {
		b = b[:30]
	}
	return string(b)
}

func TestValidationListsEveryFieldAndWritesNothing(t *testing.T) {
	e, fb := setupFault(t)
	u := e.ds.Auth("u1")
	_, err := u.Create(e.ctx, "PAGE", map[string]any{
		"url":            "not a url",
		"status":         "done",
		"last_processed": "soon",
		"extra":          1,
		"title":          "secret-title-value",
	})
	var ve *runtime.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v", err)
	}
	got := map[string]string{}
	for _, f := range ve.Fields {
		got[f.Field] = f.Message
	}
	want := map[string]string{
		"extra":          "is not a field of PAGE",
		"project_id":     "is required",
		"url":            "must be a valid url",
		"status":         "must be one of pending, processing, completed, failed",
		"last_processed": "must be an RFC 3339 timestamp like 2026-11-27T14:50:08.123Z",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("fields (-want +got):\n%s", d)
	}
	if strings.Contains(err.Error(), "not a url") || strings.Contains(err.Error(), "soon") {
		t.Errorf("error message holds values: %v", err)
	}
	if fb.kv.puts+fb.kv.putManys+fb.d1.queries+fb.d1.batchs != 0 {
		t.Errorf("invalid record wrote: kv puts %d, d1 queries %d", fb.kv.puts, fb.d1.queries)
	}
}

func TestDefaults(t *testing.T) {
	e := setup(t)
	r, err := e.ds.Auth("u1").Create(e.ctx, "ITEM", map[string]any{"name": "x"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Get("count") != int64(0) || r.Get("active") != true {
		t.Errorf("defaults: count=%v active=%v", r.Get("count"), r.Get("active"))
	}
	row := e.d1Row(t, "item", "item_id", r.ID())
	if row["count"] != int64(0) || row["active"] != int64(1) {
		t.Errorf("D1 defaults: %v", row)
	}
}
