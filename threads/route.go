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
	// Personal: the line is in a direct room or mentions the member.
	Personal bool
	// Quiet: the member's quiet hours are in force now.
	Quiet bool
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
// DESIGN.md:
//
//	disabled by an admin            nothing at all, not even the digest
//	online                          live only
//	busy / do-not-disturb           nothing now, kept for the digest
//	room muted (unsubscribed)       nothing now, kept for the digest
//	quiet hours                     nothing now, kept for the digest
//	away                            email (batched by the worker)
//	offline with a verified phone   SMS for direct rooms and mentions, email for the rest
//	SMS opted out, or email failing the other channel
//
// A preference for the state wins when its channel is usable.
func Route(in RouteInput) Decision {
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
	case in.Disabled:
		return Decision{Nowhere, "disabled"}
	case in.State == StateOnline:
		return Decision{Live, "online"}
	case in.State == StateBusy:
		return Decision{Hold, "busy"}
	case in.Muted:
		return Decision{Hold, "room muted"}
	case in.Quiet:
		return Decision{Hold, "quiet hours"}
	case in.Prefer != "" && usable(in.Prefer):
		return Decision{in.Prefer, string(in.State) + ", by preference"}
	case in.State == StateOffline && in.Personal && in.SMSOK:
		return Decision{SMS, "offline, personal line"}
	case in.EmailOK:
		return Decision{Email, string(in.State)}
	case in.SMSOK:
		return Decision{SMS, string(in.State) + ", no working email"}
	}
	return Decision{Hold, string(in.State) + ", no working channel"}
}

// routeInput gathers the facts about member u for a line.
func routeInput(u User, p Presence, personal, quiet, muted bool) RouteInput {
	return RouteInput{
		State:    p.State,
		Personal: personal,
		Quiet:    quiet,
		Muted:    muted,
		EmailOK:  u.Email() != "" && !u.EmailFailing,
		SMSOK:    u.Phone != "" && u.PhoneVerified && !u.SMSOptOut && !u.PhoneFailing,
		Prefer:   u.Prefs.Channels[p.State],
		Disabled: u.Disabled,
	}
}
