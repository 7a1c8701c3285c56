package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"

	"golang.org/x/term"

	"github.com/hashicorp/hcl/v2"

	"github.com/dmplan/dmplan/backend/wranglerdev"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/internal/view"
)

// Exit codes.
const (
	exitOK      = 0
	exitError   = 1
	exitChanges = 2 // plan -detailed-exitcode: the plan has changes
	// exitInterrupted ends the process at a second interrupt (128+SIGINT,
	// as shells report it).
	exitInterrupted = 130
)

// cli is what one invocation runs with: its streams, its environment and
// what it knows about the terminal. Tests build it directly.
type cli struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	// envFromVar is the environment envDefault took from DMPLAN_ENV.
	envFromVar string
	// stdinTTY and stdoutTTY report whether the streams are terminals:
	// approval is asked only on a terminal, colour is used only on one.
	stdinTTY  bool
	stdoutTTY bool
	// wd is the working directory paths are shown relative to.
	wd string
	// target is the target the command resolved, whose env.X values the
	// logger redacts.
	target atomic.Pointer[hclspec.Target]
	// targets are the models plan and apply -target (or a saved plan's
	// targets) limit every plan of this invocation to; none: all models.
	targets []string
	// wrangler holds a wrangler target's options (resolveWrangler), and
	// wranglerLog receives its Node process's stderr (nil: kept for
	// errors).
	wrangler    *wranglerdev.Options
	wranglerLog io.Writer

	// sig is what an interrupt (Ctrl-C, SIGTERM) does; see interrupt.
	sig struct {
		sync.Mutex
		n int
		// stop, while set, takes the first interrupt instead of
		// cancelling the command: apply sets it while it changes the
		// target. left says what a second one leaves behind.
		stop func()
		left func() string
		// first is what the first interrupt prints while stop is set;
		// empty: a single apply's message.
		first string
	}
}

// firstInterruptApply is what the first interrupt of a single apply says.
const firstInterruptApply = "\nInterrupt received: the running batch finishes, then the apply stops before the next step," +
	" records itself as interrupted and releases the lock. Press Ctrl-C again to stop at once."

// firstInterruptFleet is what the first interrupt of a fleet apply says.
const firstInterruptFleet = "\nInterrupt received: the databases being applied finish and are recorded, no other database starts" +
	" (the rest are reported skipped), and the rollout's lease is released. Run the same dmplan apply again to resume it." +
	" Press Ctrl-C again to stop at once."

// interrupt handles one interrupt and reports whether the process must
// end at once. The first cancels the command's context, or, while apply
// changes the target, asks it to stop after the running batch (Terraform's
// graceful stop); the second ends the process, saying what it leaves
// behind.
func (c *cli) interrupt(cancel func()) (exit bool) {
	c.sig.Lock()
	c.sig.n++
	n, stop, left, first := c.sig.n, c.sig.stop, c.sig.left, c.sig.first
	c.sig.Unlock()
	switch {
	case n == 1 && stop != nil:
		if first == "" {
			first = firstInterruptApply
		}
		fmt.Fprintln(c.stderr, first)
		stop()
		return false
	case n == 1:
		cancel()
		return false
	}
	if left != nil {
		fmt.Fprintln(c.stderr, "\nSecond interrupt: stopping at once, without waiting for the running batch. "+left())
	} else {
		fmt.Fprintln(c.stderr, "\nSecond interrupt: stopping at once.")
	}
	return true
}

// whileApplying makes the first interrupt call stop (and a second report
// left) until the returned func is called.
func (c *cli) whileApplying(stop func(), left func() string) (done func()) {
	return c.whileChanging(firstInterruptApply, stop, left)
}

// whileRollingOut is whileApplying for a fleet apply: the first interrupt
// says what stopping a rollout does.
func (c *cli) whileRollingOut(stop func(), left func() string) (done func()) {
	return c.whileChanging(firstInterruptFleet, stop, left)
}

// whileChanging makes the first interrupt print first and call stop (and a
// second report left) until the returned func is called.
func (c *cli) whileChanging(first string, stop func(), left func() string) (done func()) {
	c.sig.Lock()
	c.sig.stop, c.sig.left, c.sig.first = stop, left, first
	pending := c.sig.n > 0 // interrupted already: the command's context is cancelled
	c.sig.Unlock()
	if pending {
		stop()
	}
	return func() {
		c.sig.Lock()
		c.sig.stop, c.sig.left, c.sig.first = nil, nil, ""
		c.sig.Unlock()
	}
}

func newCLI(stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) *cli {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	wd, _ := os.Getwd()
	return &cli{
		stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv,
		stdinTTY: isTerminal(stdin), stdoutTTY: isTerminal(stdout), wd: wd,
	}
}

func isTerminal(v any) bool {
	f, ok := v.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// lookupEnv adapts getenv to the (value, ok) form hclspec takes. An empty
// variable counts as unset.
func (c *cli) lookupEnv(name string) (string, bool) {
	v := c.getenv(name)
	return v, v != ""
}

// color reports whether human output may use ANSI colour: not with
// -no-color, not with NO_COLOR set, not when stdout is not a terminal, not
// on TERM=dumb.
func (c *cli) color(noColor bool) bool {
	return !noColor && c.getenv("NO_COLOR") == "" && c.stdoutTTY && c.getenv("TERM") != "dumb"
}

// streams returns the view streams for the flags. Diagnostics quote their
// source lines from *spec, which the command fills in once it has loaded
// the configuration (the view is built before that).
func (c *cli) streams(va viewArgs, spec **hclspec.Spec) view.Streams {
	return view.Streams{
		Out:   c.stdout,
		Err:   c.stderr,
		Color: c.color(va.NoColor),
		WriteDiagnostics: func(w io.Writer, diags hcl.Diagnostics, color bool) error {
			var s *hclspec.Spec
			if spec != nil {
				s = *spec
			}
			return hclspec.WriteDiagnostics(w, s, diags, color)
		},
	}
}

// readLine reads one line from stdin, without its line ending.
func (c *cli) readLine() (string, error) {
	line, err := bufio.NewReader(c.stdin).ReadString('\n')
	if err != nil && line == "" {
		return "", err
	}
	for len(line) > 0 && (line[len(line)-1] == '\n' || line[len(line)-1] == '\r') {
		line = line[:len(line)-1]
	}
	return line, nil
}
