package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"parley/internal/testpeers/browserpeer"
	"parley/threads"
)

// screen is a window size the layout is tested at.
type screen struct {
	name          string
	width, height int64
	phone         bool
}

var screens = []screen{{"wide", 1280, 800, false}, {"phone", 390, 844, true}}

// TestBrowserLayout opens a room of 50 lines (yesterday's and today's, one
// by email with a cut quote, one mentioning alice with a link) at 1280×800
// and on a 390×844 phone: the composer is on screen, nothing overflows the
// width, days are separated, mentions marked, links safe, lines grouped; a
// live line that comes while alice reads older lines shows the "new lines"
// marker and stays unread until she goes down; unread counts of other rooms
// survive a reload. Screenshots go to PARLEY_SCREENSHOT_DIR.
func TestBrowserLayout(t *testing.T) {
	browserpeer.Path(t)
	e, page := browserServe(t, redisEnv(t))
	ok(t, e, "user", "add", "--id", "carol", "--name", "Carol Bell", "--email", "carol@example.org")
	ok(t, e, "room", "create", "--id", "ops", "--name", "Ops", "--members", "alice,bob,carol")
	ok(t, e, "user", "role", "alice", "admin") // the admin page's tables reflow on a phone
	store, _ := storeFor(t, e)
	seedRoom(t, e)
	for _, sc := range screens {
		t.Run(sc.name, func(t *testing.T) {
			bctx, stop := signedIn(t, e, page, sc, "alice@example.org")
			defer stop()
			shoot(t, bctx, sc, "home")
			if err := chromedp.Do(bctx,
				chromedp.Navigate(page+"/rooms/design"),
				chromedp.WaitVisible(chromedp.ID("post-text")),
			); err != nil {
				t.Fatalf("open the room: %v", err)
			}
			layoutChecks(t, bctx, sc)
			shoot(t, bctx, sc, "room")

			// Scrolled up, a live line shows the marker and stays unread.
			evalOK(t, bctx, `document.getElementById("scroll").scrollTop = -1e6, true`)
			id := postAs(t, store, "design", "bob", "A line while alice reads old ones")
			waitIn(t, bctx, "the new-lines marker", `!document.getElementById("newmark").hidden && document.getElementById("newmark").textContent.indexOf("1 new line") === 0`)
			shoot(t, bctx, sc, "new-lines")
			// The page reads what is on screen 1.5 s after a scroll; give
			// it more than that and check the line is still unread.
			evalOK(t, bctx, `document.getElementById("scroll").dispatchEvent(new Event("scroll")), true`)
			time.Sleep(3 * time.Second)
			if m, _ := store.Chat.ReadMarker(context.Background(), "design", "alice"); threads.Seen(id, m) {
				t.Fatalf("the line below the fold was marked read (marker %s, line %s)", m, id)
			}
			if err := chromedp.Do(bctx, chromedp.Click(chromedp.ID("newmark"))); err != nil {
				t.Fatal(err)
			}
			waitIn(t, bctx, "the marker to go", `document.getElementById("newmark").hidden`)
			waitFor(t, "the line read once on screen", 15*time.Second, func() bool {
				m, _ := store.Chat.ReadMarker(context.Background(), "design", "alice")
				return threads.Seen(id, m)
			})

			// Unread counts of another room, live and after a reload.
			postAs(t, store, "ops", "bob", "ops line for everyone "+sc.name)
			postAs(t, store, "ops", "carol", "@alice can you look? "+sc.name)
			if !sc.phone {
				waitIn(t, bctx, "the live unread badge and title", `document.querySelector("#r-ops .badge:not(.at)").textContent === "2" && document.title.indexOf("(2) ") === 0`)
			}
			if err := chromedp.Do(bctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("post-text"))); err != nil {
				t.Fatal(err)
			}
			if sc.phone {
				if err := chromedp.Do(bctx, chromedp.Click(chromedp.CSS(`a.back`)), chromedp.WaitVisible(chromedp.CSS(`#r-ops`))); err != nil {
					t.Fatalf("back to the rooms: %v", err)
				}
			}
			got, err := chromedp.Run(bctx, chromedp.Evaluate[string](`[document.querySelector("#r-ops .badge:not(.at)").textContent, !!document.querySelector("#r-ops .badge.at"), document.title].join("|")`))
			if err != nil || !strings.HasPrefix(got, "2|true|(2) ") {
				t.Errorf("ops after a reload: %q (want 2 unread, a mention badge, the count in the title) %v\n%s", got, err, ok(t, e, "lines", "--room", "ops"))
			}
			shoot(t, bctx, sc, "rooms-unread")
			noOverflow(t, bctx, sc.name+" room list")
			// Clear ops for the next screen size.
			marker, err := store.Chat.Lines(context.Background(), "ops", threads.Range{Newest: true, Limit: 1})
			if err != nil || len(marker) != 1 {
				t.Fatal(err)
			}
			if err := store.Chat.MarkRead(context.Background(), "ops", "alice", marker[0].ID); err != nil {
				t.Fatal(err)
			}
			if sc.phone {
				phoneChecks(t, bctx, sc, page)
			}
		})
	}
}

// seedRoom puts 50 lines in design: 20 of yesterday, then 30 of today.
func seedRoom(t *testing.T, e env) {
	t.Helper()
	now := time.Now()
	past := storeForAt(t, e, now.Add(-24*time.Hour))
	for i := 0; i < 20; i++ {
		postWith(t, past, threads.NewLine{Room: "design", Author: []string{"alice", "bob"}[i/5%2], Text: fmt.Sprintf("yesterday line %d", i), Origin: threads.FromWeb})
	}
	today, _ := storeFor(t, e)
	for i := 0; i < 27; i++ {
		postWith(t, today, threads.NewLine{Room: "design", Author: []string{"alice", "bob"}[i/4%2], Text: fmt.Sprintf("today line %d, with a few words to fill the width of a line on a phone", i), Origin: threads.FromWeb})
	}
	postWith(t, today, threads.NewLine{Room: "design", Author: "bob", Origin: threads.FromEmail,
		Text: "Agreed, ship it.", Quote: "On Monday Alice wrote:\n> Shall we ship?"})
	postWith(t, today, threads.NewLine{Room: "design", Author: "bob", Origin: threads.FromWeb,
		Text: "@alice see https://example.org/a_very_long_path/that/goes/on/and/on/and/on/without/a/break?q=<b>x</b>."})
	postWith(t, today, threads.NewLine{Room: "design", Author: "bob", Origin: threads.FromSMS, Text: "On my way"})
}

// storeForAt is storeFor with a clock stopped at at.
func storeForAt(t *testing.T, e env, at time.Time) *threads.Store {
	t.Helper()
	_, rdb := storeFor(t, e)
	return threads.New(rdb, threads.Options{Prefix: e["PARLEY_KEY_PREFIX"], Now: func() time.Time { return at }})
}

// postWith posts a line through s.
func postWith(t *testing.T, s *threads.Store, n threads.NewLine) string {
	t.Helper()
	p, err := s.Chat.Post(context.Background(), n)
	if err != nil {
		t.Fatalf("post %q: %v", n.Text, err)
	}
	return p.Line.ID
}

// postAs posts a line from the web as author.
func postAs(t *testing.T, s *threads.Store, room, author, text string) string {
	t.Helper()
	return postWith(t, s, threads.NewLine{Room: room, Author: author, Text: text, Origin: threads.FromWeb})
}

// signedIn starts a browser of sc's size and signs in as the member with
// address email; stop stops it (call it before the server stops).
func signedIn(t *testing.T, e env, page string, sc screen, email string) (context.Context, func()) {
	t.Helper()
	bctx, stopBrowser := browserpeer.Start(t, int(sc.width), int(sc.height))
	bctx, stopTimeout := context.WithTimeout(bctx, 120*time.Second)
	emulate(t, bctx, sc)
	browserSignIn(t, e, bctx, page, email)
	return bctx, func() { stopTimeout(); stopBrowser() }
}

// emulate sets the exact viewport (touch on a phone) and a focused window:
// a headless window has no focus of its own; a person's window has.
func emulate(t *testing.T, bctx context.Context, sc screen) {
	t.Helper()
	opts := []chromedp.EmulateViewportOption{}
	if sc.phone {
		opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateTouch)
	}
	if err := chromedp.Do(bctx, chromedp.EmulateViewport(sc.width, sc.height, opts...)); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(bctx, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true}); err != nil {
		t.Fatal(err)
	}
	// A script error on the page fails the test.
	var mu sync.Mutex
	var thrown []string
	chromedp.Listen(bctx, func(ev any) {
		if ev, ok := ev.(*runtime.EventExceptionThrown); ok {
			mu.Lock()
			d := ev.ExceptionDetails
			msg := d.Text
			if d.Exception != nil {
				msg += " " + d.Exception.Description
			}
			thrown = append(thrown, fmt.Sprintf("%s (line %d)", msg, d.LineNumber))
			mu.Unlock()
		}
	})
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		if len(thrown) > 0 {
			t.Errorf("the page threw: %v", thrown)
		}
	})
}

// layoutChecks: the room as it loads.
func layoutChecks(t *testing.T, bctx context.Context, sc screen) {
	t.Helper()
	got, err := chromedp.Run(bctx, chromedp.Evaluate[map[string]any](`(() => {
		const f = document.getElementById("post-form").getBoundingClientRect();
		const days = [...document.querySelectorAll("#lines li.day")].map(d => d.textContent);
		const link = document.querySelector("#lines .t a");
		const q = document.querySelector("#lines details.q");
		return {
			composerBottom: f.bottom, composerTop: f.top, height: innerHeight,
			days: days.join(","),
			mark: (document.querySelector("#lines mark.me") || {}).textContent || "",
			href: link ? link.getAttribute("href") : "", rel: link ? link.rel : "", target: link ? link.target : "",
			quote: q ? q.querySelector("summary").textContent + "|" + q.querySelector("pre").textContent : "",
			escaped: [...document.querySelectorAll("#lines .t")].some(t => t.textContent.includes("q=<b>x</b>.") && !t.querySelector("b")),
			cont: document.querySelectorAll("#lines li.cont").length,
			origins: [...document.querySelectorAll("#lines .om")].map(o => o.textContent + "=" + o.title).join(","),
			lastVisible: (() => { const r = document.querySelector("#lines li.line:last-of-type").getBoundingClientRect(); return r.bottom <= f.top + 1 && r.top >= 0; })(),
		};
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if b, h := got["composerBottom"].(float64), got["height"].(float64); b > h || b <= 0 {
		t.Errorf("%s: the composer ends at %v, the window at %v", sc.name, b, h)
	}
	if got["escaped"] != true {
		t.Errorf("%s: the line with <b> in it is not shown as text", sc.name)
	}
	if got["lastVisible"] != true {
		t.Errorf("%s: the newest line is not on screen above the composer", sc.name)
	}
	for k, want := range map[string]string{"days": "Yesterday,Today", "mark": "@alice",
		"href": "https://example.org/a_very_long_path/that/goes/on/and/on/and/on/without/a/break?q=",
		"rel":  "noopener noreferrer", "target": "_blank", "quote": "show quoted text|On Monday Alice wrote:\n> Shall we ship?",
		"origins": "✉=came in by email,☎=came in by text message"} {
		if got[k] != want {
			t.Errorf("%s: %s = %q, want %q", sc.name, k, got[k], want)
		}
	}
	if n, _ := got["cont"].(float64); n < 30 {
		t.Errorf("%s: only %v lines are grouped under their author", sc.name, n)
	}
	noOverflow(t, bctx, sc.name+" room")
	// Notifications are never asked for on load.
	if asked, err := chromedp.Run(bctx, chromedp.Evaluate[bool](`localStorage.getItem("parley-asked") !== null || Notification.permission !== "default"`)); err != nil || asked {
		t.Errorf("%s: notification permission asked on load (%v)", sc.name, err)
	}
	// Tap targets: every visible link and button outside line text is at
	// least 44 px tall on a phone.
	if sc.phone {
		small, err := chromedp.Run(bctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("header a, header button, .roomhead a, .composer button, .roomlist a, summary.tap")]
			.filter(e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height < 44; })
			.map(e => e.tagName + " " + e.textContent.trim() + " " + Math.round(e.getBoundingClientRect().height))`))
		if err != nil || len(small) > 0 {
			t.Errorf("tap targets under 44 px: %v %v", small, err)
		}
	}
}

// noOverflow fails when the page or any visible element reaches past the
// window's width.
func noOverflow(t *testing.T, bctx context.Context, what string) {
	t.Helper()
	wide, err := chromedp.Run(bctx, chromedp.Evaluate[[]string](`(() => {
		const w = document.documentElement.clientWidth, out = [];
		if (document.documentElement.scrollWidth > w) out.push("page scrolls sideways: " + document.documentElement.scrollWidth + " > " + w);
		for (const e of document.querySelectorAll("body *")) {
			const r = e.getBoundingClientRect();
			if (r.width > 0 && r.height > 0 && (r.right > w + 1 || r.left < -1) && getComputedStyle(e).position !== "fixed")
				out.push(e.tagName + (e.id ? "#" + e.id : "") + "." + e.className + " " + Math.round(r.left) + ".." + Math.round(r.right));
		}
		return out.slice(0, 10);
	})()`))
	if err != nil || len(wide) > 0 {
		t.Errorf("%s: wider than the window: %v %v", what, wide, err)
	}
}

// phoneChecks: the members view, and Enter on a touch keyboard.
func phoneChecks(t *testing.T, bctx context.Context, sc screen, page string) {
	t.Helper()
	if err := chromedp.Do(bctx,
		chromedp.Navigate(page+"/rooms/design"),
		chromedp.WaitVisible(chromedp.ID("post-text")),
		chromedp.Click(chromedp.CSS(`a.tomembers`)),
		chromedp.WaitVisible(chromedp.ID("members")),
	); err != nil {
		t.Fatalf("open the members: %v", err)
	}
	shoot(t, bctx, sc, "members")
	noOverflow(t, bctx, "members")
	if err := chromedp.Do(bctx,
		chromedp.Click(chromedp.CSS(`a.close`)),
		chromedp.SendKeys(chromedp.ID("post-text"), "first\nsecond"),
	); err != nil {
		t.Fatal(err)
	}
	v, err := chromedp.Run(bctx, chromedp.Value(chromedp.ID("post-text")))
	if err != nil || v != "first\nsecond" {
		t.Errorf("Enter on a touch screen: the box holds %q (%v), want two lines", v, err)
	}
	if err := chromedp.Do(bctx, chromedp.Click(chromedp.CSS(`#post-form button`)),
		chromedp.WaitVisible(`//li[contains(@class,"line")][contains(., "first")][contains(., "second")]`)); err != nil {
		t.Fatalf("send with the button: %v", err)
	}
	// Sending is a person's action: the page asks for notifications then, once.
	if asked, err := chromedp.Run(bctx, chromedp.Evaluate[bool](`localStorage.getItem("parley-asked") === "1"`)); err != nil || !asked {
		t.Errorf("notification permission not asked on the first send (%v)", err)
	}
	for _, p := range []string{"/", "/people", "/people/bob", "/me", "/tokens", "/admin", "/nowhere"} {
		if err := chromedp.Do(bctx, chromedp.Navigate(page+p), chromedp.WaitReady("body")); err != nil {
			t.Fatal(err)
		}
		noOverflow(t, bctx, "phone "+p)
		if p == "/admin" {
			shoot(t, bctx, sc, "admin")
		}
	}
}

// waitIn polls a JavaScript condition in the page for up to 15 s.
func waitIn(t *testing.T, bctx context.Context, what, cond string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(bctx, 15*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Poll[chromedp.Void](cond)); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

func evalOK(t *testing.T, bctx context.Context, js string) {
	t.Helper()
	if _, err := chromedp.Run(bctx, chromedp.Evaluate[bool](js)); err != nil {
		t.Fatalf("%s: %v", js, err)
	}
}

// shoot saves a screenshot of the window as PARLEY_SCREENSHOT_DIR/parley-SIZE-NAME.png.
func shoot(t *testing.T, bctx context.Context, sc screen, name string) {
	t.Helper()
	png, err := chromedp.Run(bctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	dir := os.Getenv("PARLEY_SCREENSHOT_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	path := filepath.Join(dir, "parley-"+sc.name+"-"+name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}
