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
		dl, err := newDelivery(a.cfg, a.store, deliveryOptions{Consumer: consumerName(), Log: quietLog(a.log)})
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

// digestDue is one row of `parley digest due`.
type digestDue struct {
	Member    string                  `json:"member"`
	Frequency threads.DigestFrequency `json:"frequency"`
	Hour      int                     `json:"hour"`
	TimeZone  string                  `json:"tz"`
	// Due is the next due time (zero when off); Local the same in the
	// member's zone.
	Due   time.Time `json:"due,omitempty"`
	Local string    `json:"local,omitempty"`
	// State: scheduled, due (waiting for or being sent), not scheduled yet
	// (parley serve has not run since), or off.
	State string `json:"state"`
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

// digestsDue lists every user with their next digest: the schedule's time
// when they are on it, else the time their preferences give.
func digestsDue(ctx context.Context, st *threads.Store, now time.Time) ([]digestDue, error) {
	users, err := st.Directory.Users(ctx)
	if err != nil {
		return nil, err
	}
	sched, err := st.Digests.DigestSchedule(ctx)
	if err != nil {
		return nil, err
	}
	on := map[string]time.Time{}
	for _, c := range sched {
		on[c.Member] = c.Due
	}
	out := make([]digestDue, 0, len(users))
	for _, u := range users {
		r := digestDue{Member: u.ID, Frequency: threads.EffectiveDigest(u), Hour: u.Prefs.DigestHour, TimeZone: u.Location().String()}
		due, ok := on[u.ID]
		switch {
		case r.Frequency == threads.DigestOff && !ok:
			r.State = "off"
		case ok && !due.After(now):
			r.Due, r.State = due, "due"
		case ok:
			r.Due, r.State = due, "scheduled"
		default:
			r.Due, r.State = threads.NextDigest(u, now), "not scheduled yet (parley serve schedules it)"
		}
		if !r.Due.IsZero() {
			r.Local = r.Due.In(u.Location()).Format("Mon 2006-01-02 15:04 MST")
		}
		out = append(out, r)
	}
	return out, nil
}

// digestLoop runs the digest scheduler of serve until ctx ends.
func digestLoop(ctx context.Context, dl *delivery, log *slog.Logger) {
	if err := dl.digests.Run(ctx); err != nil && ctx.Err() == nil {
		log.Warn("digest scheduler stopped", "err", err)
	}
}
