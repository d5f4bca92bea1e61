package smtpserver

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/emersion/go-smtp"

	"parley/inbound"
)

// stage is the command an error answers; it picks the codes.
type stage string

// The stages at which the session can refuse.
const (
	atMail stage = "mail"
	atRcpt stage = "rcpt"
	atData stage = "data"
)

// Errors of the door itself; toReply gives each its reply.
var (
	errRateLimited = errors.New("message rate limit reached")
	errTooLarge    = errors.New("message larger than the size limit")
	errNestedMail  = errors.New("MAIL inside a mail transaction")
	errTruncated   = errors.New("connection lost before the end of the message")
	errNoRcpt      = errors.New("no recipient")
	errNoTLS       = errors.New("MAIL before STARTTLS, and TLS is required")
)

// readError marks a failure to read the message from the client, as
// opposed to a failure to hand it over.
type readError struct{ err error }

func (e *readError) Error() string { return "reading message: " + e.err.Error() }
func (e *readError) Unwrap() error { return e.err }

// reply is what the client is told, and how the log tells it.
type reply struct {
	*smtp.SMTPError
	outcome string
	level   slog.Level
}

// Texts of the replies that carry no reason of the Receiver's.
const (
	textTemporary   = "Temporary failure, try again later"
	textRateLimited = "Too many messages from your address, try again later"
	textAborted     = "Message not received in full, try again"
	maxReasonLen    = 200
)

// toReply maps every error the session meets to the SMTP reply the client
// sees. It is the only place where the session makes an *smtp.SMTPError:
// go-smtp shows the text of any other error to the client (as 451 after
// MAIL or RCPT, as a permanent 554 after DATA). The client reads only
// fixed texts and the Reason of an *inbound.Error; err's detail is for the
// log. Temporary failures are 451, or 421 when the server is stopping.
func toReply(st stage, err error, stopping bool, maxBytes int64) reply {
	temporary := func(ec smtp.EnhancedCode, text, outcome string, level slog.Level) reply {
		code := 451
		if stopping {
			code, ec = 421, smtp.EnhancedCode{4, 3, 2}
		}
		return reply{&smtp.SMTPError{Code: code, EnhancedCode: ec, Message: text}, outcome, level}
	}
	var inErr *inbound.Error
	var rdErr *readError
	switch {
	case errors.Is(err, errTooLarge), errors.Is(err, smtp.ErrDataTooLarge):
		return reply{&smtp.SMTPError{Code: 552, EnhancedCode: smtp.EnhancedCode{5, 3, 4},
			Message: fmt.Sprintf("Message too big, the limit is %d bytes", maxBytes)}, "too_large", slog.LevelInfo}
	case errors.Is(err, smtp.ErrTooLongLine):
		return reply{&smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0},
			Message: "Message has a line too long for SMTP"}, "line_too_long", slog.LevelInfo}
	case errors.Is(err, errRateLimited):
		return reply{&smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 7, 1},
			Message: textRateLimited}, "rate_limited", slog.LevelWarn}
	case errors.Is(err, errNestedMail):
		return reply{&smtp.SMTPError{Code: 503, EnhancedCode: smtp.EnhancedCode{5, 5, 1},
			Message: "Nested MAIL command"}, "bad_sequence", slog.LevelInfo}
	case errors.Is(err, errNoTLS): // RFC 3207, section 4
		return reply{&smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0},
			Message: "Must issue a STARTTLS command first: this server takes mail over TLS only"}, "no_tls", slog.LevelInfo}
	case errors.Is(err, errNoRcpt):
		return reply{&smtp.SMTPError{Code: 503, EnhancedCode: smtp.EnhancedCode{5, 5, 1},
			Message: "No valid recipient"}, "bad_sequence", slog.LevelInfo}
	case errors.As(err, &rdErr), errors.Is(err, errTruncated):
		// The client went away or stalled: nobody reads this reply.
		return temporary(smtp.EnhancedCode{4, 4, 2}, textAborted, "aborted", slog.LevelInfo)
	case errors.As(err, &inErr) && inErr.Temporary:
		return temporary(smtp.EnhancedCode{4, 3, 0}, safeText(inErr.Reason, textTemporary), "deferred", slog.LevelWarn)
	case errors.As(err, &inErr):
		ec := smtp.EnhancedCode{5, 7, 1} // delivery not authorised, message refused
		if st == atRcpt {
			ec = smtp.EnhancedCode{5, 1, 1} // bad destination mailbox address
		}
		return reply{&smtp.SMTPError{Code: 550, EnhancedCode: ec,
			Message: safeText(inErr.Reason, "Message refused")}, "refused", slog.LevelInfo}
	default:
		return temporary(smtp.EnhancedCode{4, 3, 0}, textTemporary, "error", slog.LevelError)
	}
}

// safeText makes s fit for one reply line: printable ASCII only (a CR or
// LF would let a reason forge replies), at most maxReasonLen bytes, and
// fallback when nothing is left.
func safeText(s, fallback string) string {
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r > '~' {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > maxReasonLen {
		s = strings.TrimSpace(s[:maxReasonLen])
	}
	if s == "" {
		return fallback
	}
	return s
}
