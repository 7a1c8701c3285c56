package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/dmplan/dmplan/hclspec"
)

var completionCommand = command{
	name:     "completion",
	synopsis: "completion bash|zsh|fish",
	short:    "Print a shell completion script",
	summary: "Print the completion script for the shell: commands, their flags, the values\n" +
		"of -format, and the environment and model names declared in the directory\n" +
		"on the command line (default \".\"). Install it with, for example:\n\n" +
		"  bash: dmplan completion bash > ~/.local/share/bash-completion/completions/dmplan\n" +
		"  zsh:  dmplan completion zsh > \"${fpath[1]}/_dmplan\"\n" +
		"  fish: dmplan completion fish > ~/.config/fish/completions/dmplan.fish",
	maxArgs: 1,
}

// The completion command refers to the command table, so it joins it at
// init (a package-level reference would be an initialization cycle).
func init() {
	commands["completion"] = struct {
		cmd command
		run func(*cli, context.Context, []string) int
	}{completionCommand, (*cli).completion}
}

type completionArgs struct {
	Shell string
	// List, when set, prints the names the scripts complete from the
	// configuration in Dir: "envs" or "models".
	List string
	Dir  string
}

func parseCompletion(args []string, c *cli) (completionArgs, error) {
	var a completionArgs
	fs := flag.NewFlagSet("completion", flag.ContinueOnError)
	fs.StringVar(&a.List, "list", "", "print the `envs` or models declared in DIR, one a line (the scripts call it)")
	rest, err := completionCommand.parse(fs, args, c.stdout)
	if err != nil {
		return a, err
	}
	if a.List != "" {
		if a.List != "envs" && a.List != "models" {
			return a, fmt.Errorf("-list must be envs or models, got %q", a.List)
		}
		a.Dir = dirArg(rest)
		return a, nil
	}
	if len(rest) == 0 {
		completionCommand.usage(fs, c.stderr)
		return a, errors.New("dmplan completion needs the shell: bash, zsh or fish")
	}
	a.Shell = rest[0]
	return a, nil
}

func (c *cli) completion(_ context.Context, args []string) int {
	a, err := parseCompletion(args, c)
	if errors.Is(err, errHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(c.stderr, "Error: %v\n", err)
		return exitError
	}
	if a.List != "" {
		// Completion must stay quiet: no diagnostics, only the names
		// the configuration declares (as far as it loads).
		spec, _ := hclspec.LoadDir(a.Dir)
		for _, n := range completionNames(spec, a.List) {
			fmt.Fprintln(c.stdout, n)
		}
		return exitOK
	}
	cmds := c.completionCommands()
	var script string
	switch a.Shell {
	case "bash":
		script = bashCompletion(cmds)
	case "zsh":
		script = zshCompletion(cmds)
	case "fish":
		script = fishCompletion(cmds)
	default:
		fmt.Fprintf(c.stderr, "Error: dmplan completion supports bash, zsh and fish, not %q%s\n", a.Shell,
			didYouMean(a.Shell, []string{"bash", "zsh", "fish"}, ""))
		return exitError
	}
	fmt.Fprint(c.stdout, script)
	return exitOK
}

// completionNames are the environment ("local" always among them) or
// model names of spec, sorted.
func completionNames(spec *hclspec.Spec, what string) []string {
	var names []string
	if spec == nil {
		spec = &hclspec.Spec{}
	}
	switch what {
	case "envs":
		names = append(names, defaultEnv)
		for _, e := range spec.Environments {
			if e.Name != defaultEnv {
				names = append(names, e.Name)
			}
		}
	case "models":
		for _, m := range spec.Models {
			names = append(names, m.Name)
		}
	}
	sort.Strings(names)
	return names
}

// completionCmd is what a script knows of one command.
type completionCmd struct {
	name, short string
	flags       []completionFlag
}

type completionFlag struct {
	name, usage string
	// value is the flag's value placeholder ("" for a boolean flag).
	value string
}

// values are the fixed values a flag takes, or nil.
func (f completionFlag) values(cmd string) []string {
	switch {
	case f.name == "format" && cmd == "bindings":
		return []string{"jsonc", "toml"}
	case f.name == "format" && cmd == "export":
		return []string{"wrangler"}
	case f.name == "format":
		return []string{"human", "json", "markdown"}
	case f.name == "list":
		return []string{"envs", "models"}
	case f.name == "lang":
		return []string{"ts", "go"}
	}
	return nil
}

// dynamic is the -list kind that completes the flag's value, or "".
func (f completionFlag) dynamic() string {
	switch f.name {
	case "env":
		return "envs"
	case "model", "target":
		return "models"
	}
	return ""
}

// flagLine matches a flag's line in a command's usage (flag.PrintDefaults).
var flagLine = regexp.MustCompile(`^  -(\S+)(?: (\S+))?$`)

// completionCommands reads every command's flags from its own -h output,
// so the scripts never drift from the flags the commands parse.
func (c *cli) completionCommands() []completionCmd {
	var out []completionCmd
	for _, name := range commandNames() {
		if name == "help" {
			out = append(out, completionCmd{name: name, short: "Show a command's flags"})
			continue
		}
		var buf bytes.Buffer
		sub := &cli{stdin: strings.NewReader(""), stdout: &buf, stderr: &bytes.Buffer{}, getenv: func(string) string { return "" }}
		commands[name].run(sub, context.Background(), []string{"-h"})
		cc := completionCmd{name: name, short: commands[name].cmd.short}
		lines := strings.Split(buf.String(), "\n")
		for i, l := range lines {
			m := flagLine.FindStringSubmatch(l)
			if m == nil {
				continue
			}
			f := completionFlag{name: m[1], value: m[2]}
			if i+1 < len(lines) {
				f.usage = strings.TrimSpace(lines[i+1])
			}
			cc.flags = append(cc.flags, f)
		}
		out = append(out, cc)
	}
	return out
}

func bashCompletion(cmds []completionCmd) string {
	var b strings.Builder
	names := make([]string, len(cmds))
	for i, c := range cmds {
		names[i] = c.name
	}
	b.WriteString(`# bash completion for dmplan (dmplan completion bash)

# __dmplan_dir prints the DIR argument on the command line, or ".".
__dmplan_dir() {
    local i w prev dir=.
    for ((i = 2; i < ${#COMP_WORDS[@]}; i++)); do
        [[ $i -eq $COMP_CWORD ]] && continue
        w=${COMP_WORDS[i]}
        prev=${COMP_WORDS[i-1]}
        [[ $w == -* ]] && continue
        __dmplan_takes_value "${COMP_WORDS[1]}" "$prev" && continue
        [[ -d $w ]] && dir=$w
    done
    printf '%s\n' "$dir"
}

# __dmplan_takes_value CMD FLAG succeeds when FLAG takes a value in CMD.
__dmplan_takes_value() {
    case "$1 ${2#-}" in
`)
	for _, c := range cmds {
		var vf []string
		for _, f := range c.flags {
			if f.value != "" {
				vf = append(vf, c.name+" "+f.name, c.name+" -"+f.name)
			}
		}
		if len(vf) > 0 {
			fmt.Fprintf(&b, "        %s) return 0 ;;\n", shellAlternatives(vf))
		}
	}
	b.WriteString(`    esac
    return 1
}

_dmplan() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
    COMPREPLY=()
    if [[ $COMP_CWORD -eq 1 ]]; then
        COMPREPLY=($(compgen -W "` + strings.Join(names, " ") + `" -- "$cur"))
        return
    fi
    local cmd=${COMP_WORDS[1]}
    case "$cmd ${prev#-}" in
`)
	for _, c := range cmds {
		for _, f := range c.flags {
			pat := shellAlternatives([]string{c.name + " " + f.name, c.name + " -" + f.name})
			if vs := f.values(c.name); vs != nil {
				fmt.Fprintf(&b, "        %s) COMPREPLY=($(compgen -W \"%s\" -- \"$cur\")); return ;;\n", pat, strings.Join(vs, " "))
			} else if d := f.dynamic(); d != "" && f.value != "" {
				fmt.Fprintf(&b, "        %s) COMPREPLY=($(compgen -W \"$(dmplan completion -list %s \"$(__dmplan_dir)\" 2>/dev/null)\" -- \"$cur\")); return ;;\n", pat, d)
			} else if f.value == "FILE" {
				fmt.Fprintf(&b, "        %s) COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n", pat)
			} else if f.value != "" {
				fmt.Fprintf(&b, "        %s) return ;;\n", pat) // a number, a duration, ids: nothing to offer
			}
		}
	}
	b.WriteString(`    esac
    if [[ $cur == -* ]]; then
        case "$cmd" in
`)
	for _, c := range cmds {
		if len(c.flags) == 0 {
			continue
		}
		fl := make([]string, len(c.flags))
		for i, f := range c.flags {
			fl[i] = "-" + f.name
		}
		fmt.Fprintf(&b, "            %s) COMPREPLY=($(compgen -W \"%s\" -- \"$cur\")) ;;\n", c.name, strings.Join(fl, " "))
	}
	b.WriteString(`        esac
        return
    fi
    case "$cmd" in
        help) [[ $COMP_CWORD -eq 2 ]] && COMPREPLY=($(compgen -W "` + strings.Join(names, " ") + `" -- "$cur")) ;;
        completion) [[ $COMP_CWORD -eq 2 ]] && COMPREPLY=($(compgen -W "bash zsh fish" -- "$cur")) ;;
        version) ;;
        *) COMPREPLY=($(compgen -f -- "$cur")) ;;
    esac
}

complete -o filenames -F _dmplan dmplan
`)
	return b.String()
}

// shellAlternatives quotes each pattern for a case arm: "a b"|"c d".
func shellAlternatives(pats []string) string {
	q := make([]string, len(pats))
	for i, p := range pats {
		q[i] = `"` + p + `"`
	}
	return strings.Join(q, "|")
}

func zshCompletion(cmds []completionCmd) string {
	var b strings.Builder
	b.WriteString(`#compdef dmplan
# zsh completion for dmplan (dmplan completion zsh)

# __dmplan_dir prints the DIR argument on the command line, or ".".
__dmplan_dir() {
    local i w dir=.
    for (( i = 3; i <= $#words; i++ )); do
        (( i == CURRENT )) && continue
        w=${words[i]}
        [[ $w != -* && -d $w ]] && dir=$w
    done
    print -r -- $dir
}

__dmplan_envs() {
    local -a names
    names=(${(f)"$(dmplan completion -list envs "$(__dmplan_dir)" 2>/dev/null)"})
    _describe -t environments 'environment' names
}

__dmplan_models() {
    local -a names
    names=(${(f)"$(dmplan completion -list models "$(__dmplan_dir)" 2>/dev/null)"})
    _describe -t models 'model' names
}

_dmplan() {
    local -a cmds
    cmds=(
`)
	for _, c := range cmds {
		fmt.Fprintf(&b, "        %s\n", zshQuote(c.name+":"+c.short))
	}
	b.WriteString(`    )
    if (( CURRENT == 2 )); then
        _describe -t commands 'dmplan command' cmds
        return
    fi
    case ${words[2]} in
`)
	for _, c := range cmds {
		fmt.Fprintf(&b, "        %s)\n            _arguments -S \\\n", c.name)
		for _, f := range c.flags {
			spec := "-" + f.name + "[" + zshEscape(f.usage) + "]"
			if f.value != "" {
				action := "_files"
				if vs := f.values(c.name); vs != nil {
					action = "(" + strings.Join(vs, " ") + ")"
				} else if d := f.dynamic(); d != "" {
					action = "__dmplan_" + d
				} else if f.value != "FILE" {
					action = " "
				}
				spec += ":" + zshEscape(strings.ToLower(f.value)) + ":" + action
			}
			fmt.Fprintf(&b, "                %s \\\n", zshQuote(spec))
		}
		switch c.name {
		case "help":
			b.WriteString("                '1:command:(" + strings.Join(commandNames(), " ") + ")'\n")
		case "completion":
			b.WriteString("                '1:shell:(bash zsh fish)'\n")
		case "version":
			b.WriteString("                ''\n")
		default:
			b.WriteString("                '*:directory or file:_files'\n")
		}
		b.WriteString("            ;;\n")
	}
	b.WriteString(`    esac
}

if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
    _dmplan "$@"
else
    compdef _dmplan dmplan
fi
`)
	return b.String()
}

// zshQuote single-quotes s for zsh.
func zshQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// zshEscape escapes what _arguments treats specially in a description.
func zshEscape(s string) string {
	return strings.NewReplacer(`[`, `\[`, `]`, `\]`, `:`, `\:`).Replace(s)
}

func fishCompletion(cmds []completionCmd) string {
	var b strings.Builder
	names := make([]string, len(cmds))
	for i, c := range cmds {
		names[i] = c.name
	}
	b.WriteString(`# fish completion for dmplan (dmplan completion fish)

# __dmplan_dir prints the DIR argument on the command line, or ".".
function __dmplan_dir
    set -l dir .
    for w in (commandline -op)[3..-1]
        if not string match -q -- '-*' $w; and test -d $w
            set dir $w
        end
    end
    echo $dir
end

complete -c dmplan -f
`)
	for _, c := range cmds {
		fmt.Fprintf(&b, "complete -c dmplan -n '__fish_use_subcommand' -a %s -d %s\n", fishQuote(c.name), fishQuote(c.short))
	}
	for _, c := range cmds {
		cond := fishQuote("__fish_seen_subcommand_from " + c.name)
		for _, f := range c.flags {
			line := fmt.Sprintf("complete -c dmplan -n %s -o %s -d %s", cond, f.name, fishQuote(f.usage))
			if f.value != "" {
				// -x: the value, and no file names; -r -F: a file.
				if vs := f.values(c.name); vs != nil {
					line += " -x -a " + fishQuote(strings.Join(vs, " "))
				} else if d := f.dynamic(); d != "" {
					line += " -x -a " + fishQuote("(dmplan completion -list "+d+" (__dmplan_dir) 2>/dev/null)")
				} else if f.value == "FILE" {
					line += " -r -F"
				} else {
					line += " -x"
				}
			}
			b.WriteString(line + "\n")
		}
		// Positional arguments, except where the word is a flag's value.
		var vf []string
		for _, f := range c.flags {
			if f.value != "" {
				vf = append(vf, "-"+f.name)
			}
		}
		pos := cond
		if len(vf) > 0 {
			pos = fishQuote("__fish_seen_subcommand_from " + c.name + "; and not __fish_prev_arg_in " + strings.Join(vf, " "))
		}
		switch c.name {
		case "help":
			fmt.Fprintf(&b, "complete -c dmplan -n %s -a %s\n", pos, fishQuote(strings.Join(names, " ")))
		case "completion":
			fmt.Fprintf(&b, "complete -c dmplan -n %s -a 'bash zsh fish'\n", pos)
		case "version":
		default:
			fmt.Fprintf(&b, "complete -c dmplan -n %s -F\n", pos)
		}
	}
	return b.String()
}

// fishQuote single-quotes s for fish.
func fishQuote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}
