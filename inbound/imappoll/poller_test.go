package imappoll

import (
	"bytes"
	"context"
	"crypto/tls"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"parley/inbound"
)

// The poller against go-imap's in-memory server: what it hands over, when
// it marks, and how it keeps going.

func TestNewMessagesHandedOverOnceThenSeen(t *testing.T) {
	for _, tc := range []struct {
		name string
		caps imap.CapSet
	}{{"dovecot-like", capsDovecotLike}, {"imap4rev2", capsRev2}, {"bare-imap4rev1", capsBare}} {
		t.Run(tc.name, func(t *testing.T) {
			s := newMemServer(t, memServerOptions{caps: tc.caps})
			tc := s.client()
			watch := s.client()
			uids := map[int]imap.UID{}
			var watchMu sync.Mutex
			rec := &recorder{decide: func(_ int, raw []byte) error {
				// Nothing is marked before Receive returns.
				watchMu.Lock()
				defer watchMu.Unlock()
				n := messageN(raw)
				if flags := mailboxFlags(t, watch, "INBOX")[uids[n]]; hasFlag(flags, imap.FlagSeen) {
					t.Errorf("message %d is \\Seen before Receive returned: %v", n, flags)
				}
				return nil
			}}
			watchMu.Lock()
			uids[1] = appendMsg(t, tc, "INBOX", testMessage(1))
			uids[2] = appendMsg(t, tc, "INBOX", testMessage(2))
			// Already read by a person: not a new message.
			appendMsg(t, tc, "INBOX", testMessage(99), imap.FlagSeen)
			watchMu.Unlock()

			r := startPoller(t, s.url("imap", "INBOX"), rec, nil)
			calls := rec.waitCalls(t, 2, 5*time.Second)
			for i, c := range calls {
				n := i + 1
				if !bytes.Equal(c.raw, testMessage(n)) {
					t.Errorf("message %d handed over as %q, want it intact", n, c.raw)
				}
				want := inbound.Envelope{Door: "imap", MailFrom: "member" + strconv.Itoa(n) + "@example.org",
					Rcpt: []string{"parley@example.net", "reply+tok" + strconv.Itoa(n) + "@example.net"}, Remote: "INBOX"}
				if !envEqual(c.env, want) {
					t.Errorf("envelope %d = %+v, want %+v", n, c.env, want)
				}
			}

			// IDLE wakes the poller: PollInterval and IdleRefresh are an hour.
			r.logs.waitFor(t, 5*time.Second, "imap idling", 1)
			watchMu.Lock()
			uids[3] = appendMsg(t, tc, "INBOX", testMessage(3))
			watchMu.Unlock()
			rec.waitCalls(t, 3, 3*time.Second)

			watchMu.Lock()
			waitFor(t, 3*time.Second, "all three \\Seen", func() bool {
				f := mailboxFlags(t, watch, "INBOX")
				return hasFlag(f[uids[1]], imap.FlagSeen) && hasFlag(f[uids[2]], imap.FlagSeen) && hasFlag(f[uids[3]], imap.FlagSeen)
			})
			watchMu.Unlock()
			time.Sleep(200 * time.Millisecond)
			if got := rec.ns(); !slices.Equal(got, []int{1, 2, 3}) {
				t.Errorf("handed over %v, want [1 2 3] once each", got)
			}
		})
	}
}

func TestTemporaryRefusalLeavesUnseenAndRetries(t *testing.T) {
	s := newMemServer(t, memServerOptions{})
	tc := s.client()
	watch := s.client()
	u1 := appendMsg(t, tc, "INBOX", testMessage(1))
	appendMsg(t, tc, "INBOX", testMessage(2))
	rec := &recorder{decide: func(i int, raw []byte) error {
		switch i {
		case 0:
			return inbound.Defer("store unreachable", nil)
		case 1:
			// The retry: message 1 is still unseen and 2 waited behind it.
			if hasFlag(mailboxFlags(t, watch, "INBOX")[u1], imap.FlagSeen) {
				t.Errorf("message 1 marked after a temporary refusal")
			}
		}
		return nil
	}}
	var attempts []int
	var mu sync.Mutex
	r := startPoller(t, s.url("imap", "INBOX"), rec, func(o *Options) {
		o.Backoff = func(n int) time.Duration {
			mu.Lock()
			attempts = append(attempts, n)
			mu.Unlock()
			return 100 * time.Millisecond
		}
	})
	rec.waitCalls(t, 3, 5*time.Second)
	if got := rec.ns(); !slices.Equal(got, []int{1, 1, 2}) {
		t.Errorf("handed over %v, want [1 1 2]: the refused one again first, then the next", got)
	}
	waitFor(t, 3*time.Second, "both \\Seen", func() bool {
		for _, f := range mailboxFlags(t, watch, "INBOX") {
			if !hasFlag(f, imap.FlagSeen) {
				return false
			}
		}
		return true
	})
	if !strings.Contains(r.logs.String(), "refused for now") {
		t.Errorf("no log line for the temporary refusal:\n%s", r.logs)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(attempts) == 0 || attempts[0] != 1 {
		t.Errorf("retry backoff attempts %v, want to start at 1", attempts)
	}
}

func TestPermanentRefusalIsMarked(t *testing.T) {
	s := newMemServer(t, memServerOptions{})
	tc := s.client()
	u := appendMsg(t, tc, "INBOX", testMessage(1))
	rec := &recorder{decide: func(int, []byte) error {
		return inbound.Refuse("not a member of this room", nil)
	}}
	r := startPoller(t, s.url("imap", "INBOX"), rec, nil)
	rec.waitCalls(t, 1, 5*time.Second)
	waitFor(t, 3*time.Second, "message \\Seen", func() bool {
		return hasFlag(mailboxFlags(t, tc, "INBOX")[u], imap.FlagSeen)
	})
	r.logs.waitFor(t, time.Second, "not a member of this room", 1)
	time.Sleep(200 * time.Millisecond)
	if n := len(rec.got()); n != 1 {
		t.Errorf("Receive called %d times, want 1: a permanent refusal is not retried", n)
	}
}

func TestRestartWithSavedStateDoesNotReprocess(t *testing.T) {
	s := newMemServer(t, memServerOptions{})
	tc := s.client()
	state := &MemoryState{}
	u1 := appendMsg(t, tc, "INBOX", testMessage(1))

	rec1 := &recorder{}
	r1 := startPoller(t, s.url("imap", "INBOX"), rec1, func(o *Options) { o.State = state })
	rec1.waitCalls(t, 1, 5*time.Second)
	r1.logs.waitFor(t, 5*time.Second, "imap idling", 1)
	r1.stop()

	// A person marks it unread again: only the saved last UID keeps the
	// next poller from handing it over twice.
	if _, err := tc.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := tc.Store(imap.UIDSetNum(u1), &imap.StoreFlags{Op: imap.StoreFlagsDel, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	appendMsg(t, tc, "INBOX", testMessage(2))

	rec2 := &recorder{}
	r2 := startPoller(t, s.url("imap", "INBOX"), rec2, func(o *Options) { o.State = state })
	rec2.waitCalls(t, 1, 5*time.Second)
	r2.logs.waitFor(t, 5*time.Second, "imap idling", 1)
	if got := rec2.ns(); !slices.Equal(got, []int{2}) {
		t.Errorf("after restart handed over %v, want [2] only", got)
	}
	v, last, _ := state.Load(context.Background(), r2.p.acct.display)
	if v == 0 || last != 2 {
		t.Errorf("saved state uidvalidity=%d last=%d, want non-zero and 2", v, last)
	}
}

func TestUIDValidityChangeStartsOver(t *testing.T) {
	s := newMemServer(t, memServerOptions{})
	tc := s.client()
	appendMsg(t, tc, "INBOX", testMessage(1))
	appendMsg(t, tc, "INBOX", testMessage(2))
	state := &MemoryState{}
	key := "alice@" + s.addr + "/INBOX"
	// Saved under another UIDVALIDITY, far past these UIDs.
	if err := state.Save(context.Background(), key, 987654, 100); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	r := startPoller(t, s.url("imap", "INBOX"), rec, func(o *Options) { o.State = state })
	rec.waitCalls(t, 2, 5*time.Second)
	r.logs.waitFor(t, time.Second, "UIDVALIDITY changed", 1)
	r.logs.waitFor(t, 5*time.Second, "imap idling", 1)
	v, last, _ := state.Load(context.Background(), key)
	if v == 987654 || v == 0 || last != 2 {
		t.Errorf("state after the change: uidvalidity=%d last=%d, want the new one and 2", v, last)
	}
}

func TestMailboxRecreatedWhileDisconnected(t *testing.T) {
	s := newMemServer(t, memServerOptions{})
	tc := s.client()
	appendMsg(t, tc, "INBOX", testMessage(1))
	appendMsg(t, tc, "INBOX", testMessage(2))
	rec := &recorder{}
	r := startPoller(t, s.url("imap", "INBOX"), rec, nil)
	rec.waitCalls(t, 2, 5*time.Second)
	r.logs.waitFor(t, 5*time.Second, "imap idling", 1)

	// The mailbox is restored from a backup: new UIDVALIDITY, UIDs from 1.
	s.stop()
	if err := s.user.Delete("INBOX"); err != nil {
		t.Fatal(err)
	}
	if err := s.user.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	s.start()
	appendMsg(t, s.client(), "INBOX", testMessage(3)) // UID 1 again

	rec.waitCalls(t, 3, 5*time.Second)
	if got := rec.ns(); !slices.Equal(got, []int{1, 2, 3}) {
		t.Errorf("handed over %v, want [1 2 3]", got)
	}
	r.logs.waitFor(t, time.Second, "UIDVALIDITY changed", 1)
}

func TestPollingWithoutIdle(t *testing.T) {
	s := newMemServer(t, memServerOptions{})
	tc := s.client()
	rec := &recorder{}
	r := startPoller(t, s.url("imap", "INBOX"), rec, func(o *Options) {
		o.DisableIdle = true
		o.PollInterval = 100 * time.Millisecond
	})
	r.logs.waitFor(t, 5*time.Second, "imap polling", 1)
	appendMsg(t, tc, "INBOX", testMessage(1))
	rec.waitCalls(t, 1, 3*time.Second)
	r.logs.waitFor(t, 3*time.Second, "imap polling", 3)
	if strings.Contains(r.logs.String(), "imap idling") {
		t.Errorf("the poller used IDLE although DisableIdle is set")
	}
	if !strings.Contains(r.logs.String(), "idle=false") {
		t.Errorf("log does not say idle=false:\n%s", r.logs)
	}
}

func TestIdleRefresh(t *testing.T) {
	s := newMemServer(t, memServerOptions{})
	r := startPoller(t, s.url("imap", "INBOX"), &recorder{}, func(o *Options) {
		o.IdleRefresh = 100 * time.Millisecond
	})
	// Each refresh ends IDLE, looks at the mailbox and idles again.
	r.logs.waitFor(t, 3*time.Second, "imap idling", 3)
}

func TestMoveToFolder(t *testing.T) {
	for _, tc := range []struct {
		name string
		caps imap.CapSet
	}{{"MOVE", capsDovecotLike}, {"COPY+EXPUNGE fallback", capsBare}} {
		t.Run(tc.name, func(t *testing.T) {
			s := newMemServer(t, memServerOptions{caps: tc.caps})
			c := s.client()
			appendMsg(t, c, "INBOX", testMessage(1))
			rec := &recorder{}
			r := startPoller(t, s.url("imap", "INBOX"), rec, func(o *Options) { o.After = "move:Parley Done" })
			rec.waitCalls(t, 1, 5*time.Second)
			r.logs.waitFor(t, 5*time.Second, "imap idling", 1)
			if got := mailboxFlags(t, c, "INBOX"); len(got) != 0 {
				t.Errorf("INBOX still holds %v", got)
			}
			done := mailboxFlags(t, c, "Parley Done")
			if len(done) != 1 {
				t.Fatalf("Parley Done holds %v, want the message", done)
			}
			for _, f := range done {
				if !hasFlag(f, imap.FlagSeen) {
					t.Errorf("moved message flags %v, want \\Seen", f)
				}
			}
			r.logs.waitFor(t, time.Second, "created the folder", 1)

			// A second message goes to the folder that now exists.
			appendMsg(t, c, "INBOX", testMessage(2))
			rec.waitCalls(t, 2, 3*time.Second)
			waitFor(t, 3*time.Second, "two in Parley Done", func() bool { return len(mailboxFlags(t, c, "Parley Done")) == 2 })
		})
	}
}

func TestDelete(t *testing.T) {
	s := newMemServer(t, memServerOptions{})
	c := s.client()
	appendMsg(t, c, "INBOX", testMessage(1))
	rec := &recorder{}
	r := startPoller(t, s.url("imap", "INBOX"), rec, func(o *Options) { o.After = "delete" })
	rec.waitCalls(t, 1, 5*time.Second)
	r.logs.waitFor(t, 5*time.Second, "imap idling", 1)
	if got := mailboxFlags(t, c, "INBOX"); len(got) != 0 {
		t.Errorf("INBOX still holds %v after delete", got)
	}
}

func TestTooLargeIsFlaggedAndSkipped(t *testing.T) {
	s := newMemServer(t, memServerOptions{})
	c := s.client()
	big := append(testMessage(1), bytes.Repeat([]byte("0123456789abcdef\r\n"), 400)...)
	uBig := appendMsg(t, c, "INBOX", big)
	uSmall := appendMsg(t, c, "INBOX", testMessage(2))
	rec := &recorder{}
	r := startPoller(t, s.url("imap", "INBOX"), rec, func(o *Options) { o.MaxMessageBytes = 2000 })
	rec.waitCalls(t, 1, 5*time.Second)
	r.logs.waitFor(t, 5*time.Second, "imap idling", 1)
	if got := rec.ns(); !slices.Equal(got, []int{2}) {
		t.Errorf("handed over %v, want only the small one", got)
	}
	flags := mailboxFlags(t, c, "INBOX")
	if f := flags[uBig]; !hasFlag(f, imap.FlagFlagged) || hasFlag(f, imap.FlagSeen) {
		t.Errorf("large message flags %v, want \\Flagged and unseen", f)
	}
	if f := flags[uSmall]; !hasFlag(f, imap.FlagSeen) {
		t.Errorf("small message flags %v, want \\Seen", f)
	}
	if !strings.Contains(r.logs.String(), "too large") {
		t.Errorf("no log line for the large message")
	}
}

func TestReceiverPanicSetsMessageAside(t *testing.T) {
	s := newMemServer(t, memServerOptions{})
	c := s.client()
	u1 := appendMsg(t, c, "INBOX", testMessage(1))
	u2 := appendMsg(t, c, "INBOX", testMessage(2))
	rec := &recorder{decide: func(_ int, raw []byte) error {
		if messageN(raw) == 1 {
			panic("boom")
		}
		return nil
	}}
	r := startPoller(t, s.url("imap", "INBOX"), rec, nil)
	r.logs.waitFor(t, 5*time.Second, "imap idling", 1)
	flags := mailboxFlags(t, c, "INBOX")
	if f := flags[u1]; !hasFlag(f, imap.FlagFlagged) || hasFlag(f, imap.FlagSeen) {
		t.Errorf("message that panicked: flags %v, want \\Flagged and unseen", f)
	}
	if f := flags[u2]; !hasFlag(f, imap.FlagSeen) {
		t.Errorf("next message flags %v, want \\Seen", f)
	}
}

func TestReconnectsWithBackoff(t *testing.T) {
	s := newMemServer(t, memServerOptions{})
	rec := &recorder{}
	var mu sync.Mutex
	var attempts []int
	r := startPoller(t, s.url("imap", "INBOX"), rec, func(o *Options) {
		o.Backoff = func(n int) time.Duration {
			mu.Lock()
			attempts = append(attempts, n)
			mu.Unlock()
			return 50 * time.Millisecond
		}
	})
	r.logs.waitFor(t, 5*time.Second, "imap idling", 1)

	s.stop()
	r.logs.waitFor(t, 5*time.Second, "reconnecting", 3)
	s.start()
	appendMsg(t, s.client(), "INBOX", testMessage(1))
	rec.waitCalls(t, 1, 5*time.Second)

	mu.Lock()
	got := slices.Clone(attempts)
	mu.Unlock()
	if len(got) < 3 || got[0] != 1 || got[1] != 2 || got[2] != 3 {
		t.Errorf("backoff attempts %v, want 1, 2, 3, ...", got)
	}
	// Once connected again, the next failure starts the count over.
	r.logs.waitFor(t, 5*time.Second, "imap idling", 2)
	s.stop()
	waitFor(t, 5*time.Second, "a new backoff count", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(attempts) > len(got) && attempts[len(got)] == 1
	})
}

func TestCancelStopsRunPromptly(t *testing.T) {
	cases := map[string]func(*testing.T) *running{
		"idling": func(t *testing.T) *running {
			s := newMemServer(t, memServerOptions{})
			r := startPoller(t, s.url("imap", "INBOX"), &recorder{}, nil)
			r.logs.waitFor(t, 5*time.Second, "imap idling", 1)
			return r
		},
		"polling": func(t *testing.T) *running {
			s := newMemServer(t, memServerOptions{})
			r := startPoller(t, s.url("imap", "INBOX"), &recorder{}, func(o *Options) { o.DisableIdle = true })
			r.logs.waitFor(t, 5*time.Second, "imap polling", 1)
			return r
		},
		"in backoff": func(t *testing.T) *running {
			s := newMemServer(t, memServerOptions{})
			s.stop()
			r := startPoller(t, s.url("imap", "INBOX"), &recorder{}, func(o *Options) {
				o.Backoff = func(int) time.Duration { return time.Hour }
			})
			r.logs.waitFor(t, 5*time.Second, "reconnecting", 1)
			return r
		},
		"in Receive": func(t *testing.T) *running {
			s := newMemServer(t, memServerOptions{})
			appendMsg(t, s.client(), "INBOX", testMessage(1))
			started := make(chan struct{})
			rec := receiverFunc(func(ctx context.Context) error {
				close(started)
				<-ctx.Done()
				return inbound.Defer("shutting down", ctx.Err())
			})
			r := startPoller(t, s.url("imap", "INBOX"), rec, nil)
			<-started
			return r
		},
	}
	for name, setup := range cases {
		t.Run(name, func(t *testing.T) {
			r := setup(t)
			start := time.Now()
			r.stop() // fails the test if Run takes over 2 s
			if d := time.Since(start); d > 500*time.Millisecond {
				t.Errorf("Run took %v to return after cancel", d)
			}
		})
	}
}

// receiverFunc is a Receiver from a function.
type receiverFunc func(ctx context.Context) error

func (f receiverFunc) CheckRecipient(context.Context, string) error { return nil }
func (f receiverFunc) Receive(ctx context.Context, _ inbound.Envelope, _ []byte) (inbound.Result, error) {
	return inbound.Result{}, f(ctx)
}

func TestPasswordNeverShown(t *testing.T) {
	t.Run("login refused", func(t *testing.T) {
		s := newMemServer(t, memServerOptions{password: "another-password"})
		r := startPoller(t, s.url("imap", "INBOX"), &recorder{}, nil)
		r.logs.waitFor(t, 5*time.Second, "imap login as alice", 2)
		r.stop() // checks the log
	})
	t.Run("mailbox missing", func(t *testing.T) {
		s := newMemServer(t, memServerOptions{noMailbox: true})
		r := startPoller(t, s.url("imap", "INBOX"), &recorder{}, nil)
		r.logs.waitFor(t, 5*time.Second, "imap select INBOX", 1)
		r.stop()
	})
	t.Run("errors from New", func(t *testing.T) {
		pw := testPassword
		for _, raw := range []string{
			"imaps://alice:" + pw + "@host:bad/INBOX",
			"imaps://alice:" + pw + "@host/INBOX?x=1",
			"ftp://alice:" + pw + "@host/INBOX",
			"imaps://alice:" + pw + "@/INBOX",
			"imaps://alice:" + pw + "%zz@host/INBOX",
			"imaps://alice:" + pw + "@[::1/INBOX",
			"imaps://:" + pw + "@host/INBOX",
			"imaps://alice:" + pw + "@host/INBOX#frag",
		} {
			_, err := New(&recorder{}, Options{URL: raw})
			if err == nil {
				t.Errorf("New(%q) accepted it", raw)
				continue
			}
			checkNoPassword(t, "error of New", err.Error())
		}
	})
}

func TestImplicitTLS(t *testing.T) {
	cert, pool, _, _ := testCert(t)
	s := newMemServer(t, memServerOptions{implicit: &tls.Config{Certificates: []tls.Certificate{cert}}})
	c := s.client()
	appendMsg(t, c, "INBOX", testMessage(1))
	rec := &recorder{}
	r := startPoller(t, s.url("imaps", "INBOX"), rec, func(o *Options) { o.TLSConfig = &tls.Config{RootCAs: pool} })
	rec.waitCalls(t, 1, 5*time.Second)
	r.logs.waitFor(t, 5*time.Second, "imap idling", 1)

	// An untrusted certificate is refused.
	bad := startPoller(t, s.url("imaps", "INBOX"), &recorder{}, nil)
	bad.logs.waitFor(t, 5*time.Second, "imap TLS handshake", 1)
}

func TestStartTLS(t *testing.T) {
	cert, pool, _, _ := testCert(t)
	s := newMemServer(t, memServerOptions{startTLS: &tls.Config{Certificates: []tls.Certificate{cert}}})
	c := dialStartTLSClient(t, s.addr, pool)
	appendMsg(t, c, "INBOX", testMessage(1))
	rec := &recorder{}
	// As if the host were not loopback: STARTTLS is required.
	r := startPoller(t, s.url("imap", "INBOX"), rec, func(o *Options) { o.TLSConfig = &tls.Config{RootCAs: pool} },
		func(p *Poller) { p.plainOK = false })
	rec.waitCalls(t, 1, 5*time.Second)
	r.logs.waitFor(t, 5*time.Second, "imap idling", 1)
}

func TestStartTLSRequiredOffLoopback(t *testing.T) {
	// A server without STARTTLS: a poller that needs it never logs in.
	s := newMemServer(t, memServerOptions{})
	appendMsg(t, s.client(), "INBOX", testMessage(1))
	rec := &recorder{}
	r := startPoller(t, s.url("imap", "INBOX"), rec, nil, func(p *Poller) { p.plainOK = false })
	r.logs.waitFor(t, 5*time.Second, "imap STARTTLS", 2)
	if n := len(rec.got()); n != 0 {
		t.Errorf("handed over %d messages over a connection without TLS", n)
	}
}

func envEqual(a, b inbound.Envelope) bool {
	return a.Door == b.Door && a.MailFrom == b.MailFrom && a.Remote == b.Remote && slices.Equal(a.Rcpt, b.Rcpt)
}

func TestMailArrivingDuringARound(t *testing.T) {
	// Polling once an hour: only the EXISTS the server sends in reply to
	// the poller's own commands can bring message 2 in at once.
	s := newMemServer(t, memServerOptions{})
	c := s.client()
	appendMsg(t, c, "INBOX", testMessage(1))
	rec := &recorder{decide: func(_ int, raw []byte) error {
		if messageN(raw) == 1 {
			appendMsg(t, c, "INBOX", testMessage(2))
		}
		return nil
	}}
	startPoller(t, s.url("imap", "INBOX"), rec, func(o *Options) { o.DisableIdle = true })
	rec.waitCalls(t, 2, 3*time.Second)
	if got := rec.ns(); !slices.Equal(got, []int{1, 2}) {
		t.Errorf("handed over %v, want [1 2]", got)
	}
}
