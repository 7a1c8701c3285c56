package main

import (
	"github.com/dmplan/dmplan/backend/cloudflare/cftest"

	"errors"
	"flag"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

var update = flag.Bool("update", false, "rewrite the expected output in testdata/script/*.txtar")

// withHarness runs the tests, then stops the workerd harness they share
// (cftest.Shared), if one was launched.
type withHarness struct{ m *testing.M }

func (w withHarness) Run() int { return cftest.Main(w.m) }

func TestMain(m *testing.M) {
	testscript.Main(withHarness{m}, map[string]func(){
		"dmplan": func() {
			os.Exit(runProcess(os.Args[1:]))
		},
		// gh is the fake GitHub CLI the example workflows' test runs
		// (see fakeGH).
		"gh": func() { os.Exit(fakeGH(os.Args[1:], os.Stdout, os.Stderr, os.Getenv)) },
	})
}

// TestScripts runs the end-to-end scripts: each holds the HCL inputs, the
// commands and their expected output (colour off, since stdout is a file).
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:           "testdata/script",
		UpdateScripts: *update,
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"normalize":  cmdNormalize,
			"exits":      cmdExits,
			"dirstate":   cmdDirState,
			"d1":         cmdD1,
			"fleetapply": cmdFleetApply,
		},
		Setup: func(e *testscript.Env) error {
			e.Setenv("NO_COLOR", "")
			return nil
		},
	})
}

// Patterns of values that change from run to run.
var volatile = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`), "<uuid>"},
	{regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)`), "<time>"},
	{regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?`), "<time>"},
	{regexp.MustCompile(`\b[0-9a-f]{64}\b`), "<sha256>"},
	{regexp.MustCompile(`"duration_ms": \d+`), `"duration_ms": 0`},
	// D1 rows an apply or reconcile cost: they follow the lock's and the
	// history's statements (cost.txtar checks them).
	{regexp.MustCompile(`"rows_(read|written)": \d+`), `"rows_$1": <n>`},
	{regexp.MustCompile(`\b[0-9a-f]{32}\b`), "<id>"}, // a local KV namespace id
	{regexp.MustCompile(`\(\d+(\.\d+)?(µs|ms|s)\)`), "(<duration>)"},
}

// cmdNormalize rewrites a file (stdout, stderr or a work file) with
// UUIDs, times and SHA-256 sums replaced by placeholders, so it can be
// compared with cmp:
//
//	normalize stdout plan.json
func cmdNormalize(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: normalize FILE OUTFILE")
	}
	text := ts.ReadFile(args[0])
	for _, v := range volatile {
		text = v.re.ReplaceAllString(text, v.with)
	}
	if err := os.WriteFile(ts.MkAbs(args[1]), []byte(text), 0o644); err != nil {
		ts.Fatalf("write %s: %v", args[1], err)
	}
}

// cmdExits runs a command and checks its exact exit code, which exec and
// ! exec cannot tell apart beyond zero and non-zero:
//
//	exits 2 dmplan plan -detailed-exitcode app
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits CODE COMMAND [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exits: bad code %q", args[0])
	}
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("exits: %v", err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("exit code %d, want %d", got, want)
	}
}
