package imappoll

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
)

// muteServer is an IMAP server with one message (UID 1) that answers
// what the poller asks (CAPABILITY, LOGIN, SELECT, UID SEARCH, UID FETCH,
// UID STORE, IDLE and its DONE) but never answers the command named mute:
// a mailbox process stuck after a restart. It counts connections.
type muteServer struct {
	addr  string
	conns atomic.Int32
}

// startMuteServer serves on loopback; with tlsConfig, implicit TLS.
func startMuteServer(t *testing.T, mute string, tlsConfig *tls.Config) *muteServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	s := &muteServer{addr: ln.Addr().String()}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.conns.Add(1)
			if tlsConfig != nil {
				c = tls.Server(c, tlsConfig)
			}
			go s.serve(c, mute)
		}
	}()
	return s
}

func (s *muteServer) serve(c net.Conn, mute string) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	msg := testMessage(1)
	fmt.Fprint(c, "* OK [CAPABILITY IMAP4rev1 IDLE] ready\r\n")
	r := bufio.NewReader(c)
	idleTag := ""
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimSpace(line)
		tag, cmd, _ := strings.Cut(line, " ")
		verb, rest, _ := strings.Cut(strings.ToUpper(cmd), " ")
		if verb == "UID" {
			verb, _, _ = strings.Cut(rest, " ")
		}
		if strings.EqualFold(line, "DONE") {
			tag, verb = idleTag, "DONE"
		}
		switch {
		case verb == mute:
			// say nothing
		case verb == "CAPABILITY":
			fmt.Fprintf(c, "* CAPABILITY IMAP4rev1 IDLE\r\n%s OK done\r\n", tag)
		case verb == "LOGIN":
			fmt.Fprintf(c, "%s OK [CAPABILITY IMAP4rev1 IDLE] logged in\r\n", tag)
		case verb == "SELECT":
			fmt.Fprintf(c, "* 1 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT 2] ok\r\n%s OK [READ-WRITE] selected\r\n", tag)
		case verb == "SEARCH":
			fmt.Fprintf(c, "* SEARCH 1\r\n%s OK searched\r\n", tag)
		case verb == "FETCH" && strings.Contains(rest, "BODY"):
			fmt.Fprintf(c, "* 1 FETCH (UID 1 BODY[] {%d}\r\n%s)\r\n%s OK fetched\r\n", len(msg), msg, tag)
		case verb == "FETCH":
			fmt.Fprintf(c, "* 1 FETCH (UID 1 RFC822.SIZE %d)\r\n%s OK fetched\r\n", len(msg), tag)
		case verb == "STORE":
			fmt.Fprintf(c, "%s OK stored\r\n", tag)
		case verb == "IDLE":
			idleTag = tag
			fmt.Fprint(c, "+ idling\r\n")
		case verb == "DONE":
			fmt.Fprintf(c, "%s OK idle done\r\n", tag)
		case verb == "LOGOUT":
			fmt.Fprintf(c, "* BYE\r\n%s OK bye\r\n", tag)
			return
		default:
			fmt.Fprintf(c, "%s BAD not here\r\n", tag)
		}
	}
}

// A server that takes a command and never answers costs the session
// AnswerTimeout, not the life of the TCP connection: the poller gives it
// up, says why and connects again. Every command the session waits on is
// watched: the log in, the mailbox's selection, the message's fetch and
// its \Seen after it was folded in, and the end of an IDLE.
func TestServerThatNeverAnswersIsGivenUp(t *testing.T) {
	cert, pool, _, _ := testCert(t)
	for _, tc := range []struct {
		mute string
		tls  bool
	}{{"LOGIN", false}, {"LOGIN", true}, {"SELECT", false}, {"FETCH", false}, {"STORE", false}, {"DONE", false}} {
		t.Run(fmt.Sprintf("%s tls=%v", tc.mute, tc.tls), func(t *testing.T) {
			var serverTLS *tls.Config
			scheme := "imap"
			if tc.tls {
				serverTLS, scheme = &tls.Config{Certificates: []tls.Certificate{cert}}, "imaps"
			}
			s := startMuteServer(t, tc.mute, serverTLS)
			rec := &recorder{}
			r := startPoller(t, (&url.URL{Scheme: scheme, User: url.UserPassword("alice", testPassword), Host: s.addr, Path: "/INBOX"}).String(), rec, func(o *Options) {
				o.AnswerTimeout = 300 * time.Millisecond
				o.IdleRefresh = 100 * time.Millisecond // ends each IDLE with DONE
				o.TLSConfig = &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}
			})
			r.logs.waitFor(t, 10*time.Second, "imap server sent nothing for 300ms", 2)
			if n := s.conns.Load(); n < 2 {
				t.Errorf("%d connections, want a new one after each silence", n)
			}
			// The mute command was reached: the message folded in before
			// its \Seen, an IDLE begun before its DONE.
			if folded := len(rec.got()) > 0; folded != (tc.mute == "STORE" || tc.mute == "DONE") {
				t.Errorf("message folded in: %v", folded)
			}
			if idled := r.logs.count("imap idling") > 0; idled != (tc.mute == "DONE") {
				t.Errorf("idled: %v", idled)
			}
		})
	}
}

// In IDLE, and between two polls, the server owes no answer: a wait
// longer than AnswerTimeout keeps the session, and mail that comes then
// is folded in on it.
func TestQuietWaitsOutlastAnswerTimeout(t *testing.T) {
	for _, idle := range []bool{true, false} {
		t.Run(fmt.Sprintf("idle=%v", idle), func(t *testing.T) {
			s := newMemServer(t, memServerOptions{})
			rec := &recorder{}
			r := startPoller(t, s.url("imap", "INBOX"), rec, func(o *Options) {
				o.AnswerTimeout = 300 * time.Millisecond
				o.DisableIdle = !idle
				o.PollInterval = 2 * time.Second
			})
			r.logs.waitFor(t, 5*time.Second, "imap mailbox selected", 1)
			time.Sleep(1500 * time.Millisecond) // five AnswerTimeouts of waiting
			appendMsg(t, s.client(), "INBOX", testMessage(1))
			rec.waitCalls(t, 1, 5*time.Second)
			time.Sleep(300 * time.Millisecond)
			if n := r.logs.count("imap mailbox selected"); n != 1 || r.logs.count("reconnecting") > 0 {
				t.Errorf("the session was made %d times (want 1); log:\n%s", n, r.logs.String())
			}
		})
	}
}

// Nor while a message is folded in: a Receive slower than AnswerTimeout
// keeps the session, and the message is settled on it.
func TestSlowReceiveOutlastsAnswerTimeout(t *testing.T) {
	s := newMemServer(t, memServerOptions{})
	appendMsg(t, s.client(), "INBOX", testMessage(1))
	var calls atomic.Int32
	rec := receiverFunc(func(ctx context.Context) error {
		calls.Add(1)
		time.Sleep(1200 * time.Millisecond) // four AnswerTimeouts
		return nil
	})
	r := startPoller(t, s.url("imap", "INBOX"), rec, func(o *Options) { o.AnswerTimeout = 300 * time.Millisecond })
	waitFor(t, 5*time.Second, "the message marked seen", func() bool {
		for _, flags := range mailboxFlags(t, s.client(), "INBOX") {
			if hasFlag(flags, imap.FlagSeen) {
				return true
			}
		}
		return false
	})
	if n := calls.Load(); n != 1 || r.logs.count("reconnecting") > 0 {
		t.Errorf("%d Receive calls (want 1); log:\n%s", n, r.logs.String())
	}
}
