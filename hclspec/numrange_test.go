package hclspec_test

import (
	"strings"
	"testing"

	"github.com/dmplan/dmplan/hclspec"
)

// TestDefaultOutOfRange: a default no 64-bit store can hold is an error at
// load time on the default, naming the range, never the value.
func TestDefaultOutOfRange(t *testing.T) {
	tests := []struct {
		name, typ, def string
		want           string // substring of the detail; "" = loads
	}{
		{"number over float64", "number", "1e400", "a finite 64-bit float"},
		{"number under -float64", "number", "-1e309", "a finite 64-bit float"},
		{"number at float64's max", "number", "1.7976931348623157e308", ""},
		{"number underflows to zero", "number", "1e-400", ""},
		{"integer over int64", "integer", "9223372036854775808", "from -(2^53-1) to 2^53-1"},
		{"integer under int64", "integer", "-9223372036854775809", "from -(2^53-1) to 2^53-1"},
		{"integer at int64's max", "integer", "9223372036854775807", "from -(2^53-1) to 2^53-1"},
		{"integer at 2^53", "integer", "9007199254740992", "from -(2^53-1) to 2^53-1"},
		{"integer at -2^53", "integer", "-9007199254740992", "from -(2^53-1) to 2^53-1"},
		{"integer at 2^53-1", "integer", "9007199254740991", ""},
		{"integer at -(2^53-1)", "integer", "-9007199254740991", ""},
		{"integer fraction", "integer", "2.5", "not a whole number"},
		{"json with an infinite number", "json", "{ a = [1e400] }", "a finite 64-bit float"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := "project \"r\" {}\nmodel \"A\" {\n  field \"v\" {\n    type    = " + tt.typ + "\n    default = " + tt.def + "\n  }\n}\n"
			_, diags := hclspec.LoadSources("r", map[string][]byte{"a.dm.hcl": []byte(src)})
			if tt.want == "" {
				if len(diags) > 0 {
					t.Fatalf("diagnostics: %s", diags.Error())
				}
				return
			}
			if !diags.HasErrors() || len(diags) != 1 {
				t.Fatalf("diagnostics = %v, want one error", diags)
			}
			d := diags[0]
			if d.Summary != "Invalid default value" || !strings.Contains(d.Detail, tt.want) || d.Subject == nil || d.Subject.Start.Line != 5 {
				t.Errorf("diagnostic = %s: %s (%v), want %q on line 5", d.Summary, d.Detail, d.Subject, tt.want)
			}
			if strings.Contains(d.Detail, strings.Trim(tt.def, "{}[] a=")) {
				t.Errorf("detail %q holds the value", d.Detail)
			}
		})
	}
}
