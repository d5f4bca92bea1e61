package main

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"parley/internal/testpeers/browserpeer"
	"parley/internal/testpeers/twiliopeer"
)

// codeText is the sign-in code text as sms-signin-code.txt renders it.
var codeText = regexp.MustCompile(`^([0-9]{6}) is your parley sign-in code\.`)

// TestBrowserSignInByCode: a member with only a phone opens a room while
// signed out, types their number on the sign-in page, reads the code from
// the text parley sent through twilio-go to the fake Twilio, types it, and
// lands in the room she opened, on a 390×844 phone and at 1280×800.
// Screenshots of the code form and the room go to PARLEY_SCREENSHOT_DIR.
func TestBrowserSignInByCode(t *testing.T) {
	browserpeer.Path(t) // before anything starts
	fake := twiliopeer.New(t)
	e, page := browserServe(t, redisEnv(t).with("TWILIO_ACCOUNT_SID", fake.AccountSID, "TWILIO_AUTH_TOKEN", fake.AuthToken,
		"PARLEY_SMS_FROM", "+15550009999", "PARLEY_TWILIO_API_URL", fake.URL, "PARLEY_SMS_RATE", "50"))
	ok(t, e, "user", "add", "--id", "pia", "--name", "Pia Phone", "--phone", "+15550001111")
	ok(t, e, "room", "create", "--id", "field", "--name", "Field team", "--members", "pia,bob")

	for _, sc := range screens {
		t.Run(sc.name, func(t *testing.T) {
			bctx, stopBrowser := browserpeer.Start(t, int(sc.width), int(sc.height))
			defer stopBrowser()
			bctx, stopTimeout := context.WithTimeout(bctx, 90*time.Second)
			defer stopTimeout()
			emulate(t, bctx, sc)
			seen := len(fake.Messages())
			if err := chromedp.Do(bctx,
				chromedp.Navigate(page+"/rooms/field"),
				chromedp.WaitVisible(`//h1[contains(., "Sign in to parley")]`),
				chromedp.SendKeys(chromedp.CSS(`input[name="email"]`), "+1 555 000 1111"),
				chromedp.Submit(chromedp.CSS(`input[name="email"]`)),
				chromedp.WaitVisible(`//h1[contains(., "Check your phone")]`),
				chromedp.WaitVisible(chromedp.ID("signin-code")),
			); err != nil {
				t.Fatalf("ask for a code: %v", err)
			}
			noOverflow(t, bctx, "the code form")
			shoot(t, bctx, sc, "signin-code")
			var code string
			waitFor(t, "the sign-in code at the fake Twilio", 20*time.Second, func() bool {
				for _, m := range fake.Messages()[seen:] {
					if c := codeText.FindStringSubmatch(m.Body); c != nil && m.To == "+15550001111" {
						code = c[1]
					}
				}
				return code != ""
			})
			if err := chromedp.Do(bctx,
				chromedp.SendKeys(chromedp.ID("signin-code"), code),
				chromedp.Submit(chromedp.ID("signin-code")),
				chromedp.WaitVisible(chromedp.ID("post-text")),
			); err != nil {
				t.Fatalf("sign in with the code: %v", err)
			}
			where, err := chromedp.Run(bctx, chromedp.Evaluate[string](`location.pathname`))
			if err != nil || where != "/rooms/field" {
				t.Fatalf("signed in to %q (%v), want the room opened before", where, err)
			}
			shoot(t, bctx, sc, "signin-code-room")
		})
	}
}
