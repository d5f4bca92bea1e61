package smtpserver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"parley/inbound"
)

// sendWithClient sends one message with go-smtp's client and returns the
// first error.
func sendWithClient(c *smtp.Client, from string, to []string, msg string) error {
	if err := c.Mail(from, nil); err != nil {
		return fmt.Errorf("MAIL: %w", err)
	}
	for _, rcpt := range to {
		if err := c.Rcpt(rcpt, nil); err != nil {
			return fmt.Errorf("RCPT %s: %w", rcpt, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	if _, err := w.Write([]byte(msg)); err != nil {
		return fmt.Errorf("writing: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("end of data: %w", err)
	}
	return nil
}

// smtpCode returns the reply code of a go-smtp client error, or 0.
func smtpCode(err error) (int, smtp.EnhancedCode, string) {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return se.Code, se.EnhancedCode, se.Message
	}
	return 0, smtp.EnhancedCode{}, ""
}

func TestReplyHandedOverIntact(t *testing.T) {
	recv := newFakeReceiver()
	ts := startServer(t, recv, Options{})
	conn, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	c := smtp.NewClient(conn)
	defer c.Close()
	if err := c.Hello("mx.example.org"); err != nil {
		t.Fatal(err)
	}
	to := []string{"reply+tok1@parley.test", "reply+tok2@parley.test"}
	if err := sendWithClient(c, "alice@example.org", to, testMessage); err != nil {
		t.Fatal(err)
	}
	if err := c.Quit(); err != nil {
		t.Fatal(err)
	}
	got := recv.deliveries()
	if len(got) != 1 {
		t.Fatalf("%d deliveries, want 1", len(got))
	}
	d := got[0]
	local := conn.LocalAddr().String()
	want := inbound.Envelope{Door: "smtp", MailFrom: "alice@example.org", Rcpt: to, Remote: local, HELO: "mx.example.org"}
	if !reflect.DeepEqual(d.env, want) {
		t.Errorf("envelope %+v, want %+v", d.env, want)
	}
	if string(d.raw) != testMessage {
		t.Errorf("message not intact:\ngot  %q\nwant %q", d.raw, testMessage)
	}
	logs := ts.logs.String()
	for _, kv := range []string{"outcome=posted", "from=alice@example.org", "remote=" + local, fmt.Sprintf("size=%d", len(testMessage))} {
		if !strings.Contains(logs, kv) {
			t.Errorf("log lacks %s:\n%s", kv, logs)
		}
	}
	if strings.Contains(logs, "noon works") {
		t.Error("the body was logged")
	}
}

func TestNullSenderAccepted(t *testing.T) {
	recv := newFakeReceiver()
	ts := startServer(t, recv, Options{})
	c := dialRaw(t, ts.addr)
	c.expect("EHLO mx.example.org", 250)
	c.expect("MAIL FROM:<>", 250)
	c.expect("RCPT TO:<reply+tok1@parley.test>", 250)
	c.expect("DATA", 354)
	c.send("Subject: Undelivered Mail Returned to Sender\r\n\r\nbounce\r\n")
	c.expect(".", 250)
	d := recv.deliveries()
	if len(d) != 1 || d[0].env.MailFrom != "" {
		t.Fatalf("deliveries %+v, want one from the null sender", d)
	}
}

func TestRcptRefusedForNonReplyAddress(t *testing.T) {
	recv := newFakeReceiver()
	ts := startServer(t, recv, Options{})
	c := dialRaw(t, ts.addr)
	c.expect("EHLO mx.example.org", 250)
	c.expect("MAIL FROM:<spammer@example.com>", 250)
	for _, addr := range []string{"someone@elsewhere.example", "postmaster@parley.test", "reply+x@parley.test.evil"} {
		code, text := c.cmd("RCPT TO:<" + addr + ">")
		if code != 550 || text != "5.1.1 no such reply address" {
			t.Errorf("RCPT %s: %d %s, want 550 5.1.1 no such reply address", addr, code, text)
		}
	}
	// No recipient: DATA is refused, nothing is handed over.
	if code, text := c.cmd("DATA"); code/100 != 5 {
		t.Errorf("DATA without recipient: %d %s", code, text)
	}
	c.expect("QUIT", 221)
	if len(recv.deliveries()) != 0 {
		t.Fatal("a message was handed over")
	}
	if strings.Contains(c.transcript.String(), "SECRET") {
		t.Errorf("internal detail reached the client:\n%s", c.transcript.String())
	}
}

func TestTooManyRecipients(t *testing.T) {
	recv := newFakeReceiver()
	ts := startServer(t, recv, Options{MaxRecipients: 3})
	c := dialRaw(t, ts.addr)
	c.expect("EHLO mx.example.org", 250)
	c.expect("MAIL FROM:<alice@example.org>", 250)
	for i := range 3 {
		c.expect(fmt.Sprintf("RCPT TO:<reply+t%d@parley.test>", i), 250)
	}
	if code, text := c.cmd("RCPT TO:<reply+t3@parley.test>"); code != 452 || !strings.HasPrefix(text, "4.5.3 ") {
		t.Errorf("4th RCPT: %d %s, want 452 4.5.3", code, text)
	}
	c.expect("DATA", 354)
	c.send("Subject: x\r\n\r\nhi\r\n")
	c.expect(".", 250)
	if d := recv.deliveries(); len(d) != 1 || len(d[0].env.Rcpt) != 3 {
		t.Fatalf("deliveries %+v, want one to 3 recipients", d)
	}
}

func TestNestedMailRefused(t *testing.T) {
	recv := newFakeReceiver()
	ts := startServer(t, recv, Options{})
	c := dialRaw(t, ts.addr)
	c.expect("EHLO mx.example.org", 250)
	c.expect("MAIL FROM:<a@example.org>", 250)
	c.expect("RCPT TO:<reply+t1@parley.test>", 250)
	c.expect("MAIL FROM:<b@example.org>", 503)
	c.expect("RSET", 250)
	c.expect("MAIL FROM:<b@example.org>", 250)
	c.expect("RCPT TO:<reply+t2@parley.test>", 250)
	c.expect("DATA", 354)
	c.send("Subject: x\r\n\r\nhi\r\n")
	c.expect(".", 250)
	d := recv.deliveries()
	if len(d) != 1 || d[0].env.MailFrom != "b@example.org" || !reflect.DeepEqual(d[0].env.Rcpt, []string{"reply+t2@parley.test"}) {
		t.Fatalf("deliveries %+v", d)
	}
}

func TestSizeAnnouncedAndEnforced(t *testing.T) {
	const max = 1000
	recv := newFakeReceiver()
	ts := startServer(t, recv, Options{MaxMessageBytes: max})
	c := dialRaw(t, ts.addr)
	ehlo := c.expect("EHLO mx.example.org", 250)
	if !strings.Contains(ehlo, "\nSIZE 1000\n") {
		t.Errorf("EHLO does not announce SIZE 1000:\n%s", ehlo)
	}
	// Refused up front when the client says its size.
	if code, text := c.cmd("MAIL FROM:<a@example.org> SIZE=1001"); code != 552 || !strings.HasPrefix(text, "5.3.4 ") {
		t.Errorf("MAIL SIZE=1001: %d %s", code, text)
	}
	// Refused while reading when it does not.
	c.expect("MAIL FROM:<a@example.org>", 250)
	c.expect("RCPT TO:<reply+t1@parley.test>", 250)
	c.expect("DATA", 354)
	c.send("Subject: big\r\n\r\n" + strings.Repeat(strings.Repeat("x", 98)+"\r\n", 20))
	code, text := c.cmd(".")
	if code != 552 || text != "5.3.4 Message too big, the limit is 1000 bytes" {
		t.Errorf("too big: %d %s", code, text)
	}
	// The session goes on; a message under the limit passes.
	c.expect("MAIL FROM:<a@example.org>", 250)
	c.expect("RCPT TO:<reply+t1@parley.test>", 250)
	c.expect("DATA", 354)
	small := "Subject: small\r\n\r\n" + strings.Repeat("y", max-1-len("Subject: small\r\n\r\n")-2) + "\r\n"
	if len(small) != max-1 {
		t.Fatalf("test message is %d bytes", len(small))
	}
	c.send(small)
	c.expect(".", 250)
	d := recv.deliveries()
	if len(d) != 1 || string(d[0].raw) != small {
		t.Fatalf("want only the small message handed over, got %d", len(d))
	}
}

func TestReceiveErrorsMappedToReplies(t *testing.T) {
	for _, tc := range []struct {
		name     string
		err      error
		wantCode int
		wantText string
	}{
		{"temporary", inbound.Defer("room store unavailable", errors.New(secret)), 451, "4.3.0 room store unavailable"},
		{"permanent", inbound.Refuse("sender is not a member of this room", errors.New(secret)), 550, "5.7.1 sender is not a member of this room"},
		{"plain error", errors.New("dial tcp: " + secret), 451, "4.3.0 " + textTemporary},
		{"wrapped inbound", fmt.Errorf("posting: %w", inbound.Refuse("token revoked", errors.New(secret))), 550, "5.7.1 token revoked"},
		{"reason with CRLF", inbound.Refuse("bad\r\n250 2.0.0 OK "+strings.Repeat("z", 300), nil), 550, "5.7.1 bad 250 2.0.0 OK " + strings.Repeat("z", maxReasonLen-len("bad 250 2.0.0 OK "))},
		{"context", context.DeadlineExceeded, 451, "4.3.0 " + textTemporary},
	} {
		t.Run(tc.name, func(t *testing.T) {
			recv := newFakeReceiver()
			recv.receive = func(context.Context, inbound.Envelope, []byte) (inbound.Result, error) {
				return inbound.Result{}, tc.err
			}
			ts := startServer(t, recv, Options{})
			c := dialRaw(t, ts.addr)
			c.expect("EHLO mx.example.org", 250)
			c.expect("MAIL FROM:<a@example.org>", 250)
			c.expect("RCPT TO:<reply+t1@parley.test>", 250)
			c.expect("DATA", 354)
			c.send(testMessage)
			code, text := c.cmd(".")
			if code != tc.wantCode || text != tc.wantText {
				t.Errorf("got %d %q, want %d %q", code, text, tc.wantCode, tc.wantText)
			}
			// The session is still usable.
			c.expect("NOOP", 250)
			c.expect("QUIT", 221)
			if tr := c.transcript.String(); strings.Contains(tr, "SECRET") || strings.Contains(tr, "dial tcp") ||
				strings.Contains(tr, "deadline") {
				t.Errorf("internal detail reached the client:\n%s", tr)
			}
			if tc.err != nil && strings.Contains(tc.err.Error(), secret) && !strings.Contains(ts.logs.String(), secret) {
				t.Errorf("the detail is not in the log:\n%s", ts.logs)
			}
		})
	}
}

func TestCheckRecipientErrorsMappedToReplies(t *testing.T) {
	for _, tc := range []struct {
		name     string
		err      error
		wantCode int
		wantText string
	}{
		{"temporary", inbound.Defer("try later", errors.New(secret)), 451, "4.3.0 try later"},
		{"permanent no reason", inbound.Refuse("", errors.New(secret)), 550, "5.1.1 Message refused"},
		{"plain", errors.New(secret), 451, "4.3.0 " + textTemporary},
	} {
		t.Run(tc.name, func(t *testing.T) {
			recv := newFakeReceiver()
			recv.check = func(context.Context, string) error { return tc.err }
			ts := startServer(t, recv, Options{})
			c := dialRaw(t, ts.addr)
			c.expect("EHLO mx.example.org", 250)
			c.expect("MAIL FROM:<a@example.org>", 250)
			code, text := c.cmd("RCPT TO:<reply+t1@parley.test>")
			if code != tc.wantCode || text != tc.wantText {
				t.Errorf("got %d %q, want %d %q", code, text, tc.wantCode, tc.wantText)
			}
			if strings.Contains(c.transcript.String(), "SECRET") {
				t.Errorf("internal detail reached the client:\n%s", c.transcript.String())
			}
		})
	}
}

func TestPanickingReceiverDoesNotKillServer(t *testing.T) {
	recv := newFakeReceiver()
	recv.receive = func(context.Context, inbound.Envelope, []byte) (inbound.Result, error) {
		panic("receiver bug " + secret)
	}
	ts := startServer(t, recv, Options{})
	c := dialRaw(t, ts.addr)
	c.expect("EHLO mx.example.org", 250)
	c.expect("MAIL FROM:<a@example.org>", 250)
	c.expect("RCPT TO:<reply+t1@parley.test>", 250)
	c.expect("DATA", 354)
	c.send(testMessage)
	if code, _ := c.cmd("."); code != 421 {
		t.Errorf("panic answered %d, want 421", code)
	}
	if strings.Contains(c.transcript.String(), "SECRET") {
		t.Error("panic text reached the client")
	}
	// The log shows where the panic happened: in the receiver's goroutine
	// (receivers.go), with this test's function on its stack.
	for end := time.Now().Add(5 * time.Second); !strings.Contains(ts.logs.String(), "in the receiver goroutine") && time.Now().Before(end); {
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.Contains(ts.logs.String(), "TestPanickingReceiverDoesNotKillServer") {
		t.Errorf("the panic's log has not the receiver's stack:\n%s", ts.logs)
	}
	// The server still serves.
	c2 := dialRaw(t, ts.addr)
	c2.expect("EHLO mx.example.org", 250)
}

func TestSTARTTLS(t *testing.T) {
	cert, pool := testCert(t)
	recv := newFakeReceiver()
	ts := startServer(t, recv, Options{TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}}})

	raw := dialRaw(t, ts.addr)
	if ehlo := raw.expect("EHLO mx.example.org", 250); !strings.Contains(ehlo, "STARTTLS") {
		t.Errorf("STARTTLS not offered:\n%s", ehlo)
	}

	c, err := smtp.DialStartTLS(ts.addr, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// The handshake happens with the first command after STARTTLS.
	if err := c.Hello("mx.example.org"); err != nil {
		t.Fatal(err)
	}
	if state, ok := c.TLSConnectionState(); !ok || !state.HandshakeComplete {
		t.Fatal("no TLS after STARTTLS")
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		t.Error("STARTTLS offered again inside TLS")
	}
	if err := sendWithClient(c, "alice@example.org", []string{"reply+tok1@parley.test"}, testMessage); err != nil {
		t.Fatal(err)
	}
	_ = c.Quit()
	d := recv.deliveries()
	if len(d) != 1 || string(d[0].raw) != testMessage {
		t.Fatalf("deliveries %+v", d)
	}
	if !strings.Contains(ts.logs.String(), "tls=true") {
		t.Errorf("log does not say tls=true:\n%s", ts.logs)
	}
}

func TestNoSTARTTLSWithoutCertificate(t *testing.T) {
	ts := startServer(t, newFakeReceiver(), Options{})
	c := dialRaw(t, ts.addr)
	if ehlo := c.expect("EHLO mx.example.org", 250); strings.Contains(ehlo, "STARTTLS") {
		t.Errorf("STARTTLS offered without a certificate:\n%s", ehlo)
	}
	c.expect("STARTTLS", 502)
}

// TestBDATCutShortNotHandedOver: go-smtp passes a BDAT LAST chunk that
// the client's EOF cut short to Data as if it were whole; the session
// must not hand it over.
func TestBDATCutShortNotHandedOver(t *testing.T) {
	recv := newFakeReceiver()
	ts := startServer(t, recv, Options{})
	c := dialRaw(t, ts.addr)
	c.expect("EHLO mx.example.org", 250)
	c.expect("MAIL FROM:<a@example.org>", 250)
	c.expect("RCPT TO:<reply+t1@parley.test>", 250)
	c.send("BDAT 100 LAST\r\nSubject: cut\r\n\r\nonly part")
	if err := c.conn.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	for code, _ := c.read(); code != 0; code, _ = c.read() {
		if code == 250 {
			t.Error("a cut message was acknowledged")
		}
	}
	time.Sleep(50 * time.Millisecond)
	if d := recv.deliveries(); len(d) != 0 {
		t.Fatalf("a cut message was handed over: %q", d[0].raw)
	}
}

func TestBDATWhole(t *testing.T) {
	recv := newFakeReceiver()
	ts := startServer(t, recv, Options{})
	c := dialRaw(t, ts.addr)
	c.expect("EHLO mx.example.org", 250)
	c.expect("MAIL FROM:<a@example.org>", 250)
	c.expect("RCPT TO:<reply+t1@parley.test>", 250)
	half := len(testMessage) / 2
	c.send(fmt.Sprintf("BDAT %d\r\n%s", half, testMessage[:half]))
	if code, _ := c.read(); code != 250 {
		t.Fatalf("first chunk: %d", code)
	}
	c.send(fmt.Sprintf("BDAT %d LAST\r\n%s", len(testMessage)-half, testMessage[half:]))
	if code, text := c.read(); code != 250 {
		t.Fatalf("last chunk: %d %s", code, text)
	}
	if d := recv.deliveries(); len(d) != 1 || string(d[0].raw) != testMessage {
		t.Fatalf("deliveries %+v", d)
	}
}

func TestNewNeedsReceiver(t *testing.T) {
	if _, err := New(nil, Options{}); err == nil {
		t.Fatal("New(nil) succeeded")
	}
}

func TestServeTwice(t *testing.T) {
	ts := startServer(t, newFakeReceiver(), Options{})
	dialRaw(t, ts.addr) // the first Serve is running
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := ts.Serve(context.Background(), l); err == nil {
		t.Fatal("second Serve succeeded")
	}
	if got := ts.Addr().String(); got != ts.addr {
		t.Errorf("Addr() = %s, want %s", got, ts.addr)
	}
}

func TestListenAndServe(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	srv, err := New(newFakeReceiver(), Options{Addr: addr, Domain: testDomain})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.ListenAndServe(ctx) }()
	var c *rawClient
	for i := 0; ; i++ {
		conn, err := net.Dial("tcp", addr)
		if err == nil {
			conn.Close()
			c = dialRaw(t, addr)
			break
		}
		if i == 100 {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	c.expect("EHLO mx.example.org", 250)
	if srv.Addr() == nil || srv.Addr().String() != addr {
		t.Errorf("Addr() = %v", srv.Addr())
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	bad, err := New(newFakeReceiver(), Options{Addr: "127.0.0.1:-1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := bad.ListenAndServe(context.Background()); err == nil {
		t.Fatal("ListenAndServe on a bad address succeeded")
	}
}
