package main

import (
	"context"
	"fmt"
	"os"
	"runtime/pprof"
	"strings"

	"parley/internal/bench"
)

func benchCommands() []command {
	return []command{
		{path: "bench", args: "[--quick] [--only " + strings.Join(bench.Names, ",") + "] [--json] [--cpuprofile FILE]",
			summary: "measure parley's headline figures beside their peers on this machine (a table, or JSON); exits 1 when a figure cannot be measured or, in a full run, misses its target",
			mode:    noConfig, parse: parseBench},
	}
}

func parseBench(args []string) (action, error) {
	fs := newFlags("bench")
	quick := fs.Bool("quick", false, "small loads: the whole run takes under a minute")
	only := fs.String("only", "", "comma-separated figures to run ("+strings.Join(bench.Names, ",")+")")
	asJSON := fs.Bool("json", false, "print JSON instead of a markdown table")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of parley's side of the run to this file, for go tool pprof (the in-process SMTP servers' goroutines carry the label server=door or server=sink: -tagfocus splits them)")
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
		if *cpuProfile != "" {
			stop, err := startCPUProfile(*cpuProfile)
			if err != nil {
				return err
			}
			defer stop()
		}
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

// startCPUProfile profiles this process into the file at path until the
// returned stop is called. The peers and the live figure's clients run in
// processes of their own and are not in it.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
