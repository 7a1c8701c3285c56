package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/dmplan/dmplan/internal/view"
)

// viewArgs are the flags that pick a view. They are read before the real
// parse so that even a flag error renders in the requested format.
type viewArgs struct {
	Format  view.Type
	NoColor bool
}

// scanViewArgs looks for -json, -format and -no-color ahead of parsing,
// anywhere before "--": even "dmplan plan DIR -json", which the parse
// rejects (flags go before DIR), gets its error as JSON. A bad -format
// value is left for the parse to report.
func scanViewArgs(args []string) viewArgs {
	var va viewArgs
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		if !strings.HasPrefix(a, "-") {
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		switch name {
		case "json":
			if !hasValue || value == "true" {
				va.Format = view.JSON
			}
		case "no-color":
			if !hasValue || value == "true" {
				va.NoColor = true
			}
		case "format":
			if !hasValue && i+1 < len(args) {
				value = args[i+1]
				i++
			}
			if t, err := view.ParseType(value); err == nil {
				va.Format = t
			}
		}
	}
	return va
}

// formatFlag is -format, parsed with view.ParseType.
type formatFlag struct{ t *view.Type }

func (f formatFlag) String() string {
	if f.t == nil {
		return "human"
	}
	return f.t.String()
}

func (f formatFlag) Set(s string) error {
	t, err := view.ParseType(s)
	if err != nil {
		return err
	}
	*f.t = t
	return nil
}

// jsonFlag is -json: a boolean flag that sets the format to JSON.
type jsonFlag struct{ t *view.Type }

func (f jsonFlag) String() string   { return "false" }
func (f jsonFlag) IsBoolFlag() bool { return true }
func (f jsonFlag) Set(s string) error {
	switch s {
	case "true":
		*f.t = view.JSON
	case "false":
	default:
		return fmt.Errorf("invalid boolean %q", s)
	}
	return nil
}

// errHelp is returned by parse when -h was given; usage is already written.
var errHelp = errors.New("help requested")

// command describes one subcommand for usage and parsing.
type command struct {
	name     string
	synopsis string // "plan [flags] [DIR]"
	short    string // one line for the command list
	summary  string // one paragraph
	// maxArgs is the number of positional arguments allowed (0 or 1).
	maxArgs int
}

// parse parses args with fs, returning the positional arguments. -h writes
// usage to stdout and returns errHelp. Flags after the positional argument
// are an error that says so, since Go's flag package stops at it.
func (c command) parse(fs *flag.FlagSet, args []string, stdout io.Writer) ([]string, error) {
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			c.usage(fs, stdout)
			return nil, errHelp
		}
		hint := ""
		if name, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: -"); ok {
			hint = didYouMean(strings.TrimLeft(name, "-"), flagNames(fs), "-")
		}
		return nil, fmt.Errorf("%w%s (see dmplan %s -h)", err, hint, c.name)
	}
	rest := fs.Args()
	for i, a := range rest {
		if i > 0 && strings.HasPrefix(a, "-") && len(a) > 1 {
			return nil, fmt.Errorf("flag %s comes after the argument %q: flags go before it (see dmplan %s -h)", a, rest[0], c.name)
		}
	}
	if len(rest) > c.maxArgs {
		if c.maxArgs == 0 {
			return nil, fmt.Errorf("dmplan %s takes no arguments, got %q", c.name, rest[0])
		}
		return nil, fmt.Errorf("unexpected argument %q: dmplan %s takes at most %d (see dmplan %s -h)", rest[c.maxArgs], c.name, c.maxArgs, c.name)
	}
	return rest, nil
}

// usage writes "Usage: dmplan <synopsis>", the summary and the flags.
func (c command) usage(fs *flag.FlagSet, w io.Writer) {
	fmt.Fprintf(w, "Usage: dmplan %s\n\n%s\n", c.synopsis, c.summary)
	hasFlags := false
	fs.VisitAll(func(*flag.Flag) { hasFlags = true })
	if hasFlags {
		fmt.Fprintf(w, "\nFlags:\n")
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
}

// dirArg returns the directory argument, default ".".
func dirArg(rest []string) string {
	if len(rest) == 0 || rest[0] == "" {
		return "."
	}
	return rest[0]
}
