package smtpserver

import (
	"crypto/tls"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"
)

// TestRequireTLS: with RequireTLS, MAIL in the clear is refused with 530
// and a reason; after STARTTLS the same mail is taken.
func TestRequireTLS(t *testing.T) {
	if _, err := New(newFakeReceiver(), Options{RequireTLS: true}); err == nil {
		t.Fatal("RequireTLS without a certificate accepted")
	}
	cert, pool := testCert(t)
	recv := newFakeReceiver()
	ts := startServer(t, recv, Options{TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}}, RequireTLS: true})

	raw := dialRaw(t, ts.addr)
	raw.expect("EHLO mx.example.org", 250)
	if reply := raw.expect("MAIL FROM:<alice@example.org>", 530); !strings.Contains(reply, "STARTTLS") {
		t.Errorf("plain MAIL answered %q", reply)
	}

	c, err := smtp.DialStartTLS(ts.addr, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := sendWithClient(c, "alice@example.org", []string{"reply+tok1@parley.test"}, testMessage); err != nil {
		t.Fatalf("over TLS: %v", err)
	}
	if d := recv.deliveries(); len(d) != 1 {
		t.Fatalf("%d deliveries", len(d))
	}
}
