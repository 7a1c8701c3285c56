package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// 100,000 nested parentheses used to overflow the goroutine stack inside
// HCL's parser: a fatal error that killed the process without a message.
// validate, plan and fmt now report it at its line and column and exit 1.
func TestDeepNestingIsADiagnostic(t *testing.T) {
	dir := t.TempDir()
	const n = 100_000
	src := "model \"A\" {\n  field \"x\" {\n    type    = string\n    default = " + strings.Repeat("(", n) + `"a"` + strings.Repeat(")", n) + "\n  }\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "deep.dm.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range [][]string{{"validate"}, {"plan"}, {"fmt", "-check"}} {
		code, out, errOut := dmplanRun(t, append(cmd, dir)...)
		if code != exitError {
			t.Errorf("%s: exit %d, want %d", cmd[0], code, exitError)
		}
		if !strings.Contains(errOut, "deep.dm.hcl:4:269: error: Nesting too deep") {
			t.Errorf("%s: no diagnostic at 4:269:\n%.2000s", cmd[0], errOut)
		}
		if len(out)+len(errOut) > 4000 {
			t.Errorf("%s printed %d bytes; the source line must be clipped", cmd[0], len(out)+len(errOut))
		}
	}
}
