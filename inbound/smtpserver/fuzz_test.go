package smtpserver

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"parley/inbound"
)

// scriptConn plays a whole client session given in advance: reads return
// the script, then EOF; the server's writes are kept. Nothing blocks, so
// every session ends.
type scriptConn struct {
	mu     sync.Mutex
	in     *bytes.Reader
	out    bytes.Buffer
	closed bool
	done   chan struct{}
}

func newScriptConn(script []byte) *scriptConn {
	return &scriptConn{in: bytes.NewReader(script), done: make(chan struct{})}
}

func (c *scriptConn) Read(b []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return 0, net.ErrClosed
	}
	return c.in.Read(b)
}

func (c *scriptConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return 0, net.ErrClosed
	}
	return c.out.Write(b)
}

func (c *scriptConn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closed {
		c.closed = true
		close(c.done)
	}
	return nil
}

func (c *scriptConn) output() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.out.String()
}

func (c *scriptConn) LocalAddr() net.Addr {
	return &net.TCPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 25}
}
func (c *scriptConn) RemoteAddr() net.Addr {
	return &net.TCPAddr{IP: net.IPv4(198, 51, 100, 7), Port: 40000}
}
func (c *scriptConn) SetDeadline(time.Time) error      { return nil }
func (c *scriptConn) SetReadDeadline(time.Time) error  { return nil }
func (c *scriptConn) SetWriteDeadline(time.Time) error { return nil }

// chanListener hands the server the connections sent on conns.
type chanListener struct {
	conns chan net.Conn
	once  sync.Once
	done  chan struct{}
}

func (l *chanListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *chanListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *chanListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 25} }

// fuzzReceiver answers by what the address or message contains, to reach
// every branch of the error mapping; its internal errors carry secret.
func fuzzReceiver() *fakeReceiver {
	recv := newFakeReceiver()
	recv.check = func(_ context.Context, addr string) error {
		switch {
		case strings.Contains(addr, "tmp"):
			return inbound.Defer("try later", errors.New(secret))
		case strings.Contains(addr, "plain"):
			return errors.New(secret)
		case isReplyAddr(addr):
			return nil
		}
		return inbound.Refuse("no such reply address", errors.New(secret))
	}
	recv.receive = func(_ context.Context, _ inbound.Envelope, raw []byte) (inbound.Result, error) {
		switch {
		case bytes.Contains(raw, []byte("tmp")):
			return inbound.Result{}, inbound.Defer("store unavailable", errors.New(secret))
		case bytes.Contains(raw, []byte("perm")):
			return inbound.Result{}, inbound.Refuse("not a member", errors.New(secret))
		case bytes.Contains(raw, []byte("plain")):
			return inbound.Result{}, errors.New(secret)
		case bytes.Contains(raw, []byte("boom")):
			panic(secret)
		}
		return inbound.Result{Outcome: inbound.Posted}, nil
	}
	// Deliveries are not kept: the fuzzer makes millions.
	recv.arrived = nil
	return recv
}

// fuzzSeeds are client sessions that reach the server's states.
var fuzzSeeds = []string{
	"EHLO mx.example.org\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<reply+t1@parley.test>\r\nDATA\r\nSubject: hi\r\n\r\nhello\r\n..dot\r\n.\r\nQUIT\r\n",
	"HELO mx\r\nMAIL FROM:<>\r\nRCPT TO:<reply+b@parley.test>\r\nDATA\r\nSubject: bounce\r\n\r\nx\r\n.\r\n",
	"EHLO mx\r\nMAIL FROM:<a@b>\r\nRCPT TO:<nobody@elsewhere>\r\nRCPT TO:<reply+tmp@parley.test>\r\nRCPT TO:<reply+plain@parley.test>\r\nDATA\r\nQUIT\r\n",
	"EHLO mx\r\nMAIL FROM:<a@b>\r\nRCPT TO:<reply+t@parley.test>\r\nDATA\r\ntmp\r\n.\r\nMAIL FROM:<a@b>\r\nRCPT TO:<reply+t@parley.test>\r\nDATA\r\nperm\r\n.\r\nMAIL FROM:<a@b>\r\nRCPT TO:<reply+t@parley.test>\r\nDATA\r\nplain\r\n.\r\n",
	"EHLO mx\r\nMAIL FROM:<a@b>\r\nRCPT TO:<reply+t@parley.test>\r\nDATA\r\nboom\r\n.\r\n",
	"EHLO mx\r\nMAIL FROM:<a@b>\r\nRCPT TO:<reply+t@parley.test>\r\nBDAT 5\r\nhelloBDAT 6 LAST\r\n world\r\nQUIT\r\n",
	"EHLO mx\r\nMAIL FROM:<a@b>\r\nRCPT TO:<reply+t@parley.test>\r\nBDAT 4000000 LAST\r\nshort",
	"EHLO mx\r\nMAIL FROM:<a@b>\r\nRCPT TO:<reply+t@parley.test>\r\nBDAT 10\r\n0123456789RSET\r\nQUIT\r\n",
	"EHLO mx\r\nMAIL FROM:<a@b> SIZE=99999999\r\nMAIL FROM:<a@b> SIZE=10 BODY=8BITMIME SMTPUTF8\r\nRCPT TO:<reply+t@parley.test>\r\nDATA\r\n" + strings.Repeat("x", 5000) + "\r\n.\r\n",
	"EHLO mx\r\nMAIL FROM:<a@b>\r\nRCPT TO:<reply+t@parley.test>\r\nDATA\r\n" + strings.Repeat("y", 2100) + "\r\n.\r\n",
	"EHLO mx\r\nSTARTTLS\r\n\x16\x03\x01\x00\x05hello",
	"EHLO mx\r\nMAIL FROM:<a@b>\r\nRCPT TO:<reply+t@parley.test>\r\nMAIL FROM:<c@d>\r\nRSET\r\nNOOP\r\nVRFY x\r\nHELP\r\nAUTH PLAIN AGFAYg==\r\nXYZZY\r\nRCPT TO:<x>\r\n",
	"MAIL FROM:<a@b>\r\nDATA\r\nEHLO\r\nEHLO mx\r\nRCPT TO:<reply+t@parley.test>\r\nRCPT TO:<reply+u@parley.test>\r\nRCPT TO:<reply+v@parley.test>\r\nRCPT TO:<reply+w@parley.test>\r\n",
	"EHLO mx\r\nMAIL FROM:<a@b> RET=FULL ENVID=x\r\nRCPT TO:<reply+t@parley.test> NOTIFY=NEVER ORCPT=rfc822;x@y\r\n",
	"\x00\xff\r\n\r\n.\r\n\n\n\r",
	"EHLO mx\nMAIL FROM:<a@b>\nRCPT TO:<reply+t@parley.test>\nDATA\nbare LF\n.\n",
}

// FuzzSMTPDialog plays arbitrary bytes as a client session and checks
// that the server never panics, never hangs, answers only with valid reply
// lines, and never shows internal error text. Run it with
//
//	go test -run '^$' -fuzz FuzzSMTPDialog -fuzztime 60s ./inbound/smtpserver/
func FuzzSMTPDialog(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	cert, _ := testCert(f)
	srv, err := New(fuzzReceiver(), Options{
		Domain:                 testDomain,
		MaxMessageBytes:        4096,
		MaxRecipients:          3,
		TLSConfig:              &tls.Config{Certificates: []tls.Certificate{cert}},
		MaxConnsPerIP:          -1,
		MessagesPerMinutePerIP: -1,
		Log:                    slog.New(slog.DiscardHandler),
	})
	if err != nil {
		f.Fatal(err)
	}
	l := &chanListener{conns: make(chan net.Conn), done: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, l) }()
	f.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			f.Errorf("Serve: %v", err)
		}
	})

	f.Fuzz(func(t *testing.T, script []byte) {
		if len(script) > 64<<10 {
			return
		}
		c := newScriptConn(script)
		select {
		case l.conns <- c:
		case <-time.After(10 * time.Second):
			t.Fatal("server does not accept")
		}
		select {
		case <-c.done:
		case <-time.After(10 * time.Second):
			t.Fatalf("session did not end; output so far:\n%s", c.output())
		}
		checkTranscript(t, c.output(), !bytes.Contains(script, []byte(secret)))
	})
}

// checkTranscript checks the server's side of a session: a greeting, then
// only well-formed reply lines, and no internal detail.
func checkTranscript(t *testing.T, out string, noSecret bool) {
	t.Helper()
	if !strings.HasPrefix(out, "220 "+testDomain+" ") {
		t.Fatalf("no greeting: %q", out)
	}
	if noSecret && strings.Contains(out, secret) {
		t.Fatalf("internal detail reached the client:\n%s", out)
	}
	lines := strings.Split(out, "\r\n")
	if last := lines[len(lines)-1]; last != "" {
		// After STARTTLS the rest is TLS records, not lines.
		if !strings.Contains(out, "220 2.0.0 Ready to start TLS\r\n") {
			t.Fatalf("output does not end with CRLF: %q", last)
		}
	}
	for _, line := range lines[:len(lines)-1] {
		if !validReplyLine(line) {
			t.Fatalf("bad reply line %q in:\n%s", line, out)
		}
		if line == "220 2.0.0 Ready to start TLS" {
			return
		}
	}
}

// validReplyLine tells whether line is "ddd text" or "ddd-text" with a
// code RFC 5321 allows (2yz to 5yz, y from 0 to 5).
func validReplyLine(line string) bool {
	return len(line) >= 4 &&
		line[0] >= '2' && line[0] <= '5' &&
		line[1] >= '0' && line[1] <= '5' &&
		line[2] >= '0' && line[2] <= '9' &&
		(line[3] == ' ' || line[3] == '-')
}
