package main

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"parley/internal/testpeers/browserpeer"
	"parley/internal/testpeers/twiliopeer"
)

// codeText is the sign-in code text as sms-signin-code.txt renders it;
// phoneCodeText the phone verification code as sms-phone-code.txt does.
var (
	codeText      = regexp.MustCompile(`^([0-9]{6}) is your parley sign-in code\.`)
	phoneCodeText = regexp.MustCompile(`^([0-9]{6}) is your parley code to verify this phone\.`)
)

// textedCode waits for a text to phone, sent after the seen-th, that
// matches pattern, and returns its code.
func textedCode(t *testing.T, fake *twiliopeer.Server, seen int, phone string, pattern *regexp.Regexp) string {
	t.Helper()
	var code string
	waitFor(t, "the code to "+phone+" at the fake Twilio", 20*time.Second, func() bool {
		for _, m := range fake.Messages()[seen:] {
			if c := pattern.FindStringSubmatch(m.Body); c != nil && m.To == phone {
				code = c[1]
			}
		}
		return code != ""
	})
	return code
}

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
			code := textedCode(t, fake, seen, "+15550001111", codeText)
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

// TestBrowserVerifyPhone: a member types a new phone on the profile page,
// sees it is not verified, presses "Send code", reads the code parley sent
// through twilio-go to the fake Twilio, types it beside the number and sees
// the phone verified, on a 390×844 phone and at 1280×800. Each screen
// types a different number, so the second also shows that a new number
// loses the old one's verification. Screenshots go to
// PARLEY_SCREENSHOT_DIR.
func TestBrowserVerifyPhone(t *testing.T) {
	browserpeer.Path(t) // before anything starts
	fake := twiliopeer.New(t)
	e, page := browserServe(t, redisEnv(t).with("TWILIO_ACCOUNT_SID", fake.AccountSID, "TWILIO_AUTH_TOKEN", fake.AuthToken,
		"PARLEY_SMS_FROM", "+15550009999", "PARLEY_TWILIO_API_URL", fake.URL, "PARLEY_SMS_RATE", "50"))
	for i, sc := range screens {
		t.Run(sc.name, func(t *testing.T) {
			bctx, stop := signedIn(t, e, page, sc, "alice@example.org")
			defer stop()
			phone := fmt.Sprintf("+1555000%d%d%d%d", i+1, i+1, i+1, i+1)
			seen := len(fake.Messages())
			if err := chromedp.Do(bctx,
				chromedp.Navigate(page+"/me"),
				chromedp.SetValue(chromedp.CSS(`input[name="phone"]`), phone),
				chromedp.Click(`//button[text()="Save"]`),
				chromedp.WaitVisible(`//p[contains(., "Saved.")]`),
				chromedp.WaitVisible(`//p[@id="phone-state"][contains(., "Not verified")]`),
				chromedp.Click(chromedp.ID("phone-send-button")),
				chromedp.WaitVisible(`//p[contains(., "A code is on its way to `+phone+`")]`),
			); err != nil {
				t.Fatalf("save the phone and ask for a code: %v", err)
			}
			noOverflow(t, bctx, "the phone's code field")
			shoot(t, bctx, sc, "phone-code")
			code := textedCode(t, fake, seen, phone, phoneCodeText)
			if err := chromedp.Do(bctx,
				chromedp.SendKeys(chromedp.ID("phone-code"), code),
				chromedp.Click(chromedp.ID("phone-confirm-button")),
				chromedp.WaitVisible(`//p[contains(., "Your phone is verified.")]`),
				chromedp.WaitVisible(`//p[@id="phone-state"][contains(., "Verified")]`),
			); err != nil {
				t.Fatalf("type the code: %v", err)
			}
			if n, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll("#phone-send-button, #phone-code").length`)); err != nil || n != 0 {
				t.Errorf("the code form is still shown (%d, %v)", n, err)
			}
			shoot(t, bctx, sc, "phone-verified")
			if out := ok(t, e, "user", "show", "alice"); !strings.Contains(out, phone+" (verified)") {
				t.Errorf("user show after the page verified the phone:\n%s", out)
			}
		})
	}
}
