package outbound

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"parley/outbound/mailcompose"
	"parley/threads"
)

// DigestOptions configure the digest sender.
type DigestOptions struct {
	// Digests schedules, selects and records the digests.
	Digests *threads.Digests
	// Directory gives the members.
	Directory *threads.Directory
	// Chat tells who is online (they get no digest by default).
	Chat *threads.Chat
	// Auth makes the digest's reply and unsubscribe tokens.
	Auth      *threads.Auth
	Composer  *mailcompose.Composer
	Transport Transport
	// Domain is parley's mail domain (reply addresses).
	Domain string
	// Files makes the member's links to the lines' files; nil: files
	// are only named.
	Files *Files
	// PublicURL is where people reach parley's web side (room and
	// unsubscribe links); no links when empty, no one-click unsubscribe
	// unless https.
	PublicURL string
	// Limits bound what a digest shows of one room.
	Limits threads.DigestLimits
	// Lease: a digest claimed and not settled within this time is claimed
	// again by another process (10 min). It must exceed the longest send.
	Lease time.Duration
	// Poll is how often due digests are looked for (30 s).
	Poll time.Duration
	// ScheduleEvery is how often every member's next due time is checked
	// against their preferences (5 min).
	ScheduleEvery time.Duration
	// RetryAfter is the wait after a temporary failure (10 min).
	RetryAfter time.Duration
	Log        *slog.Logger
}

// Digests sends the digests that come due. Any number of processes may
// run it on one store: each digest is claimed by one of them, and a
// period's digest never goes out twice (see threads.Digests.ClaimDigests).
type Digests struct {
	o   DigestOptions
	log *slog.Logger
}

// NewDigests returns the digest sender.
func NewDigests(o DigestOptions) *Digests {
	if o.Lease <= 0 {
		o.Lease = 10 * time.Minute
	}
	if o.Poll <= 0 {
		o.Poll = 30 * time.Second
	}
	if o.ScheduleEvery <= 0 {
		o.ScheduleEvery = 5 * time.Minute
	}
	if o.RetryAfter <= 0 {
		o.RetryAfter = 10 * time.Minute
	}
	o.PublicURL = strings.TrimRight(o.PublicURL, "/")
	log := o.Log
	if log == nil {
		log = slog.Default()
	}
	return &Digests{o: o, log: log}
}

// DigestResult says what became of one member's digest.
type DigestResult struct {
	Member string `json:"member"`
	Period string `json:"period"`
	// Sent: an email went out, with MessageID, Lines lines of Rooms rooms.
	Sent      bool   `json:"sent"`
	MessageID string `json:"message_id,omitempty"`
	Lines     int    `json:"lines,omitempty"`
	Rooms     int    `json:"rooms,omitempty"`
	// Why says why nothing was sent.
	Why string `json:"why,omitempty"`
}

// Run sends due digests until ctx ends. A digest being sent when ctx ends
// finishes.
func (d *Digests) Run(ctx context.Context) error {
	d.log.Info("digest scheduler started")
	var lastSchedule time.Time
	lastTimeouts := time.Now().Add(-d.o.Poll)
	for ctx.Err() == nil {
		if time.Since(lastSchedule) >= d.o.ScheduleEvery {
			if _, err := d.o.Digests.ScheduleDigests(ctx); err != nil && ctx.Err() == nil {
				d.log.Warn("schedule digests", "err", err)
			} else {
				lastSchedule = time.Now()
			}
		}
		n, err := d.Step(ctx)
		if err != nil && ctx.Err() == nil {
			d.log.Warn("digest round failed", "err", err)
		}
		if e, err := d.Escalate(ctx); err != nil && ctx.Err() == nil {
			d.log.Warn("escalation round failed", "err", err)
		} else {
			n += e
		}
		// Members who went idle or offline by time alone: their rooms hear it.
		if d.o.Chat != nil {
			round := time.Now()
			if _, err := d.o.Chat.AnnounceTimeouts(ctx, lastTimeouts); err != nil && ctx.Err() == nil {
				d.log.Warn("presence timeouts", "err", err)
			} else {
				lastTimeouts = round
			}
		}
		if n > 0 {
			continue // more may be due
		}
		select {
		case <-ctx.Done():
		case <-time.After(d.o.Poll):
		}
	}
	d.log.Info("digest scheduler stopped")
	return nil
}

// Step claims the digests that are due (up to 10) and settles each one:
// sent, skipped or to be retried. It returns how many it claimed.
func (d *Digests) Step(ctx context.Context) (int, error) {
	claims, err := d.o.Digests.ClaimDigests(ctx, d.o.Lease, 10)
	if err != nil {
		return 0, err
	}
	for _, c := range claims {
		res, err := d.process(context.WithoutCancel(ctx), c)
		log := d.log.With("member", c.Member, "period", res.Period)
		switch {
		case err != nil:
			log.Warn("digest failed", "err", err)
		case res.Sent:
			log.Info("digest sent", "lines", res.Lines, "rooms", res.Rooms)
		default:
			log.Debug("no digest", "why", res.Why)
		}
	}
	return len(claims), nil
}

// process sends a claimed digest and settles the claim.
func (d *Digests) process(ctx context.Context, c threads.DigestClaim) (DigestResult, error) {
	res := DigestResult{Member: c.Member}
	u, err := d.o.Directory.User(ctx, c.Member)
	if errors.Is(err, threads.ErrNotFound) {
		res.Why = "no such member"
		return res, d.o.Digests.EndDigest(ctx, c, "gone", threads.DigestOutcomeSkipped, time.Time{})
	}
	if err != nil {
		return res, err // the lease runs out and the claim comes back
	}
	now := d.o.Digests.Options().Now()
	res.Period = threads.DigestPeriod(u, c.Due)
	next := threads.NextDigest(u, maxTime(now, c.Due))
	if threads.EffectiveDigest(u) == threads.DigestOff {
		res.Why = "digest off"
		return res, d.o.Digests.EndDigest(ctx, c, res.Period, threads.DigestOutcomeSkipped, time.Time{})
	}
	res, err = d.send(ctx, u, res.Period, u.Prefs.Digest == "")
	switch {
	case err == nil && res.Sent:
		return res, d.o.Digests.EndDigest(ctx, c, res.Period, threads.DigestOutcomeSent, next)
	case err == nil:
		return res, d.o.Digests.EndDigest(ctx, c, res.Period, threads.DigestOutcomeSkipped, next)
	case IsPermanent(err):
		// Retrying cannot help; the lines stay for the next period.
		if serr := d.o.Digests.EndDigest(ctx, c, res.Period, threads.DigestOutcomeSkipped, next); serr != nil {
			d.log.Error("settle digest", "member", c.Member, "err", serr)
		}
		return res, err
	default:
		retry := now.Add(d.o.RetryAfter)
		if !next.IsZero() && retry.After(next) {
			retry = next
		}
		if serr := d.o.Digests.EndDigest(ctx, c, res.Period, threads.DigestOutcomeRetry, retry); serr != nil {
			d.log.Error("settle digest", "member", c.Member, "err", serr)
		}
		return res, err
	}
}

// SendNow sends member's digest at once, whatever their schedule and
// frequency (`parley digest send --now`). The period is the current
// minute, so running it twice in a minute sends once; the lines it carries
// are left out of the next scheduled digest.
func (d *Digests) SendNow(ctx context.Context, member string) (DigestResult, error) {
	u, err := d.o.Directory.User(ctx, member)
	if err != nil {
		return DigestResult{Member: member}, err
	}
	period := "manual-" + d.o.Digests.Options().Now().UTC().Format("20060102T1504")
	return d.send(ctx, u, period, false)
}

// send selects, composes and sends u's digest for period. With onlyAway,
// a member who is online now gets none (the default frequency is for
// members who were away).
func (d *Digests) send(ctx context.Context, u threads.User, period string, onlyAway bool) (DigestResult, error) {
	res := DigestResult{Member: u.ID, Period: period}
	if onlyAway {
		p, err := d.o.Chat.Presence(ctx, u.ID)
		if err != nil {
			return res, err
		}
		if p.State == threads.StateOnline {
			res.Why = "online: reads live (no digest chosen)"
			return res, nil
		}
	}
	if u.Email() == "" || u.EmailFailing {
		res.Why = "no working email address"
		return res, nil
	}
	state, err := d.o.Digests.DigestStatus(ctx, u.ID, period)
	if err != nil {
		return res, err
	}
	if state == threads.DigestSending || state == threads.DigestDone {
		res.Why = "already sent for " + period
		return res, nil
	}
	content, err := d.o.Digests.SelectDigest(ctx, u.ID, d.o.Limits)
	if err != nil {
		return res, err
	}
	if len(content.Rooms) == 0 {
		res.Why = "nothing new"
		return res, nil
	}
	msg, err := d.compose(ctx, u, period, content)
	if err != nil {
		return res, err
	}
	ok, state, err := d.o.Digests.BeginDigest(ctx, u.ID, period)
	if err != nil {
		return res, err
	}
	if !ok {
		res.Why = "already " + string(state) + " for " + period
		return res, nil
	}
	if err := send(ctx, d.o.Transport, d.o.Auth, msg); err != nil {
		return res, fmt.Errorf("send digest to %s: %w", u.ID, err)
	}
	if err := d.o.Digests.DigestSent(ctx, content); err != nil {
		// Sent but not recorded: the next digest shows these lines again.
		d.log.Warn("digest sent but its lines were not recorded", "member", u.ID, "err", err)
	}
	res.Sent, res.MessageID, res.Lines, res.Rooms = true, msg.MessageID, content.Lines(), len(content.Rooms)
	return res, nil
}

// compose builds the digest email with its reply addresses and links.
func (d *Digests) compose(ctx context.Context, u threads.User, period string, content threads.DigestContent) (mailcompose.Message, error) {
	reply, unsub, err := d.o.Auth.DigestTokens(ctx, u.ID)
	if err != nil {
		return mailcompose.Message{}, fmt.Errorf("digest addresses for %s: %w", u.ID, err)
	}
	dg := mailcompose.Digest{To: u, Period: period, ReplyTo: threads.DigestAddress(reply, d.o.Domain)}
	if strings.HasPrefix(d.o.PublicURL, "https://") {
		dg.UnsubscribeURL = d.o.PublicURL + "/unsubscribe-digest/" + unsub
	}
	for _, r := range content.Rooms {
		if r.Room.Confidential { // confidential.go: counts only, never the lines
			r.First, r.Last = nil, nil
		}
		tok, err := d.o.Auth.ReplyToken(ctx, r.Room.ID, u.ID)
		if err != nil {
			return mailcompose.Message{}, fmt.Errorf("reply address for %s in %s: %w", u.ID, r.Room.ID, err)
		}
		dr := mailcompose.DigestRoom{DigestRoom: r, ReplyTo: threads.ReplyAddress(tok, d.o.Domain)}
		if d.o.PublicURL != "" {
			dr.URL = d.o.PublicURL + "/rooms/" + r.Room.ID
		}
		dg.Rooms = append(dg.Rooms, dr)
		dg.Links = d.o.Files.digestLinks(dg.Links, u, r)
	}
	msg, err := d.o.Composer.Digest(dg)
	if err != nil {
		return msg, Permanent(err)
	}
	return msg, nil
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// escalateLease: an escalation taken and not settled within this time is
// taken again by another process.
const escalateLease = time.Minute

// Escalate sends out again, on each member's next channel, the lines that
// needed them and that they neither saw nor answered in time
// (threads.Chat.EscalateDue). The digest scheduler runs it every round,
// in every process; each line escalates at most once per member. It
// returns how many escalations it settled.
func (d *Digests) Escalate(ctx context.Context) (int, error) {
	if d.o.Chat == nil {
		return 0, nil
	}
	res, err := d.o.Chat.EscalateDue(ctx, escalateLease, 50)
	for _, r := range res {
		log := d.log.With("room", r.Room, "line", r.Line, "member", r.Member)
		if r.Channel != "" {
			log.Info("line escalated", "channel", r.Channel)
		} else {
			log.Debug("no escalation", "why", r.Reason)
		}
	}
	return len(res), err
}
