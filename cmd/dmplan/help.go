package main

import (
	"context"
	"fmt"
)

// help is "dmplan help CMD": the command's own usage, as CMD -h prints it.
func (c *cli) help(ctx context.Context, args []string) int {
	if len(args) > 1 {
		fmt.Fprintf(c.stderr, "Error: dmplan help takes one command, got %q\n", args)
		return exitError
	}
	sub, ok := commands[args[0]]
	if !ok {
		c.unknownCommand(args[0])
		return exitError
	}
	return sub.run(c, ctx, []string{"-h"})
}
