package smtpsend

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/emersion/go-smtp"
)

// Error is a failed submission. Every error that Send returns, except
// ErrClosed, is an *Error, so that the delivery worker can tell with one
// field whether to retry the message later (Temporary) or to dead-letter it.
//
// Op says which step failed. "dial" (connecting, greeting, EHLO), "tls" and
// "auth" are about the way to the smarthost and fail every message alike, so
// a delivery worker may prefer to pause rather than dead-letter on them even
// when they are permanent (a wrong password gives a permanent 535). "mail",
// "rcpt" and "data" are about this message. "pool" means the context ended
// before a connection was free. With StartTLS, STARTTLS, the handshake and
// the EHLO that follows it are "tls".
type Error struct {
	// Op is the step that failed: "pool", "dial", "tls", "auth", "mail",
	// "rcpt" or "data".
	Op string
	// Code is the SMTP reply code (421, 451, 550, ...), or 0 when the
	// failure was not a server reply (a network error, a timeout, a check
	// made here).
	Code int
	// Enhanced is the RFC 3463 enhanced status code, such as {5, 1, 1};
	// all zero when the server sent none.
	Enhanced [3]int
	// Message is the server's reply text, or a description of a failure
	// found here.
	Message string
	// Temporary reports whether trying the same message again later could
	// succeed: true for 4xx replies, network failures, timeouts and an ended
	// context; false for 5xx replies and for configuration or input errors.
	Temporary bool
	// Rcpt is the recipient that the server refused, when Op is "rcpt".
	Rcpt string
	// Err is the underlying error (a *smtp.SMTPError, a network error, a
	// context error), or nil.
	Err error
}

// Error formats the failure as "smtpsend: OP [<RCPT>]: CODE X.Y.Z TEXT
// (temporary|permanent)".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("smtpsend: ")
	b.WriteString(e.Op)
	if e.Rcpt != "" {
		fmt.Fprintf(&b, " <%s>", e.Rcpt)
	}
	b.WriteString(": ")
	switch {
	case e.Code != 0:
		fmt.Fprintf(&b, "%d ", e.Code)
		if e.Enhanced != ([3]int{}) {
			fmt.Fprintf(&b, "%d.%d.%d ", e.Enhanced[0], e.Enhanced[1], e.Enhanced[2])
		}
		b.WriteString(e.Message)
	case e.Message != "" && e.Err != nil:
		b.WriteString(e.Message)
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	case e.Message != "":
		b.WriteString(e.Message)
	case e.Err != nil:
		b.WriteString(e.Err.Error())
	}
	if e.Temporary {
		b.WriteString(" (temporary)")
	} else {
		b.WriteString(" (permanent)")
	}
	return b.String()
}

// Unwrap returns the underlying error, so that errors.Is(err,
// context.DeadlineExceeded) or errors.Is(err, syscall.ECONNREFUSED) work.
func (e *Error) Unwrap() error { return e.Err }

// IsTemporary reports whether err is worth retrying later. It is true for an
// *Error with Temporary set, a 4xx *smtp.SMTPError, a refused, reset or timed
// out connection, a temporary DNS failure and an ended context; it is false
// for nil, 5xx replies and errors it does not know.
func IsTemporary(err error) bool {
	if err == nil {
		return false
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Temporary
	}
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return se.Code/100 == 4
	}
	return isTransient(err)
}

// isTransient reports whether err is a network or context failure that may
// go away by itself.
func isTransient(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return true
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return dnsErr.IsTemporary || dnsErr.IsTimeout
	}
	for _, target := range []error{
		syscall.ECONNREFUSED, syscall.ECONNRESET, syscall.ECONNABORTED, syscall.EPIPE,
		syscall.ETIMEDOUT, syscall.EHOSTUNREACH, syscall.ENETUNREACH, syscall.ENETDOWN,
		io.EOF, io.ErrUnexpectedEOF, net.ErrClosed,
	} {
		if errors.Is(err, target) {
			return true
		}
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// isTLSConfigError reports whether err is a TLS failure that retrying will not
// cure: an untrusted or mismatched certificate, or a peer that does not speak
// TLS at all.
func isTLSConfigError(err error) bool {
	var verr *tls.CertificateVerificationError
	var rerr tls.RecordHeaderError
	var aerr tls.AlertError
	return errors.As(err, &verr) || errors.As(err, &rerr) || errors.As(err, &aerr)
}

// wrapErr is the one place that turns what went wrong during a session into
// an *Error: server replies are classified by their code (4xx temporary, 5xx
// permanent), TLS configuration failures are permanent, and every other
// failure of the connection is taken as temporary, since nothing shows that
// the message itself is at fault.
func wrapErr(op string, err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	out := &Error{Op: op, Err: err, Temporary: true}
	var se *smtp.SMTPError
	switch {
	case errors.As(err, &se):
		out.Code = se.Code
		out.Message = se.Message
		if se.EnhancedCode[0] > 0 {
			out.Enhanced = [3]int(se.EnhancedCode)
		}
		out.Temporary = se.Code/100 != 5
	case isTLSConfigError(err):
		out.Temporary = false
	}
	return out
}

// permanent makes an *Error for a failure that retrying cannot cure, such as
// a bad address or a smarthost that lacks a required extension.
func permanent(op, msg string) *Error {
	return &Error{Op: op, Message: msg}
}
