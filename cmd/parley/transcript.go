package main

import (
	"context"
	"errors"
	"time"

	"parley/internal/transcript"
)

func transcriptCommands() []command {
	return []command{
		{path: "transcript", args: "--room ROOM [--from DATE] [--to DATE] [--format html|text|mbox] [--tz ZONE | --for USER]",
			summary: "print a room, or the lines posted from DATE (included) to DATE (excluded), as printable HTML, plain text or an mbox to import into a mail client; " +
				"dates are 2026-11-01 or 2026-11-01T15:04 in the reader's zone (--tz, or --for USER's zone; UTC by default)",
			mode: sharedStore, parse: parseTranscript},
	}
}

// dateLayouts are the forms --from and --to accept.
var dateLayouts = []string{"2006-01-02", "2006-01-02T15:04", "2006-01-02 15:04", time.RFC3339}

func parseDate(flag, v string, loc *time.Location) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	for _, l := range dateLayouts {
		if t, err := time.ParseInLocation(l, v, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, usagef("--%s %q is not a date like 2026-11-01 or 2026-11-01T15:04", flag, v)
}

func parseTranscript(args []string) (action, error) {
	fs := newFlags("transcript")
	room := fs.String("room", "", "room id")
	from := fs.String("from", "", "first day or time (included)")
	to := fs.String("to", "", "last day or time (excluded)")
	format := fs.String("format", "html", "html, text or mbox")
	tz := fs.String("tz", "", "reader's time zone (IANA name)")
	forUser := fs.String("for", "", "use this member's time zone")
	if err := parseNoArgs(fs, args); err != nil {
		return nil, err
	}
	if err := need("room", *room); err != nil {
		return nil, err
	}
	if err := validID("room", *room); err != nil {
		return nil, err
	}
	f, err := transcript.ParseFormat(*format)
	if err != nil {
		return nil, usagef("--format %q is not html, text or mbox", *format)
	}
	if *tz != "" && *forUser != "" {
		return nil, usagef("give --tz or --for, not both")
	}
	loc := time.UTC
	if *tz != "" {
		if loc, err = time.LoadLocation(*tz); err != nil {
			return nil, usagef("--tz %q is not a time zone (use an IANA name like Europe/Berlin)", *tz)
		}
	}
	if *forUser != "" {
		if err := validID("user", *forUser); err != nil {
			return nil, err
		}
	}
	return func(ctx context.Context, a *app) error {
		if *forUser != "" {
			u, err := a.store.Directory.User(ctx, *forUser)
			if err != nil {
				return err
			}
			loc = u.Location()
		}
		start, err := parseDate("from", *from, loc)
		if err != nil {
			return err
		}
		end, err := parseDate("to", *to, loc)
		if err != nil {
			return err
		}
		r, err := a.store.Chat.Room(ctx, *room)
		if err != nil {
			return err
		}
		_, err = transcript.Write(ctx, a.out, a.store, transcript.Options{Room: r, Format: f, From: start, To: end,
			Loc: loc, Domain: a.cfg.Domain, Now: a.now})
		if errors.Is(err, transcript.ErrInvalid) {
			return usagef("%v", err)
		}
		return err
	}, nil
}
