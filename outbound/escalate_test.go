package outbound

import (
	"testing"
	"time"

	"parley/threads"
)

// TestEscalatedLineTexted: a line mentioning carol (away, by email, with a
// verified phone) that she neither reads nor answers is texted through
// twilio-go and the fake Twilio once the escalation time passed, once,
// by the digest scheduler's escalation round of any process.
func TestEscalatedLineTexted(t *testing.T) {
	e := newWenv(t)
	if _, err := e.store.Directory.UpdateUser(e.ctx, "carol", func(u *threads.User) error {
		u.Emails = []string{"carol@example.org"}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.Chat.SetStatus(e.ctx, "carol", threads.Status{Availability: threads.Away}); err != nil {
		t.Fatal(err)
	}
	w, fake := smsWorker(t, e)
	d := NewDigests(DigestOptions{Digests: e.store.Digests, Directory: e.store.Directory, Chat: e.store.Chat, Log: quiet})
	other := NewDigests(DigestOptions{Digests: e.store.Digests, Directory: e.store.Directory, Chat: e.store.Chat, Log: quiet})
	e.post(t, "@carol the build is red, can you look?")
	step(t, w)
	e.clock.Add(threads.DefaultEscalateAfter - time.Minute)
	if n, err := d.Escalate(e.ctx); n != 0 || err != nil {
		t.Fatalf("escalation round before it is due: %d, %v", n, err)
	}
	step(t, w)
	if n := len(fake.Messages()); n != 0 {
		t.Fatalf("%d texts before the escalation time", n)
	}
	e.clock.Add(2 * time.Minute)
	for _, s := range []*Digests{d, other, d} {
		if _, err := s.Escalate(e.ctx); err != nil {
			t.Fatal(err)
		}
		step(t, w)
	}
	got := fake.Messages()
	if len(got) != 1 || got[0].To != "+15550001111" || got[0].Body != "[Design] Alice: @carol the build is red, can you look?" {
		t.Fatalf("texts %+v, want the line once", got)
	}
}
