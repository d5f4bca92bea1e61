package twiliosms

import (
	"fmt"
	"strings"

	"parley/internal/twiliocode"
)

// Kind says what a failed send means for the member and for the delivery
// (twiliocode.Kind: the status callbacks on the inbound side read Twilio's
// codes the same way).
type Kind = twiliocode.Kind

// The kinds of failure; see twiliocode.
const (
	KindOther       = twiliocode.KindOther
	KindTransient   = twiliocode.KindTransient
	KindRate        = twiliocode.KindRate
	KindOptedOut    = twiliocode.KindOptedOut
	KindBadNumber   = twiliocode.KindBadNumber
	KindUnreachable = twiliocode.KindUnreachable
	KindAccount     = twiliocode.KindAccount
)

// KindOf classifies a Twilio error code with the HTTP status of the answer
// (twiliocode.KindOf).
func KindOf(httpStatus, code int) Kind { return twiliocode.KindOf(httpStatus, code) }

// Error is a failed send. Send returns it wrapped; use errors.As.
type Error struct {
	// Code is Twilio's error code (21610, 21211, 20429, ...), or 0 when
	// Twilio gave none (network error, a proxy's page, a refusal by
	// parley before asking).
	Code int
	// HTTPStatus is the status of Twilio's answer, or 0 when none came.
	HTTPStatus int
	// Message is Twilio's explanation, or parley's.
	Message string
	// MoreInfo is Twilio's documentation link for Code.
	MoreInfo string
	// Kind is what the failure means for the member.
	Kind Kind
	// Temporary says a later attempt may succeed: network errors,
	// timeouts, 5xx, 429, 20429, 30001. Everything else is permanent.
	//
	// A network error after the request was written is ambiguous: Twilio
	// may have queued the text, and a retry may send it twice. Twilio's
	// Messages API has no idempotency key to prevent that.
	Temporary bool
	// Err is the underlying error, if any (a context or network error).
	Err error
}

// Error describes the failure without secrets or message bodies.
func (e *Error) Error() string {
	var b strings.Builder
	if e.HTTPStatus != 0 {
		fmt.Fprintf(&b, "HTTP %d, ", e.HTTPStatus)
	}
	if e.Code != 0 {
		fmt.Fprintf(&b, "error %d, ", e.Code)
	}
	msg := e.Message
	if msg == "" && e.Err != nil {
		msg = e.Err.Error()
	}
	b.WriteString(msg)
	if e.Temporary {
		b.WriteString(" (temporary)")
	} else {
		b.WriteString(" (permanent)")
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// newError builds an Error for a Twilio code and HTTP status, deciding Kind
// and Temporary.
func newError(httpStatus, code int, msg, moreInfo string, err error) *Error {
	k := KindOf(httpStatus, code)
	return &Error{
		Code:       code,
		HTTPStatus: httpStatus,
		Message:    msg,
		MoreInfo:   moreInfo,
		Kind:       k,
		Temporary:  k == KindTransient || k == KindRate,
		Err:        err,
	}
}
