package smtpserver

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"parley/inbound"
)

// blockingReceiver's Receive signals entered and waits for release (or
// for its context to end, if honourCtx).
func blockingReceiver(result error, honourCtx bool) (recv *fakeReceiver, entered chan struct{}, release chan struct{}) {
	recv = newFakeReceiver()
	entered, release = make(chan struct{}, 1), make(chan struct{})
	recv.receive = func(ctx context.Context, env inbound.Envelope, raw []byte) (inbound.Result, error) {
		entered <- struct{}{}
		if honourCtx {
			select {
			case <-release:
			case <-ctx.Done():
				return inbound.Result{}, inbound.Defer("shutting down", ctx.Err())
			}
		} else {
			<-release
		}
		return inbound.Result{Outcome: inbound.Posted}, result
	}
	return recv, entered, release
}

// startSend sends testMessage with go-smtp's client in the background.
func startSend(t *testing.T, addr string) <-chan error {
	t.Helper()
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	errc := make(chan error, 1)
	go func() {
		if err := c.Hello("mx.example.org"); err != nil {
			errc <- err
			return
		}
		errc <- sendWithClient(c, "alice@example.org", []string{"reply+tok1@parley.test"}, testMessage)
	}()
	return errc
}

func waitEntered(t *testing.T, entered <-chan struct{}) {
	t.Helper()
	select {
	case <-entered:
	case <-time.After(5 * time.Second):
		t.Fatal("Receive was not called")
	}
}

func TestGracefulStopFinishesMessageInFlight(t *testing.T) {
	cert, pool := testCert(t)
	recv, entered, release := blockingReceiver(nil, false)
	ts := startServer(t, recv, Options{TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}}})

	idle := dialRaw(t, ts.addr)
	idle.expect("EHLO idle.example.org", 250)
	idleTLS, err := smtp.DialStartTLS(ts.addr, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	defer idleTLS.Close()
	if err := idleTLS.Hello("idle-tls.example.org"); err != nil {
		t.Fatal(err)
	}

	sent := startSend(t, ts.addr)
	waitEntered(t, entered)
	ts.cancel()

	// Idle sessions are told 421 and closed at once.
	if code, text := idle.read(); code != 421 {
		t.Errorf("idle session at stop: %d %s, want 421", code, text)
	}
	if code, _ := idle.read(); code != 0 {
		t.Error("idle session left open")
	}
	// The stop wakes idle sessions one after another: a NOOP sent just as
	// the plain session heard 421 may still be answered. Within a second
	// the TLS session must be told 421 too.
	for wait := time.Now().Add(time.Second); ; time.Sleep(10 * time.Millisecond) {
		if err = idleTLS.Noop(); err != nil || time.Now().After(wait) {
			break
		}
	}
	t.Logf("idle TLS session at stop: %v", err)
	if err == nil {
		t.Error("idle TLS session still answers NOOP")
	} else if code, _, _ := smtpCode(err); code != 421 {
		t.Errorf("idle TLS session at stop: %v", err)
	}
	// No new connections.
	deadline := time.Now().Add(5 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", ts.addr, time.Second)
		if err != nil {
			break
		}
		conn.Close()
		if time.Now().After(deadline) {
			t.Fatal("still accepting connections after the stop")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Serve waits for the message in flight.
	select {
	case err := <-ts.done:
		t.Fatalf("Serve returned with a message in flight: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	if err := <-sent; err != nil {
		t.Fatalf("message in flight: %v", err)
	}
	select {
	case err := <-ts.done:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
		ts.done <- nil // for the cleanup
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after the last message")
	}
	if len(recv.deliveries()) != 1 {
		t.Fatal("the message in flight was not handed over")
	}
}

func TestTemporaryErrorWhileStoppingIs421(t *testing.T) {
	recv, entered, release := blockingReceiver(inbound.Defer("store unavailable", errors.New(secret)), false)
	ts := startServer(t, recv, Options{})
	c := dialRaw(t, ts.addr)
	c.expect("EHLO mx.example.org", 250)
	c.expect("MAIL FROM:<a@example.org>", 250)
	c.expect("RCPT TO:<reply+t1@parley.test>", 250)
	c.expect("DATA", 354)
	c.send(testMessage + ".\r\n")
	waitEntered(t, entered)
	ts.cancel()
	time.Sleep(50 * time.Millisecond)
	close(release)
	code, text := c.read()
	if code != 421 || text != "4.3.2 store unavailable" {
		t.Fatalf("got %d %s, want 421 4.3.2 store unavailable", code, text)
	}
	if code, text := c.read(); code != 0 {
		t.Fatalf("after 421: %d %s, want the connection closed", code, text)
	}
}

func TestGracePeriodOver(t *testing.T) {
	recv, entered, _ := blockingReceiver(nil, true)
	ts := startServer(t, recv, Options{GracePeriod: 200 * time.Millisecond})
	sent := startSend(t, ts.addr)
	waitEntered(t, entered)
	start := time.Now()
	if err := ts.stop(t); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Serve took %v to return with a 200 ms grace period", d)
	}
	err := <-sent
	t.Logf("client of a cancelled Receive: %v", err)
	if err == nil {
		t.Fatal("a message whose Receive was cancelled was acknowledged")
	}
	if code, _, _ := smtpCode(err); code != 0 && code != 421 {
		t.Errorf("client got %v, want 421 or a closed connection", err)
	}
	if len(recv.deliveries()) != 0 {
		t.Fatal("handed over after the grace period")
	}
}
