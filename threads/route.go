package threads

// Channel is how a line reaches a member.
type Channel string

// Channels.
const (
	// Live: the member sees it in an open client; nothing is sent.
	Live Channel = "live"
	// Email: a delivery job for the email worker (batched there).
	Email Channel = "email"
	// SMS: a delivery job for the SMS worker.
	SMS Channel = "sms"
	// Hold: nothing now; the line waits for the member's digest.
	Hold Channel = "digest"
	// Nowhere: nothing now or later; the member is disabled.
	Nowhere Channel = "none"
)

func (c Channel) valid() bool {
	switch c {
	case Live, Email, SMS, Hold:
		return true
	}
	return false
}

// Queued reports whether the channel needs a delivery job.
func (c Channel) Queued() bool { return c == Email || c == SMS }

// RouteInput is everything routing needs to know about one member and one line.
type RouteInput struct {
	State State
	// Idle: the member is away only because no client of theirs was used
	// lately (a page may be open); the reason then says "idle".
	Idle bool
	// Personal: the line is in a direct room or mentions the member.
	Personal bool
	// Quiet: the member's quiet hours are in force now; QuietMode says what they hold.
	Quiet     bool
	QuietMode QuietMode
	// Urgent: the line was marked !urgent (within the author's rate limit).
	Urgent bool
	// Automatic: the line is an auto-reply; it is never relayed.
	Automatic bool
	// Muted: the member muted the room (unsubscribed): nothing is pushed.
	Muted bool
	// EmailOK: the member has an address and it is not bouncing.
	EmailOK bool
	// SMSOK: the member has a verified phone, has not opted out and texts to it do not fail.
	SMSOK bool
	// Prefer is the member's chosen channel for this state, or "".
	Prefer Channel
	// Disabled: an admin disabled the member; nothing reaches them.
	Disabled bool
}

// Decision is routing's answer for one member.
type Decision struct {
	Channel Channel `json:"channel"`
	// Reason says why, in a few words, for logs and the demo.
	Reason string `json:"reason"`
}

// Route decides how a line reaches one member. It is the routing table of
// DESIGN.md, refined for away auto-replies, quiet hours and urgent lines:
//
//	disabled by an admin            nothing at all, not even the digest
//	online                          live only
//	auto-reply line                 nothing now (shown live, kept in the log; never relayed)
//	busy / do-not-disturb           nothing now, kept for the digest (urgent or not)
//	room muted (unsubscribed)       nothing now, kept for the digest (urgent or not)
//	away                            email (batched by the worker)
//	offline with a verified phone   SMS for direct rooms, mentions and urgent lines, email for the rest
//	SMS opted out, or email failing the other channel
//	quiet hours (not urgent)        what would be texted is held (mode hold-sms, the default)
//	                                or emailed (mode email); email goes out as usual,
//	                                unless mode hold-all holds everything
//	quiet hours, urgent line        as if there were no quiet hours
//
// A preference for the state wins when its channel is usable; quiet hours
// then apply to the channel it chose. Urgent lines go through quiet hours
// (a standing schedule) but not busy (a choice the member made for now,
// with an end) or a muted room.
func Route(in RouteInput) Decision {
	switch {
	case in.Disabled:
		return Decision{Nowhere, "disabled"}
	case in.State == StateOnline:
		return Decision{Live, "online"}
	case in.Automatic:
		return Decision{Hold, "auto-reply, shown live only"}
	case in.State == StateBusy:
		return Decision{Hold, "busy"}
	case in.Muted:
		return Decision{Hold, "room muted"}
	}
	d := routeAway(in)
	if !in.Quiet || d.Channel == Hold {
		return d
	}
	switch {
	case in.Urgent:
		d.Reason += ", urgent through quiet hours"
	case in.QuietMode == QuietHoldAll:
		d = Decision{Hold, "quiet hours"}
	case d.Channel == SMS && in.QuietMode == QuietSMSToEmail && in.EmailOK:
		d = Decision{Email, "quiet hours, email instead of sms"}
	case d.Channel == SMS:
		d = Decision{Hold, "quiet hours, sms held"}
	}
	return d
}

// routeAway is the channel for a member who is not online, busy or muted,
// before quiet hours.
func routeAway(in RouteInput) Decision {
	state := string(in.State)
	if in.Idle && in.State == StateAway {
		state = "idle"
	}
	usable := func(c Channel) bool {
		switch c {
		case Email:
			return in.EmailOK
		case SMS:
			return in.SMSOK
		}
		return c.valid()
	}
	switch {
	case in.Prefer != "" && usable(in.Prefer):
		return Decision{in.Prefer, state + ", by preference"}
	case in.State == StateOffline && in.Personal && in.SMSOK:
		return Decision{SMS, "offline, personal line"}
	case in.State == StateOffline && in.Urgent && in.SMSOK:
		return Decision{SMS, "offline, urgent line"}
	case in.EmailOK:
		return Decision{Email, state}
	case in.SMSOK:
		return Decision{SMS, state + ", no working email"}
	}
	return Decision{Hold, state + ", no working channel"}
}

// routeInput gathers the facts about member u for a line.
func routeInput(u User, p Presence, personal, quiet, muted bool) RouteInput {
	in := RouteInput{
		State:    p.State,
		Idle:     p.Idle,
		Personal: personal,
		Quiet:    quiet,
		Muted:    muted,
		EmailOK:  u.Email() != "" && !u.EmailFailing,
		SMSOK:    u.Phone != "" && u.PhoneVerified && !u.SMSOptOut && !u.PhoneFailing,
		Prefer:   u.Prefs.Channels[p.State],
		Disabled: u.Disabled,
	}
	if u.Prefs.Quiet != nil {
		in.QuietMode = u.Prefs.Quiet.Mode
	}
	return in
}
