package planner

import "testing"

func TestSameDefault(t *testing.T) {
	tests := []struct {
		a, b string
		typ  string // the column's declared type
		want bool
	}{
		{"'x'", "'x'", "", true},
		{"", "NULL", "", true},
		{"'x'", "'y'", "", false},
		{"0", "'0'", "", false},
		// A timestamp default written before dmplan normalized them.
		{"'2026-01-01T00:00:00.000Z'", "'2026-01-01T00:00:00Z'", "", true},
		{"'2026-01-01T00:00:00.000Z'", "'2026-01-01T02:00:00+02:00'", "", true},
		{"'2026-01-01T00:00:00.000Z'", "'2026-01-01T00:00:01Z'", "", false},
		{"'2026-01-01T00:00:00.000Z'", "2026", "", false},
		{"'it''s'", "'it''s'", "", true},
		// Literals that store the same value (drizzle-kit writes DEFAULT
		// false for default = false, which dmplan writes 0).
		{"0", "false", "INTEGER", true},
		{"1", "TRUE", "BOOLEAN", true},
		{"0", "false", "TEXT", true},
		{"0", "0.0", "REAL", true},
		{"0", "0.0", "INTEGER", true},
		{"5", "5.00", "DECIMAL(10,2)", true},
		{"-2.5", "-2.50", "REAL", true},
		{"0", "0.0", "TEXT", false}, // TEXT keeps '0.0'
		{"1", "false", "INTEGER", false},
		{"0", "0.5", "REAL", false},
		{"0", "'0'", "INTEGER", false},
		{"x'00FF'", "X'00ff'", "BLOB", true},
		{"x'00FF'", "x'00FE'", "BLOB", false},
		{"+0.5", ".5", "DOUBLE PRECISION", true},
	}
	for _, tt := range tests {
		if got := sameDefault(tt.a, tt.b, tt.typ); got != tt.want {
			t.Errorf("sameDefault(%s, %s, %s) = %v, want %v", tt.a, tt.b, tt.typ, got, tt.want)
		}
	}
}
