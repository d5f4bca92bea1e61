// Package twiliocode tells what Twilio's error codes mean for parley, in one
// place for the sending side (outbound/twiliosms) and the status callbacks
// (inbound/sms), which do not import each other.
package twiliocode

import "net/http"

// Kind says what a failed send means for the member and for the delivery.
type Kind int

const (
	// KindOther is any failure not listed below; Error.Temporary decides.
	KindOther Kind = iota
	// KindTransient is a network error, a timeout or a Twilio server error:
	// try again later.
	KindTransient
	// KindRate is Twilio asking parley to slow down (HTTP 429, 20429,
	// 30001 queue overflow, 21611 too many queued for the number, 14107):
	// back off and try again.
	KindRate
	// KindOptedOut (21610) is a recipient who texted STOP to this sender:
	// turn SMS off for the member and use email.
	KindOptedOut
	// KindBadNumber is a recipient number Twilio cannot text (21211
	// invalid, 21614 not a mobile, 21612 not reachable by SMS), or one
	// parley refused before asking: mark the phone as failing.
	KindBadNumber
	// KindUnreachable (30003–30008) is a handset or carrier that did not
	// take the text: counts towards marking the phone as failing.
	KindUnreachable
	// KindAccount is a problem with parley's own Twilio setup
	// (authentication, sender number, geographic permissions, a suspended
	// or trial account): no member is at fault and no retry helps until an
	// operator acts.
	KindAccount
)

// String names the kind for logs.
func (k Kind) String() string {
	switch k {
	case KindTransient:
		return "transient"
	case KindRate:
		return "rate"
	case KindOptedOut:
		return "opted-out"
	case KindBadNumber:
		return "bad-number"
	case KindUnreachable:
		return "unreachable"
	case KindAccount:
		return "account"
	}
	return "other"
}

// KindOf classifies a Twilio error code, as found in a REST error or in a
// status callback's ErrorCode, together with the HTTP status of a REST
// answer (0 for a status callback or when there was no answer).
func KindOf(httpStatus, code int) Kind {
	switch code {
	case 20429, 30001, 21611, 14107:
		return KindRate
	case 21610:
		return KindOptedOut
	case 21211, 21614, 21612:
		return KindBadNumber
	case 30003, 30004, 30005, 30006, 30007, 30008:
		return KindUnreachable
	case 20003, 20404, 21606, 21212, 21659, 21608, 21408, 30002, 21222, 21224:
		return KindAccount
	case 20500, 20503:
		return KindTransient
	}
	switch {
	case httpStatus == http.StatusTooManyRequests:
		return KindRate
	case httpStatus >= 500:
		return KindTransient
	case httpStatus == http.StatusUnauthorized || httpStatus == http.StatusForbidden:
		return KindAccount
	}
	return KindOther
}
