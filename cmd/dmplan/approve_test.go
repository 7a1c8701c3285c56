package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const approveHCL = `
model "NOTE" {
  field "title" { type = string }
  d1 {
    sync_fields = ["title"]
  }
}
`

// TestApplyAsksOnATerminal runs apply in-process with stdin treated as a
// terminal: only "yes" applies.
func TestApplyAsksOnATerminal(t *testing.T) {
	tests := []struct {
		answer   string
		wantCode int
		wantOut  string
		applied  bool
	}{
		{answer: "yes\n", wantCode: exitOK, wantOut: "Apply complete: 1 table created, 1 namespace created.", applied: true},
		{answer: "y\n", wantCode: exitError, wantOut: "Apply cancelled. Nothing was changed."},
		{answer: "", wantCode: exitError, wantOut: "Apply cancelled. Nothing was changed."},
	}
	for _, tt := range tests {
		t.Run(strings.TrimSpace(tt.answer), func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "notes.dm.hcl"), []byte(approveHCL), 0o644); err != nil {
				t.Fatal(err)
			}
			var out, errOut bytes.Buffer
			c := &cli{
				stdin: strings.NewReader(tt.answer), stdout: &out, stderr: &errOut,
				getenv: func(string) string { return "" }, stdinTTY: true,
			}
			code := c.run(context.Background(), []string{"apply", dir})
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.wantCode, out.String(), errOut.String())
			}
			want := "Do you want to apply these changes to environment \"local\"?\n  Backend local, database " +
				filepath.Join(dir, ".dmplan", "d1.sqlite") + ".\n  Only 'yes' will be accepted."
			if !strings.Contains(out.String(), want) {
				t.Errorf("no approval question in:\n%s", out.String())
			}
			if !strings.Contains(out.String(), tt.wantOut) {
				t.Errorf("stdout lacks %q:\n%s", tt.wantOut, out.String())
			}
			_, err := os.Stat(filepath.Join(dir, ".dmplan", "d1.sqlite"))
			if exists := err == nil; exists != tt.applied {
				t.Errorf("database exists = %v, want %v", exists, tt.applied)
			}
		})
	}
}
