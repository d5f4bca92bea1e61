package main

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"time"

	smshook "parley/inbound/sms"
	"parley/outbound"
	"parley/threads"
)

// demoSMSNumber is the parley number the demo's texts come from.
const demoSMSNumber = "+15550000100"

// demoTextReply is what carol texts back.
const demoTextReply = "Checked on my phone: the header looks great. Calling the printer at 11."

// replyByText waits for carol's text about bob's line (he mentions her, and
// she is offline with a phone), and answers it as Twilio would deliver her
// reply: a form signed with the account's token, posted to parley's own
// SMS webhook (here through httptest, in process). The webhook checks the
// signature, finds carol by her number and the room by the text she last
// got, and posts her line, which is relayed to the others.
func (d *demo) replyByText(ctx context.Context, publicURL string) error {
	const carol = "+15550002222"
	deadline := time.Now().Add(demoWindow + 5*time.Second)
	for found := false; !found; {
		entries, err := d.st.Queue.Outbox(ctx, "", 100)
		if err != nil {
			return err
		}
		for _, e := range entries {
			found = found || e.Channel == threads.SMS && e.To == carol && strings.Contains(e.Body, "check it on your phone")
		}
		if found {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("carol's text did not arrive in the outbox")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(outboxPoll):
		}
	}
	token, sid := randomHexString(16), "SM"+randomHexString(16)
	hook, err := smshook.New(smshook.Options{SMS: d.st.SMS, Directory: d.st.Directory, Chat: d.st.Chat,
		PublicURL: publicURL, AccountSID: "AC" + randomHexString(16), AuthToken: token,
		Replies: outbound.TextOutbox{Queue: d.st.Queue}, Templates: d.tmpl, Log: quietLog(d.log)})
	if err != nil {
		return err
	}
	params := url.Values{"From": {carol}, "To": {demoSMSNumber}, "Body": {demoTextReply}, "MessageSid": {sid},
		"SmsSid": {sid}, "NumMedia": {"0"}, "NumSegments": {"1"}, "SmsStatus": {"received"}, "ApiVersion": {"2010-04-01"}}
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, smshook.InboundPath, strings.NewReader(params.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", twilioSignature(token, strings.TrimRight(publicURL, "/")+smshook.InboundPath, params))
	w := httptest.NewRecorder()
	hook.ServeHTTP(w, req)
	if w.Code != http.StatusOK {
		return fmt.Errorf("the SMS webhook answered carol's text with %d: %s", w.Code, strings.TrimSpace(w.Body.String()))
	}
	lines, err := d.st.Chat.Lines(ctx, "design", threads.Range{Newest: true, Limit: 1})
	if err != nil {
		return err
	}
	posted := "    inbox: not posted\n"
	if len(lines) == 1 && lines[0].Origin == threads.FromSMS {
		posted = "    inbox: posted in design (the room of her last text): " + clean(lines[0].String(), false) + "\n"
	}
	// One printf: the outbox follower must not print in between.
	d.printf("\nCarol texts back from the road; Twilio would post her text, signed, to %s%s:\n    webhook: %d %s\n%s",
		strings.TrimRight(publicURL, "/"), smshook.InboundPath, w.Code, strings.TrimPrefix(w.Body.String(), `<?xml version="1.0" encoding="UTF-8"?>`), posted)
	return nil
}

// twilioSignature is X-Twilio-Signature as Twilio computes it: the base64
// HMAC-SHA1, keyed with the auth token, of the URL followed by every
// parameter's name and value, sorted by name.
func twilioSignature(token, u string, params url.Values) string {
	names := make([]string, 0, len(params))
	for k := range params {
		names = append(names, k)
	}
	sort.Strings(names)
	mac := hmac.New(sha1.New, []byte(token))
	mac.Write([]byte(u))
	for _, k := range names {
		mac.Write([]byte(k + params.Get(k)))
	}
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// randomHexString returns 2n random hexadecimal digits.
func randomHexString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
