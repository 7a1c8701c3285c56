package hclspec_test

import (
	"strings"
	"testing"
	"time"

	"github.com/dmplan/dmplan/hclspec"
)

// TestTimestampOutOfRange: a timestamp default or seed value outside
// years 0000 to 9999 in UTC is an error at load time, naming the range;
// the range's ends load.
func TestTimestampOutOfRange(t *testing.T) {
	tests := []struct {
		name, value string
		want        bool // true: refused
	}{
		{"first instant", "0000-01-01T00:00:00Z", false},
		{"last instant", "9999-12-31T23:59:59.999Z", false},
		{"last instant with an offset", "9999-12-31T22:59:59-01:00", false},
		{"year -1 in UTC", "0000-01-01T00:30:00+01:00", true},
		{"year 10000 in UTC", "9999-12-31T23:30:00-01:00", true},
	}
	for _, tt := range tests {
		for _, where := range []string{"default", "seed"} {
			t.Run(where+"/"+tt.name, func(t *testing.T) {
				src := "project \"r\" {}\nmodel \"A\" {\n  field \"at\" {\n    type    = timestamp\n    default = \"" + tt.value + "\"\n  }\n}\n"
				summary, line := "Invalid default value", 5
				if where == "seed" {
					src = "project \"r\" {}\nmodel \"A\" {\n  field \"at\" { type = timestamp }\n}\nseed \"A\" \"one\" {\n  data = { a_id = \"a1\", user_id = \"u1\", at = \"" + tt.value + "\" }\n}\n"
					summary, line = "Invalid seed value", 6
				}
				_, diags := hclspec.LoadSources("r", map[string][]byte{"a.dm.hcl": []byte(src)})
				if !tt.want {
					if diags.HasErrors() {
						t.Fatalf("diagnostics: %s", diags.Error())
					}
					return
				}
				if !diags.HasErrors() || len(diags) != 1 {
					t.Fatalf("diagnostics = %v, want one error", diags)
				}
				d := diags[0]
				if d.Summary != summary || !strings.Contains(d.Detail, "outside years 0000 to 9999") || d.Subject == nil || d.Subject.Start.Line != line {
					t.Errorf("diagnostic = %s: %s (%v), want %s on line %d", d.Summary, d.Detail, d.Subject, summary, line)
				}
				if strings.Contains(d.Detail, tt.value) {
					t.Errorf("detail %q holds the value", d.Detail)
				}
			})
		}
	}
}

func TestTimestampInRange(t *testing.T) {
	for _, tt := range []struct {
		t    time.Time
		want bool
	}{
		{time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), true},
		{time.Date(9999, 12, 31, 23, 59, 59, 999_999_999, time.UTC), true},
		{time.Date(-1, 12, 31, 23, 59, 59, 999_999_999, time.UTC), false},
		{time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), false},
		{time.Date(10000, 1, 1, 0, 30, 0, 0, time.FixedZone("", 3600)), true}, // 9999 in UTC
	} {
		if got := hclspec.TimestampInRange(tt.t); got != tt.want {
			t.Errorf("TimestampInRange(%v) = %v", tt.t, got)
		}
		if tt.want && !strings.HasPrefix(hclspec.FormatTimestamp(tt.t), tt.t.UTC().Format("2006-")) {
			t.Errorf("FormatTimestamp(%v) = %s", tt.t, hclspec.FormatTimestamp(tt.t))
		}
	}
}
