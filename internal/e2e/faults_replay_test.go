package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"parley/internal/testpeers/redispeer"
	"parley/internal/testpeers/smtppeer"
	"parley/internal/testpeers/twiliopeer"
)

// postWebhook posts form to parley's path as Twilio would, signed with
// token over public+path, and returns the status and body.
func postWebhook(p *parley, public, token, path string, form url.Values) (int, string, error) {
	req, err := twiliopeer.NewSignedRequest(context.Background(), token, public+path, "http://"+p.HTTP+path, form)
	if err != nil {
		return 0, "", err
	}
	client := &http.Client{Timeout: 10 * time.Second}
	res, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	return res.StatusCode, string(body), err
}

// replayed runs send n times at once, then once more after those ended,
// as a sender that lost the answers (or Twilio retrying on a timeout)
// would, and fails the test unless every delivery was taken.
func replayed(t *testing.T, what string, n int, send func() error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make([]error, n+1)
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = send()
		})
	}
	close(start)
	wg.Wait()
	errs[n] = send()
	for i, err := range errs {
		if err != nil {
			t.Errorf("%s, delivery %d of %d: %v", what, i+1, n+1, err)
		}
	}
}

// TestFaultReplays: the same SMTP transaction delivered 4 times at once
// and once more (a sending server that lost parley's 250s), the same with
// a reply that has no Message-ID, and the same Twilio webhook (one
// MessageSid) posted 4 times at once and once more: each is taken every
// time (250, 200) and is one line, relayed once.
func TestFaultReplays(t *testing.T) {
	const (
		public   = "https://parley.example.org"
		carolTel = "+15550002222"
		copies   = 4
	)
	sink := smtppeer.Start(t)
	fake := twiliopeer.New(t)
	rd := redispeer.New(t)
	p := startParley(t, rd, faultEnv(t, sink, "TWILIO_ACCOUNT_SID="+fake.AccountSID, "TWILIO_AUTH_TOKEN="+fake.AuthToken,
		"PARLEY_SMS_FROM=+15550009999", "PARLEY_TWILIO_API_URL="+fake.URL, "PARLEY_PUBLIC_URL="+public)...)
	p.run(t, "user", "add", "--id", "alice", "--name", "Alice", "--email", "alice@example.org")
	p.run(t, "user", "add", "--id", "bob", "--name", "Bob Ray", "--email", "bob@example.org")
	p.run(t, "user", "add", "--id", "carol", "--name", "Carol", "--email", "carol@example.org", "--phone", carolTel)
	p.run(t, "room", "create", "--id", room, "--name", "Design", "--members", "alice,bob,carol")
	p.run(t, "presence", "set", "bob", "away")
	p.run(t, "presence", "set", "carol", "away")
	p.run(t, "post", "--room", room, "--as", "alice", "Replays, please")
	rel := relayAt(t, sink, "bob@example.org")

	date := time.Now().Format(time.RFC1123Z)
	replies := []struct{ name, messageID, text string }{
		{"with a Message-ID", "<replay-" + randomHex(t, 6) + "@example.org>", "replayed reply with an id"},
		{"without a Message-ID", "", "replayed reply without an id"},
	}
	for _, r := range replies {
		var head strings.Builder
		fmt.Fprintf(&head, "From: Bob Ray <bob@example.org>\r\nTo: %s\r\nSubject: Re: [Design] chat in Design\r\n", rel.ReplyTo)
		if r.messageID != "" {
			fmt.Fprintf(&head, "Message-ID: %s\r\n", r.messageID)
		}
		msg := head.String() + fmt.Sprintf("In-Reply-To: %s\r\nDate: %s\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n",
			rel.MessageID, date, r.text)
		replayed(t, "SMTP reply "+r.name, copies, func() error { return sendPlain(p.SMTP, "bob@example.org", rel.ReplyTo, msg) })
	}

	text := fake.InboundParams(carolTel, "+15550009999", "replayed text from carol")
	replayed(t, "webhook", copies, func() error {
		code, body, err := postWebhook(p, public, fake.AuthToken, "/sms/twilio", text)
		if err == nil && code != http.StatusOK {
			err = fmt.Errorf("answered %d %s", code, body)
		}
		return err
	})

	count := map[string]int{}
	for _, l := range p.lines(t, room) {
		count[l.Text]++
	}
	want := map[string]string{replies[0].text: "carol", replies[1].text: "carol", "replayed text from carol": "bob"}
	for text, to := range want {
		if count[text] != 1 {
			t.Errorf("%q delivered %d times is %d lines, want 1", text, copies+1, count[text])
		}
		addr := to + "@example.org"
		waitFor(t, mailWait, fmt.Sprintf("%s's email of %q", to, text), func() bool { return len(copiesOf(sink, addr, text)) > 0 })
	}
	// Relayed once: wait a moment for a second email that should not come
	// by settling the queue first.
	waitFor(t, mailWait, "the delivery queue settled", func() bool {
		var st struct {
			Waiting int64 `json:"waiting"`
			Batches int64 `json:"batches"`
		}
		p.runJSON(t, &st, "queue", "stats")
		return st.Waiting == 0 && st.Batches == 0
	})
	for text, to := range want {
		if n := len(copiesOf(sink, to+"@example.org", text)); n != 1 {
			t.Errorf("%q reached %s in %d emails, want 1", text, to, n)
		}
	}
	t.Logf("each of 3 messages delivered %d times (%d at once, then again): %d lines, each relayed once", copies+1, copies, len(want))
	p.stop(t, fake.AuthToken)
}
