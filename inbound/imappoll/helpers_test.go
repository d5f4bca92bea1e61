package imappoll

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"parley/inbound"
	"parley/internal/syncbuf"
	"parley/internal/testcert"
)

// testPassword must never show in a log line or an error.
const testPassword = "pw-S3cret/!xyz"

// Capability sets for the in-memory server: like Dovecot (IMAP4rev1 with
// MOVE and UIDPLUS), bare IMAP4rev1 (no MOVE, no UIDPLUS), and IMAP4rev2
// (which answers UID SEARCH with ESEARCH).
var (
	capsDovecotLike = imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapMove: {}, imap.CapUIDPlus: {}}
	capsBare        = imap.CapSet{imap.CapIMAP4rev1: {}}
	capsRev2        = imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}}
)

// memServer is go-imap's in-memory IMAP server on a loopback port, with
// user alice. Its mailboxes outlive stop and start, like a real server's.
type memServer struct {
	t        testing.TB
	mem      *imapmemserver.Server
	user     *imapmemserver.User
	opts     imapserver.Options
	implicit *tls.Config // serve implicit TLS (imaps) with it
	addr     string

	mu  sync.Mutex
	srv *imapserver.Server
	ln  net.Listener
}

type memServerOptions struct {
	caps      imap.CapSet
	startTLS  *tls.Config // offer STARTTLS
	implicit  *tls.Config // imaps
	password  string      // alice's password, default testPassword
	noMailbox bool        // do not create INBOX
}

func newMemServer(t testing.TB, o memServerOptions) *memServer {
	t.Helper()
	if o.caps == nil {
		o.caps = capsDovecotLike
	}
	if o.password == "" {
		o.password = testPassword
	}
	mem := imapmemserver.New()
	user := imapmemserver.NewUser("alice", o.password)
	if !o.noMailbox {
		if err := user.Create("INBOX", nil); err != nil {
			t.Fatal(err)
		}
	}
	mem.AddUser(user)
	s := &memServer{
		t:        t,
		mem:      mem,
		user:     user,
		implicit: o.implicit,
		opts: imapserver.Options{
			NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
				return mem.NewSession(), nil, nil
			},
			Caps:         o.caps,
			TLSConfig:    o.startTLS,
			InsecureAuth: o.startTLS == nil,
			Logger:       log.New(io.Discard, "", 0),
		},
	}
	s.start()
	t.Cleanup(s.stop)
	return s
}

// start serves on s.addr (a new port the first time).
func (s *memServer) start() {
	s.t.Helper()
	addr := s.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	var ln net.Listener
	var err error
	for range 50 { // the old port may linger a moment after stop
		if ln, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		s.t.Fatalf("listen %s: %v", addr, err)
	}
	s.addr = ln.Addr().String()
	if s.implicit != nil {
		ln = tls.NewListener(ln, s.implicit)
	}
	srv := imapserver.New(&s.opts)
	s.mu.Lock()
	s.srv, s.ln = srv, ln
	s.mu.Unlock()
	go func() { _ = srv.Serve(ln) }()
	// imapserver's Serve registers with Close's WaitGroup after it starts:
	// a Close before that is a data race (go-imap v2.0.0-beta.8). Serve
	// is past it once it answered a connection.
	var conn net.Conn
	if s.implicit != nil {
		conn, err = tls.Dial("tcp", s.addr, &tls.Config{InsecureSkipVerify: true})
	} else {
		conn, err = net.Dial("tcp", s.addr)
	}
	if err != nil {
		s.t.Fatalf("dial %s: %v", s.addr, err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	if line, err := bufio.NewReader(conn).ReadString('\n'); err != nil || !strings.HasPrefix(line, "* OK") {
		s.t.Fatalf("greeting from %s: %q, %v", s.addr, line, err)
	}
}

// stop closes the listener and every connection.
func (s *memServer) stop() {
	s.mu.Lock()
	srv, ln := s.srv, s.ln
	s.srv, s.ln = nil, nil
	s.mu.Unlock()
	if srv != nil {
		// Serve leaves the listener open when Close comes first.
		_ = ln.Close()
		_ = srv.Close()
	}
}

// url is the poller's URL for alice's mailbox.
func (s *memServer) url(scheme, mailbox string) string {
	return scheme + "://alice:" + url.QueryEscape(testPassword) + "@" + s.addr + "/" + mailbox
}

// client opens a test connection of its own, logged in as alice.
func (s *memServer) client() *imapclient.Client {
	s.t.Helper()
	return dialTestClient(s.t, s.addr, "alice", testPassword, s.implicit != nil, nil)
}

// dialTestClient connects and logs in; the connection ends with the test.
func dialTestClient(t testing.TB, addr, user, password string, implicitTLS bool, cfg *tls.Config) *imapclient.Client {
	t.Helper()
	var c *imapclient.Client
	var err error
	if implicitTLS {
		if cfg == nil {
			cfg = &tls.Config{InsecureSkipVerify: true}
		}
		c, err = imapclient.DialTLS(addr, &imapclient.Options{TLSConfig: cfg})
	} else {
		c, err = imapclient.DialInsecure(addr, nil)
	}
	if err != nil {
		t.Fatalf("test client dial %s: %v", addr, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	if err := c.Login(user, password).Wait(); err != nil {
		t.Fatalf("test client login: %v", err)
	}
	return c
}

// dialStartTLSClient connects with STARTTLS and logs in as alice.
func dialStartTLSClient(t testing.TB, addr string, pool *x509.CertPool) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialStartTLS(addr, &imapclient.Options{TLSConfig: &tls.Config{RootCAs: pool}})
	if err != nil {
		t.Fatalf("test client STARTTLS %s: %v", addr, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	if err := c.Login("alice", testPassword).Wait(); err != nil {
		t.Fatalf("test client login: %v", err)
	}
	return c
}

// appendMsg stores raw in mailbox and returns its UID.
func appendMsg(t testing.TB, c *imapclient.Client, mailbox string, raw []byte, flags ...imap.Flag) imap.UID {
	t.Helper()
	cmd := c.Append(mailbox, int64(len(raw)), &imap.AppendOptions{Flags: flags})
	if _, err := cmd.Write(raw); err != nil {
		t.Fatalf("append: %v", err)
	}
	if err := cmd.Close(); err != nil {
		t.Fatalf("append: %v", err)
	}
	data, err := cmd.Wait()
	if err != nil {
		t.Fatalf("append: %v", err)
	}
	return data.UID
}

// mailboxFlags returns the flags of every message in mailbox, by UID.
func mailboxFlags(t testing.TB, c *imapclient.Client, mailbox string) map[imap.UID][]imap.Flag {
	t.Helper()
	sel, err := c.Select(mailbox, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		t.Fatalf("examine %s: %v", mailbox, err)
	}
	out := map[imap.UID][]imap.Flag{}
	if sel.NumMessages > 0 {
		var all imap.SeqSet
		all.AddRange(1, 0) // 1:*
		msgs, err := c.Fetch(all, &imap.FetchOptions{UID: true, Flags: true}).Collect()
		if err != nil {
			t.Fatalf("fetch flags: %v", err)
		}
		for _, m := range msgs {
			out[m.UID] = m.Flags
		}
	}
	if err := c.Unselect().Wait(); err != nil {
		t.Fatalf("unselect: %v", err)
	}
	return out
}

func hasFlag(flags []imap.Flag, f imap.Flag) bool {
	return slices.ContainsFunc(flags, func(g imap.Flag) bool { return strings.EqualFold(string(g), string(f)) })
}

// waitFor retries cond until it holds or d passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// testMessage is a small reply with the headers a delivery writes.
func testMessage(n int) []byte {
	return []byte(fmt.Sprintf("Return-Path: <member%d@example.org>\r\n"+
		"Delivered-To: parley@example.net\r\n"+
		"X-Original-To: reply+tok%d@example.net\r\n"+
		"From: Member %d <member%d@example.org>\r\n"+
		"To: reply+tok%d@example.net\r\n"+
		"Subject: Re: room %d\r\n"+
		"Message-ID: <msg%d@example.org>\r\n"+
		"\r\n"+
		"reply number %d\r\n", n, n, n, n, n, n, n, n))
}

// messageN tells which testMessage raw is, or -1.
func messageN(raw []byte) int {
	var n int
	i := bytes.Index(raw, []byte("Message-ID: <msg"))
	if i < 0 {
		return -1
	}
	if _, err := fmt.Sscanf(string(raw[i:]), "Message-ID: <msg%d@", &n); err != nil {
		return -1
	}
	return n
}

// call is one Receive the recorder saw.
type call struct {
	env inbound.Envelope
	raw []byte
	err error // what it answered
}

// recorder is a Receiver that records what it is handed and answers
// with decide (nil: success).
type recorder struct {
	mu     sync.Mutex
	calls  []call
	decide func(i int, raw []byte) error // i counts calls from 0
}

var _ inbound.Receiver = (*recorder)(nil)

func (r *recorder) CheckRecipient(context.Context, string) error { return nil }

func (r *recorder) Receive(_ context.Context, env inbound.Envelope, raw []byte) (inbound.Result, error) {
	r.mu.Lock()
	i := len(r.calls)
	decide := r.decide
	r.mu.Unlock()
	var err error
	if decide != nil {
		err = decide(i, raw)
	}
	r.mu.Lock()
	r.calls = append(r.calls, call{env: env, raw: slices.Clone(raw), err: err})
	r.mu.Unlock()
	if err != nil {
		return inbound.Result{}, err
	}
	return inbound.Result{Outcome: inbound.Posted, Room: "room", Member: "member", Line: "1-0"}, nil
}

func (r *recorder) got() []call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.calls)
}

// ns lists which test messages were handed over, in order.
func (r *recorder) ns() []int {
	var out []int
	for _, c := range r.got() {
		out = append(out, messageN(c.raw))
	}
	return out
}

func (r *recorder) waitCalls(t testing.TB, n int, d time.Duration) []call {
	t.Helper()
	waitFor(t, d, fmt.Sprintf("%d Receive calls (have %v)", n, r.ns()), func() bool { return len(r.got()) >= n })
	return r.got()
}

// logBuf collects log lines, safely for concurrent use.
type logBuf struct{ syncbuf.Buffer }

func (l *logBuf) count(s string) int { return strings.Count(l.String(), s) }

func (l *logBuf) waitFor(t testing.TB, d time.Duration, s string, n int) {
	t.Helper()
	deadline := time.Now().Add(d)
	for l.count(s) < n {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %d× %q in the log:\n%s", d, n, s, l)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// running is a poller started by a test.
type running struct {
	p    *Poller
	logs *logBuf
	stop func() // cancels Run and checks that it returned promptly
}

// startPoller runs a poller on rawURL with quick defaults; edit adjusts
// the options. When the test ends it is stopped, and its log is checked
// for the password.
func startPoller(t testing.TB, rawURL string, recv inbound.Receiver, edit func(*Options), tweak ...func(*Poller)) *running {
	t.Helper()
	logs := &logBuf{}
	opt := Options{
		URL:          rawURL,
		PollInterval: time.Hour, // nothing but IDLE wakes a test poller unless it says so
		IdleRefresh:  time.Hour,
		Backoff:      func(int) time.Duration { return 20 * time.Millisecond },
		Log:          slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if edit != nil {
		edit(&opt)
	}
	p, err := New(recv, opt)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	for _, f := range tweak {
		f(p)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run returned %v, want nil", err)
				}
			case <-time.After(2 * time.Second):
				t.Errorf("Run did not return within 2 s of cancel")
			}
			checkNoPassword(t, "log", logs.String())
		})
	}
	t.Cleanup(stop)
	return &running{p: p, logs: logs, stop: stop}
}

// checkNoPassword fails when s shows the test password in any form.
func checkNoPassword(t testing.TB, what, s string) {
	t.Helper()
	for _, form := range []string{testPassword, url.QueryEscape(testPassword), url.PathEscape(testPassword)} {
		if strings.Contains(s, form) {
			t.Errorf("%s shows the password (%q):\n%s", what, form, s)
		}
	}
}

// testCert makes a certificate for 127.0.0.1 and localhost and returns it
// with a pool that trusts it and its PEM files.
func testCert(t testing.TB) (tls.Certificate, *x509.CertPool, []byte, []byte) {
	c := testcert.New(t)
	return c.TLS, c.Pool, c.CertPEM, c.KeyPEM
}
