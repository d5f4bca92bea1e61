package imappoll

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
)

// muteServer is an IMAP server that greets, answers CAPABILITY and LOGIN, and
// then never answers the command named mute (it reads and ignores the
// rest): a mailbox process stuck after a restart. It counts connections.
type muteServer struct {
	addr  string
	conns atomic.Int32
}

func startMuteServer(t *testing.T, mute string) *muteServer {
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
			go s.serve(c, mute)
		}
	}()
	return s
}

func (s *muteServer) serve(c net.Conn, mute string) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprint(c, "* OK [CAPABILITY IMAP4rev1 IDLE] ready\r\n")
	r := bufio.NewReader(c)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		tag, cmd, _ := strings.Cut(strings.TrimSpace(line), " ")
		verb, _, _ := strings.Cut(cmd, " ")
		switch strings.ToUpper(verb) {
		case mute:
			// say nothing
		case "CAPABILITY":
			fmt.Fprintf(c, "* CAPABILITY IMAP4rev1 IDLE\r\n%s OK done\r\n", tag)
		case "LOGIN":
			fmt.Fprintf(c, "%s OK [CAPABILITY IMAP4rev1 IDLE] logged in\r\n", tag)
		case "LOGOUT":
			fmt.Fprintf(c, "* BYE\r\n%s OK bye\r\n", tag)
			return
		default:
			fmt.Fprintf(c, "%s BAD not here\r\n", tag)
		}
	}
}

// A server that takes a command and never answers costs the session
// AnswerTimeout, not the life of the TCP connection: the poller gives it
// up, says why and connects again.
func TestServerThatNeverAnswersIsGivenUp(t *testing.T) {
	for _, mute := range []string{"SELECT", "LOGIN"} {
		t.Run(mute, func(t *testing.T) {
			s := startMuteServer(t, mute)
			r := startPoller(t, (&url.URL{Scheme: "imap", User: url.UserPassword("alice", testPassword), Host: s.addr, Path: "/INBOX"}).String(), &recorder{}, func(o *Options) {
				o.AnswerTimeout = 200 * time.Millisecond
			})
			r.logs.waitFor(t, 5*time.Second, "imap server sent nothing for 200ms", 2)
			if testing.Verbose() {
				t.Log(r.logs.String())
			}
			if n := s.conns.Load(); n < 2 {
				t.Errorf("%d connections, want a new one after each silence", n)
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
				o.AnswerTimeout = 100 * time.Millisecond
				o.DisableIdle = !idle
				o.PollInterval = 700 * time.Millisecond
			})
			r.logs.waitFor(t, 5*time.Second, "imap mailbox selected", 1)
			time.Sleep(500 * time.Millisecond) // five AnswerTimeouts of waiting
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
		time.Sleep(400 * time.Millisecond) // four AnswerTimeouts
		return nil
	})
	r := startPoller(t, s.url("imap", "INBOX"), rec, func(o *Options) { o.AnswerTimeout = 100 * time.Millisecond })
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
