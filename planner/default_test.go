package planner

import "testing"

func TestSameDefault(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"'x'", "'x'", true},
		{"", "NULL", true},
		{"'x'", "'y'", false},
		{"0", "'0'", false},
		// A timestamp default written before dmplan normalized them.
		{"'2026-01-01T00:00:00.000Z'", "'2026-01-01T00:00:00Z'", true},
		{"'2026-01-01T00:00:00.000Z'", "'2026-01-01T02:00:00+02:00'", true},
		{"'2026-01-01T00:00:00.000Z'", "'2026-01-01T00:00:01Z'", false},
		{"'2026-01-01T00:00:00.000Z'", "2026", false},
		{"'it''s'", "'it''s'", true},
	}
	for _, tt := range tests {
		if got := sameDefault(tt.a, tt.b); got != tt.want {
			t.Errorf("sameDefault(%s, %s) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}
