package runtime_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/dmplan/dmplan/runtime"
)

// TestNumberEnums: integer and number fields take enum lists of numbers;
// saves are checked against them whatever Go numeric type holds the value.
func TestNumberEnums(t *testing.T) {
	const src = `project "en" {}

model "JOB" {
  options { user_tracking = false }
  field "priority" {
    type       = integer
    default    = 2
    validation = [1, 2, 3]
  }
  field "ratio" {
    type       = number
    validation = [0.25, 0.5, 1]
  }
  field "status" {
    type       = string
    validation = ["queued", "done"]
  }
  field "big" {
    type       = number
    default    = 10000000000000000
    validation = [10000000000000000, 2, 1e300]
  }
}
`
	ctx := context.Background()
	_, ds := openSource(t, ctx, "en", src)
	h := ds.System()
	tests := []struct {
		name    string
		data    map[string]any
		wantErr string // "" for a valid record
	}{
		{"default priority", map[string]any{"status": "queued"}, ""},
		{"listed values", map[string]any{"priority": 3, "ratio": 0.5, "status": "done"}, ""},
		{"whole float for an integer", map[string]any{"priority": 1.0, "ratio": 1}, ""},
		{"int64 and float32", map[string]any{"priority": int64(2), "ratio": float32(0.25)}, ""},
		{"integer not listed", map[string]any{"priority": 4}, "priority: must be one of 1, 2, 3"},
		{"number not listed", map[string]any{"ratio": 0.3}, "ratio: must be one of 0.25, 0.5, 1"},
		{"numbers past 2^53 and in exponent form", map[string]any{"big": 1e300}, ""},
		{"a big whole number as an int64", map[string]any{"big": int64(10000000000000000)}, ""},
		{"both not listed", map[string]any{"priority": 0, "status": "lost"}, "status: must be one of queued, done"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := h.Create(ctx, "JOB", tt.data)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Create: %v", err)
				}
				if _, ok := r.Data()["priority"]; !ok {
					t.Errorf("record lacks priority: %v", r.Data())
				}
				return
			}
			if !errors.Is(err, runtime.ErrInvalid) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Create: err = %v, want ErrInvalid saying %q", err, tt.wantErr)
			}
		})
	}
}
