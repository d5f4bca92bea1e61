package threads

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func texts(ls []Line) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = l.Text
	}
	return out
}

// TestSelectDigest walks bob through the cases: lines emailed to him, read
// live, held by routing while he was busy, his own, and a room long enough
// to be summarised.
func TestSelectDigest(t *testing.T) {
	e := newEnv(t)
	e.seed(t, "alice", "bob", "carol")
	e.room(t, "design", Group, "alice", "bob", "carol")
	e.room(t, "ops", Group, "alice", "bob")
	e.room(t, "quiet", Group, "bob", "carol")

	sel := func() DigestContent {
		t.Helper()
		d, err := e.Digests.SelectDigest(e.ctx, "bob", DigestLimits{Whole: 4, First: 2, Last: 1})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	if d := sel(); len(d.Rooms) != 0 || d.Lines() != 0 {
		t.Fatalf("empty rooms gave %+v", d)
	}

	// Offline bob is emailed these two; the worker marks them emailed.
	e.post(t, "design", "alice", "d1 emailed")
	p2 := e.post(t, "design", "alice", "d2 emailed")
	if p2.Routes["bob"].Channel != Email {
		t.Fatalf("bob routed %v", p2.Routes["bob"])
	}
	if err := e.Digests.MarkEmailed(e.ctx, "design", "bob", p2.Line.ID); err != nil {
		t.Fatal(err)
	}
	// Busy bob: held for the digest, then one line he wrote himself.
	if _, err := e.Chat.SetStatus(e.ctx, "bob", Status{Availability: Busy}); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(time.Minute)
	p3 := e.post(t, "design", "carol", "d3 held")
	if p3.Routes["bob"].Channel != Hold {
		t.Fatalf("bob routed %v", p3.Routes["bob"])
	}
	e.post(t, "design", "bob", "d4 by bob")
	// A line emailed later moves the emailed marker past d3: d3 stays
	// because routing held it.
	if _, err := e.Chat.SetStatus(e.ctx, "bob", Status{Availability: Away}); err != nil {
		t.Fatal(err)
	}
	p5 := e.post(t, "design", "alice", "d5 emailed")
	if err := e.Digests.MarkEmailed(e.ctx, "design", "bob", p5.Line.ID); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(time.Minute)
	e.post(t, "design", "carol", "d6 not yet emailed")

	// ops: six lines, two read live: four unseen, shown whole (Whole 4).
	e.clock.Add(time.Minute)
	var ops []Posted
	for i := 1; i <= 6; i++ {
		ops = append(ops, e.post(t, "ops", "alice", fmt.Sprintf("o%d", i)))
	}
	if err := e.Chat.MarkRead(e.ctx, "ops", "bob", ops[1].Line.ID); err != nil {
		t.Fatal(err)
	}

	d := sel()
	if len(d.Rooms) != 2 || d.Rooms[0].Room.ID != "ops" || d.Rooms[1].Room.ID != "design" {
		t.Fatalf("rooms %+v, want ops (newest) then design", d.Rooms)
	}
	if got := texts(d.Rooms[0].First); !slices.Equal(got, []string{"o3", "o4", "o5", "o6"}) || d.Rooms[0].Summarised() {
		t.Errorf("ops lines %q", got)
	}
	des := d.Rooms[1]
	if got := texts(des.First); !slices.Equal(got, []string{"d3 held", "d6 not yet emailed"}) || des.Count != 2 {
		t.Errorf("design lines %q (count %d)", got, des.Count)
	}
	if !slices.Equal(des.People, []string{"User carol"}) {
		t.Errorf("design people %q", des.People)
	}
	if d.Lines() != 6 {
		t.Errorf("lines = %d", d.Lines())
	}

	// The digest goes out: nothing is left, and what comes next is new.
	if err := e.Digests.DigestSent(e.ctx, d); err != nil {
		t.Fatal(err)
	}
	if d := sel(); len(d.Rooms) != 0 {
		t.Fatalf("after the digest: %+v", d.Rooms)
	}
	if n, _ := e.rdb.ZCard(e.ctx, e.k.heldFor("design", "bob")).Result(); n != 0 {
		t.Errorf("%d held lines kept after the digest", n)
	}

	// A long room is summarised: count, first two, last one, who spoke.
	for i := 1; i <= 9; i++ {
		author := "alice"
		if i%3 == 0 {
			author = "carol"
		}
		e.post(t, "design", author, fmt.Sprintf("L%d", i))
	}
	d = sel()
	des = d.Rooms[0]
	if des.Count != 9 || !des.Summarised() || des.Omitted() != 6 ||
		!slices.Equal(texts(des.First), []string{"L1", "L2"}) || !slices.Equal(texts(des.Last), []string{"L9"}) ||
		!slices.Equal(des.People, []string{"User alice", "User carol"}) {
		t.Errorf("summary %+v", des)
	}
}

// TestSelectDigestPages reads a room longer than one page.
func TestSelectDigestPages(t *testing.T) {
	e := newEnv(t)
	e.seed(t, "alice", "bob")
	e.room(t, "big", Group, "alice", "bob")
	n := digestPage + 37
	for i := 0; i < n; i++ {
		if _, _, _, _, _, err := e.Chat.store(e.ctx, NewLine{Room: "big", Author: "alice", Text: fmt.Sprint(i), Origin: FromAPI}, "Alice", false); err != nil {
			t.Fatal(err)
		}
	}
	d, err := e.Digests.SelectDigest(e.ctx, "bob", DigestLimits{})
	if err != nil {
		t.Fatal(err)
	}
	r := d.Rooms[0]
	if r.Count != n || r.First[0].Text != "0" || r.Last[len(r.Last)-1].Text != fmt.Sprint(n-1) || len(r.First)+len(r.Last) != 6 {
		t.Fatalf("count %d, first %q, last %q", r.Count, texts(r.First), texts(r.Last))
	}
}

// TestNextDigestTimeZones: the digest comes due at the member's hour in
// their own zone, at both ends of the clock: UTC+13 (Auckland in summer,
// Tongatapu) and UTC-10 (Honolulu).
func TestNextDigestTimeZones(t *testing.T) {
	at := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	cases := []struct {
		tz     string
		hour   int
		freq   DigestFrequency
		now    string
		want   string
		period string
	}{
		// 08:00 in Auckland (UTC+13) on 26 Nov is 19:00 UTC on the 25th.
		{"Pacific/Auckland", 8, "", "2026-11-25T18:59:59Z", "2026-11-25T19:00:00Z", "daily-2026-11-26"},
		{"Pacific/Auckland", 8, "", "2026-11-25T19:00:00Z", "2026-11-26T19:00:00Z", "daily-2026-11-27"},
		{"Pacific/Tongatapu", 7, DigestDaily, "2026-11-25T17:30:00Z", "2026-11-25T18:00:00Z", "daily-2026-11-26"},
		// 08:00 in Honolulu (UTC-10) on 25 Nov is 18:00 UTC the same day.
		{"Pacific/Honolulu", 8, "", "2026-11-25T17:00:00Z", "2026-11-25T18:00:00Z", "daily-2026-11-25"},
		{"Pacific/Honolulu", 23, "", "2026-11-26T08:59:00Z", "2026-11-26T09:00:00Z", "daily-2026-11-25"},
		// Weekly: Monday 30 Nov 2026 08:00 in each zone.
		{"Pacific/Auckland", 8, DigestWeekly, "2026-11-25T12:00:00Z", "2026-11-29T19:00:00Z", "weekly-2026-W49"},
		{"Pacific/Honolulu", 8, DigestWeekly, "2026-11-25T12:00:00Z", "2026-11-30T18:00:00Z", "weekly-2026-W49"},
		// Auckland leaves daylight saving on 5 April 2026: 08:00 is UTC+12.
		{"Pacific/Auckland", 8, "", "2026-04-05T12:00:00Z", "2026-04-05T20:00:00Z", "daily-2026-04-06"},
		{"", 0, "", "2026-11-25T00:00:00Z", "2026-11-26T00:00:00Z", "daily-2026-11-26"},
		{"Europe/Berlin", 8, DigestOff, "2026-11-25T00:00:00Z", "", ""},
	}
	for _, tc := range cases {
		u := User{ID: "m", TimeZone: tc.tz, Prefs: Prefs{Digest: tc.freq, DigestHour: tc.hour}}
		got := NextDigest(u, at(tc.now))
		if tc.want == "" {
			if !got.IsZero() {
				t.Errorf("%s off: next %v", tc.tz, got)
			}
			continue
		}
		if !got.Equal(at(tc.want)) {
			t.Errorf("%s %d:00 %s after %s: next %s, want %s", tc.tz, tc.hour, tc.freq, tc.now, got.UTC().Format(time.RFC3339), tc.want)
		}
		if lt := got.In(u.Location()); lt.Hour() != tc.hour || lt.Minute() != 0 {
			t.Errorf("%s: due at %s local", tc.tz, lt)
		}
		if p := DigestPeriod(u, got); p != tc.period {
			t.Errorf("%s: period %s, want %s", tc.tz, p, tc.period)
		}
	}
}

// TestDigestSchedule: members come due at their hour, a claim is leased,
// comes back after a crash, and the sent record stops a second send.
func TestDigestSchedule(t *testing.T) {
	e := newEnv(t) // clock: 2026-11-25 09:00 UTC
	for _, u := range []User{
		{ID: "kiwi", Name: "Kiwi", TimeZone: "Pacific/Auckland", Prefs: Prefs{DigestHour: 8}},
		{ID: "hana", Name: "Hana", TimeZone: "Pacific/Honolulu", Prefs: Prefs{DigestHour: 8}},
		{ID: "olaf", Name: "Olaf", Prefs: Prefs{Digest: DigestOff}},
	} {
		if _, err := e.Directory.AddUser(e.ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	states := func() map[string]string {
		t.Helper()
		due, err := e.Digests.Due(e.ctx, e.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, d := range due {
			out[d.Member] = d.State + " " + d.Due.UTC().Format(time.Kitchen)
		}
		return out
	}
	if got, want := states(), map[string]string{"hana": "not scheduled yet (parley serve schedules it) 6:00PM",
		"kiwi": "not scheduled yet (parley serve schedules it) 7:00PM", "olaf": "off 12:00AM"}; !maps.Equal(got, want) {
		t.Fatalf("before scheduling: %v, want %v", got, want)
	}
	if n, err := e.Digests.ScheduleDigests(e.ctx); err != nil || n != 2 {
		t.Fatalf("scheduled %d, %v", n, err)
	}
	if n, _ := e.Digests.ScheduleDigests(e.ctx); n != 0 {
		t.Fatalf("scheduling again changed %d entries", n)
	}
	sched, err := e.Digests.DigestSchedule(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []DigestClaim{
		{"hana", time.Date(2026, 11, 25, 18, 0, 0, 0, time.UTC)},
		{"kiwi", time.Date(2026, 11, 25, 19, 0, 0, 0, time.UTC)},
	}
	if !slices.Equal(sched, want) {
		t.Fatalf("schedule %v, want %v", sched, want)
	}
	if got, want := states(), map[string]string{"hana": "scheduled 6:00PM", "kiwi": "scheduled 7:00PM", "olaf": "off 12:00AM"}; !maps.Equal(got, want) {
		t.Fatalf("after scheduling: %v, want %v", got, want)
	}
	claim := func() []DigestClaim {
		t.Helper()
		c, err := e.Digests.ClaimDigests(e.ctx, 10*time.Minute, 10)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	e.clock.Add(9*time.Hour - time.Second) // 17:59:59
	if c := claim(); len(c) != 0 {
		t.Fatalf("claimed early: %v", c)
	}
	e.clock.Add(time.Second)
	c := claim()
	if len(c) != 1 || c[0] != want[0] {
		t.Fatalf("claimed %v", c)
	}
	if again := claim(); len(again) != 0 {
		t.Fatalf("claimed twice: %v", again)
	}
	hana, _ := e.Directory.User(e.ctx, "hana")
	period := DigestPeriod(hana, c[0].Due)
	if ok, _, err := e.Digests.BeginDigest(e.ctx, "hana", period); !ok || err != nil {
		t.Fatalf("begin: %v %v", ok, err)
	}
	// The process dies here. After the lease another one claims hana with
	// the same due time, so the same period, and must not send.
	e.clock.Add(10 * time.Minute)
	c2 := claim()
	if len(c2) != 1 || c2[0] != c[0] {
		t.Fatalf("after the lease: %v", c2)
	}
	if ok, st, _ := e.Digests.BeginDigest(e.ctx, "hana", period); ok || st != DigestSending {
		t.Fatalf("second begin: %v %v", ok, st)
	}
	next := NextDigest(hana, e.clock.Now())
	if err := e.Digests.EndDigest(e.ctx, c2[0], period, DigestOutcomeSkipped, next); err != nil {
		t.Fatal(err)
	}
	// A temporary failure keeps the period: the retry may send.
	e.clock.Add(next.Sub(e.clock.Now()))
	var c3 []DigestClaim
	for _, c := range claim() {
		if c.Member == "hana" {
			c3 = append(c3, c)
			continue
		}
		kiwi, _ := e.Directory.User(e.ctx, c.Member)
		if err := e.Digests.EndDigest(e.ctx, c, DigestPeriod(kiwi, c.Due), DigestOutcomeSkipped, NextDigest(kiwi, e.clock.Now())); err != nil {
			t.Fatal(err)
		}
	}
	p3 := DigestPeriod(hana, c3[0].Due)
	if p3 == period {
		t.Fatalf("next day has the same period %s (claim %v, next %v)", p3, c3, next)
	}
	if ok, _, _ := e.Digests.BeginDigest(e.ctx, "hana", p3); !ok {
		t.Fatal("begin refused")
	}
	if err := e.Digests.EndDigest(e.ctx, c3[0], p3, DigestOutcomeRetry, e.clock.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if st, _ := e.Digests.DigestStatus(e.ctx, "hana", p3); st != DigestFailed {
		t.Fatalf("state after retry %q", st)
	}
	if n, _ := e.Digests.ScheduleDigests(e.ctx); n != 0 {
		t.Fatal("scheduling moved a member waiting for a retry")
	}
	e.clock.Add(time.Minute)
	c4 := claim()
	if len(c4) != 1 || !c4[0].Due.Equal(c3[0].Due) {
		t.Fatalf("retry claim %v, want due %v", c4, c3[0].Due)
	}
	if ok, _, _ := e.Digests.BeginDigest(e.ctx, "hana", p3); !ok {
		t.Fatal("a failed period cannot be tried again")
	}
	if err := e.Digests.EndDigest(e.ctx, c4[0], p3, DigestOutcomeSent, NextDigest(hana, e.clock.Now())); err != nil {
		t.Fatal(err)
	}
	if st, _ := e.Digests.DigestStatus(e.ctx, "hana", p3); st != DigestDone {
		t.Fatalf("state %q", st)
	}
	// Turning the digest off takes the member off the schedule.
	if _, err := e.Directory.UpdateUser(e.ctx, "kiwi", func(u *User) error { u.Prefs.Digest = DigestOff; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Digests.ScheduleDigests(e.ctx); err != nil {
		t.Fatal(err)
	}
	sched, _ = e.Digests.DigestSchedule(e.ctx)
	if len(sched) != 1 || sched[0].Member != "hana" {
		t.Fatalf("schedule %v", sched)
	}
	if _, _, err := e.Digests.BeginDigest(e.ctx, "hana", "bad period"); err == nil {
		t.Error("a period with a space was accepted")
	}
}

// TestClaimDigestsConcurrent: many claimers at once take each due member
// exactly once.
func TestClaimDigestsConcurrent(t *testing.T) {
	e := newEnv(t)
	const members = 40
	for i := 0; i < members; i++ {
		if _, err := e.Directory.AddUser(e.ctx, User{ID: fmt.Sprintf("m%02d", i), Name: "M", Prefs: Prefs{DigestHour: 10}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.Digests.ScheduleDigests(e.ctx); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(2 * time.Hour)
	var mu sync.Mutex
	got := map[string]int{}
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				c, err := e.Digests.ClaimDigests(e.ctx, time.Hour, 3)
				if err != nil {
					t.Error(err)
					return
				}
				if len(c) == 0 {
					return
				}
				mu.Lock()
				for _, x := range c {
					got[x.Member]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(got) != members {
		t.Fatalf("claimed %d members, want %d", len(got), members)
	}
	for m, n := range got {
		if n != 1 {
			t.Errorf("%s claimed %d times", m, n)
		}
	}
}

func TestDigestTokens(t *testing.T) {
	e := newEnv(t)
	e.Store.opts.Secret = []byte("0123456789abcdef0123456789abcdef")
	e.seed(t, "alice", "bob")
	e.room(t, "design", Group, "bob", "alice")
	reply, unsub, err := e.Auth.DigestTokens(e.ctx, "bob")
	if err != nil {
		t.Fatal(err)
	}
	if m, err := e.Auth.ResolveDigestToken(e.ctx, reply); err != nil || m != "bob" {
		t.Fatalf("resolve digest token: %q %v", m, err)
	}
	if m, err := e.Auth.ResolveDigestUnsubscribeToken(e.ctx, unsub); err != nil || m != "bob" {
		t.Fatalf("resolve digest unsubscribe token: %q %v", m, err)
	}
	// Purposes never mix: a digest token posts nowhere, a reply token is no digest token.
	if _, _, err := e.Auth.ResolveReplyToken(e.ctx, reply); err != ErrBadToken {
		t.Errorf("digest token resolved as a reply token: %v", err)
	}
	rt, _ := e.Auth.ReplyToken(e.ctx, "design", "bob")
	if _, err := e.Auth.ResolveDigestToken(e.ctx, rt); err != ErrBadToken {
		t.Errorf("reply token resolved as a digest token: %v", err)
	}
	addr := DigestAddress(reply, "chat.example.org")
	if tok, ok := ParseDigestAddress(strings.ToUpper(addr), "Chat.Example.org"); !ok || tok != reply {
		t.Errorf("parse %s: %q %v", addr, tok, ok)
	}
	if _, ok := ParseReplyAddress(addr, "chat.example.org"); ok {
		t.Error("a digest address parsed as a reply address")
	}
	for _, bad := range []string{"digest+short@chat.example.org", ReplyAddress(reply, "chat.example.org"), DigestAddress(reply, "other.org"), "digest+" + strings.Repeat("1", 32) + "@chat.example.org"} {
		if _, ok := ParseDigestAddress(bad, "chat.example.org"); ok {
			t.Errorf("%s parsed as a digest address", bad)
		}
	}
}

func FuzzParseDigestAddress(f *testing.F) {
	f.Add("digest+abcdefghijklmnopqrstuvwxyz234567@chat.example.org")
	f.Add("DIGEST+@x")
	f.Fuzz(func(t *testing.T, addr string) {
		tok, ok := ParseDigestAddress(addr, "chat.example.org")
		if ok && DigestAddress(tok, "chat.example.org") != strings.ToLower(strings.TrimSpace(addr)) {
			t.Fatalf("%q parsed to %q", addr, tok)
		}
	})
}

func TestTranscriptRequests(t *testing.T) {
	e := newEnv(t)
	r := TranscriptRequest{Room: "design", Member: "bob", To: "Bob@Example.org", InReplyTo: "x@y"}
	if ok, err := e.Queue.QueueTranscript(e.ctx, r); !ok || err != nil {
		t.Fatalf("queue: %v %v", ok, err)
	}
	if ok, _ := e.Queue.QueueTranscript(e.ctx, r); ok {
		t.Fatal("a second request within the rate limit was queued")
	}
	if _, err := e.Queue.QueueTranscript(e.ctx, TranscriptRequest{Room: "design", Member: "bob", To: "not an address"}); err == nil {
		t.Error("a bad address was queued")
	}
	got, err := e.Queue.ClaimTranscripts(e.ctx, "w1", 10, time.Minute)
	if err != nil || len(got) != 1 || got[0].To != "bob@example.org" || got[0].Asked.IsZero() {
		t.Fatalf("claimed %+v, %v", got, err)
	}
	// Not settled: another worker takes it over after minIdle.
	time.Sleep(20 * time.Millisecond)
	again, err := e.Queue.ClaimTranscripts(e.ctx, "w2", 10, 10*time.Millisecond)
	if err != nil || len(again) != 1 {
		t.Fatalf("reclaimed %+v, %v", again, err)
	}
	if err := e.Queue.AckTranscript(e.ctx, again[0]); err != nil {
		t.Fatal(err)
	}
	if left, _ := e.Queue.ClaimTranscripts(e.ctx, "w3", 10, 0); len(left) != 0 {
		t.Fatalf("left %+v", left)
	}
	// Another room is another request.
	r.Room = "ops"
	if ok, _ := e.Queue.QueueTranscript(e.ctx, r); !ok {
		t.Fatal("a request for another room was refused")
	}
}
