package applier

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	osexec "os/exec"
	"strings"
	"testing"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/local"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/planner"
)

// childEnv makes the test binary run lockChild instead of the tests.
const childEnv = "DMPLAN_APPLIER_LOCK_CHILD"

func TestMain(m *testing.M) {
	if dir := os.Getenv(killChildEnv); dir != "" {
		os.Exit(killChild(dir))
	}
	if dir := os.Getenv(childEnv); dir != "" {
		os.Exit(lockChild(dir, os.Getenv("DMPLAN_CHILD_ACTOR"), os.Getenv("DMPLAN_CHILD_HOLD") == "1"))
	}
	os.Exit(m.Run())
}

// lockChild plans and applies baseHCL against the local target in dir.
// With hold, it says "holding" once the apply has begun (lock held) and
// waits for stdin to close before going on. Exit codes: 0 applied,
// 3 locked, 1 anything else.
func lockChild(dir, actor string, hold bool) int {
	ctx := context.Background()
	b, err := local.Open(ctx, dir)
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	defer b.Close()
	spec, diags := hclspec.LoadSources("shop", map[string][]byte{"models.dm.hcl": []byte(baseHCL)})
	if diags.HasErrors() {
		fmt.Println("error:", diags.Error())
		return 1
	}
	live, err := backend.Inspect(ctx, b.D1(), b.KV())
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	p := planner.Diff(spec, "local", live)
	held := false
	_, err = Apply(ctx, b, p, Options{Actor: actor, Progress: func(Event) {
		if hold && !held {
			held = true
			fmt.Println("holding")
			_, _ = io.Copy(io.Discard, os.Stdin)
		}
	}})
	switch {
	case errors.Is(err, ErrLocked):
		fmt.Println("locked:", err)
		return 3
	case err != nil:
		fmt.Println("error:", err)
		return 1
	}
	fmt.Println("applied")
	return 0
}

// TestTwoProcessesApply: two processes apply to the same local directory;
// the one that holds the lock applies, the other reports who holds it.
func TestTwoProcessesApply(t *testing.T) {
	dir := t.TempDir()
	child := func(actor string, hold bool) *osexec.Cmd {
		cmd := osexec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"="+dir, "DMPLAN_CHILD_ACTOR="+actor)
		if hold {
			cmd.Env = append(cmd.Env, "DMPLAN_CHILD_HOLD=1")
		}
		return cmd
	}
	first := child("proc-a@test", true)
	stdin, err := first.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := first.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	defer first.Process.Kill()
	out := bufio.NewReader(stdout)
	line, err := out.ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "holding" {
		t.Fatalf("first process said %q, %v", line, err)
	}

	second, err := child("proc-b@test", false).CombinedOutput()
	var ee *osexec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Fatalf("second process: %v\n%s", err, second)
	}
	if !strings.Contains(string(second), "held by proc-a@test (apply) since") {
		t.Errorf("second process output lacks the holder: %s", second)
	}

	stdin.Close()
	rest, _ := io.ReadAll(out)
	if err := first.Wait(); err != nil || !strings.Contains(string(rest), "applied") {
		t.Fatalf("first process: %v\n%s", err, rest)
	}
	b, err := local.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	hist, err := History(context.Background(), b.D1(), 0)
	if err != nil || len(hist) != 1 || hist[0].Actor != "proc-a@test" {
		t.Errorf("history = %+v, %v; want one apply by proc-a@test", hist, err)
	}
}
