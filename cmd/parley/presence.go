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
		{path: "presence set", args: "USER available|away|busy|offline [--message TEXT] [--until WHEN] [--auto-reply on|off] [--json]",
			summary: "set a member's availability by hand; the message of away/busy/offline is their auto-reply; --until 3h, 15:00 (member's zone), friday or 2026-01-02T15:04:05Z ends it by itself",
			mode:    sharedStore, parse: parsePresenceSet},
		{path: "presence show", args: "USER [--json]", summary: "show a member's presence now", mode: sharedStore, parse: parsePresenceShow},
		{path: "presence heartbeat", args: "USER [--idle] [--client ID]", summary: "record that a client of USER was used just now (online for the idle time); --idle: it is open but unused, withdrawing its own activity",
			mode: sharedStore, parse: parseHeartbeat},
	}
}

func parsePresenceSet(args []string) (action, error) {
	fs := newFlags("presence set")
	message := fs.String("message", "", "status text, sent as the auto-reply while away, busy or offline")
	untilText := fs.String("until", "", "end of the status: 3h, 15:00 or 3pm (the next one, in the member's zone), tomorrow, friday, 2026-01-02 or an RFC 3339 time")
	autoReply := fs.String("auto-reply", "", "on or off: whether the message is sent as an auto-reply (kept as the member's preference)")
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
	switch *autoReply {
	case "", threads.AutoReplyOn, threads.AutoReplyOff:
	default:
		return nil, usagef("--auto-reply %q is not on or off", *autoReply)
	}
	if *untilText != "" {
		// The form is checked now, before any connection; the time itself
		// is worked out in the member's zone below.
		if _, err := threads.ParseUntil(*untilText, time.Now(), time.UTC); err != nil {
			return nil, usagef("--until: %s", strings.TrimPrefix(err.Error(), threads.ErrInvalid.Error()+": "))
		}
	}
	return func(ctx context.Context, a *app) error {
		u, err := a.store.Directory.User(ctx, user)
		if err != nil {
			return err
		}
		st := threads.Status{Availability: avail, Text: *message}
		if *untilText != "" {
			if st.Until, err = threads.ParseUntil(*untilText, a.now(), u.Location()); err != nil {
				return err
			}
		}
		if *autoReply != "" && *autoReply != u.Prefs.AutoReply {
			if u, err = a.store.Directory.UpdateUser(ctx, user, func(u *threads.User) error { u.Prefs.AutoReply = *autoReply; return nil }); err != nil {
				return err
			}
		}
		p, err := a.store.Chat.SetStatus(ctx, user, st)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(a.out, p)
		}
		return printPresence(a, p, u)
	}, nil
}

func parsePresenceShow(args []string) (action, error) {
	fs := newFlags("presence show")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return nil, err
	}
	user, err := oneID(pos, "USER", "user")
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, a *app) error {
		u, err := a.store.Directory.User(ctx, user)
		if err != nil {
			return err
		}
		p, err := a.store.Chat.Presence(ctx, user)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(a.out, p)
		}
		return printPresence(a, p, u)
	}, nil
}

func parseHeartbeat(args []string) (action, error) {
	fs := newFlags("presence heartbeat")
	idle := fs.Bool("idle", false, "the client is open but nobody uses it: withdraw the activity it reported")
	client := fs.String("client", "", "the client's name, so that --idle withdraws only its own activity")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return nil, err
	}
	user, err := oneID(pos, "USER", "user")
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, a *app) error {
		// Heartbeat writes for any id; refuse one that is not a user.
		if _, err := a.store.Directory.User(ctx, user); err != nil {
			return err
		}
		b := threads.Beat{Activity: threads.Active, Client: *client}
		if *idle {
			b.Activity = threads.Idle
		}
		if err := a.store.Chat.Heartbeat(ctx, user, b); err != nil {
			return err
		}
		p, err := a.store.Chat.Presence(ctx, user)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(a.out, "%s: heartbeat recorded; now %s\n", user, p.State)
		return err
	}, nil
}

// printPresence prints a presence as "field: value" lines; the
// auto-reply line says whether u's message is sent as an auto-reply.
func printPresence(a *app, p threads.Presence, u threads.User) error {
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
		if st.Availability != threads.Available && st.Text != "" {
			reply := "on: sent once a period to whoever writes to " + p.User + " directly or mentions them"
			if u.Prefs.AutoReply == threads.AutoReplyOff {
				reply = "off"
			}
			kv = append(kv, "auto-reply", reply)
		}
	}
	kv = append(kv, "last seen", fmtTime(p.LastSeen))
	return fields(a.out, kv...)
}
