package main

import (
	"cmp"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"parley/internal/testpeers"
	"parley/internal/testpeers/browserpeer"
	"parley/threads"
)

// TestBrowser drives a real headless Chromium through the page served by
// `parley serve`: sign in with the link emailed to the outbox, open a
// room, post a line, see a line posted from the CLI appear without a
// reload, set the status to away, and save a screenshot
// (PARLEY_SCREENSHOT_DIR, or the test's temporary folder). Without
// Chromium it fails under CI and is skipped elsewhere.
func TestBrowser(t *testing.T) {
	browserpeer.Path(t) // before anything starts
	e, page := browserServe(t, redisEnv(t))

	bctx, stopBrowser := browserpeer.Start(t, 1100, 800)
	defer stopBrowser() // before serve stops: the page's live stream holds it
	bctx, stopTimeout := context.WithTimeout(bctx, 90*time.Second)
	defer stopTimeout()

	browserSignIn(t, e, bctx, page, "alice@example.org")
	if err := chromedp.Do(bctx,
		chromedp.Click(chromedp.CSS(`a[href="/rooms/design"]`)),
		chromedp.WaitVisible(chromedp.ID("post-text")),
		// A mark on the page that a reload would wipe.
		chromedp.Evaluate[chromedp.Void](`window.parleyTest = "no reload"`),
		chromedp.SendKeys(chromedp.ID("post-text"), "Hello from the browser"),
		chromedp.Click(chromedp.CSS(`#post-form button`)),
		chromedp.WaitVisible(`//li[contains(@class,"line")][contains(., "Alice Archer:")][contains(., "Hello from the browser")]`),
	); err != nil {
		t.Fatalf("sign in, open the room and post: %v", err)
	}
	if ls := ok(t, e, "lines", "--room", "design"); !strings.Contains(ls, "Alice Archer: Hello from the browser") {
		t.Fatalf("the browser's line is not in the room:\n%s", ls)
	}
	// A line from the CLI shows up live.
	ok(t, e, "post", "--room", "design", "--as", "bob", "Posted from the command line")
	if err := chromedp.Do(bctx,
		chromedp.WaitVisible(`//li[contains(@class,"line")][contains(., "Bob Ray:")][contains(., "Posted from the command line")]`),
	); err != nil {
		t.Fatalf("the CLI's line did not appear: %v", err)
	}
	if marker, err := chromedp.Run(bctx, chromedp.Evaluate[string](`window.parleyTest || ""`)); err != nil || marker != "no reload" {
		t.Fatalf("the page reloaded (marker %q, %v)", marker, err)
	}
	// Status: away, with a text.
	if err := chromedp.Do(bctx,
		chromedp.SetValue(chromedp.CSS(`#status-form select[name="availability"]`), "away"),
		chromedp.SendKeys(chromedp.CSS(`#status-form input[name="text"]`), "on a train"),
		chromedp.Submit(chromedp.CSS(`#status-form input[name="text"]`)),
		chromedp.WaitVisible(`//li[@id="m-alice"][contains(., "away")]`),
	); err != nil {
		t.Fatalf("set status: %v", err)
	}
	state, err1 := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(`#m-alice .st`)))
	status, err2 := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(`#m-alice .tx`)))
	if err1 != nil || err2 != nil || state != "away" || !strings.Contains(status, "on a train") {
		t.Errorf("alice shows as %q %q (%v %v)", state, status, err1, err2)
	}
	if p := ok(t, e, "presence", "show", "alice"); !strings.Contains(p, "away") || !strings.Contains(p, "on a train") {
		t.Errorf("presence after the form:\n%s", p)
	}
	shot, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	dir := os.Getenv("PARLEY_SCREENSHOT_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	path := filepath.Join(dir, "parley-room.png")
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", path, len(shot))

	// People search: a colleague who shares an interest, and their profile.
	ok(t, e, "user", "set", "alice", "--interests", "go,cycling")
	ok(t, e, "user", "set", "bob", "--interests", "go", "--title", "Designer")
	if err := chromedp.Do(bctx,
		chromedp.Navigate(page+"/people?interest=go"),
		chromedp.WaitVisible(`//li[@id="p-bob"]/a[contains(., "Bob Ray")]`),
		chromedp.Click(`//li[@id="p-bob"]/a`),
		chromedp.WaitVisible(`//h1[contains(., "Bob Ray")]`),
	); err != nil {
		t.Fatalf("people search: %v", err)
	}
	who, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(`dl.profile`)))
	if err != nil || !strings.Contains(who, "Designer") || strings.Contains(who, "bob@example.org") {
		t.Errorf("bob's profile as alice sees it: %q (%v)", who, err)
	}
}

// browserSignIn signs in as the user with address email, with the link
// the delivery worker puts in the outbox, and leaves the browser on the
// list of rooms.
func browserSignIn(t *testing.T, e env, bctx context.Context, page, email string) {
	t.Helper()
	asked := time.Now().Add(-time.Millisecond) // links sent before are used up
	if err := chromedp.Do(bctx,
		chromedp.Navigate(page+"/signin"),
		chromedp.SendKeys(chromedp.CSS(`input[name="email"]`), email),
		chromedp.Submit(chromedp.CSS(`input[name="email"]`)),
		chromedp.WaitVisible(`//h1[contains(., "Check your email")]`),
	); err != nil {
		t.Fatalf("ask for a sign-in link: %v", err)
	}
	var link string
	waitFor(t, "the sign-in email in the outbox", 15*time.Second, func() bool {
		var entries []threads.OutboxEntry
		if err := json.Unmarshal([]byte(ok(t, e, "outbox", "list", "--json")), &entries); err != nil {
			t.Fatal(err)
		}
		for _, en := range entries {
			if en.To == email && !en.Time.Before(asked) {
				link = cmp.Or(signInLinkIn(en.Body), link)
			}
		}
		return link != ""
	})
	if !strings.HasPrefix(link, page+"/signin/") {
		t.Fatalf("link %q", link)
	}
	if err := chromedp.Do(bctx,
		chromedp.Navigate(link),
		chromedp.Click(chromedp.ID("signin-confirm")),
		chromedp.WaitVisible(`//h1[contains(., "Your rooms")]`),
	); err != nil {
		t.Fatalf("sign in: %v", err)
	}
}

// browserServe seeds alice and bob in room design and starts `parley
// serve` on free ports with e's settings; it stops when the test ends
// (after the browser, whose cleanup is registered later).
func browserServe(t *testing.T, e env) (env, string) {
	t.Helper()
	addr := "127.0.0.1:" + strconv.Itoa(testpeers.FreePort(t))
	page := "http://" + addr
	e = e.with("PARLEY_HTTP_ADDR", addr, "PARLEY_SMTP_ADDR", "127.0.0.1:0",
		"PARLEY_SECRET", strings.Repeat("s", 32), "PARLEY_PUBLIC_URL", page)
	ok(t, e, "user", "add", "--id", "alice", "--name", "Alice Archer", "--email", "alice@example.org")
	ok(t, e, "user", "add", "--id", "bob", "--name", "Bob Ray", "--email", "bob@example.org")
	ok(t, e, "room", "create", "--id", "design", "--name", "Design", "--members", "alice,bob")

	startServe(t, e).addr(t, "http")
	return e, page
}
