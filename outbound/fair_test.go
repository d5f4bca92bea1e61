package outbound

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"parley/internal/testpeers/redispeer"
	"parley/internal/testpeers/smtppeer"
	"parley/outbound/mailcompose"
	"parley/outbound/smtpsend"
	"parley/threads"
)

// TestStalledRecipientDelaysNoOne: the smarthost never answers RCPT for
// carol (or her whole domain); the lines for the other members still arrive
// within a second of being posted, while the worker runs as in production
// (Run, real clock, real Redis, smtpsend over loopback).
func TestStalledRecipientDelaysNoOne(t *testing.T) {
	for _, tc := range []struct {
		name    string
		stalled []string // recipients the smarthost stalls on
		others  []string // members whose lines must not wait
	}{
		{"one recipient", []string{"carol@slow.example"}, []string{"bob", "dave", "erin", "fred"}},
		{"two recipients of one domain", []string{"carol@slow.example", "gina@slow.example"}, []string{"bob", "dave", "erin", "fred"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := redispeer.New(t)
			s := threads.New(r.Client, threads.Options{Prefix: r.Prefix, Secret: []byte("0123456789abcdef0123456789abcdef")})
			ctx := context.Background()
			members := []string{"alice"}
			for _, u := range []threads.User{
				{ID: "alice", Name: "Alice", Emails: []string{"alice@example.org"}},
				{ID: "bob", Name: "Bob", Emails: []string{"bob@a.example"}},
				{ID: "carol", Name: "Carol", Emails: []string{"carol@slow.example"}},
				{ID: "gina", Name: "Gina", Emails: []string{"gina@slow.example"}},
				{ID: "dave", Name: "Dave", Emails: []string{"dave@b.example"}},
				{ID: "erin", Name: "Erin", Emails: []string{"erin@b.example"}},
				{ID: "fred", Name: "Fred", Emails: []string{"fred@c.example"}},
			} {
				if _, err := s.Directory.AddUser(ctx, u); err != nil {
					t.Fatal(err)
				}
				if u.ID != "alice" {
					members = append(members, u.ID)
					if _, err := s.Chat.SetStatus(ctx, u.ID, threads.Status{Availability: threads.Away}); err != nil {
						t.Fatal(err)
					}
				}
			}
			if _, err := s.Chat.CreateRoom(ctx, threads.Room{ID: "design", Name: "Design", Members: members}); err != nil {
				t.Fatal(err)
			}
			sink := smtppeer.Start(t)
			sink.Stall(tc.stalled...)
			client, err := smtpsend.New(smtpsend.Options{Addr: sink.Addr, TLS: smtpsend.NoTLS, CommandTimeout: 3 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = client.Close() })
			comp, err := mailcompose.New(mailcompose.Options{Domain: "parley.test"})
			if err != nil {
				t.Fatal(err)
			}
			email := NewEmail(EmailOptions{Auth: s.Auth, Chat: s.Chat, Directory: s.Directory, Composer: comp, Transport: client, Domain: "parley.test"})
			w := NewWorker(s.Queue, s.Directory, map[threads.Channel]Carrier{threads.Email: email},
				Options{Consumer: "w", Log: quiet, Window: map[threads.Channel]time.Duration{threads.Email: 0}, Poll: 100 * time.Millisecond})
			wctx, stop := context.WithCancel(ctx)
			ran := make(chan error, 1)
			go func() { ran <- w.Run(wctx) }()
			t.Cleanup(func() { sink.Stop(); stop(); <-ran })

			const lines = 5
			posted := map[string]time.Time{}
			for i := range lines {
				text := fmt.Sprintf("line-%d", i)
				posted[text] = time.Now()
				if _, err := s.Chat.Post(ctx, threads.NewLine{Room: "design", Author: "alice", Text: text, Origin: threads.FromWeb}); err != nil {
					t.Fatal(err)
				}
				time.Sleep(100 * time.Millisecond)
			}
			want := lines * len(tc.others)
			deadline := time.Now().Add(10 * time.Second)
			isOther := map[string]bool{}
			for _, m := range tc.others {
				isOther[m] = true
			}
			var got []smtppeer.Message
			for time.Now().Before(deadline) {
				got = got[:0]
				for _, m := range sink.Messages() {
					if local, _, _ := strings.Cut(strings.Join(m.To, ","), "@"); isOther[local] {
						got = append(got, m)
					}
				}
				if len(got) >= want {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			if len(got) != want {
				t.Fatalf("%d emails arrived, want %d (every line to %v)", len(got), want, tc.others)
			}
			var worst time.Duration
			for _, m := range got {
				for text, at := range posted {
					if strings.Contains(string(m.Data), text) {
						worst = max(worst, m.At.Sub(at))
					}
				}
			}
			t.Logf("stalled on %v: %d emails to the others, slowest %v after its line was posted", tc.stalled, len(got), worst.Round(time.Millisecond))
			if worst > time.Second {
				t.Errorf("an email waited %v behind the stalled recipient, want under 1 s", worst)
			}
		})
	}
}

// TestFairnessSentFreesTheDomainNotTheMember: once a send ends, its domain
// may take another send while the batch is still being settled; the
// member stays busy until done, and done does not free the share twice.
func TestFairnessSentFreesTheDomainNotTheMember(t *testing.T) {
	f := newFairness(1, func(int) time.Duration { return time.Minute })
	f.begin("gina", "slow.example") // gina's domain is known from an earlier send
	f.done("gina", nil)

	f.take("carol")
	f.begin("carol", "slow.example")
	if !f.skip("gina") {
		t.Fatal("gina not held back while carol's send holds slow.example's only sender")
	}
	f.sent("carol")
	if f.skip("gina") {
		t.Error("gina still held back after carol's send ended")
	}
	if !f.skip("carol") {
		t.Error("carol free before her batch was settled")
	}
	f.done("carol", nil)
	if f.skip("carol") || len(f.domains) != 0 {
		t.Errorf("after done: carol skipped %v, domains %v", f.skip("carol"), f.domains)
	}
	select {
	case <-f.freed:
	default:
		t.Error("nothing signalled that a sender was freed")
	}
}
