package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"parley/threads"
)

func digestCommands() []command {
	return []command{
		{path: "digest send", args: "--user USER --now [--json]",
			summary: "send USER's digest of what they have not seen at once, by the configured email route (PARLEY_SMARTHOST or the outbox); needs PARLEY_SECRET",
			mode:    sharedStore, parse: parseDigestSend},
		{path: "digest due", args: "[--json]",
			summary: "list when each member's next digest is due (in UTC and in their time zone); parley serve sends them",
			mode:    sharedStore, parse: parseDigestDue},
	}
}

func parseDigestSend(args []string) (action, error) {
	fs := newFlags("digest send")
	user := fs.String("user", "", "member id")
	now := fs.Bool("now", false, "send now, whatever the schedule")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseNoArgs(fs, args); err != nil {
		return nil, err
	}
	if err := need("user", *user); err != nil {
		return nil, err
	}
	if !*now {
		return nil, usagef("missing --now (scheduled digests are sent by parley serve)")
	}
	if err := validID("user", *user); err != nil {
		return nil, err
	}
	return func(ctx context.Context, a *app) error {
		if a.cfg.Secret == "" {
			return usagef("digest send needs PARLEY_SECRET (the one parley serve uses): the digest carries reply addresses")
		}
		dl, err := newDispatcher(a.cfg, a.store, dispatcherOptions{Consumer: consumerName(), Log: quietLog(a.log)})
		if err != nil {
			return err
		}
		defer dl.close()
		res, err := dl.digests.SendNow(ctx, *user)
		if err != nil {
			return fmt.Errorf("digest for %s: %w", *user, err)
		}
		if *asJSON {
			return writeJSON(a.out, res)
		}
		if !res.Sent {
			_, err = fmt.Fprintf(a.out, "no digest for %s: %s\n", res.Member, res.Why)
			return err
		}
		_, err = fmt.Fprintf(a.out, "digest sent to %s via %s: %d %s in %d %s\nMessage-ID: <%s>\n", res.Member, dl.emailTo,
			res.Lines, plural(res.Lines, "line", "lines"), res.Rooms, plural(res.Rooms, "room", "rooms"), res.MessageID)
		return err
	}, nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// digestDue is one row of `parley digest due`: the schedule, with the due
// time in the member's own zone.
type digestDue struct {
	threads.DigestDue
	Local string `json:"local,omitempty"`
}

func parseDigestDue(args []string) (action, error) {
	fs := newFlags("digest due")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseNoArgs(fs, args); err != nil {
		return nil, err
	}
	return func(ctx context.Context, a *app) error {
		rows, err := digestsDue(ctx, a.store, a.now())
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(a.out, rows)
		}
		lines := []string{"MEMBER\tDIGEST\tDUE (UTC)\tTHEIR TIME\tSTATE"}
		for _, r := range rows {
			freq := string(r.Frequency)
			if r.Frequency != threads.DigestOff {
				freq += fmt.Sprintf(" at %02d:00", r.Hour)
			}
			due := "-"
			if !r.Due.IsZero() {
				due = fmtTime(r.Due)
			}
			lines = append(lines, strings.Join([]string{r.Member, freq, due, orDash(r.Local), r.State}, "\t"))
		}
		return table(a.out, lines...)
	}, nil
}

// digestsDue reads the schedule and adds each due time in the member's zone.
func digestsDue(ctx context.Context, st *threads.Store, now time.Time) ([]digestDue, error) {
	due, err := st.Digests.Due(ctx, now)
	if err != nil {
		return nil, err
	}
	users, err := st.Directory.Users(ctx)
	if err != nil {
		return nil, err
	}
	zone := make(map[string]*time.Location, len(users))
	for _, u := range users {
		zone[u.ID] = u.Location()
	}
	out := make([]digestDue, len(due))
	for i, d := range due {
		out[i].DigestDue = d
		if !d.Due.IsZero() {
			out[i].Local = d.Due.In(zone[d.Member]).Format("Mon 2006-01-02 15:04 MST")
		}
	}
	return out, nil
}

// digestLoop runs the digest scheduler of serve until ctx ends.
func digestLoop(ctx context.Context, dl *dispatcher, log *slog.Logger) {
	if err := dl.digests.Run(ctx); err != nil && ctx.Err() == nil {
		log.Warn("digest scheduler stopped", "err", err)
	}
}
