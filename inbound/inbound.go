// Package inbound turns the outside world into chat lines: email replies
// (through the SMTP server and the IMAP poller) and, with its
// sub-packages, text messages. Both email doors hand each raw message to
// one Receiver; neither has logic of its own beyond transport.
package inbound

import (
	"context"
	"errors"
	"fmt"
)

// Envelope is what a door knows about a message besides its bytes.
type Envelope struct {
	// Door names the way in: "smtp" or "imap".
	Door string
	// MailFrom is the SMTP envelope sender ("" for the null sender <>);
	// empty from IMAP, where the Return-Path header tells it.
	MailFrom string
	// Rcpt are the envelope recipients (SMTP); from IMAP, the addresses the
	// message was delivered to when known (Delivered-To), else empty and
	// the To and Cc headers are used.
	Rcpt []string
	// Remote is the client's address (SMTP) or the mailbox (IMAP), for logs
	// and sender authentication.
	Remote string
	// HELO is the name the SMTP client greeted with (SPF checks it when
	// the envelope sender is empty).
	HELO string
}

// Outcome says what became of a message.
type Outcome string

// Outcomes.
const (
	// Posted: the reply became a line in the room.
	Posted Outcome = "posted"
	// Duplicate: a message with the same Message-ID was folded in before.
	Duplicate Outcome = "duplicate"
	// AwayHint: a member's own out-of-office reply set them away.
	AwayHint Outcome = "away"
	// BounceRecorded: a delivery failure marked a member's address as failing.
	BounceRecorded Outcome = "bounce"
	// Ignored: an automatic, list or looping message; nothing posted, nothing answered.
	Ignored Outcome = "ignored"
	// Held: the sender is not the member the address belongs to; kept for review.
	Held Outcome = "held"
)

// Result is what Receive did.
type Result struct {
	Outcome Outcome
	Room    string
	Member  string
	// Line is the id of the posted (or first) line, when there is one.
	Line string
	// Note says why, in a few words, for logs.
	Note string
	// Refused names the attachments that were not kept, and why.
	Refused []string
}

// Receiver folds one raw message into parley. It returns only after the
// line is stored, so a door may acknowledge then (SMTP 250, IMAP \Seen).
type Receiver interface {
	// CheckRecipient tells, at SMTP RCPT time, whether addr is an address
	// parley receives for (a reply address of its domain, or the status
	// address). The error is an *Error.
	CheckRecipient(ctx context.Context, addr string) error
	// Receive folds the message in. Errors are *Error: temporary when a
	// retry could succeed (Redis unreachable), permanent otherwise.
	Receive(ctx context.Context, env Envelope, msg []byte) (Result, error)
}

// Error is a refusal with a reason the sender may read. Err, the detail,
// goes to the log only.
type Error struct {
	// Temporary: the same message may succeed later (answer 4xx, keep it
	// in the mailbox).
	Temporary bool
	// Reason is short and safe to show the sender.
	Reason string
	Err    error
}

func (e *Error) Error() string {
	kind := "permanent"
	if e.Temporary {
		kind = "temporary"
	}
	if e.Err != nil {
		return fmt.Sprintf("%s (%s): %v", e.Reason, kind, e.Err)
	}
	return e.Reason + " (" + kind + ")"
}

func (e *Error) Unwrap() error { return e.Err }

// Refuse returns a permanent refusal with a reason for the sender.
func Refuse(reason string, err error) error { return &Error{Reason: reason, Err: err} }

// Defer returns a temporary refusal: try again later.
func Defer(reason string, err error) error { return &Error{Temporary: true, Reason: reason, Err: err} }

// AsError returns err as an *Error; an error that is not one is taken as
// temporary, with a generic reason (internal details never reach the sender).
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Temporary: true, Reason: "temporary failure, try again later", Err: err}
}
