package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"parley/internal/testpeers/browserpeer"
)

// TestBrowserFollowsActivity: an open tab is not a person. Alice signs in
// and leaves the tab untouched past the idle time: a line reaches her by
// email though her page is open (and shows it live). A key press brings her
// back online. A hidden tab is idle at once and marks nothing read.
func TestBrowserFollowsActivity(t *testing.T) {
	browserpeer.Path(t)
	const idle = 3 * time.Second
	e, page := browserServe(t, redisEnv(t).with("PARLEY_IDLE_AFTER", idle.String()))
	bctx, stopBrowser := browserpeer.Start(t, 1100, 800)
	defer stopBrowser()
	bctx, stopTimeout := context.WithTimeout(bctx, 90*time.Second)
	defer stopTimeout()

	state := func() string {
		t.Helper()
		for _, l := range strings.Split(ok(t, e, "presence", "show", "alice"), "\n") {
			if k, v, _ := strings.Cut(l, ":"); k == "state" {
				return strings.TrimSpace(v)
			}
		}
		t.Fatal("no state in presence show")
		return ""
	}
	browserSignIn(t, e, bctx, page, "alice@example.org")
	// A headless window has no focus of its own; a person's window has.
	if _, err := chromedp.Call(bctx, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(bctx,
		// Straight to the room: the home page's room list is redrawn as
		// unread counts come, and a click can land on a node just replaced.
		chromedp.Navigate(page+"/rooms/design"),
		chromedp.WaitVisible(chromedp.ID("post-text")),
		chromedp.SendKeys(chromedp.ID("post-text"), "x"),
	); err != nil {
		t.Fatalf("open the room: %v", err)
	}
	waitFor(t, "alice online after a key press", 5*time.Second, func() bool { return state() == "online" })

	// Untouched past the idle time: away, though the page is open.
	waitFor(t, "alice idle with the tab open", 10*time.Second, func() bool { return state() == "away" })
	if out := ok(t, e, "post", "--room", "design", "--as", "bob", "Are you there?"); !strings.Contains(out, "alice: email (idle)") {
		t.Fatalf("a line to idle alice: %s", out)
	}
	if err := chromedp.Do(bctx, chromedp.WaitVisible(`//li[contains(., "Are you there?")]`)); err != nil {
		t.Fatalf("the line did not show live on the idle page: %v", err)
	}
	// A key press: online again, and the next line is live only.
	if err := chromedp.Do(bctx, chromedp.SendKeys(chromedp.ID("post-text"), "y")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "alice online after typing", 5*time.Second, func() bool { return state() == "online" })
	back := ok(t, e, "post", "--room", "design", "--as", "bob", "Ah, you are back")
	if !strings.Contains(back, "alice: live") {
		t.Fatalf("a line to active alice: %s", back)
	}
	// Seen on screen in a visible, focused page: read.
	st, _ := storeFor(t, e)
	backID, _, _ := strings.Cut(back, "\n")
	waitFor(t, "the line alice saw marked read", 10*time.Second, func() bool {
		m, err := st.Chat.ReadMarker(bctx, "design", "alice")
		return err == nil && m == backID
	})

	// The tab hidden (another tab in front): idle at once, well before the
	// idle time, and nothing read. Headless Chromium keeps every tab
	// visible whatever is in front (https://github.com/w3c/webdriver/issues/1718),
	// so the page is told as a browser would tell it.
	if err := chromedp.Do(bctx, chromedp.SendKeys(chromedp.ID("post-text"), "z")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "alice online after typing", 5*time.Second, func() bool { return state() == "online" })
	if err := chromedp.Do(bctx, chromedp.Evaluate[chromedp.Void](`
		Object.defineProperty(document, "visibilityState", { get: function () { return "hidden"; } });
		Object.defineProperty(document, "hidden", { get: function () { return true; } });
		document.dispatchEvent(new Event("visibilitychange"));`)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "alice idle as soon as her tab is hidden", idle/2, func() bool { return state() == "away" })
	before, err := st.Chat.ReadMarker(bctx, "design", "alice")
	if err != nil {
		t.Fatal(err)
	}
	ok(t, e, "post", "--room", "design", "--as", "bob", "Nobody looks at this")
	if err := chromedp.Do(bctx, chromedp.WaitVisible(`//li[contains(., "Nobody looks at this")]`, chromedp.NodeReady)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second) // longer than the page waits before marking read
	if after, err := st.Chat.ReadMarker(bctx, "design", "alice"); err != nil || after != before {
		t.Errorf("the hidden tab moved the read marker from %q to %q (%v)", before, after, err)
	}
}
