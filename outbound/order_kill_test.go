package outbound

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"parley/outbound/twiliosms"
	"parley/threads"
)

// TestSMSOrderAfterWorkerKilled: a burst of 20 lines to carol (SMS); the
// first worker sends some, then takes the next batches (claimed, leased)
// and dies without sending them. Another worker sends the rest once the
// lease runs out: every text arrives once, in posting order.
func TestSMSOrderAfterWorkerKilled(t *testing.T) {
	e := newWenv(t)
	a, fake := smsWorkerWith(t, e, SMSOptions{DailySegments: 1000})
	sender, err := twiliosms.New(twiliosms.Options{AccountSID: fake.AccountSID, AuthToken: fake.AuthToken,
		From: "+15550009999", APIBaseURL: fake.URL, Rate: -1})
	if err != nil {
		t.Fatal(err)
	}
	b := NewWorker(e.store.Queue, e.store.Directory,
		map[threads.Channel]Carrier{threads.SMS: NewSMS(SMSOptions{SMS: e.store.SMS, Sender: sender, DailySegments: 1000, Log: quiet}),
			threads.Email: &fakeChannel{}},
		Options{Consumer: "b", Log: quiet, Window: map[threads.Channel]time.Duration{threads.SMS: 0}})
	var want []string
	post := func(i int) {
		text := fmt.Sprintf("line %02d", i)
		if i%3 == 0 {
			text += " " + strings.Repeat("a long report that needs more than one segment ", 8)
		}
		e.post(t, text)
		want = append(want, fmt.Sprintf("line %02d", i))
	}
	for i := range 6 {
		post(i)
	}
	for round := 0; len(fake.Messages()) < 3; round++ {
		if round > 50 {
			t.Fatalf("worker a sent %d texts", len(fake.Messages()))
		}
		step(t, a)
	}
	for i := 6; i < 20; i++ {
		post(i)
	}
	// Worker a takes what is due, leases it, and dies before sending.
	leased, err := a.fill(context.Background(), 0, true, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(leased) == 0 {
		t.Fatal("worker a leased nothing before it died")
	}
	sentByA := len(fake.Messages())
	// While a's lease holds, the lines behind its batch wait: b sends none.
	step(t, b)
	if n := len(fake.Messages()); n != sentByA {
		t.Fatalf("worker b sent %d texts past worker a's leased batch", n-sentByA)
	}
	for round := 0; len(fake.Messages()) < 20; round++ {
		if round > 200 {
			t.Fatalf("%d of 20 texts after %d rounds of worker b", len(fake.Messages()), round)
		}
		step(t, b)
		e.clock.Add(30 * time.Second) // towards the end of a's lease
	}
	var got []string
	for _, m := range fake.Messages() {
		_, text, _ := strings.Cut(m.Body, ": ")
		got = append(got, text[:len("line 00")])
	}
	if !slices.Equal(got, want) {
		t.Fatalf("texts arrived in the order %v (worker a sent %d before it died)", got, sentByA)
	}
}
