package hclspec_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/dmplan/dmplan/hclspec"
	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
)

// TestErrorFiles loads each testdata/errors file on its own and checks that
// the diagnostics are exactly the "# ERROR: <summary substring>" comments,
// on the lines that carry them.
func TestErrorFiles(t *testing.T) {
	files, err := filepath.Glob("testdata/errors/*.dm.hcl")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 25 {
		t.Fatalf("found %d error files, want at least 25", len(files))
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			want := expectations(src)
			if len(want) == 0 {
				t.Fatal("file has no # ERROR: or # WARNING: expectations")
			}
			spec, diags := hclspec.LoadSources("errors", map[string][]byte{file: src})
			var got []string
			for _, d := range diags {
				if d.Subject == nil {
					got = append(got, fmt.Sprintf("?: %s", d.Summary))
					continue
				}
				if d.Severity != hcl.DiagError {
					got = append(got, fmt.Sprintf("%d: warning %s", d.Subject.Start.Line, matchSummary(want, d)))
					continue
				}
				got = append(got, fmt.Sprintf("%d: %s", d.Subject.Start.Line, matchSummary(want, d)))
			}
			sort.Strings(got)
			var wantLines []string
			for _, w := range want {
				if w.warning {
					wantLines = append(wantLines, fmt.Sprintf("%d: warning %s", w.line, w.summary))
					continue
				}
				wantLines = append(wantLines, fmt.Sprintf("%d: %s", w.line, w.summary))
			}
			sort.Strings(wantLines)
			if diff := cmp.Diff(wantLines, got); diff != "" {
				var buf bytes.Buffer
				_ = hclspec.WriteDiagnostics(&buf, spec, diags, false)
				t.Errorf("diagnostics mismatch (-want +got):\n%s\nall diagnostics:\n%s", diff, buf.String())
			}
			for _, d := range diags {
				if d.Detail == "" {
					t.Errorf("%s: %q has no detail", d.Subject, d.Summary)
				}
			}
		})
	}
}

type expectation struct {
	line    int
	summary string
	warning bool // "# WARNING:" rather than "# ERROR:"
}

// expectations reads the "# ERROR: text" and "# WARNING: text" comments; a
// line may hold more than one.
func expectations(src []byte) []expectation {
	var out []expectation
	for i, line := range strings.Split(string(src), "\n") {
		for _, mark := range []string{"# ERROR:", "# WARNING:"} {
			parts := strings.Split(line, mark)
			for _, p := range parts[1:] {
				if j := strings.Index(p, "# "); j >= 0 {
					p = p[:j]
				}
				out = append(out, expectation{i + 1, strings.TrimSpace(p), mark == "# WARNING:"})
			}
		}
	}
	return out
}

// matchSummary returns the expectation text on the diagnostic's line that
// its summary contains (of the same severity), or the summary itself when
// none does.
func matchSummary(want []expectation, d *hcl.Diagnostic) string {
	for _, w := range want {
		if w.warning != (d.Severity != hcl.DiagError) {
			continue
		}
		if w.line == d.Subject.Start.Line && strings.Contains(d.Summary, w.summary) {
			return w.summary
		}
	}
	return d.Summary
}
