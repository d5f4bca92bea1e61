package smtpsend

import (
	"crypto/tls"
	"errors"
	"strings"
	"testing"
)

func TestRequireTLS(t *testing.T) {
	cert, pool := testCert(t)
	for _, c := range []struct {
		name                string
		offered, on, marked bool
		sent, withExt       bool
	}{
		{"offered, on", true, true, false, true, true},
		{"offered, on, confidential", true, true, true, true, true},
		{"not offered, on", false, true, false, true, false},
		{"not offered, on, confidential: refused", false, true, true, false, false},
		{"offered, off", true, false, true, true, false},
		{"not offered, off, confidential", false, false, true, true, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			ts := startServer(t, serverOptions{TLS: &tls.Config{Certificates: []tls.Certificate{cert}}, RequireTLS: c.offered})
			cl := newTestClient(t, ts.Addr, Options{TLS: StartTLS, TLSConfig: &tls.Config{RootCAs: pool}, RequireTLS: c.on})
			ctx := t.Context()
			if c.marked {
				ctx = WithRequireTLS(ctx)
			}
			err := cl.Send(ctx, "a@example.test", []string{"b@example.test"}, testMsg("1"))
			msgs := ts.Messages()
			if !c.sent {
				var se *Error
				if err == nil || !errors.As(err, &se) || se.Temporary || se.Op != "mail" || !strings.Contains(err.Error(), "REQUIRETLS") || len(msgs) != 0 {
					t.Fatalf("want a permanent refusal at MAIL and nothing sent: %v, %d sent", err, len(msgs))
				}
				return
			}
			if err != nil || len(msgs) != 1 {
				t.Fatalf("send: %v, %d sent", err, len(msgs))
			}
			if msgs[0].RequireTLS != c.withExt || !msgs[0].TLS {
				t.Errorf("REQUIRETLS %v (want %v), TLS %v", msgs[0].RequireTLS, c.withExt, msgs[0].TLS)
			}
		})
	}
}
