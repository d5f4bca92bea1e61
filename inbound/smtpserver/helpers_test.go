package smtpserver

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"parley/inbound"
	"parley/internal/syncbuf"
	"parley/internal/testcert"
)

// testDomain is parley's mail domain in the tests.
const testDomain = "parley.test"

// secret is internal error text the client must never see.
const secret = "SECRET-redis-10.0.0.5:6379"

// delivery is one message the fake Receiver was handed.
type delivery struct {
	env inbound.Envelope
	raw []byte
}

// fakeReceiver records what the door hands over. By default it takes
// reply+...@parley.test addresses and posts every message.
type fakeReceiver struct {
	check   func(ctx context.Context, addr string) error
	receive func(ctx context.Context, env inbound.Envelope, raw []byte) (inbound.Result, error)

	mu      sync.Mutex
	got     []delivery
	arrived chan struct{} // one token per delivery handed over; nil: keep nothing
}

var _ inbound.Receiver = (*fakeReceiver)(nil)

func newFakeReceiver() *fakeReceiver {
	return &fakeReceiver{arrived: make(chan struct{}, 100000)}
}

// isReplyAddr is the default recipient check.
func isReplyAddr(addr string) bool {
	local, domain, ok := strings.Cut(addr, "@")
	return ok && strings.HasPrefix(local, "reply+") && strings.EqualFold(domain, testDomain)
}

func (f *fakeReceiver) CheckRecipient(ctx context.Context, addr string) error {
	if f.check != nil {
		return f.check(ctx, addr)
	}
	if !isReplyAddr(addr) {
		return inbound.Refuse("no such reply address", fmt.Errorf("token lookup for %q: %s", addr, secret))
	}
	return nil
}

func (f *fakeReceiver) Receive(ctx context.Context, env inbound.Envelope, raw []byte) (inbound.Result, error) {
	res, err := inbound.Result{Outcome: inbound.Posted, Room: "r1", Member: "m1", Line: "1-0"}, error(nil)
	if f.receive != nil {
		res, err = f.receive(ctx, env, raw)
	}
	if err != nil || f.arrived == nil {
		return res, err
	}
	f.mu.Lock()
	f.got = append(f.got, delivery{env: env, raw: bytes.Clone(raw)})
	f.mu.Unlock()
	f.arrived <- struct{}{}
	return res, nil
}

// deliveries returns what was handed over so far.
func (f *fakeReceiver) deliveries() []delivery {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]delivery(nil), f.got...)
}

// wait waits for n more deliveries.
func (f *fakeReceiver) wait(t testing.TB, n int, timeout time.Duration) {
	t.Helper()
	deadline := time.After(timeout)
	for range n {
		select {
		case <-f.arrived:
		case <-deadline:
			t.Fatalf("waited %v for %d deliveries, have %d", timeout, n, len(f.deliveries()))
		}
	}
}

// testServer is a Server serving on a loopback port for one test.
type testServer struct {
	*Server
	addr   string
	logs   *syncbuf.Buffer
	cancel context.CancelFunc
	done   chan error
}

// startServer serves recv on 127.0.0.1:0; the server stops at the end of
// the test if it has not been stopped before.
func startServer(t testing.TB, recv inbound.Receiver, opt Options) *testServer {
	t.Helper()
	logs := &syncbuf.Buffer{}
	if opt.Log == nil {
		opt.Log = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	if opt.Domain == "" {
		opt.Domain = testDomain
	}
	srv, err := New(recv, opt)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ts := &testServer{Server: srv, addr: l.Addr().String(), logs: logs, cancel: cancel, done: make(chan error, 1)}
	go func() { ts.done <- srv.Serve(ctx, l) }()
	t.Cleanup(func() {
		if err := ts.stop(t); err != nil {
			t.Errorf("Serve: %v", err)
		}
		if t.Failed() {
			t.Logf("server log:\n%s", logs)
		}
	})
	return ts
}

// stop cancels the server's context and returns what Serve returned.
func (ts *testServer) stop(t testing.TB) error {
	t.Helper()
	ts.cancel()
	select {
	case err, ok := <-ts.done:
		if ok {
			close(ts.done)
		}
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return 10 s after its context ended")
		return nil
	}
}

// rawClient speaks SMTP line by line, to see every reply as sent.
type rawClient struct {
	t    testing.TB
	conn net.Conn
	r    *bufio.Reader
	// transcript holds every line the server sent.
	transcript strings.Builder
}

// dialRaw connects and reads the greeting.
func dialRaw(t testing.TB, addr string) *rawClient {
	t.Helper()
	c := dialRawNoGreet(t, addr)
	if code, text := c.read(); code != 220 {
		t.Fatalf("greeting: %d %s", code, text)
	}
	return c
}

func dialRawNoGreet(t testing.TB, addr string) *rawClient {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &rawClient{t: t, conn: conn, r: newReader(conn)}
}

func newReader(conn net.Conn) *bufio.Reader { return bufio.NewReader(conn) }

// read reads one reply; code 0 means the connection ended.
func (c *rawClient) read() (int, string) {
	c.t.Helper()
	_ = c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	var text []string
	for {
		line, err := c.r.ReadString('\n')
		if err != nil {
			if line != "" {
				c.t.Fatalf("partial reply line %q: %v", line, err)
			}
			return 0, strings.Join(text, "\n")
		}
		c.transcript.WriteString(line)
		line = strings.TrimRight(line, "\r\n")
		if len(line) < 4 {
			c.t.Fatalf("short reply line %q", line)
		}
		code, err := strconv.Atoi(line[:3])
		if err != nil {
			c.t.Fatalf("bad reply line %q", line)
		}
		text = append(text, line[4:])
		if line[3] == ' ' {
			return code, strings.Join(text, "\n")
		}
	}
}

// send writes s as it is.
func (c *rawClient) send(s string) {
	c.t.Helper()
	_ = c.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c.conn, s); err != nil {
		c.t.Fatalf("writing %q: %v", s, err)
	}
}

// cmd sends one command line and reads its reply.
func (c *rawClient) cmd(line string) (int, string) {
	c.t.Helper()
	c.send(line + "\r\n")
	return c.read()
}

// expect sends a command and fails the test unless the reply has code.
func (c *rawClient) expect(line string, code int) string {
	c.t.Helper()
	got, text := c.cmd(line)
	if got != code {
		c.t.Fatalf("%s: got %d %s, want %d", line, got, text, code)
	}
	return text
}

// testCert makes a certificate for 127.0.0.1 and localhost, and the pool a
// client trusts it with.
func testCert(t testing.TB) (tls.Certificate, *x509.CertPool) {
	c := testcert.New(t)
	return c.TLS, c.Pool
}

// fakeClock is a settable clock for the rate limiter.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// testMessage is a small reply with a dot-stuffed line.
const testMessage = "From: Alice <alice@example.org>\r\n" +
	"To: reply+tok1@parley.test\r\n" +
	"Subject: Re: [team] lunch\r\n" +
	"Message-ID: <m1@example.org>\r\n" +
	"\r\n" +
	"Yes, noon works.\r\n" +
	".a line that starts with a dot\r\n" +
	"\r\n" +
	"On Mon, Bob wrote:\r\n" +
	"> lunch?\r\n"
