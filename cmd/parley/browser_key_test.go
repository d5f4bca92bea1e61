package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"parley/internal/testpeers/browserpeer"
)

// fours is a fingerprint in groups of four, as the page shows it.
func fours(fp string) string {
	var g []string
	for i := 0; i < len(fp); i += 4 {
		g = append(g, fp[i:min(i+4, len(fp))])
	}
	return strings.Join(g, " ")
}

// TestBrowserKey: in confidential room design, alice (no key) reads why
// she gets notices; on her profile she pastes her private key by mistake
// and is refused and warned, uploads her public key as a file (made here
// with go-crypto) and sees its fingerprint in fours and parley's own key
// to download; the room then no longer sends her to her profile; she
// removes the key. On a 390×844 phone and at 1280×800; screenshots go to
// PARLEY_SCREENSHOT_DIR.
func TestBrowserKey(t *testing.T) {
	browserpeer.Path(t) // before anything starts
	e, page := browserServe(t, redisEnv(t))
	ok(t, e, "room", "set", "design", "--confidential", "on")
	for _, sc := range screens {
		t.Run(sc.name, func(t *testing.T) {
			k := newTestKeyPair(t, "Alice Archer", "alice@example.org")
			pub, priv, groups := k.public, k.private, fours(k.fingerprint)
			file := filepath.Join(t.TempDir(), "alice.asc")
			if err := os.WriteFile(file, []byte(pub), 0o600); err != nil {
				t.Fatal(err)
			}
			bctx, stop := signedIn(t, e, page, sc, "alice@example.org")
			defer stop()
			if err := chromedp.Do(bctx,
				chromedp.Navigate(page+"/rooms/design"),
				chromedp.WaitVisible(`//p[@id="confidential"][contains(., "you get a notice with a link instead")]`),
			); err != nil {
				t.Fatalf("the confidential room without a key: %v", err)
			}
			noOverflow(t, bctx, "the confidential room")
			shoot(t, bctx, sc, "confidential-room")

			if err := chromedp.Do(bctx,
				chromedp.Navigate(page+"/me#encryption"),
				chromedp.WaitVisible(chromedp.ID("no-key")),
				chromedp.SetValue(chromedp.CSS(`#key-form textarea[name="key"]`), priv),
				chromedp.Click(chromedp.ID("key-upload")),
				chromedp.WaitVisible(`//p[@id="key-error"][contains(., "parley did not keep it")]`),
			); err != nil {
				t.Fatalf("paste the private key: %v", err)
			}
			noOverflow(t, bctx, "the refused private key")
			shoot(t, bctx, sc, "key-refused")
			if out := ok(t, e, "user", "show", "alice"); strings.Contains(out, "PGP") || strings.Contains(strings.ToLower(out), "key:") {
				t.Errorf("a refused private key shows in user show:\n%s", out)
			}

			if err := chromedp.Do(bctx,
				chromedp.SetUploadFiles(chromedp.CSS(`#key-form input[name="keyfile"]`), []string{file}),
				chromedp.Click(chromedp.ID("key-upload")),
				chromedp.WaitVisible(`//p[contains(., "Your key is set")]`),
			); err != nil {
				t.Fatalf("upload the key file: %v", err)
			}
			shown, err := chromedp.Run(bctx, chromedp.Text(chromedp.ID("key-fingerprint")))
			if err != nil {
				t.Fatal(err)
			}
			parleyFpr, err := chromedp.Run(bctx, chromedp.Text(chromedp.ID("parley-fingerprint")))
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(strings.Fields(shown), " ") != groups {
				t.Errorf("fingerprint shown %q, want %q", shown, groups)
			}
			if len(strings.Fields(parleyFpr)) != 10 {
				t.Errorf("parley's fingerprint shown %q, want 10 groups of four", parleyFpr)
			}
			noOverflow(t, bctx, "the key section")
			shoot(t, bctx, sc, "key")

			if err := chromedp.Do(bctx,
				chromedp.Navigate(page+"/rooms/design"),
				chromedp.WaitVisible(chromedp.ID("confidential")),
			); err != nil {
				t.Fatalf("the room with a key: %v", err)
			}
			if n, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll('#confidential a[href="/me#encryption"]').length`)); err != nil || n != 0 {
				t.Errorf("the room still sends a member with a key to the profile (%d, %v)", n, err)
			}
			if err := chromedp.Do(bctx,
				chromedp.Navigate(page+"/me#encryption"),
				chromedp.Click(`//details[@class="remove"]/summary`),
				chromedp.WaitVisible(chromedp.ID("key-remove")),
			); err != nil {
				t.Fatalf("open Remove my key: %v", err)
			}
			noOverflow(t, bctx, "the remove confirmation")
			shoot(t, bctx, sc, "key-remove")
			if err := chromedp.Do(bctx,
				chromedp.Click(chromedp.ID("key-remove")),
				chromedp.WaitVisible(`//p[contains(., "Your key is removed")]`),
				chromedp.WaitVisible(chromedp.ID("no-key")),
			); err != nil {
				t.Fatalf("remove the key: %v", err)
			}
		})
	}
}
