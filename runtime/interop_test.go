package runtime

import (
	"testing"

	"github.com/dmplan/dmplan/hclspec"
)

func interopModel(t *testing.T) *model {
	t.Helper()
	fields := []*hclspec.Field{
		{Name: "id", Type: hclspec.String, Primary: true, Synced: true},
		{Name: "ts", Type: hclspec.Timestamp, Synced: true},
		{Name: "n", Type: hclspec.Integer, Synced: true},
		{Name: "f", Type: hclspec.Number, Synced: true},
		{Name: "b", Type: hclspec.Boolean, Synced: true},
		{Name: "j", Type: hclspec.JSON, Synced: true},
		{Name: "a", Type: hclspec.Array, Synced: true},
		{Name: "e", Type: hclspec.String, Synced: true, Validation: hclspec.Validation{Enum: []string{"x", "y"}}},
		{Name: "r", Type: hclspec.String, Synced: true, Required: true},
		{Name: "d", Type: hclspec.String, Synced: true, Default: "dflt"},
	}
	m, err := compileModel(&hclspec.Model{
		Name: "T", PrimaryKey: "id", Fields: fields,
		D1: hclspec.D1{Table: "t", SyncFields: []string{"id", "ts", "n", "f", "b", "j", "a", "e", "r", "d"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestSameColumn: D1 values another writer wrote in another spelling of
// the same value are the same; different values are not.
func TestSameColumn(t *testing.T) {
	m := interopModel(t)
	tests := []struct {
		col  string
		a, b any
		want bool
	}{
		{"ts", "2026-01-01T10:00:05.000Z", "2026-01-01T10:00:05Z", true},
		{"ts", "2026-01-01T10:00:05.000Z", "2026-01-01T12:00:05+02:00", true},
		{"ts", "2026-01-01T10:00:05.123Z", "2026-01-01T10:00:05.123456Z", true},
		{"ts", "2026-01-01T10:00:05.000Z", "2026-01-01T10:00:06Z", false},
		{"ts", "2026-01-01T10:00:05.000Z", "yesterday", false},
		{"ts", "2026-01-01T10:00:05.000Z", nil, false},
		{"n", int64(5), 5.0, true},
		{"n", int64(5), int64(6), false},
		{"f", 1.0, int64(1), true},
		{"b", int64(1), 1.0, true},
		{"b", int64(1), int64(0), false},
		{"j", `{"a":1,"b":[true,null]}`, `{"b": [true, null], "a": 1}`, true},
		{"j", `{"a":"<"}`, `{"a":"\u003c"}`, true},
		{"j", `{"a":1}`, `{"a":2}`, false},
		{"a", `["x",2]`, `[ "x", 2.0 ]`, true},
		{"e", "x", "x", true},
	}
	for _, tt := range tests {
		if got := m.sameColumn(m.colIdx[tt.col], tt.a, tt.b); got != tt.want {
			t.Errorf("sameColumn(%s, %#v, %#v) = %v, want %v", tt.col, tt.a, tt.b, got, tt.want)
		}
	}
}

// TestProjectRowAcceptsWhatTheRuntimeReads: an object the runtime reads
// and keeps through updates projects to the row Save would write; only
// what it cannot read is a problem.
func TestProjectRowAcceptsWhatTheRuntimeReads(t *testing.T) {
	m := interopModel(t)
	tests := []struct {
		name    string
		raw     string
		problem string
		col     string
		want    any
	}{
		{"timestamp without millis", `{"ts":"2026-01-01T10:00:05Z","r":"v"}`, "", "ts", "2026-01-01T10:00:05.000Z"},
		{"timestamp in an offset", `{"ts":"2026-01-01T12:00:05+02:00","r":"v"}`, "", "ts", "2026-01-01T10:00:05.000Z"},
		{"value outside the enum", `{"e":"zzz","r":"v"}`, "", "e", "zzz"},
		{"wrong type kept as stored", `{"n":"five","r":"v"}`, "", "n", "five"},
		{"boolean a Worker wrote as 1", `{"b":1,"r":"v"}`, "", "b", 1.0},
		{"boolean", `{"b":true,"r":"v"}`, "", "b", int64(1)},
		{"json", `{"j":{"k":[1]},"r":"v"}`, "", "j", `{"k":[1]}`},
		{"default of a missing field", `{"r":"v"}`, "", "d", "dflt"},
		{"missing required field", `{}`, "", "r", nil},
		{"unknown field", `{"zz":1,"r":"v"}`, "", "r", "v"},
		{"not an object", `[1,2]`, "value is not a JSON object", "", nil},
		{"another id", `{"id":"other","r":"v"}`, `id does not match the id "k1" in its key`, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			row, problem := m.projectRow("k1", []byte(tt.raw))
			if problem != tt.problem {
				t.Fatalf("problem = %q, want %q", problem, tt.problem)
			}
			if problem != "" {
				return
			}
			if row[0] != "k1" {
				t.Errorf("id column = %v", row[0])
			}
			if got := row[m.colIdx[tt.col]]; got != tt.want {
				t.Errorf("%s = %#v, want %#v", tt.col, got, tt.want)
			}
		})
	}
}
