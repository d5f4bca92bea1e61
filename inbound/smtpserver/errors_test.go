package smtpserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"

	"parley/inbound"
)

func TestToReply(t *testing.T) {
	internal := errors.New(secret)
	for _, tc := range []struct {
		name     string
		st       stage
		err      error
		stopping bool
		code     int
		ec       smtp.EnhancedCode
		text     string
		outcome  string
	}{
		{"refused recipient", atRcpt, inbound.Refuse("no such reply address", internal), false, 550, smtp.EnhancedCode{5, 1, 1}, "no such reply address", "refused"},
		{"refused message", atData, inbound.Refuse("sender is not a member", internal), false, 550, smtp.EnhancedCode{5, 7, 1}, "sender is not a member", "refused"},
		{"deferred", atData, inbound.Defer("store unavailable", internal), false, 451, smtp.EnhancedCode{4, 3, 0}, "store unavailable", "deferred"},
		{"deferred while stopping", atData, inbound.Defer("store unavailable", internal), true, 421, smtp.EnhancedCode{4, 3, 2}, "store unavailable", "deferred"},
		{"plain error", atData, fmt.Errorf("posting: %w", internal), false, 451, smtp.EnhancedCode{4, 3, 0}, textTemporary, "error"},
		{"plain error at rcpt", atRcpt, internal, false, 451, smtp.EnhancedCode{4, 3, 0}, textTemporary, "error"},
		{"plain error while stopping", atData, internal, true, 421, smtp.EnhancedCode{4, 3, 2}, textTemporary, "error"},
		{"our size limit", atData, errTooLarge, false, 552, smtp.EnhancedCode{5, 3, 4}, "Message too big, the limit is 1000 bytes", "too_large"},
		{"go-smtp size limit", atData, &readError{smtp.ErrDataTooLarge}, false, 552, smtp.EnhancedCode{5, 3, 4}, "Message too big, the limit is 1000 bytes", "too_large"},
		{"long line", atData, &readError{fmt.Errorf("x: %w", smtp.ErrTooLongLine)}, false, 554, smtp.EnhancedCode{5, 6, 0}, "Message has a line too long for SMTP", "line_too_long"},
		{"rate", atMail, errRateLimited, false, 451, smtp.EnhancedCode{4, 7, 1}, textRateLimited, "rate_limited"},
		{"nested MAIL", atMail, errNestedMail, false, 503, smtp.EnhancedCode{5, 5, 1}, "Nested MAIL command", "bad_sequence"},
		{"no recipient", atData, errNoRcpt, false, 503, smtp.EnhancedCode{5, 5, 1}, "No valid recipient", "bad_sequence"},
		{"client gone", atData, &readError{io.ErrUnexpectedEOF}, false, 451, smtp.EnhancedCode{4, 4, 2}, textAborted, "aborted"},
		{"cut BDAT", atData, errTruncated, false, 451, smtp.EnhancedCode{4, 4, 2}, textAborted, "aborted"},
		{"empty reason", atData, inbound.Defer("", internal), false, 451, smtp.EnhancedCode{4, 3, 0}, textTemporary, "deferred"},
		{"forged reply in reason", atRcpt, inbound.Refuse("no\r\n250 OK", nil), false, 550, smtp.EnhancedCode{5, 1, 1}, "no 250 OK", "refused"},
		{"non-ASCII reason", atRcpt, inbound.Refuse("adresse inconnue é\x00", nil), false, 550, smtp.EnhancedCode{5, 1, 1}, "adresse inconnue", "refused"},
		{"AsError", atData, inbound.AsError(internal), false, 451, smtp.EnhancedCode{4, 3, 0}, "temporary failure, try again later", "deferred"},
		{"context", atData, context.Canceled, false, 451, smtp.EnhancedCode{4, 3, 0}, textTemporary, "error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := toReply(tc.st, tc.err, tc.stopping, 1000)
			if rep.Code != tc.code || rep.EnhancedCode != tc.ec || rep.Message != tc.text || rep.outcome != tc.outcome {
				t.Errorf("got %d %v %q %s, want %d %v %q %s", rep.Code, rep.EnhancedCode, rep.Message, rep.outcome,
					tc.code, tc.ec, tc.text, tc.outcome)
			}
			if strings.Contains(rep.Message, "SECRET") {
				t.Errorf("internal detail in the reply: %q", rep.Message)
			}
		})
	}
}

func TestSafeText(t *testing.T) {
	for in, want := range map[string]string{
		"":                         "fallback",
		"  \r\n\t ":                "fallback",
		"ok":                       "ok",
		"a\r\nb":                   "a b",
		strings.Repeat("x", 500):   strings.Repeat("x", maxReasonLen),
		"caf\u00e9 ferm\u00e9":     "caf ferm",
		"tab\there  and   spaces ": "tab here and spaces",
	} {
		if got := safeText(in, "fallback"); got != want {
			t.Errorf("safeText(%q) = %q, want %q", in, got, want)
		}
	}
}

// ExampleNew shows the wiring cmd/parley does.
func ExampleNew() {
	var recv inbound.Receiver = newFakeReceiver() // the real one folds replies into rooms
	srv, err := New(recv, Options{
		Addr:   "127.0.0.1:0", // PARLEY_SMTP_ADDR, e.g. 127.0.0.1:2525
		Domain: "parley.example.org",
		Log:    slog.New(slog.DiscardHandler), // the process's logger in real use
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // a real server runs until the process is told to stop
	fmt.Println(srv.ListenAndServe(ctx))
	// Output: <nil>
}
