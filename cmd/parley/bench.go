package main

import (
	"context"
	"strings"

	"parley/internal/bench"
)

func benchCommands() []command {
	return []command{
		{path: "bench", args: "[--quick] [--only " + strings.Join(bench.Names, ",") + "] [--json]",
			summary: "measure parley's headline figures beside their peers on this machine (a table, or JSON); exits 1 when a figure cannot be measured or, in a full run, misses its target",
			mode:    noConfig, parse: parseBench},
	}
}

func parseBench(args []string) (action, error) {
	fs := newFlags("bench")
	quick := fs.Bool("quick", false, "small loads: the whole run takes under a minute")
	only := fs.String("only", "", "comma-separated figures to run ("+strings.Join(bench.Names, ",")+")")
	asJSON := fs.Bool("json", false, "print JSON instead of a markdown table")
	if err := parseNoArgs(fs, args); err != nil {
		return nil, err
	}
	opts := bench.Options{Quick: *quick}
	if *only != "" {
		opts.Only = strings.Split(*only, ",")
		if err := bench.CheckNames(opts.Only); err != nil {
			return nil, usagef("%v", err)
		}
	}
	return func(ctx context.Context, a *app) error {
		rep, err := bench.Run(ctx, opts)
		if err != nil {
			return err
		}
		write := rep.WriteMarkdown
		if *asJSON {
			write = rep.WriteJSON
		}
		if err := write(a.out); err != nil {
			return err
		}
		// The table is out whatever the verdict; a missed target or a
		// figure that could not be measured then fails the command.
		return rep.Check()
	}, nil
}
