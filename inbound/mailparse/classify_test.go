package mailparse

import (
	"fmt"
	netmail "net/mail"
	nettextproto "net/textproto"
	"testing"

	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"
)

// The header types the doors may hold all satisfy Header.
var (
	_ Header = netmail.Header{}
	_ Header = nettextproto.MIMEHeader{}
	_ Header = &textproto.Header{}
	_ Header = &mail.Header{}
)

func header(fields ...string) *textproto.Header {
	var h textproto.Header
	for i := 0; i+1 < len(fields); i += 2 {
		h.Add(fields[i], fields[i+1])
	}
	return &h
}

func TestClassify(t *testing.T) {
	from := "From"
	tests := []struct {
		name string
		h    Header
		opt  Options
		want Kind
	}{
		{"person", header(from, "Ann <ann@example.org>", "Subject", "Re: [team] lunch"), Options{}, KindPerson},
		{"auto-submitted no", header(from, "ann@example.org", "Auto-Submitted", "no"), Options{}, KindPerson},
		{"vacation by auto-submitted", header(from, "ann@example.org", "Auto-Submitted", "auto-replied", "Subject", "Re: lunch"), Options{}, KindVacation},
		{"vacation sieve", header(from, "ann@example.org", "Auto-Submitted", "auto-replied (vacation)", "Return-Path", "<>"), Options{}, KindVacation},
		{"out of office", header(from, "ann@example.org", "Subject", "Out of Office: lunch"), Options{}, KindVacation},
		{"outlook automatic reply", header(from, "ann@example.org", "Subject", "Automatic reply: lunch", "X-Auto-Response-Suppress", "All"), Options{}, KindVacation},
		{"german", header(from, "ann@example.org", "Subject", "Abwesenheitsnotiz: Mittag"), Options{}, KindVacation},
		{"french encoded", header(from, "ann@example.org", "Subject", "=?utf-8?q?R=C3=A9ponse_automatique_:_d=C3=A9jeuner?="), Options{}, KindVacation},
		{"x-autoreply", header(from, "ann@example.org", "X-Autoreply", "yes"), Options{}, KindVacation},
		{"x-autorespond", header(from, "ann@example.org", "X-Autorespond", "Away"), Options{}, KindVacation},
		{"precedence auto_reply", header(from, "ann@example.org", "Precedence", "auto_reply"), Options{}, KindVacation},
		{"a person quoting a vacation", header(from, "ann@example.org", "Subject", "Re: Out of Office: lunch"), Options{}, KindPerson},
		{"auto-generated", header(from, "ann@example.org", "Auto-Submitted", "auto-generated"), Options{}, KindAutoReply},
		{"auto-response-suppress", header(from, "jira@example.org", "X-Auto-Response-Suppress", "OOF, AutoReply"), Options{}, KindAutoReply},
		{"null return path", header(from, "ann@example.org", "Return-Path", "<>"), Options{}, KindAutoReply},
		{"noreply", header(from, "Shop <no-reply@shop.example>"), Options{}, KindAutoReply},
		{"donotreply", header(from, "do_not_reply@shop.example"), Options{}, KindAutoReply},
		{"read receipt", header(from, "bob@example.org", "Auto-Submitted", "auto-replied", "Content-Type", "multipart/report; report-type=disposition-notification; boundary=x"), Options{}, KindAutoReply},
		{"precedence bulk", header(from, "news@example.org", "Precedence", "bulk"), Options{}, KindBulk},
		{"precedence list", header(from, "ann@example.org", "Precedence", "list"), Options{}, KindBulk},
		{"precedence junk", header(from, "ann@example.org", "Precedence", "junk"), Options{}, KindBulk},
		{"list-id", header(from, "ann@example.org", "List-Id", "<team.lists.example.org>"), Options{}, KindBulk},
		{"list-unsubscribe", header(from, "news@example.org", "List-Unsubscribe", "<mailto:u@example.org>"), Options{}, KindBulk},
		{"list from a no-reply sender", header(from, "noreply@dhl.example", "List-Id", "<x>"), Options{}, KindBulk},
		{"mailer-daemon", header(from, "Mail Delivery System <MAILER-DAEMON@mx.example>"), Options{}, KindBounce},
		{"postmaster", header(from, "postmaster@mx.example"), Options{}, KindBounce},
		{"dsn", header(from, "mx@example.org", "Content-Type", `multipart/report; report-type="delivery-status"; boundary=x`), Options{}, KindBounce},
		{"x-failed-recipients", header(from, "mx@example.org", "X-Failed-Recipients", "bob@example.org"), Options{}, KindBounce},
		{"bounce subject", header(from, "mx@example.org", "Subject", "Undeliverable: lunch"), Options{}, KindBounce},
		{"bounce beats auto-replied", header(from, "mailer-daemon@googlemail.com", "Auto-Submitted", "auto-replied"), Options{}, KindBounce},
		{"loop id", header(from, "ann@example.org", "X-Loop", "parley@chat.example.org"), Options{LoopID: "parley@chat.example.org"}, KindLoop},
		{"loop id unset", header(from, "ann@example.org", "X-Loop", "parley@chat.example.org"), Options{}, KindPerson},
		{"too many hops", hops(maxHops + 1), Options{}, KindLoop},
		{"some hops", hops(10), Options{}, KindPerson},
		{"net/mail header", netmail.Header{"From": {"a@example.org"}, "Precedence": {"bulk"}}, Options{}, KindBulk},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Classify(tt.h, tt.opt); got != tt.want {
				t.Errorf("Classify = %v, want %v", got, tt.want)
			}
		})
	}
}

func hops(n int) *textproto.Header {
	h := header("From", "ann@example.org")
	for i := 0; i < n; i++ {
		h.Add("Received", fmt.Sprintf("from mx%d.example.org by mx%d.example.org", i, i+1))
	}
	return h
}

func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{KindPerson: "person", KindVacation: "vacation", KindBounce: "bounce", KindLoop: "loop", Kind(99): "unknown"} {
		if got := k.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", k, got, want)
		}
	}
}
