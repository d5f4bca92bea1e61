package outbound

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"

	"parley/internal/testpeers/redispeer"
	"parley/outbound/mailcompose"
	"parley/threads"
)

// memTransport keeps what it is asked to send, or fails with fail.
type memTransport struct {
	mu   sync.Mutex
	msgs []sentMail
	fail error
}

type sentMail struct {
	to  string
	msg []byte
}

func (m *memTransport) Send(_ context.Context, _ string, to []string, msg []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return m.fail
	}
	for _, r := range to {
		m.msgs = append(m.msgs, sentMail{r, append([]byte(nil), msg...)})
	}
	return nil
}

func (m *memTransport) to(addr string) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for _, s := range m.msgs {
		if s.to == addr {
			out = append(out, string(s.msg))
		}
	}
	return out
}

type denv struct {
	store *threads.Store
	clock *clock
	mail  *memTransport
	ctx   context.Context
}

// newDenv: alice writes in design; kiwi (Auckland, UTC+13) and hana
// (Honolulu, UTC-10) are busy, so every line waits for their digest at
// 08:00 their time; erin is online with the default frequency; olaf has
// digests off. The clock starts at 2026-11-25 09:00 UTC.
func newDenv(t *testing.T) *denv {
	r := redispeer.New(t)
	c := &clock{t: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)}
	s := threads.New(r.Client, threads.Options{Prefix: r.Prefix, Now: c.Now, Rand: func() float64 { return 0.5 },
		Secret: []byte("0123456789abcdef0123456789abcdef")})
	ctx := context.Background()
	for _, u := range []threads.User{
		{ID: "alice", Name: "Alice", Emails: []string{"alice@example.org"}},
		{ID: "kiwi", Name: "Kiwi", Emails: []string{"kiwi@example.org"}, TimeZone: "Pacific/Auckland", Prefs: threads.Prefs{DigestHour: 8}},
		{ID: "hana", Name: "Hana", Emails: []string{"hana@example.org"}, TimeZone: "Pacific/Honolulu", Prefs: threads.Prefs{DigestHour: 8}},
		{ID: "erin", Name: "Erin", Emails: []string{"erin@example.org"}},
		{ID: "olaf", Name: "Olaf", Emails: []string{"olaf@example.org"}, Prefs: threads.Prefs{Digest: threads.DigestOff}},
	} {
		if _, err := s.Directory.AddUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Chat.CreateRoom(ctx, threads.Room{ID: "design", Name: "Design", Members: []string{"alice", "kiwi", "hana", "erin", "olaf"}}); err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"kiwi", "hana", "olaf"} {
		if _, err := s.Chat.SetStatus(ctx, m, threads.Status{Availability: threads.Busy}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Chat.SetStatus(ctx, "erin", threads.Status{Availability: threads.Available}); err != nil {
		t.Fatal(err)
	}
	return &denv{store: s, clock: c, mail: &memTransport{}, ctx: ctx}
}

func (e *denv) digests(t *testing.T) *Digests {
	t.Helper()
	comp, err := mailcompose.New(mailcompose.Options{Domain: "chat.example.org", Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	return NewDigests(DigestOptions{Digests: e.store.Digests, Directory: e.store.Directory, Chat: e.store.Chat,
		Auth: e.store.Auth, Composer: comp, Transport: e.mail, Domain: "chat.example.org", PublicURL: "https://chat.example.org", Lease: 10 * time.Minute, Log: quiet})
}

func (e *denv) post(t *testing.T, text string) {
	t.Helper()
	if _, err := e.store.Chat.Post(e.ctx, threads.NewLine{Room: "design", Author: "alice", Text: text, Origin: threads.FromWeb}); err != nil {
		t.Fatal(err)
	}
}

// heartbeat keeps erin online at the current clock.
func (e *denv) heartbeat(t *testing.T) {
	t.Helper()
	if err := e.store.Chat.Heartbeat(e.ctx, "erin", threads.Beat{}); err != nil {
		t.Fatal(err)
	}
}

// until moves the clock to at, stepping d a minute at a time, as a
// scheduler polling every minute would see it.
func (e *denv) until(t *testing.T, at time.Time, ds ...*Digests) {
	t.Helper()
	for e.clock.Now().Before(at) {
		e.clock.Add(time.Minute)
		e.heartbeat(t)
		var wg sync.WaitGroup
		for _, d := range ds {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := d.Step(e.ctx); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
	}
}

// TestDigestsTwoSchedulers: two schedulers poll the same store at once;
// each member's digest goes out once, at 08:00 in their own zone; erin
// (online) and olaf (off) get none; a day without new lines sends nothing.
func TestDigestsTwoSchedulers(t *testing.T) {
	e := newDenv(t)
	a, b := e.digests(t), e.digests(t)
	e.heartbeat(t)
	if _, err := e.store.Digests.ScheduleDigests(e.ctx); err != nil {
		t.Fatal(err)
	}
	e.post(t, "The new header is on staging.")
	e.post(t, "Comments by Friday, please.")

	// hana: 08:00 Honolulu = 18:00 UTC. One minute before, nothing.
	e.until(t, time.Date(2026, 11, 25, 17, 59, 0, 0, time.UTC), a, b)
	if n := len(e.mail.msgs); n != 0 {
		t.Fatalf("%d emails before anyone's hour", n)
	}
	e.until(t, time.Date(2026, 11, 25, 18, 5, 0, 0, time.UTC), a, b)
	if got := e.mail.to("hana@example.org"); len(got) != 1 {
		t.Fatalf("hana got %d digests at her hour", len(got))
	}
	if got := e.mail.to("kiwi@example.org"); len(got) != 0 {
		t.Fatal("kiwi's digest came at hana's hour")
	}
	// kiwi: 08:00 Auckland (UTC+13) on the 26th = 19:00 UTC on the 25th.
	e.until(t, time.Date(2026, 11, 25, 19, 30, 0, 0, time.UTC), a, b)
	kiwi := e.mail.to("kiwi@example.org")
	if len(kiwi) != 1 {
		t.Fatalf("kiwi got %d digests", len(kiwi))
	}
	m, err := mail.CreateReader(strings.NewReader(kiwi[0]))
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := m.Header.Date(); d.Format("15:04 -0700") != "08:00 +1300" {
		t.Errorf("kiwi's digest is dated %s", m.Header.Get("Date"))
	}
	if !strings.Contains(kiwi[0], "The new header is on staging.") || !strings.Contains(kiwi[0], "Comments by Friday") {
		t.Errorf("kiwi's digest lacks the lines:\n%s", kiwi[0])
	}
	for _, who := range []string{"erin@example.org", "olaf@example.org", "alice@example.org"} {
		if got := e.mail.to(who); len(got) != 0 {
			t.Errorf("%s got a digest", who)
		}
	}
	// A whole day passes with nothing new: no empty digest.
	e.until(t, time.Date(2026, 11, 26, 19, 30, 0, 0, time.UTC), a, b)
	if n := len(e.mail.msgs); n != 2 {
		t.Fatalf("%d emails after a quiet day, want still 2", n)
	}
	// Both are back on the schedule for their next hour.
	sched, err := e.store.Digests.DigestSchedule(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range sched {
		if c.Member == "hana" && !c.Due.Equal(time.Date(2026, 11, 27, 18, 0, 0, 0, time.UTC)) {
			t.Errorf("hana next due %v", c.Due)
		}
		if c.Member == "olaf" {
			t.Error("olaf (off) is on the schedule")
		}
	}
}

// TestDigestCrashBetweenClaimAndSend: a scheduler dies after recording the
// attempt. The next one, after the lease, does not send that period again;
// the lines are not lost but come in the next period's digest.
func TestDigestCrashBetweenClaimAndSend(t *testing.T) {
	e := newDenv(t)
	d := e.digests(t)
	if _, err := e.store.Digests.ScheduleDigests(e.ctx); err != nil {
		t.Fatal(err)
	}
	e.post(t, "before the crash")
	e.clock.Add(9 * time.Hour) // 18:00 UTC: hana is due
	claims, err := e.store.Digests.ClaimDigests(e.ctx, 10*time.Minute, 10)
	if err != nil || len(claims) != 1 || claims[0].Member != "hana" {
		t.Fatalf("claims %v, %v", claims, err)
	}
	hana, _ := e.store.Directory.User(e.ctx, "hana")
	period := threads.DigestPeriod(hana, claims[0].Due)
	if ok, _, err := e.store.Digests.BeginDigest(e.ctx, "hana", period); !ok || err != nil {
		t.Fatal(ok, err)
	}
	// ... the process dies here, before the send.
	e.clock.Add(5 * time.Minute)
	if n, _ := d.Step(e.ctx); n != 0 {
		t.Fatal("a leased digest was claimed before its lease ended")
	}
	e.clock.Add(6 * time.Minute)
	res, err := d.process(e.ctx, mustClaim(t, e, "hana"))
	if err != nil || res.Sent || !strings.Contains(res.Why, "already") {
		t.Fatalf("after the crash: %+v, %v", res, err)
	}
	if n := len(e.mail.to("hana@example.org")); n != 0 {
		t.Fatalf("the crashed period was sent %d times", n)
	}
	e.post(t, "after the crash")
	e.until(t, time.Date(2026, 11, 26, 18, 1, 0, 0, time.UTC), d)
	got := e.mail.to("hana@example.org")
	if len(got) != 1 || !strings.Contains(got[0], "before the crash") || !strings.Contains(got[0], "after the crash") {
		t.Fatalf("next day's digest: %d emails\n%s", len(got), strings.Join(got, "\n----\n"))
	}
}

func mustClaim(t *testing.T, e *denv, member string) threads.DigestClaim {
	t.Helper()
	claims, err := e.store.Digests.ClaimDigests(e.ctx, 10*time.Minute, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range claims {
		if c.Member == member {
			return c
		}
	}
	t.Fatalf("%s not claimed: %v", member, claims)
	return threads.DigestClaim{}
}

// TestDigestRetryAndSendNow: a temporary failure is retried for the same
// period; a digest sent by hand carries the lines so the scheduled one
// has nothing left.
func TestDigestRetryAndSendNow(t *testing.T) {
	e := newDenv(t)
	d := e.digests(t)
	if _, err := e.store.Digests.ScheduleDigests(e.ctx); err != nil {
		t.Fatal(err)
	}
	e.post(t, "one")
	e.mail.fail = errors.New("451 try later")
	e.until(t, time.Date(2026, 11, 25, 18, 1, 0, 0, time.UTC), d)
	e.mail.fail = nil
	if n := len(e.mail.to("hana@example.org")); n != 0 {
		t.Fatal("sent while failing")
	}
	e.until(t, time.Date(2026, 11, 25, 18, 12, 0, 0, time.UTC), d)
	got := e.mail.to("hana@example.org")
	if len(got) != 1 || !bytes.Contains([]byte(got[0]), []byte("one")) {
		t.Fatalf("retry sent %d", len(got))
	}

	// By hand: kiwi's digest now; the 19:00 UTC one then has nothing new.
	e.post(t, "two")
	res, err := d.SendNow(e.ctx, "kiwi")
	if err != nil || !res.Sent || res.Lines != 2 {
		t.Fatalf("send now: %+v, %v", res, err)
	}
	if again, _ := d.SendNow(e.ctx, "kiwi"); again.Sent {
		t.Fatal("sent twice by hand within a minute")
	}
	e.until(t, time.Date(2026, 11, 25, 19, 2, 0, 0, time.UTC), d)
	if n := len(e.mail.to("kiwi@example.org")); n != 1 {
		t.Fatalf("kiwi got %d digests, want only the one sent by hand", n)
	}
	if _, err := d.SendNow(e.ctx, "nobody"); !errors.Is(err, threads.ErrNotFound) {
		t.Errorf("unknown member: %v", err)
	}
}
