package main

import (
	"context"
	"fmt"
	"strings"

	"parley/threads"
)

func outboxCommands() []command {
	return []command{
		{path: "outbox list", args: "[--after ID] [--limit N] [--json]",
			summary: "list the emails and texts kept instead of sent (no smarthost or Twilio configured, and in the demo)",
			mode:    sharedStore, parse: parseOutboxList},
		{path: "outbox show", args: "ID [--json]", summary: "print one kept email (the whole message) or text",
			mode: sharedStore, parse: parseOutboxShow},
	}
}

func parseOutboxList(args []string) (action, error) {
	fs := newFlags("outbox list")
	after := fs.String("after", "", "only entries after this id")
	limit := fs.Int("limit", 100, "at most this many entries")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseNoArgs(fs, args); err != nil {
		return nil, err
	}
	if *limit < 1 {
		return nil, usagef("--limit %d is not a positive number", *limit)
	}
	return func(ctx context.Context, a *app) error {
		entries, err := a.store.Queue.Outbox(ctx, *after, *limit)
		if err != nil {
			return err
		}
		if *asJSON {
			if entries == nil {
				entries = []threads.OutboxEntry{}
			}
			return writeJSON(a.out, entries)
		}
		rows := []string{"ID\tTIME\tCHANNEL\tTO\tWHAT"}
		for _, e := range entries {
			rows = append(rows, strings.Join([]string{e.ID, fmtTime(e.Time), string(e.Channel), clean(e.To, false), outboxSummary(e)}, "\t"))
		}
		return table(a.out, rows...)
	}, nil
}

// outboxSummary is one line about an entry: an email's subject, a text's words.
func outboxSummary(e threads.OutboxEntry) string {
	if e.Channel == threads.Email {
		return clean(e.Subject, false)
	}
	return shorten(clean(e.Body, false), 100)
}

func parseOutboxShow(args []string) (action, error) {
	fs := newFlags("outbox show")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return nil, err
	}
	if err := wantArgs(pos, "ID"); err != nil {
		return nil, err
	}
	id := pos[0]
	return func(ctx context.Context, a *app) error {
		e, err := a.store.Queue.OutboxEntry(ctx, id)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(a.out, e)
		}
		if e.Channel == threads.SMS {
			_, err := fmt.Fprintf(a.out, "sms to %s at %s:\n%s\n", e.To, fmtTime(e.Time), e.Body)
			return err
		}
		_, err = fmt.Fprint(a.out, strings.ReplaceAll(e.Body, "\r\n", "\n"))
		return err
	}, nil
}
