package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"sort"
	"strings"
	"syscall"
)

func main() {
	// A dmplan command is short-lived and allocates most of its memory
	// while it loads the configuration, where the runtime's small starting
	// heap goal makes it collect again and again. GOGC=300 measured fastest
	// for plan on 200 models (5% faster than 200, 15% than 100); 600
	// outgrows the huge-page heap (see hugeHeap) and touches fresh pages,
	// which cost more than collecting on small VMs. A GOGC in the
	// environment wins.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(300)
	}
	os.Exit(runProcess(os.Args[1:]))
}

// runProcess runs one invocation as the dmplan process, with its signal
// handling: see cli.interrupt.
func runProcess(args []string) int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := newCLI(os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		for range sigs {
			if c.interrupt(cancel) {
				os.Exit(exitInterrupted)
			}
		}
	}()
	return c.run(ctx, args)
}

// commands are the subcommands by name.
var commands = map[string]struct {
	cmd command
	run func(*cli, context.Context, []string) int
}{
	"validate":  {validateCommand, (*cli).validate},
	"fmt":       {fmtCommand, (*cli).fmt},
	"plan":      {planCommand, (*cli).plan},
	"apply":     {applyCommand, (*cli).apply},
	"show":      {showCommand, (*cli).show},
	"history":   {historyCommand, (*cli).history},
	"drift":     {driftCommand, (*cli).drift},
	"reconcile": {reconcileCommand, (*cli).reconcile},
	"indexes":   {indexesCommand, (*cli).indexes},
	"bindings":  {bindingsCommand, (*cli).bindings},
	"import":    {importCommand, (*cli).importCmd},
	"gen":       {genCommand, (*cli).gen},
	"version":   {versionCommand, (*cli).version},

	"force-unlock": {forceUnlockCommand, (*cli).forceUnlock},
}

// run runs one dmplan invocation and returns its exit code. It is main
// without the process: tests call it with their own streams and getenv.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	return newCLI(stdin, stdout, stderr, getenv).run(ctx, args)
}

func (c *cli) run(ctx context.Context, args []string) int {
	if len(args) == 0 {
		c.usage(c.stderr)
		return exitError
	}
	switch args[0] {
	case "help":
		if len(args) > 1 {
			return c.help(ctx, args[1:])
		}
		c.usage(c.stdout)
		return exitOK
	case "-h", "-help", "--help":
		c.usage(c.stdout)
		return exitOK
	case "-v", "-version", "--version":
		return c.version(ctx, nil)
	}
	sub, ok := commands[args[0]]
	if !ok {
		c.unknownCommand(args[0])
		return exitError
	}
	return sub.run(c, ctx, args[1:])
}

// unknownCommand says the command does not exist, suggests the closest one
// and lists them all.
func (c *cli) unknownCommand(name string) {
	if s := suggest(name, commandNames()); s != "" {
		fmt.Fprintf(c.stderr, "Error: unknown command %q\n\nDid you mean this?\n  dmplan %s\n\n", name, s)
	} else {
		fmt.Fprintf(c.stderr, "Error: unknown command %q\n\n", name)
	}
	c.usage(c.stderr)
}

func (c *cli) usage(w io.Writer) {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return commandOrder(names[i]) < commandOrder(names[j]) })
	var b strings.Builder
	b.WriteString("Usage: dmplan <command> [flags] [DIR]\n\n")
	b.WriteString("dmplan plans and applies additive schema changes for Cloudflare D1 and\n")
	b.WriteString("Workers KV from the *.dm.hcl model files in DIR (default \".\").\n\nCommands:\n")
	for _, n := range names {
		fmt.Fprintf(&b, "  %-12s %s\n", n, commands[n].cmd.short)
	}
	b.WriteString("\nRun dmplan <command> -h for a command's flags.\n")
	b.WriteString("Exit codes: 0 success, 1 error (also blocked changes), 2 changes (plan -detailed-exitcode).\n")
	fmt.Fprint(w, b.String())
}

func commandOrder(name string) int {
	for i, n := range []string{"validate", "fmt", "plan", "apply", "show", "history", "reconcile", "indexes", "bindings", "import", "gen", "force-unlock", "completion", "version"} {
		if n == name {
			return i
		}
	}
	return 100
}
