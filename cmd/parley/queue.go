package main

import (
	"context"
	"strconv"
	"strings"

	"parley/threads"
)

func queueCommands() []command {
	return []command{
		{path: "queue stats", args: "[--json]", summary: "count delivery jobs waiting, retrying and dead",
			mode: sharedStore, parse: parseQueueStats},
		{path: "queue dead", args: "[--limit N] [--json]", summary: "list dead letters: jobs that failed for good",
			mode: sharedStore, parse: parseQueueDead},
	}
}

func parseQueueStats(args []string) (action, error) {
	fs := newFlags("queue stats")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseNoArgs(fs, args); err != nil {
		return nil, err
	}
	return func(ctx context.Context, a *app) error {
		st, err := a.store.Queue.Stats(ctx)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(a.out, st)
		}
		return fields(a.out,
			"waiting", strconv.FormatInt(st.Waiting, 10),
			"retrying", strconv.FormatInt(st.Retrying, 10),
			"dead", strconv.FormatInt(st.Dead, 10))
	}, nil
}

func parseQueueDead(args []string) (action, error) {
	fs := newFlags("queue dead")
	limit := fs.Int("limit", 100, "at most this many per queue shard")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseNoArgs(fs, args); err != nil {
		return nil, err
	}
	if *limit < 1 {
		return nil, usagef("--limit %d is not a positive number", *limit)
	}
	return func(ctx context.Context, a *app) error {
		dead, err := a.store.Queue.DeadLetters(ctx, *limit)
		if err != nil {
			return err
		}
		if *asJSON {
			if dead == nil {
				dead = []threads.DeadLetter{}
			}
			return writeJSON(a.out, dead)
		}
		rows := []string{"ID\tQUEUED\tCHANNEL\tMEMBER\tLINE\tATTEMPTS\tREASON"}
		for _, d := range dead {
			rows = append(rows, strings.Join([]string{d.ID, fmtTime(d.Queued), orDash(string(d.Channel)), orDash(d.Member),
				orDash(d.Room + "/" + d.Line), strconv.Itoa(d.Attempt), clean(d.Reason, false)}, "\t"))
		}
		return table(a.out, rows...)
	}, nil
}
