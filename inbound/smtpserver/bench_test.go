package smtpserver

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"parley/inbound"
	"parley/inbound/mailparse"
	"parley/internal/gcpolicy"
	"parley/internal/testpeers/postfixpeer"
)

// benchLoad is the smtp-source load of one round: 4 sessions in
// parallel, 2000 messages (one connection each, as smtp-source does
// without -d), 2048 bytes of payload.
var benchLoad = []string{"-s", "4", "-m", strconv.Itoa(benchMessages), "-l", "2048",
	"-f", "a@example.org", "-t", "reply+bench@parley.test"}

const benchMessages = 2000

// parseReceiver only parses: it stands for the rest of parley, so that
// the benchmark measures the door.
type parseReceiver struct{}

var _ inbound.Receiver = parseReceiver{}

func (parseReceiver) CheckRecipient(_ context.Context, addr string) error {
	if !isReplyAddr(addr) {
		return inbound.Refuse("no such reply address", nil)
	}
	return nil
}

func (parseReceiver) Receive(_ context.Context, _ inbound.Envelope, raw []byte) (inbound.Result, error) {
	if _, err := mailparse.Parse(bytes.NewReader(raw), mailparse.Options{}); err != nil {
		return inbound.Result{}, inbound.Refuse("unreadable message", err)
	}
	return inbound.Result{Outcome: inbound.Posted}, nil
}

// discardSession is the floor: a plain go-smtp session that accepts
// everything and throws the message away.
type discardSession struct{}

var _ smtp.Session = discardSession{}

func (discardSession) Reset()                               {}
func (discardSession) Logout() error                        { return nil }
func (discardSession) Mail(string, *smtp.MailOptions) error { return nil }
func (discardSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (discardSession) Data(r io.Reader) error               { _, err := io.Copy(io.Discard, r); return err }

// startDiscardServer serves a go-smtp server with the same limits as the
// door and no backend work.
func startDiscardServer(b testing.TB) string {
	b.Helper()
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return discardSession{}, nil }))
	srv.Domain = testDomain
	srv.MaxMessageBytes = DefaultMaxMessageBytes
	srv.MaxRecipients = DefaultMaxRecipients
	srv.ReadTimeout, srv.WriteTimeout = DefaultTimeout, DefaultTimeout
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = srv.Serve(l) }()
	b.Cleanup(func() { srv.Close() })
	return l.Addr().String()
}

// compareRounds runs smtp-source with load against the door and against
// the discard floor, once each to warm up and then a round each per
// benchmark iteration, alternating the order so that neither always runs
// on a warmer machine. It returns the messages per second of each.
func compareRounds(b *testing.B, load []string, door, floor string) (doorRate, floorRate float64) {
	b.Helper()
	source := postfixpeer.FindTool(b, "smtp-source")
	run := func(addr string) time.Duration {
		args := append(append([]string(nil), load...), addr)
		start := time.Now()
		out, err := exec.Command(source, args...).CombinedOutput()
		if err != nil {
			b.Fatalf("smtp-source %v: %v\n%s", args, err, out)
		}
		return time.Since(start)
	}
	run(door) // warm both up, and check the load is accepted
	run(floor)
	var doorTime, floorTime time.Duration
	rounds := 0
	for b.Loop() {
		if rounds%2 == 0 {
			doorTime += run(door)
			floorTime += run(floor)
		} else {
			floorTime += run(floor)
			doorTime += run(door)
		}
		rounds++
	}
	return float64(rounds*benchMessages) / doorTime.Seconds(), float64(rounds*benchMessages) / floorTime.Seconds()
}

// BenchmarkSMTPSource measures messages per second through the door with
// a Receiver that only parses (mailparse.Parse), beside the same load
// against a plain go-smtp server that discards every message (the floor
// cost of the protocol), and reports both rates and their ratio (target:
// at least 60%). Each round runs, against each server in turn,
//
//	smtp-source -s 4 -m 2000 -l 2048 -f a@example.org -t reply+bench@parley.test 127.0.0.1:PORT
//
// Run it with
//
//	go test -run '^$' -bench SMTPSource -benchtime 5x ./inbound/smtpserver/
func BenchmarkSMTPSource(b *testing.B) {
	defer gcpolicy.Apply()() // as parley serve runs
	door := startServer(b, parseReceiver{}, Options{
		MessagesPerMinutePerIP: -1, // one client sends everything
		Log:                    slog.New(slog.DiscardHandler),
	})
	doorRate, floorRate := compareRounds(b, benchLoad, door.addr, startDiscardServer(b))
	b.ReportMetric(doorRate, "door_msg/s")
	b.ReportMetric(floorRate, "discard_msg/s")
	b.ReportMetric(100*doorRate/floorRate, "door_%_of_discard")
}
