package smtpserver

import (
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestConnectionCapPerIP(t *testing.T) {
	ts := startServer(t, newFakeReceiver(), Options{MaxConnsPerIP: 2})
	a := dialRaw(t, ts.addr)
	dialRaw(t, ts.addr)

	over := dialRawNoGreet(t, ts.addr)
	code, text := over.read()
	if code != 421 || !strings.HasPrefix(text, "4.7.0 ") {
		t.Fatalf("third connection: %d %s, want 421 4.7.0", code, text)
	}
	if code, _ := over.read(); code != 0 {
		t.Fatal("connection over the cap left open")
	}
	if !strings.Contains(ts.logs.String(), "outcome=too_many_connections") {
		t.Errorf("refusal not logged:\n%s", ts.logs)
	}

	// Another IP is counted on its own (127.0.0.2 reaches 127.0.0.1 on Linux).
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}, Timeout: 2 * time.Second}
	if conn, err := d.Dial("tcp", ts.addr); err == nil {
		other := &rawClient{t: t, conn: conn, r: newReader(conn)}
		t.Cleanup(func() { conn.Close() })
		if code, text := other.read(); code != 220 {
			t.Errorf("other IP: %d %s, want 220", code, text)
		}
	} else {
		t.Logf("no 127.0.0.2 here: %v", err)
	}

	// A place frees when a connection ends.
	a.expect("QUIT", 221)
	deadline := time.Now().Add(5 * time.Second)
	for {
		c := dialRawNoGreet(t, ts.addr)
		code, _ := c.read()
		if code == 220 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no place freed after QUIT: %d", code)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestMessageRatePerIP(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	ts := startServer(t, newFakeReceiver(), Options{MessagesPerMinutePerIP: 3, Now: clock.Now})
	c := dialRaw(t, ts.addr)
	c.expect("EHLO mx.example.org", 250)
	for range 3 {
		c.expect("MAIL FROM:<a@example.org>", 250)
		c.expect("RSET", 250)
	}
	code, text := c.cmd("MAIL FROM:<a@example.org>")
	if code != 451 || text != "4.7.1 "+textRateLimited {
		t.Fatalf("4th MAIL in a minute: %d %s, want 451 4.7.1", code, text)
	}
	// 20 s later one more message is allowed (3 a minute), not two.
	clock.Advance(20 * time.Second)
	c.expect("MAIL FROM:<a@example.org>", 250)
	c.expect("RSET", 250)
	c.expect("MAIL FROM:<a@example.org>", 451)
	if !strings.Contains(ts.logs.String(), "outcome=rate_limited") {
		t.Errorf("rate limit not logged:\n%s", ts.logs)
	}
}

func TestRateLimiter(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	r := newRateLimiter(60, clock.Now)
	for i := range 60 {
		if !r.allow("192.0.2.1") {
			t.Fatalf("message %d refused", i)
		}
	}
	if r.allow("192.0.2.1") {
		t.Fatal("61st message in a minute allowed")
	}
	if !r.allow("192.0.2.2") {
		t.Fatal("another IP refused")
	}
	clock.Advance(time.Second)
	if !r.allow("192.0.2.1") || r.allow("192.0.2.1") {
		t.Fatal("one second should give back exactly one message")
	}
	// After a quiet minute full buckets are forgotten.
	clock.Advance(2 * time.Minute)
	r.allow("192.0.2.3")
	r.mu.Lock()
	n := len(r.buckets)
	r.mu.Unlock()
	if n != 1 {
		t.Fatalf("%d buckets kept after a quiet minute, want 1", n)
	}
}

func TestLimitsOff(t *testing.T) {
	ts := startServer(t, newFakeReceiver(), Options{MaxConnsPerIP: -1, MessagesPerMinutePerIP: -1})
	if ts.rate != nil {
		t.Fatal("rate limiter on")
	}
	var cs []*rawClient
	for range DefaultMaxConnsPerIP + 2 {
		cs = append(cs, dialRaw(t, ts.addr))
	}
	c := cs[len(cs)-1]
	c.expect("EHLO mx.example.org", 250)
	for range DefaultMessagesPerMinutePerIP + 2 {
		c.expect("MAIL FROM:<a@example.org>", 250)
		c.expect("RSET", 250)
	}
}

func TestReadTimeoutClosesIdleClient(t *testing.T) {
	ts := startServer(t, newFakeReceiver(), Options{ReadTimeout: 200 * time.Millisecond})
	c := dialRaw(t, ts.addr)
	c.expect("EHLO mx.example.org", 250)
	start := time.Now()
	code, text := c.read()
	if code != 421 || !strings.HasPrefix(text, "4.4.2 ") {
		t.Fatalf("idle client: %d %s, want 421 4.4.2", code, text)
	}
	if code, _ := c.read(); code != 0 {
		t.Fatal("idle connection left open")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("closed after %v", d)
	}
}

// TestReadTimeoutInsideMessage: a client that stalls in the middle of a
// message is dropped, and nothing is handed over.
func TestReadTimeoutInsideMessage(t *testing.T) {
	recv := newFakeReceiver()
	ts := startServer(t, recv, Options{ReadTimeout: 200 * time.Millisecond})
	c := dialRaw(t, ts.addr)
	c.expect("EHLO mx.example.org", 250)
	c.expect("MAIL FROM:<a@example.org>", 250)
	c.expect("RCPT TO:<reply+t1@parley.test>", 250)
	c.expect("DATA", 354)
	c.send("Subject: stall\r\n\r\nhalf a ")
	for code, _ := c.read(); code != 0; code, _ = c.read() {
		if code == 250 {
			t.Fatal("a stalled message was acknowledged")
		}
	}
	if len(recv.deliveries()) != 0 {
		t.Fatal("a stalled message was handed over")
	}
}

// TestSlowSteadyMessagePasses: every read has its own deadline, so a body
// that takes longer than ReadTimeout in all, but never pauses that long,
// arrives (go-smtp alone would give the whole body the deadline of its
// DATA line).
func TestSlowSteadyMessagePasses(t *testing.T) {
	recv := newFakeReceiver()
	ts := startServer(t, recv, Options{ReadTimeout: 300 * time.Millisecond})
	c := dialRaw(t, ts.addr)
	c.expect("EHLO mx.example.org", 250)
	c.expect("MAIL FROM:<a@example.org>", 250)
	c.expect("RCPT TO:<reply+t1@parley.test>", 250)
	c.expect("DATA", 354)
	c.send("Subject: slow\r\n\r\n")
	for range 8 {
		time.Sleep(100 * time.Millisecond)
		c.send("a line at a time\r\n")
	}
	c.expect(".", 250)
	if len(recv.deliveries()) != 1 {
		t.Fatal("the slow message was not handed over")
	}
}

func TestTrustedRelayExempt(t *testing.T) {
	// The MX in front of parley carries everyone's replies: neither the
	// connection cap nor the message rate applies to it.
	relay := netip.MustParsePrefix("127.0.0.1/32")
	ts := startServer(t, newFakeReceiver(), Options{MaxConnsPerIP: 1, MessagesPerMinutePerIP: 1,
		TrustedRelays: []netip.Prefix{relay}})
	dialRaw(t, ts.addr)
	c := dialRaw(t, ts.addr) // the second connection is let in
	c.expect("EHLO mx.example.org", 250)
	for range 3 {
		c.expect("MAIL FROM:<a@example.org>", 250)
		c.expect("RSET", 250)
	}
}
