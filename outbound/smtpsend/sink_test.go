package smtpsend

// Integration tests against Postfix's smtp-sink, a real SMTP server in C that
// captures or discards mail and can inject faults (internal/testpeers/postfixpeer).

import (
	"fmt"
	"strings"
	"testing"

	"parley/internal/testpeers/postfixpeer"
)

func TestSinkDelivers(t *testing.T) {
	s := postfixpeer.StartSink(t, true)
	c := newTestClient(t, s.Addr, Options{PoolSize: 2, LocalName: "parley.test"})
	const n = 6
	for i := range n {
		msg := fmt.Sprintf("From: room@parley.test\r\nTo: m%d@example.test\r\nSubject: sink %d\r\n\r\n"+
			".dot line\r\nbody of message %d\r\n", i, i, i)
		if err := c.Send(t.Context(), "room@parley.test", []string{fmt.Sprintf("m%d@example.test", i)}, []byte(msg)); err != nil {
			t.Fatalf("Send %d: %v", i, err)
		}
	}
	got := s.Messages(t)
	if len(got) != n {
		t.Fatalf("smtp-sink captured %d messages, want %d", len(got), n)
	}
	for i := range n {
		want := fmt.Sprintf("Subject: sink %d\n\n.dot line\nbody of message %d\n", i, i)
		var found string
		for _, m := range got {
			if strings.Contains(m, want) {
				found = m
			}
		}
		if found == "" {
			t.Errorf("message %d not captured intact; captures:\n%s", i, strings.Join(got, "\n----\n"))
			continue
		}
		for _, h := range []string{
			"X-Helo-Args: parley.test\n",
			"X-Mail-Args: <room@parley.test>",
			fmt.Sprintf("X-Rcpt-Args: <m%d@example.test>\n", i),
		} {
			if !strings.Contains(found, h) {
				t.Errorf("message %d lacks %q:\n%s", i, h, found)
			}
		}
	}
}

func TestSinkFaults(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		op        string
		code      int
		enhanced  [3]int
		temporary bool
	}{
		{"450 at RCPT", []string{"-r", "RCPT"}, "rcpt", 450, [3]int{4, 3, 0}, true},
		{"custom 451 after DATA", []string{"-b", "451 4.7.1 Try again later", "-r", "."}, "data", 451, [3]int{4, 7, 1}, true},
		{"421 at MAIL", []string{"-Q", "MAIL"}, "mail", 421, [3]int{4, 0, 0}, true},
		{"disconnect after DATA", []string{"-q", "."}, "data", 0, [3]int{}, true},
		{"500 at RCPT", []string{"-f", "RCPT"}, "rcpt", 500, [3]int{5, 3, 0}, false},
		{"custom 554 after DATA", []string{"-B", "554 5.7.1 Go away", "-f", "."}, "data", 554, [3]int{5, 7, 1}, false},
		{"550 during DATA", []string{"-A", "0"}, "data", 550, [3]int{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := postfixpeer.StartSink(t, false, tt.args...)
			c := newTestClient(t, s.Addr, Options{})
			err := c.Send(t.Context(), "a@example.test", []string{"b@example.test"}, testMsg("fault"))
			e := asError(t, err)
			if e.Op != tt.op || e.Code != tt.code || e.Enhanced != tt.enhanced || e.Temporary != tt.temporary ||
				IsTemporary(err) != tt.temporary {
				t.Fatalf("got %v (%#v), want op %s code %d %v temporary %v", err, e, tt.op, tt.code, tt.enhanced, tt.temporary)
			}
		})
	}
}
