package senderauth

import (
	"fmt"

	"github.com/emersion/go-msgauth/dmarc"
)

// Verdict is what the receiver does with a message after the check.
type Verdict int

// Verdicts.
const (
	// Accept: authenticated (or the mode is off).
	Accept Verdict = iota
	// AcceptUnverified: posted, marked as not proven to come from the
	// member (Prefer only).
	AcceptUnverified
	// Refuse: a permanent refusal (550 5.7.1) with Decision.Reason.
	Refuse
	// Defer: a DNS answer is missing; a temporary refusal (451), the
	// sender's server tries again.
	Defer
)

// Decision is a Verdict with its reason for the sender.
type Decision struct {
	Verdict Verdict
	Reason  string
}

// Decide applies mode to a check's result. command is true for messages
// that act for the member rather than speak (status@, AWAY, BACK,
// out-of-office replies, TRANSCRIPT): under Prefer they must be
// authenticated too.
func Decide(mode Mode, r Result, command bool) Decision {
	if mode == Off || r.Pass {
		return Decision{Verdict: Accept}
	}
	reason := r.Reason
	if reason == "" {
		reason = "the sender could not be authenticated"
	}
	refuse := Decision{Verdict: Refuse, Reason: reason}
	if r.Temporary {
		refuse = Decision{Verdict: Defer, Reason: "the sender's domain could not be checked now, try again later"}
	}
	switch {
	case mode == Require:
		return refuse
	case command:
		refuse.Reason += "; commands must come from an authenticated sender"
		return refuse
	case r.Policy == dmarc.PolicyReject || r.Policy == dmarc.PolicyQuarantine:
		refuse.Reason += fmt.Sprintf("; %s asks that unauthenticated mail be refused (DMARC p=%s)", r.FromDomain, r.Policy)
		return refuse
	case r.Temporary:
		return refuse
	case !r.EnvelopeAligned:
		return Decision{Verdict: Refuse, Reason: "the envelope sender is not of the From address's domain, and " + reason}
	}
	return Decision{Verdict: AcceptUnverified, Reason: reason}
}
