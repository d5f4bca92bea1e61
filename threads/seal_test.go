package threads

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"testing"

	"parley/internal/sealbox"
	"parley/internal/sealbox/sealboxtest"
)

// testBox is a Box on keys of one repeated byte (previous: none when
// prev is 0).
func testBox(t testing.TB, cur, prev byte) *sealbox.Box { return sealboxtest.Box(t, cur, prev) }

// sealedEnv is newEnv with a data key.
func sealedEnv(t testing.TB, box *sealbox.Box) *env {
	e := newEnv(t)
	e.Store = New(e.redis.Client, Options{Prefix: e.redis.Prefix, Now: e.clock.Now, Rand: func() float64 { return 0.5 }, Seal: box})
	return e
}

// reopen is the same Redis and prefix under another data key.
func (e *env) reopen(box *sealbox.Box) *env {
	c := *e
	c.Store = New(e.redis.Client, Options{Prefix: e.redis.Prefix, Now: e.clock.Now, Rand: func() float64 { return 0.5 }, Seal: box})
	return &c
}

// dumpRedis reads every key under the test's prefix, on every master, by
// its type (GET, HGETALL, XRANGE, LRANGE, ZRANGE, SMEMBERS), and returns
// each key's names and values as one text.
func dumpRedis(t testing.TB, e *env) map[string]string {
	t.Helper()
	ctx := context.Background()
	keys, err := e.redis.Keys(ctx, e.redis.Prefix+"*")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, k := range keys {
		typ, err := e.redis.Client.Type(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		switch typ {
		case "string":
			b.WriteString(e.redis.Client.Get(ctx, k).Val())
		case "hash":
			for f, v := range e.redis.Client.HGetAll(ctx, k).Val() {
				fmt.Fprintf(&b, "%s=%s\n", f, v)
			}
		case "stream":
			for _, m := range e.redis.Client.XRange(ctx, k, "-", "+").Val() {
				for f, v := range m.Values {
					fmt.Fprintf(&b, "%s %s=%v\n", m.ID, f, v)
				}
			}
		case "list":
			b.WriteString(strings.Join(e.redis.Client.LRange(ctx, k, 0, -1).Val(), "\n"))
		case "zset":
			b.WriteString(strings.Join(e.redis.Client.ZRange(ctx, k, 0, -1).Val(), "\n"))
		case "set":
			b.WriteString(strings.Join(e.redis.Client.SMembers(ctx, k).Val(), "\n"))
		default:
			t.Fatalf("key %s has type %s, which the walk does not read", k, typ)
		}
		out[k] = b.String()
	}
	return out
}

// secrets are texts of every kind that must be sealed at rest.
var secrets = map[string]string{
	"web line":      "the merger closes on Friday at noon",
	"email line":    "yes, ship the blue prototype",
	"email quote":   "> On Monday Alice wrote: what about the prototype colour",
	"sms line":      "landing at gate 22, call me",
	"file line":     "the signed contract is attached",
	"mention":       "@bob the safe code changed",
	"title":         "Head of Covert Acquisitions",
	"team":          "Project Nightjar",
	"private field": "room 4711, second drawer",
	"relay subject": "[design] Alice: the merger closes",
	"outbox body":   "Alice: the merger closes on Friday at noon (outbox copy)",
	"held raw":      "From: mallory@example.net\r\n\r\nplease wire the funds today",
}

// sealedWorld writes one of everything that is sealed: lines from each
// door (with a quote and a file), a profile with a private field, a
// relay subject, an outbox entry and a held message.
func sealedWorld(t *testing.T, e *env) {
	t.Helper()
	e.seed(t, "alice", "bob", "carol")
	if err := e.Directory.SetProfileFields(e.ctx, "admin", []ProfileField{{Name: "desk", Label: "Desk"}, {Name: "lang", Label: "Language", Searchable: true}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Directory.UpdateUser(e.ctx, "carol", func(u *User) error {
		u.Profile = Profile{Title: secrets["title"], Team: secrets["team"], Interests: []string{"sailing"},
			Fields: map[string]string{"desk": secrets["private field"], "lang": "Finnish"}}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	e.room(t, "design", Group, "alice", "bob", "carol")
	for _, n := range []NewLine{
		{Room: "design", Author: "alice", Text: secrets["web line"], Origin: FromWeb},
		{Room: "design", Author: "bob", Text: secrets["email line"], Quote: secrets["email quote"], Origin: FromEmail, SourceID: "email:bob:1@example.org", Detach: true},
		{Room: "design", Author: "carol", Text: secrets["sms line"], Origin: FromSMS, SourceID: "SM0123"},
		{Room: "design", Author: "alice", Text: secrets["file line"], Origin: FromWeb,
			Attachments: []Attachment{{ID: strings.Repeat("ab", 32), Name: "contract.pdf", Type: "application/pdf", Size: 1234}}},
		{Room: "design", Author: "alice", Text: secrets["mention"], Origin: FromAPI},
	} {
		if _, err := e.Chat.Post(e.ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.Chat.ThreadSubject(e.ctx, "design", "bob", secrets["relay subject"]); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Queue.AddToOutbox(e.ctx, OutboxEntry{Channel: Email, To: "bob@example.org", Subject: secrets["relay subject"], Body: secrets["outbox body"]}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Inbox.Hold(e.ctx, HeldMessage{Room: "design", Member: "bob", From: "mallory@example.net", Reason: "sender mismatch", Raw: secrets["held raw"]}); err != nil {
		t.Fatal(err)
	}
	if err := e.Chat.Drain(e.ctx); err != nil {
		t.Fatal(err)
	}
}

// leaks returns "key: secret" for every secret found in Redis.
func leaks(t *testing.T, e *env) []string {
	var out []string
	for k, v := range dumpRedis(t, e) {
		for what, s := range secrets {
			if strings.Contains(v, s) {
				out = append(out, k+": "+what)
			}
		}
	}
	sort.Strings(out)
	return out
}

// TestSealedAtRest: with a data key, no line text, quote, private profile
// field, relay subject, outbox body or held message is anywhere in Redis
// (every key read by its type), and everything reads back whole: lines,
// the live event, the unread mention count, the profile, subject, outbox
// and held message. Without the key the same world is in the clear, which
// shows the walk finds what it looks for.
func TestSealedAtRest(t *testing.T) {
	plain := newEnv(t)
	sealedWorld(t, plain)
	if len(leaks(t, plain)) < len(secrets) {
		t.Fatalf("without a key the walk finds only %v: it does not read everything", leaks(t, plain))
	}

	e := sealedEnv(t, testBox(t, 1, 0))
	sealedWorld(t, e)
	if l := leaks(t, e); len(l) > 0 {
		t.Fatalf("sealed texts found in Redis:\n%s", strings.Join(l, "\n"))
	}

	lines, err := e.Chat.Lines(e.ctx, "design", Range{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, l := range lines {
		got[l.Text] = true
		if l.Author == "bob" && l.Quote != secrets["email quote"] {
			t.Errorf("quote read back as %q", l.Quote)
		}
	}
	for _, w := range []string{"web line", "email line", "sms line", "file line", "mention"} {
		if !got[secrets[w]] {
			t.Errorf("%s not read back; lines: %v", w, lines)
		}
	}
	u, err := e.Chat.Unread(e.ctx, "bob", []string{"design"})
	if err != nil {
		t.Fatal(err)
	}
	if u["design"].Mentions != 1 {
		t.Errorf("unread mentions of bob = %d, want 1 (the sealed @bob line)", u["design"].Mentions)
	}
	carol, err := e.Directory.User(e.ctx, "carol")
	if err != nil || carol.Profile.Fields["desk"] != secrets["private field"] || carol.Profile.Title != secrets["title"] {
		t.Errorf("carol read back as %+v, %v", carol.Profile, err)
	}
	found, err := e.Directory.SearchPeople(e.ctx, "alice", PeopleQuery{Interests: []string{"sailing"}})
	if err != nil || len(found) != 1 {
		t.Errorf("search by interest with sealed records: %v, %v", found, err)
	}
	subj, err := e.Chat.ThreadSubject(e.ctx, "design", "bob", "another")
	if err != nil || subj != secrets["relay subject"] {
		t.Errorf("relay subject read back as %q, %v", subj, err)
	}
	ob, err := e.Queue.Outbox(e.ctx, "", 10)
	if err != nil || len(ob) != 1 || ob[0].Body != secrets["outbox body"] {
		t.Errorf("outbox read back as %+v, %v", ob, err)
	}
	held, err := e.Inbox.Held(e.ctx, 10)
	if err != nil || len(held) != 1 || held[0].Raw != secrets["held raw"] {
		t.Errorf("held read back as %+v, %v", held, err)
	}

	live, err := e.Chat.SubscribeRoom(e.ctx, "design")
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	e.post(t, "design", "alice", "live and sealed")
	if ev := next(t, live); ev.Line == nil || ev.Line.Text != "live and sealed" {
		t.Errorf("live event: %+v", ev)
	}
}

// sealedUnder returns, for every sealed value found in Redis, the id of
// the key it is sealed under, counted; "plain" counts the secrets found in
// the clear.
func sealedUnder(t *testing.T, e *env) map[string]int {
	out := map[string]int{}
	for _, v := range dumpRedis(t, e) {
		for _, part := range strings.Split(v, "\x00pk1:")[1:] {
			out[part[:8]]++
		}
	}
	out["plain"] = len(leaks(t, e))
	return out
}

// TestRekey: data written in the clear and under an old key is read by a
// process with the new key and the old one as previous; Rekey seals all
// of it under the new key, with progress, and a process with only the new
// key then reads everything. A second run finds nothing to do.
func TestRekey(t *testing.T) {
	oldKey, newKey := testBox(t, 1, 0), testBox(t, 2, 1)
	plain := newEnv(t)
	plain.seed(t, "zoe", "yves")
	plain.room(t, "early", Group, "zoe", "yves")
	plain.post(t, "early", "zoe", "written before any key")
	old := plain.reopen(oldKey)
	sealedWorld(t, old)
	if _, err := old.CheckDataKey(old.ctx); err != nil {
		t.Fatal(err)
	}

	rot := old.reopen(newKey)
	st, err := rot.CheckDataKey(rot.ctx)
	if err != nil || !st.Rotating {
		t.Fatalf("check during rotation: %+v, %v", st, err)
	}
	if _, err := rot.Chat.Lines(rot.ctx, "design", Range{}); err != nil {
		t.Fatalf("new key with the old as previous cannot read: %v", err)
	}
	var reports []RekeyProgress
	p, err := rot.Rekey(rot.ctx, func(p RekeyProgress) { reports = append(reports, p) })
	if err != nil {
		t.Fatal(err)
	}
	// Values sealed again: 6 lines (text; the email line's quote is in
	// the same entry), 4 user records, 1 subject, 1 outbox and 1 held
	// entry, and the early line and zoe written in the clear.
	if p.Resealed < 13 || p.Done != p.Keys || p.Percent() != 100 || len(reports) != p.Keys+1 {
		t.Fatalf("rekey: %+v after %d reports", p, len(reports))
	}
	under := sealedUnder(t, rot)
	if under[oldKey.KeyID()] != 0 || under["plain"] != 0 || under[newKey.KeyID()] == 0 {
		t.Fatalf("after rekey, sealed values by key id: %v", under)
	}

	only := rot.reopen(testBox(t, 2, 0))
	if st, err := only.CheckDataKey(only.ctx); err != nil || st.Rotating {
		t.Fatalf("check with only the new key: %+v, %v", st, err)
	}
	lines, err := only.Chat.Lines(only.ctx, "design", Range{})
	if err != nil || len(lines) != 5 || lines[1].Quote != secrets["email quote"] {
		t.Fatalf("lines with only the new key: %v, %v", lines, err)
	}
	if early, err := only.Chat.Lines(only.ctx, "early", Range{}); err != nil || early[0].Text != "written before any key" {
		t.Fatalf("early line: %v, %v", early, err)
	}
	if u, err := only.Directory.User(only.ctx, "carol"); err != nil || u.Profile.Team != secrets["team"] {
		t.Fatalf("carol with only the new key: %+v, %v", u.Profile, err)
	}
	posted := only.post(t, "design", "alice", "after the rekey")
	if got, err := only.Chat.Line(only.ctx, "design", posted.Line.ID); err != nil || got.Text != "after the rekey" {
		t.Fatalf("line after rekey: %v, %v", got, err)
	}

	again, err := only.Rekey(only.ctx, nil)
	if err != nil || again.Resealed != 0 || again.Current == 0 {
		t.Fatalf("second rekey: %+v, %v", again, err)
	}
}

// TestCheckDataKey: the start-up check takes the key the data is sealed
// under (or its previous), and refuses a wrong key, or none once values
// were sealed, naming the setting to change.
func TestCheckDataKey(t *testing.T) {
	e := newEnv(t)
	if _, err := e.CheckDataKey(e.ctx); err != nil {
		t.Fatalf("no key, nothing sealed: %v", err)
	}
	first := e.reopen(testBox(t, 1, 0))
	if st, err := first.CheckDataKey(first.ctx); err != nil || st.SealedUnder != st.KeyID {
		t.Fatalf("first start with a key: %+v, %v", st, err)
	}
	cases := []struct {
		name string
		box  *sealbox.Box
		want string // in the error; "" for none
	}{
		{"same key", testBox(t, 1, 0), ""},
		{"new key, old as previous", testBox(t, 2, 1), ""},
		{"wrong key", testBox(t, 3, 0), "PARLEY_DATA_KEY is key " + testBox(t, 3, 0).KeyID()},
		{"wrong key and wrong previous", testBox(t, 3, 4), "PARLEY_DATA_KEY_PREVIOUS is key"},
		{"no key", nil, "PARLEY_DATA_KEY is not set"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := e.reopen(c.box).CheckDataKey(e.ctx)
			if c.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, ErrDataKey) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want ErrDataKey with %q", err, c.want)
			}
			if c.box != nil && strings.Contains(err.Error(), string(bytes.Repeat([]byte{3}, 32))) {
				t.Fatal("the error holds the key")
			}
		})
	}
}

// BenchmarkPostDataKey is BenchmarkPost without and with a data key, in
// alternation (each line's text sealed before the post script, each
// member's record opened once per stored version):
//
//	go test ./threads -run X -bench PostDataKey -count 3
func BenchmarkPostDataKey(b *testing.B) {
	box := testBox(b, 9, 0)
	for _, par := range []int{1, 8} {
		writers := par * runtime.GOMAXPROCS(0)
		for _, key := range []struct {
			name string
			box  *sealbox.Box
		}{{"off", nil}, {"on", box}} {
			b.Run(fmt.Sprintf("writers=%d/key=%s", writers, key.name), func(b *testing.B) { benchPost(b, par, key.box) })
		}
	}
}

// TestRekeyWhilePosting: lines posted while Rekey copies a room's stream
// are carried over (none lost, none doubled, ids in order), and a stream
// that lost an entry meanwhile (retention) is not swapped: its copy is
// dropped and copied again.
func TestRekeyWhilePosting(t *testing.T) {
	old := sealedEnv(t, testBox(t, 1, 0))
	old.seed(t, "ann", "ben")
	old.room(t, "busy", Group, "ann", "ben")
	for i := range 1200 {
		old.post(t, "busy", "ann", fmt.Sprintf("before %d", i))
	}
	rot := old.reopen(testBox(t, 2, 1))
	done := make(chan error, 1)
	go func() {
		for i := range 200 {
			if _, err := rot.Chat.Post(rot.ctx, NewLine{Room: "busy", Author: "ben", Text: fmt.Sprintf("during %d", i), Origin: FromAPI}); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	if _, err := rot.Rekey(rot.ctx, nil); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := rot.Rekey(rot.ctx, nil); err != nil { // lines posted after the swap were under the new key already
		t.Fatal(err)
	}
	only := rot.reopen(testBox(t, 2, 0))
	var all []Line
	for after := ""; ; {
		page, err := only.Chat.Lines(only.ctx, "busy", Range{After: after, Limit: MaxPage})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page...)
		if len(page) < MaxPage {
			break
		}
		after = page[len(page)-1].ID
	}
	seen := map[string]bool{}
	for i, l := range all {
		if seen[l.Text] || (i > 0 && !laterID(l.ID, all[i-1].ID)) {
			t.Fatalf("line %d %q (%s) doubled or out of order", i, l.Text, l.ID)
		}
		seen[l.Text] = true
	}
	if len(all) != 1400 {
		t.Fatalf("%d lines after rekey, want 1400", len(all))
	}

	// A stream that loses an entry between copy and swap is copied again.
	key := old.k.lines("busy")
	copied, _, last, err := only.copyStream(only.ctx, key, []string{"t", "q"})
	if err != nil {
		t.Fatal(err)
	}
	if err := only.redis.Client.XDel(only.ctx, key, all[0].ID).Err(); err != nil {
		t.Fatal(err)
	}
	out, err := scriptSwapStream.Run(only.ctx, only.rdb, []string{key, only.k.rekeyCopy(key)}, last, copied).Text()
	if err != nil || out != "changed" {
		t.Fatalf("swap after a removal: %q, %v", out, err)
	}
	if n := only.redis.Client.Exists(only.ctx, only.k.rekeyCopy(key)).Val(); n != 0 {
		t.Fatal("the dropped copy is still there")
	}
}

// laterID reports whether stream id a comes after b.
func laterID(a, b string) bool {
	var ams, aseq, bms, bseq uint64
	fmt.Sscanf(a, "%d-%d", &ams, &aseq)
	fmt.Sscanf(b, "%d-%d", &bms, &bseq)
	return ams > bms || ams == bms && aseq > bseq
}
