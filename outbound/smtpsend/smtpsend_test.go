package smtpsend

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"parley/internal/syncbuf"
)

// newTestClient makes a Client for ts with test defaults (plain text,
// debug log to the test output) and closes it at the end of the test.
func newTestClient(t testing.TB, addr string, opt Options) *Client {
	t.Helper()
	opt.Addr = addr
	if opt.TLS == "" {
		opt.TLS = NoTLS
	}
	if opt.Timeout == 0 {
		opt.Timeout = 5 * time.Second
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	c, err := New(opt)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func testMsg(subject string) []byte {
	return []byte("From: parley <room@parley.test>\r\nTo: bob@example.test\r\nSubject: " + subject +
		"\r\n\r\nhello\r\n")
}

// asError returns err as *Error or fails the test.
func asError(t testing.TB, err error) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *Error", err, err)
	}
	return e
}

func TestNewValidatesOptions(t *testing.T) {
	tests := []struct {
		name    string
		opt     Options
		wantErr string // "" means valid
	}{
		{"minimal", Options{Addr: "smtp.example.com:587"}, ""},
		{"no port", Options{Addr: "smtp.example.com"}, "missing port"},
		{"empty", Options{}, "missing port"},
		{"no host", Options{Addr: ":25"}, "host and port are required"},
		{"bad TLS mode", Options{Addr: "h:25", TLS: "ssl"}, "unknown TLS mode"},
		{"auth over starttls", Options{Addr: "smtp.example.com:587", Username: "u", Password: "p"}, ""},
		{"auth over implicit TLS", Options{Addr: "smtp.example.com:465", TLS: ImplicitTLS, Username: "u", Password: "p"}, ""},
		{"plain-text auth to remote host refused", Options{Addr: "smtp.example.com:25", TLS: NoTLS, Username: "u", Password: "p"}, "refusing to send a password in plain text"},
		{"plain-text auth to remote IP refused", Options{Addr: "192.0.2.1:25", TLS: NoTLS, Username: "u", Password: "p"}, "refusing"},
		{"plain-text auth to 127.0.0.1", Options{Addr: "127.0.0.1:25", TLS: NoTLS, Username: "u", Password: "p"}, ""},
		{"plain-text auth to 127.0.0.2", Options{Addr: "127.0.0.2:25", TLS: NoTLS, Username: "u", Password: "p"}, ""},
		{"plain-text auth to ::1", Options{Addr: "[::1]:25", TLS: NoTLS, Username: "u", Password: "p"}, ""},
		{"plain-text auth to localhost", Options{Addr: "LocalHost:25", TLS: NoTLS, Username: "u", Password: "p"}, ""},
		{"password without user", Options{Addr: "h:25", Password: "p"}, "without a username"},
		{"NUL in password", Options{Addr: "h:25", Username: "u", Password: "p\x00"}, "NUL"},
		{"TLSConfig with none", Options{Addr: "h:25", TLS: NoTLS, TLSConfig: &tls.Config{}}, "TLSConfig given"},
		{"space in local name", Options{Addr: "h:25", LocalName: "a b"}, "white space"},
		{"CRLF in local name", Options{Addr: "h:25", LocalName: "a\r\nQUIT"}, "white space"},
		{"negative pool", Options{Addr: "h:25", PoolSize: -1}, "negative"},
		{"negative timeout", Options{Addr: "h:25", Timeout: -time.Second}, "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.opt)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				_ = c.Close()
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("New error = %v, want one containing %q", err, tt.wantErr)
			}
			if tt.opt.Password != "" && strings.Contains(err.Error(), tt.opt.Password) && len(tt.opt.Password) > 1 {
				t.Errorf("error shows the password: %v", err)
			}
		})
	}
}

func TestNewDefaults(t *testing.T) {
	c, err := New(Options{Addr: "smtp.example.com:587"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.opt.TLS != StartTLS || c.opt.PoolSize != DefaultPoolSize || c.opt.IdleTimeout != DefaultIdleTimeout ||
		c.opt.Timeout != DefaultTimeout || c.opt.LocalName != "localhost" {
		t.Errorf("defaults not applied: %+v", c.opt)
	}
	if c.tlsConfig.ServerName != "smtp.example.com" {
		t.Errorf("ServerName = %q, want the host of Addr", c.tlsConfig.ServerName)
	}
	own := &tls.Config{ServerName: "relay.example.net"}
	c2, err := New(Options{Addr: "10.0.0.1:587", TLSConfig: own})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if c2.tlsConfig == own || c2.tlsConfig.ServerName != "relay.example.net" {
		t.Errorf("TLSConfig not cloned or ServerName overridden")
	}
}

func TestSendDeliversIntact(t *testing.T) {
	ts := startServer(t, serverOptions{})
	c := newTestClient(t, ts.Addr, Options{LocalName: "parley.test"})
	msg := []byte("From: room@parley.test\r\nTo: bob@example.test\r\nSubject: intact\r\n\r\n" +
		".leading dot\r\n..two dots\r\n.\r\n8-bit \xc3\xa9t\xc3\xa9\r\n\r\n\tlast line\r\n")
	if err := c.Send(t.Context(), "room+x@parley.test", []string{"bob@example.test"}, msg); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := ts.Messages()
	if len(got) != 1 {
		t.Fatalf("server got %d messages, want 1", len(got))
	}
	if !bytes.Equal(got[0].Data, msg) {
		t.Errorf("message changed in transit:\n got %q\nwant %q", got[0].Data, msg)
	}
	if got[0].From != "room+x@parley.test" || len(got[0].To) != 1 || got[0].To[0] != "bob@example.test" {
		t.Errorf("envelope = %q -> %q", got[0].From, got[0].To)
	}
	if got[0].Helo != "parley.test" {
		t.Errorf("EHLO name = %q, want parley.test", got[0].Helo)
	}
}

func TestSendNullSenderAndSeveralRecipients(t *testing.T) {
	ts := startServer(t, serverOptions{})
	c := newTestClient(t, ts.Addr, Options{})
	to := []string{"a@example.test", "b@example.test", "c@example.test"}
	if err := c.Send(t.Context(), "", to, testMsg("bounce")); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := ts.Messages()
	if len(got) != 1 || got[0].From != "" || strings.Join(got[0].To, ",") != strings.Join(to, ",") {
		t.Fatalf("got %+v", got)
	}
}

func TestSendRejectsBadEnvelope(t *testing.T) {
	ts := startServer(t, serverOptions{})
	c := newTestClient(t, ts.Addr, Options{})
	for _, tt := range []struct {
		from string
		to   []string
		op   string
	}{
		{"a@b\r\nRCPT TO:<x@y>", []string{"x@y"}, "mail"},
		{"a@b", nil, "rcpt"},
		{"a@b", []string{""}, "rcpt"},
		{"a@b", []string{"x@y>\r\nDATA"}, "rcpt"},
	} {
		err := c.Send(t.Context(), tt.from, tt.to, testMsg("x"))
		e := asError(t, err)
		if e.Op != tt.op || e.Temporary {
			t.Errorf("Send(%q, %q) = %v, want permanent %s error", tt.from, tt.to, err, tt.op)
		}
	}
	if ts.Accepted() != 0 {
		t.Errorf("bad envelopes opened %d connections", ts.Accepted())
	}
}

func TestSendNonASCIIWithoutSMTPUTF8(t *testing.T) {
	ts := startServer(t, serverOptions{})
	c := newTestClient(t, ts.Addr, Options{})
	if err := c.Send(t.Context(), "a@example.test", []string{"b@example.test"}, testMsg("first")); err != nil {
		t.Fatal(err)
	}
	err := c.Send(t.Context(), "a@example.test", []string{"jürgen@example.test"}, testMsg("utf8"))
	if e := asError(t, err); e.Op != "mail" || e.Temporary || !strings.Contains(e.Message, "SMTPUTF8") {
		t.Fatalf("got %v, want permanent mail error about SMTPUTF8", err)
	}
	// The session was not touched: the next message uses it.
	if err := c.Send(t.Context(), "a@example.test", []string{"b@example.test"}, testMsg("ok")); err != nil {
		t.Fatal(err)
	}
	if ts.Accepted() != 1 {
		t.Errorf("server accepted %d connections, want 1", ts.Accepted())
	}
}

func TestConnectionReused(t *testing.T) {
	ts := startServer(t, serverOptions{})
	c := newTestClient(t, ts.Addr, Options{})
	const n = 20
	for i := range n {
		if err := c.Send(t.Context(), "a@example.test", []string{"b@example.test"}, testMsg(fmt.Sprint(i))); err != nil {
			t.Fatalf("Send %d: %v", i, err)
		}
	}
	if got := ts.Accepted(); got != 1 {
		t.Errorf("server accepted %d connections for %d sequential messages, want 1", got, n)
	}
	msgs := ts.Messages()
	if len(msgs) != n {
		t.Fatalf("server got %d messages, want %d", len(msgs), n)
	}
	for i, m := range msgs {
		if m.Conn != msgs[0].Conn {
			t.Errorf("message %d came on connection %d, want %d", i, m.Conn, msgs[0].Conn)
		}
		if !bytes.Contains(m.Data, []byte(fmt.Sprintf("Subject: %d\r\n", i))) {
			t.Errorf("message %d out of order or damaged: %q", i, m.Data)
		}
	}
}

func TestPoolBoundUnderConcurrency(t *testing.T) {
	ts := startServer(t, serverOptions{})
	ts.SetDataDelay(5 * time.Millisecond)
	const pool, senders = 3, 50
	c := newTestClient(t, ts.Addr, Options{PoolSize: pool})
	var wg sync.WaitGroup
	errs := make(chan error, senders)
	for i := range senders {
		wg.Go(func() {
			rcpt := fmt.Sprintf("r%d@example.test", i)
			if err := c.Send(t.Context(), "a@example.test", []string{rcpt}, testMsg(rcpt)); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("Send: %v", err)
	}
	if got := len(ts.Messages()); got != senders {
		t.Errorf("server got %d messages, want %d", got, senders)
	}
	if got := ts.MaxOpen(); got > pool {
		t.Errorf("server saw %d concurrent connections, pool is %d", got, pool)
	}
	if got := ts.Accepted(); got > pool {
		t.Errorf("server accepted %d connections for %d messages, want at most %d (all reused)", got, senders, pool)
	}
	seen := map[string]bool{}
	for _, m := range ts.Messages() {
		if seen[m.To[0]] {
			t.Errorf("%s received twice", m.To[0])
		}
		seen[m.To[0]] = true
	}
}

func TestReplyCodesClassified(t *testing.T) {
	tests := []struct {
		stage     string
		code      int
		enhanced  smtp.EnhancedCode
		temporary bool
		newConn   bool // the connection is dropped after this failure
	}{
		{"mail", 421, smtp.EnhancedCode{4, 3, 2}, true, true},
		{"mail", 451, smtp.EnhancedCode{4, 3, 0}, true, false},
		{"mail", 550, smtp.EnhancedCode{5, 7, 1}, false, false},
		{"rcpt", 450, smtp.EnhancedCode{4, 2, 0}, true, false},
		{"rcpt", 451, smtp.EnhancedCode{4, 7, 1}, true, false},
		{"rcpt", 550, smtp.EnhancedCode{5, 1, 1}, false, false},
		{"rcpt", 554, smtp.EnhancedCode{5, 7, 1}, false, false},
		{"data", 421, smtp.EnhancedCode{4, 4, 0}, true, true},
		{"data", 451, smtp.EnhancedCode{4, 3, 0}, true, false},
		{"data", 554, smtp.EnhancedCode{5, 6, 0}, false, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s_%d", tt.stage, tt.code), func(t *testing.T) {
			ts := startServer(t, serverOptions{})
			c := newTestClient(t, ts.Addr, Options{})
			ts.Fault(tt.stage, tt.code, tt.enhanced, "injected fault")
			err := c.Send(t.Context(), "a@example.test", []string{"b@example.test"}, testMsg("fault"))
			e := asError(t, err)
			if e.Op != tt.stage || e.Code != tt.code || e.Enhanced != [3]int(tt.enhanced) ||
				e.Temporary != tt.temporary || IsTemporary(err) != tt.temporary || e.Message != "injected fault" {
				t.Errorf("got %#v, want op %s code %d %v temporary %v", e, tt.stage, tt.code, tt.enhanced, tt.temporary)
			}
			want := fmt.Sprintf("%d %d.%d.%d injected fault", tt.code, tt.enhanced[0], tt.enhanced[1], tt.enhanced[2])
			if !strings.Contains(err.Error(), want) {
				t.Errorf("Error() = %q, want it to contain %q", err, want)
			}
			if tt.stage == "rcpt" && e.Rcpt != "b@example.test" {
				t.Errorf("Rcpt = %q", e.Rcpt)
			}
			if n := len(ts.Messages()); n != 0 {
				t.Errorf("server kept %d messages", n)
			}
			// The connection is still good (RSET) unless the server said 421.
			ts.Fault(tt.stage, 0, smtp.EnhancedCode{}, "")
			if err := c.Send(t.Context(), "a@example.test", []string{"b@example.test"}, testMsg("after")); err != nil {
				t.Fatalf("Send after the fault: %v", err)
			}
			wantConns := 1
			if tt.newConn {
				wantConns = 2
			}
			if got := ts.Accepted(); got != wantConns {
				t.Errorf("server accepted %d connections, want %d", got, wantConns)
			}
		})
	}
}

func TestPartialRecipientFailure(t *testing.T) {
	ts := startServer(t, serverOptions{})
	c := newTestClient(t, ts.Addr, Options{})
	ts.Fault("rcpt:gone@example.test", 550, smtp.EnhancedCode{5, 1, 1}, "no such user")
	ts.Fault("rcpt:full@example.test", 452, smtp.EnhancedCode{4, 2, 2}, "mailbox full")

	err := c.Send(t.Context(), "a@example.test", []string{"ok@example.test", "gone@example.test", "x@example.test"}, testMsg("p"))
	e := asError(t, err)
	if e.Op != "rcpt" || e.Rcpt != "gone@example.test" || e.Temporary || e.Code != 550 || e.Enhanced != [3]int{5, 1, 1} {
		t.Errorf("got %#v, want permanent 550 5.1.1 for gone@example.test", e)
	}
	if !strings.Contains(err.Error(), "rcpt <gone@example.test>: 550 5.1.1 no such user (permanent)") {
		t.Errorf("Error() = %q", err)
	}
	err = c.Send(t.Context(), "a@example.test", []string{"ok@example.test", "full@example.test"}, testMsg("p"))
	if e := asError(t, err); e.Rcpt != "full@example.test" || !e.Temporary || e.Code != 452 {
		t.Errorf("got %#v, want temporary 452 for full@example.test", e)
	}
	keptAfterRefusals(t, ts, c, "ok@example.test")
}

// keptAfterRefusals checks, after refused sends, that nothing reached ts
// and that the next send to rcpt goes out on the same session (RSET).
func keptAfterRefusals(t *testing.T, ts *testServer, c *Client, rcpt string) {
	t.Helper()
	if n := len(ts.Messages()); n != 0 {
		t.Fatalf("%d messages sent after refusals", n)
	}
	if err := c.Send(t.Context(), "a@example.test", []string{rcpt}, testMsg("p")); err != nil {
		t.Fatalf("Send after refusals: %v", err)
	}
	if ts.Accepted() != 1 {
		t.Errorf("server accepted %d connections, want 1 (RSET keeps the session)", ts.Accepted())
	}
}

func TestServerDownThenUp(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()

	c := newTestClient(t, addr, Options{})
	err = c.Send(t.Context(), "a@example.test", []string{"b@example.test"}, testMsg("down"))
	e := asError(t, err)
	if e.Op != "dial" || !e.Temporary || !IsTemporary(err) || !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("server down: got %v, want temporary dial error wrapping ECONNREFUSED", err)
	}

	ts := startServer(t, serverOptions{Addr: addr})
	if err := c.Send(t.Context(), "a@example.test", []string{"b@example.test"}, testMsg("up")); err != nil {
		t.Fatalf("server back up: %v", err)
	}
	if len(ts.Messages()) != 1 {
		t.Fatalf("server got %d messages", len(ts.Messages()))
	}
}

func TestServerClosesIdleConnection(t *testing.T) {
	tests := []struct {
		name string
		so   serverOptions
		drop func(ts *testServer)
	}{
		// The server (or a NAT box) closes the socket without a word.
		{"silent close", serverOptions{}, func(ts *testServer) { ts.DropAll() }},
		// go-smtp's idle timeout: "421 4.4.2 Idle timeout, bye bye", then close.
		{"421 idle timeout", serverOptions{ReadTimeout: 100 * time.Millisecond}, func(*testServer) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := startServer(t, tt.so)
			c := newTestClient(t, ts.Addr, Options{})
			if err := c.Send(t.Context(), "a@example.test", []string{"b@example.test"}, testMsg("1")); err != nil {
				t.Fatal(err)
			}
			tt.drop(ts)
			ts.WaitOpen(t, 0)
			if err := c.Send(t.Context(), "a@example.test", []string{"b@example.test"}, testMsg("2")); err != nil {
				t.Fatalf("Send after the server closed the pooled connection: %v", err)
			}
			msgs := ts.Messages()
			if len(msgs) != 2 || !bytes.Contains(msgs[1].Data, []byte("Subject: 2\r\n")) {
				t.Fatalf("server got %d messages, want 2, each once", len(msgs))
			}
			if ts.Accepted() != 2 {
				t.Errorf("server accepted %d connections, want 2", ts.Accepted())
			}
		})
	}
}

func TestNoRetryAfterFailedDataOnPooledConnection(t *testing.T) {
	// A connection that breaks after the body was sent may have delivered
	// the message: Send must report it, not send it again.
	ts := startServer(t, serverOptions{})
	c := newTestClient(t, ts.Addr, Options{})
	if err := c.Send(t.Context(), "a@example.test", []string{"b@example.test"}, testMsg("1")); err != nil {
		t.Fatal(err)
	}
	open := ts.Gate("data")
	defer open()
	done := make(chan error, 1)
	go func() { done <- c.Send(t.Context(), "a@example.test", []string{"b@example.test"}, testMsg("2")) }()
	<-ts.started
	ts.DropAll()
	err := <-done
	if e := asError(t, err); e.Op != "data" || !e.Temporary || e.Code != 0 {
		t.Fatalf("got %v, want temporary data error", err)
	}
	if ts.Accepted() != 1 {
		t.Errorf("Send retried after DATA: server accepted %d connections", ts.Accepted())
	}
}

func TestIdleTimeoutClosesConnections(t *testing.T) {
	ts := startServer(t, serverOptions{})
	c := newTestClient(t, ts.Addr, Options{IdleTimeout: 50 * time.Millisecond})
	if err := c.Send(t.Context(), "a@example.test", []string{"b@example.test"}, testMsg("1")); err != nil {
		t.Fatal(err)
	}
	ts.WaitOpen(t, 0)
	if err := c.Send(t.Context(), "a@example.test", []string{"b@example.test"}, testMsg("2")); err != nil {
		t.Fatal(err)
	}
	if ts.Accepted() != 2 {
		t.Errorf("server accepted %d connections, want 2", ts.Accepted())
	}
}

func TestStartTLSWithAuth(t *testing.T) {
	cert, pool := testCert(t)
	ts := startServer(t, serverOptions{
		TLS:         &tls.Config{Certificates: []tls.Certificate{cert}},
		RequireAuth: true,
		Users:       map[string]string{"alice": "s3cret"},
	})
	c := newTestClient(t, ts.Addr, Options{
		TLS: StartTLS, TLSConfig: &tls.Config{RootCAs: pool}, Username: "alice", Password: "s3cret",
		LocalName: "parley.test",
	})
	for i := range 3 {
		if err := c.Send(t.Context(), "a@example.test", []string{"b@example.test"}, testMsg(fmt.Sprint(i))); err != nil {
			t.Fatalf("Send: %v", err)
		}
	}
	msgs := ts.Messages()
	if len(msgs) != 3 {
		t.Fatalf("server got %d messages", len(msgs))
	}
	for _, m := range msgs {
		if !m.TLS || m.User != "alice" || m.Helo != "parley.test" {
			t.Errorf("message received with TLS=%v user=%q helo=%q", m.TLS, m.User, m.Helo)
		}
	}
	if ts.Accepted() != 1 {
		t.Errorf("server accepted %d connections, want 1", ts.Accepted())
	}

	bad := newTestClient(t, ts.Addr, Options{
		TLS: StartTLS, TLSConfig: &tls.Config{RootCAs: pool}, Username: "alice", Password: "wrong",
	})
	err := bad.Send(t.Context(), "a@example.test", []string{"b@example.test"}, testMsg("x"))
	if e := asError(t, err); e.Op != "auth" || e.Code != 535 || e.Enhanced != [3]int{5, 7, 8} || e.Temporary {
		t.Fatalf("wrong password: got %v, want permanent auth 535 5.7.8", err)
	}
}

func TestImplicitTLS(t *testing.T) {
	cert, pool := testCert(t)
	ts := startServer(t, serverOptions{
		TLS: &tls.Config{Certificates: []tls.Certificate{cert}}, Implicit: true,
		RequireAuth: true, Users: map[string]string{"alice": "s3cret"},
	})
	c := newTestClient(t, ts.Addr, Options{
		TLS: ImplicitTLS, TLSConfig: &tls.Config{RootCAs: pool}, Username: "alice", Password: "s3cret",
	})
	if err := c.Send(t.Context(), "a@example.test", []string{"b@example.test"}, testMsg("tls")); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if m := ts.Messages(); len(m) != 1 || !m[0].TLS || m[0].User != "alice" {
		t.Fatalf("got %+v", m)
	}
}

func TestTLSFailures(t *testing.T) {
	cert, pool := testCert(t)
	tlsServer := &tls.Config{Certificates: []tls.Certificate{cert}}
	tests := []struct {
		name string
		so   serverOptions
		opt  Options
		want string
	}{
		{"starttls not offered", serverOptions{}, Options{TLS: StartTLS, TLSConfig: &tls.Config{RootCAs: pool}},
			"does not offer STARTTLS"},
		{"starttls untrusted certificate", serverOptions{TLS: tlsServer}, Options{TLS: StartTLS},
			"certificate"},
		{"implicit TLS untrusted certificate", serverOptions{TLS: tlsServer, Implicit: true}, Options{TLS: ImplicitTLS},
			"certificate"},
		{"starttls wrong name", serverOptions{TLS: tlsServer},
			Options{TLS: StartTLS, TLSConfig: &tls.Config{RootCAs: pool, ServerName: "smtp.example.com"}}, "certificate"},
		{"implicit TLS to a plain-text server", serverOptions{}, Options{TLS: ImplicitTLS, TLSConfig: &tls.Config{RootCAs: pool}},
			"tls"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := startServer(t, tt.so)
			c := newTestClient(t, ts.Addr, tt.opt)
			err := c.Send(t.Context(), "a@example.test", []string{"b@example.test"}, testMsg("x"))
			e := asError(t, err)
			if e.Op != "tls" || e.Temporary || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want permanent tls error mentioning %q", err, tt.want)
			}
			if len(ts.Messages()) != 0 {
				t.Fatal("message sent without TLS")
			}
		})
	}
}

func TestPlainTextAuthOnLoopback(t *testing.T) {
	ts := startServer(t, serverOptions{AllowInsecureAuth: true, RequireAuth: true, Users: map[string]string{"alice": "pw"}})
	c := newTestClient(t, ts.Addr, Options{TLS: NoTLS, Username: "alice", Password: "pw"})
	if err := c.Send(t.Context(), "a@example.test", []string{"b@example.test"}, testMsg("x")); err != nil {
		t.Fatalf("Send: %v", err)
	}
	// A server that offers no AUTH over plain text: a clear, permanent error.
	ts2 := startServer(t, serverOptions{RequireAuth: true, Users: map[string]string{"alice": "pw"}})
	c2 := newTestClient(t, ts2.Addr, Options{TLS: NoTLS, Username: "alice", Password: "pw"})
	err := c2.Send(t.Context(), "a@example.test", []string{"b@example.test"}, testMsg("x"))
	if e := asError(t, err); e.Op != "auth" || e.Temporary || !strings.Contains(e.Message, "AUTH PLAIN") {
		t.Fatalf("got %v, want permanent auth error", err)
	}
	// Without credentials the server's own refusal comes at MAIL.
	c3 := newTestClient(t, ts2.Addr, Options{})
	err = c3.Send(t.Context(), "a@example.test", []string{"b@example.test"}, testMsg("x"))
	if e := asError(t, err); e.Op != "mail" || e.Code != 502 || e.Temporary {
		t.Fatalf("got %v, want permanent mail 502", err)
	}
}

func TestContextEndsWhileWaitingForSlot(t *testing.T) {
	for _, cause := range []string{"deadline", "cancel"} {
		t.Run(cause, func(t *testing.T) {
			ts := startServer(t, serverOptions{})
			c := newTestClient(t, ts.Addr, Options{PoolSize: 1})
			open := ts.Gate("data")
			defer open()
			first := make(chan error, 1)
			go func() { first <- c.Send(t.Context(), "a@example.test", []string{"b@example.test"}, testMsg("1")) }()
			<-ts.started // the only connection is busy

			ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
			defer cancel()
			want := context.DeadlineExceeded
			if cause == "cancel" {
				ctx, cancel = context.WithCancel(t.Context())
				time.AfterFunc(50*time.Millisecond, cancel)
				want = context.Canceled
			}
			start := time.Now()
			err := c.Send(ctx, "a@example.test", []string{"c@example.test"}, testMsg("2"))
			if e := asError(t, err); e.Op != "pool" || !errors.Is(err, want) || !IsTemporary(err) {
				t.Fatalf("got %v, want temporary pool error wrapping %v", err, want)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("Send took %v to notice the context", d)
			}
			open()
			if err := <-first; err != nil {
				t.Fatalf("first Send: %v", err)
			}
			if m := ts.Messages(); len(m) != 1 {
				t.Fatalf("server got %d messages, want 1", len(m))
			}
		})
	}
}

func TestContextEndsDuringCommand(t *testing.T) {
	ts := startServer(t, serverOptions{})
	c := newTestClient(t, ts.Addr, Options{})
	open := ts.Gate("mail")
	defer open()
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := c.Send(ctx, "a@example.test", []string{"b@example.test"}, testMsg("x"))
	if e := asError(t, err); e.Op != "mail" || !e.Temporary || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want temporary mail error wrapping DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Send took %v, the context allowed 100ms", d)
	}
	open()
	// The interrupted connection was dropped; a new one works.
	if err := c.Send(t.Context(), "a@example.test", []string{"b@example.test"}, testMsg("y")); err != nil {
		t.Fatal(err)
	}
}

func TestContextEndsAfterFinalDot(t *testing.T) {
	// The server has the whole message and is about to answer: Send waits for
	// the answer rather than reporting a message that is delivered as failed.
	ts := startServer(t, serverOptions{})
	c := newTestClient(t, ts.Addr, Options{})
	open := ts.Gate("data")
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		<-ts.started
		cancel()
		time.Sleep(100 * time.Millisecond)
		open()
	}()
	if err := c.Send(ctx, "a@example.test", []string{"b@example.test"}, testMsg("x")); err != nil {
		t.Fatalf("Send: %v, want success: the server accepted the message", err)
	}
	if len(ts.Messages()) != 1 {
		t.Fatal("message not received")
	}
}

func TestTimeoutOnSilentServer(t *testing.T) {
	// A server that accepts the connection and never greets.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { _ = c.Close() })
		}
	}()
	c := newTestClient(t, l.Addr().String(), Options{Timeout: 100 * time.Millisecond})
	start := time.Now()
	err = c.Send(t.Context(), "a@example.test", []string{"b@example.test"}, testMsg("x"))
	if e := asError(t, err); e.Op != "dial" || !e.Temporary {
		t.Fatalf("got %v, want temporary dial error", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Send took %v with Timeout 100ms", d)
	}
}

func TestCloseClosesEverything(t *testing.T) {
	ts := startServer(t, serverOptions{})
	ts.SetDataDelay(20 * time.Millisecond)
	c := newTestClient(t, ts.Addr, Options{PoolSize: 3})
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			if err := c.Send(t.Context(), "a@example.test", []string{"b@example.test"}, testMsg("x")); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if ts.Open() != 3 {
		t.Fatalf("server has %d open connections, want 3 pooled", ts.Open())
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	ts.WaitOpen(t, 0)
	if err := c.Send(t.Context(), "a@example.test", []string{"b@example.test"}, testMsg("x")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Send after Close = %v, want ErrClosed", err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestCloseWithSendsInFlight(t *testing.T) {
	ts := startServer(t, serverOptions{})
	c := newTestClient(t, ts.Addr, Options{PoolSize: 1})
	open := ts.Gate("data")
	defer open()
	first := make(chan error, 1)
	go func() { first <- c.Send(t.Context(), "a@example.test", []string{"b@example.test"}, testMsg("1")) }()
	<-ts.started
	waiting := make(chan error, 1)
	go func() { waiting <- c.Send(t.Context(), "a@example.test", []string{"c@example.test"}, testMsg("2")) }()
	time.Sleep(20 * time.Millisecond) // let it queue for the slot

	closed := make(chan struct{})
	go func() { _ = c.Close(); close(closed) }()
	if err := <-waiting; !errors.Is(err, ErrClosed) {
		t.Fatalf("Send waiting for a slot during Close = %v, want ErrClosed", err)
	}
	select {
	case <-closed:
		t.Fatal("Close returned while a Send was still under way")
	case <-time.After(50 * time.Millisecond):
	}
	open()
	if err := <-first; err != nil {
		t.Fatalf("Send under way during Close: %v", err)
	}
	<-closed
	ts.WaitOpen(t, 0)
	if len(ts.Messages()) != 1 {
		t.Fatalf("server got %d messages, want 1", len(ts.Messages()))
	}
}

func TestLogsHoldNoSecrets(t *testing.T) {
	cert, pool := testCert(t)
	ts := startServer(t, serverOptions{
		TLS: &tls.Config{Certificates: []tls.Certificate{cert}}, RequireAuth: true,
		Users: map[string]string{"alice": "hunter2-PASSWORD"},
	})
	var buf syncbuf.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c := newTestClient(t, ts.Addr, Options{
		TLS: StartTLS, TLSConfig: &tls.Config{RootCAs: pool}, Username: "alice", Password: "hunter2-PASSWORD",
		Logger: logger, IdleTimeout: 20 * time.Millisecond,
	})
	body := []byte("Subject: s\r\n\r\nBODY-MARKER-41\r\n")
	if err := c.Send(t.Context(), "a@example.test", []string{"b@example.test"}, body); err != nil {
		t.Fatal(err)
	}
	ts.Fault("data", 554, smtp.EnhancedCode{5, 6, 0}, "no")
	_ = c.Send(t.Context(), "a@example.test", []string{"b@example.test"}, body)
	ts.WaitOpen(t, 0)
	_ = c.Close()
	out := buf.String()
	for _, secret := range []string{"hunter2-PASSWORD", "BODY-MARKER-41", "aHVudGVy"} {
		if strings.Contains(out, secret) {
			t.Errorf("log contains %q:\n%s", secret, out)
		}
	}
	for _, key := range []string{"smarthost=" + ts.Addr, "conn=1", `msg="smtpsend: sent"`, "op=data", "code=554"} {
		if !strings.Contains(out, key) {
			t.Errorf("log lacks %q:\n%s", key, out)
		}
	}
}

func TestEndedContextKeepsPooledConnection(t *testing.T) {
	ts := startServer(t, serverOptions{})
	c := newTestClient(t, ts.Addr, Options{})
	if err := c.Send(t.Context(), "a@example.test", []string{"b@example.test"}, testMsg("1")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := c.Send(ctx, "a@example.test", []string{"b@example.test"}, testMsg("2"))
	if e := asError(t, err); !errors.Is(err, context.Canceled) || !e.Temporary {
		t.Fatalf("got %v, want temporary error wrapping context.Canceled", err)
	}
	if err := c.Send(t.Context(), "a@example.test", []string{"b@example.test"}, testMsg("3")); err != nil {
		t.Fatal(err)
	}
	if ts.Accepted() != 1 || len(ts.Messages()) != 2 {
		t.Errorf("server accepted %d connections and %d messages, want 1 and 2", ts.Accepted(), len(ts.Messages()))
	}
}

func TestSendNonASCIIWithSMTPUTF8(t *testing.T) {
	ts := startServer(t, serverOptions{SMTPUTF8: true})
	c := newTestClient(t, ts.Addr, Options{})
	if err := c.Send(t.Context(), "räum@parley.test", []string{"jürgen@example.test"}, testMsg("utf8")); err != nil {
		t.Fatal(err)
	}
	if m := ts.Messages(); len(m) != 1 || m[0].From != "räum@parley.test" || m[0].To[0] != "jürgen@example.test" {
		t.Fatalf("got %+v", m)
	}
}
