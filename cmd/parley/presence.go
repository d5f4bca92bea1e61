package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"parley/threads"
)

func presenceCommands() []command {
	return []command{
		{path: "presence set", args: "USER available|away|busy|offline [--message TEXT] [--until DURATION|RFC3339] [--json]",
			summary: "set a member's availability by hand; --until 2h or 2025-01-02T15:04:05Z ends it by itself",
			mode:    sharedStore, parse: parsePresenceSet},
		{path: "presence show", args: "USER [--json]", summary: "show a member's presence now", mode: sharedStore, parse: parsePresenceShow},
		{path: "presence heartbeat", args: "USER", summary: "record that a live client of USER is there now",
			mode: sharedStore, parse: parseHeartbeat},
	}
}

// untilFlag is a --until value: a duration from now or a point in time.
type untilFlag struct {
	d time.Duration
	t time.Time
}

// parseUntil reads a Go duration ("2h") or an RFC 3339 time.
func parseUntil(v string) (untilFlag, error) {
	if d, err := time.ParseDuration(v); err == nil {
		if d <= 0 {
			return untilFlag{}, usagef("--until %s is not in the future", v)
		}
		return untilFlag{d: d}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return untilFlag{}, usagef("--until %q is neither a duration like 2h nor a time like 2025-01-02T15:04:05Z", v)
	}
	return untilFlag{t: t}, nil
}

// at returns the time the flag names, durations counted from now.
func (u untilFlag) at(now time.Time) time.Time {
	if u.d > 0 {
		return now.Add(u.d)
	}
	return u.t
}

func parsePresenceSet(args []string) (action, error) {
	fs := newFlags("presence set")
	message := fs.String("message", "", "status text")
	untilText := fs.String("until", "", "end of the status: a duration or an RFC 3339 time")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return nil, err
	}
	if err := wantArgs(pos, "USER", "AVAILABILITY"); err != nil {
		return nil, err
	}
	user, avail := pos[0], threads.Availability(strings.ToLower(pos[1]))
	if err := validID("user", user); err != nil {
		return nil, err
	}
	switch avail {
	case threads.Available, threads.Away, threads.Busy, threads.Offline:
	default:
		return nil, usagef("availability %q is not available, away, busy or offline", pos[1])
	}
	var until untilFlag
	if *untilText != "" {
		if until, err = parseUntil(*untilText); err != nil {
			return nil, err
		}
	}
	return func(ctx context.Context, a *app) error {
		st := threads.Status{Availability: avail, Text: *message, Until: until.at(a.now())}
		p, err := a.store.SetStatus(ctx, user, st)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(a.out, p)
		}
		return printPresence(a, p)
	}, nil
}

func parsePresenceShow(args []string) (action, error) {
	fs := newFlags("presence show")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return nil, err
	}
	if err := wantArgs(pos, "USER"); err != nil {
		return nil, err
	}
	user := pos[0]
	if err := validID("user", user); err != nil {
		return nil, err
	}
	return func(ctx context.Context, a *app) error {
		p, err := a.store.Presence(ctx, user)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(a.out, p)
		}
		return printPresence(a, p)
	}, nil
}

func parseHeartbeat(args []string) (action, error) {
	pos, err := parseFlags(newFlags("presence heartbeat"), args)
	if err != nil {
		return nil, err
	}
	if err := wantArgs(pos, "USER"); err != nil {
		return nil, err
	}
	user := pos[0]
	if err := validID("user", user); err != nil {
		return nil, err
	}
	return func(ctx context.Context, a *app) error {
		// Heartbeat writes for any id; refuse one that is not a user.
		if _, err := a.store.User(ctx, user); err != nil {
			return err
		}
		if err := a.store.Heartbeat(ctx, user); err != nil {
			return err
		}
		p, err := a.store.Presence(ctx, user)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(a.out, "%s: heartbeat recorded; now %s\n", user, p.State)
		return err
	}, nil
}

// printPresence prints a presence as "field: value" lines.
func printPresence(a *app, p threads.Presence) error {
	kv := []string{"user", p.User, "state", string(p.State)}
	if st := p.Status; st != nil {
		until := "-"
		if !st.Until.IsZero() {
			until = fmtTime(st.Until)
		}
		kv = append(kv,
			"set by hand", string(st.Availability)+" at "+fmtTime(st.Set),
			"message", orDash(clean(st.Text, false)),
			"until", until)
	}
	kv = append(kv, "last seen", fmtTime(p.LastSeen))
	return fields(a.out, kv...)
}
