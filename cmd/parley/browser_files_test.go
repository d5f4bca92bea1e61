package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/http"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"parley/internal/blobs"
	"parley/internal/testpeers/browserpeer"
	"parley/threads"
)

// TestBrowserFiles: alice uploads two files on the page, one within
// PARLEY_ATTACH_MAX and one beyond it. Bob (away) gets the small one
// attached to his relay email and the large one as a signed link; carol
// (offline, texted) gets both as links in her text. The links download the
// same bytes over HTTP without a session; an expired link answers 410;
// bob's link stops when he leaves the room; after retention (run as serve
// runs it, through the blob store) the files are gone from PARLEY_BLOB_DIR
// and carol's links answer 404/410.
func TestBrowserFiles(t *testing.T) {
	browserpeer.Path(t)
	blobDir := t.TempDir()
	e := redisEnv(t).with("PARLEY_BLOB_DIR", blobDir, "PARLEY_ATTACH_MAX", "1000",
		"PARLEY_BATCH_WINDOW", "0s", "PARLEY_SMS_WINDOW", "0s")
	e, page := browserServe(t, e)
	ok(t, e, "user", "add", "--id", "carol", "--name", "Carol Bell", "--phone", "+15550002222", "--email", "carol@example.org")
	ok(t, e, "room", "add-member", "design", "carol")
	ok(t, e, "presence", "set", "bob", "away", "--message", "at the clinic")

	small := []byte("Site plan, v3\n1. Header: smaller logo.\n2. Launch: Friday.\n")
	large := bytes.Repeat([]byte("PNG-ish bytes of a large photo\n"), 100) // 3100 bytes > 1000
	dir := t.TempDir()
	smallPath, largePath := filepath.Join(dir, "plan.txt"), filepath.Join(dir, "photo.bin")
	if err := os.WriteFile(smallPath, small, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(largePath, large, 0o644); err != nil {
		t.Fatal(err)
	}

	bctx, stopBrowser := browserpeer.Start(t, 1100, 800)
	defer stopBrowser()
	bctx, stopTimeout := context.WithTimeout(bctx, 120*time.Second)
	defer stopTimeout()
	browserSignIn(t, e, bctx, page, "alice@example.org")
	if err := chromedp.Do(bctx,
		chromedp.Navigate(page+"/rooms/design"),
		chromedp.WaitVisible(chromedp.ID("post-text")),
	); err != nil {
		t.Fatalf("open the room: %v", err)
	}
	for _, f := range []struct{ path, name, text string }{
		{smallPath, "plan.txt", "@carol the plan"},
		{largePath, "photo.bin", "@carol the photo"},
	} {
		if err := chromedp.Do(bctx,
			chromedp.Click(chromedp.CSS(`details.upload summary`)),
			chromedp.SetUploadFiles(chromedp.CSS(`details.upload input[name="file"]`), []string{f.path}),
			chromedp.SendKeys(chromedp.CSS(`details.upload input[name="text"]`), f.text),
			chromedp.Click(chromedp.CSS(`details.upload button`)),
			chromedp.WaitVisible(chromedp.ID("post-text")),
			chromedp.WaitVisible(`//li[contains(@class,"line")][contains(., "`+f.name+`")]`),
		); err != nil {
			t.Fatalf("upload %s: %v", f.name, err)
		}
	}
	shoot(t, bctx, screens[0], "files")

	// Bob's relay emails: plan.txt attached, photo.bin as a link.
	linkRE := regexp.MustCompile(regexp.QuoteMeta(page) + `/f/[A-Za-z0-9~._-]+/[A-Za-z0-9._-]+`)
	var attached []byte
	var bobLink, carolText string
	waitFor(t, "bob's emails and carol's texts", 30*time.Second, func() bool {
		var entries []threads.OutboxEntry
		if err := json.Unmarshal([]byte(ok(t, e, "outbox", "list", "--json")), &entries); err != nil {
			t.Fatal(err)
		}
		carolText = ""
		for _, en := range entries {
			switch {
			case en.Channel == threads.Email && en.To == "bob@example.org":
				texts, files := mailParts(t, en.Body)
				if a, found := files["plan.txt"]; found {
					attached = a
				}
				for _, tx := range texts {
					for _, l := range linkRE.FindAllString(tx, -1) {
						if strings.HasSuffix(l, "/photo.bin") {
							bobLink = l
						}
					}
				}
			case en.Channel == threads.SMS && en.To == "+15550002222":
				carolText += en.Body + "\n"
			}
		}
		return attached != nil && bobLink != "" && strings.Contains(carolText, "/plan.txt") && strings.Contains(carolText, "/photo.bin")
	})
	if !bytes.Equal(attached, small) {
		t.Errorf("bob's attachment = %q, want %q", attached, small)
	}
	carolLinks := linkRE.FindAllString(carolText, -1)
	if len(carolLinks) != 2 {
		t.Fatalf("carol's texts hold %d links, want 2:\n%s", len(carolLinks), carolText)
	}
	want := map[string][]byte{"plan.txt": small, "photo.bin": large}

	// Without a session: the same bytes, as an attachment.
	fetch := func(link string) (int, []byte, http.Header) {
		t.Helper()
		resp, err := http.Get(link) // a fresh client: no cookie
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b, resp.Header
	}
	for _, l := range append([]string{bobLink}, carolLinks...) {
		code, b, h := fetch(l)
		name := l[strings.LastIndex(l, "/")+1:]
		if code != http.StatusOK || !bytes.Equal(b, want[name]) {
			t.Errorf("GET %s: %d, %d bytes, want 200 and the uploaded %d bytes", l, code, len(b), len(want[name]))
		}
		if !strings.HasPrefix(h.Get("Content-Disposition"), "attachment") || h.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s headers: %v", l, h)
		}
	}

	// Expired: the same link for carol with an expiry in the past, signed
	// with the deployment's secret, answers 410.
	_, rdb := storeFor(t, e)
	signer := threads.New(rdb, threads.Options{Prefix: e["PARLEY_KEY_PREFIX"], Secret: []byte(e["PARLEY_SECRET"])})
	ctx := context.Background()
	tok := carolLinks[0][len(page+"/f/"):]
	tok = tok[:strings.Index(tok, "/")]
	claim, err := threads.ParseFileToken(tok)
	if err != nil {
		t.Fatal(err)
	}
	g, err := signer.Auth.ResolveFileToken(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	carol, err := signer.Directory.User(ctx, "carol")
	if err != nil {
		t.Fatal(err)
	}
	old, err := signer.Auth.FileToken(claim.FileRef, g.File.ID, carol.TokenGen, time.Now().Add(-time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if code, b, _ := fetch(page + "/f/" + old + "/" + g.File.Name); code != http.StatusGone || bytes.Equal(b, want[g.File.Name]) ||
		!bytes.Contains(b, []byte(`id="filelink-fresh"`)) {
		t.Errorf("expired link: %d %q, want 410 without the file, offering a fresh link", code, b)
	}

	// Bob leaves the room: his link stops; carol's still work.
	ok(t, e, "room", "remove-member", "design", "bob")
	if code, b, _ := fetch(bobLink); code == http.StatusOK || bytes.Equal(b, large) {
		t.Errorf("bob's link after he left: %d", code)
	}
	if code, _, _ := fetch(carolLinks[1]); code != http.StatusOK {
		t.Errorf("carol's link after bob left: %d", code)
	}

	// Retention, as serve runs it: the lines go, then their files from the
	// blob store; the blob files leave PARLEY_BLOB_DIR and the links stop.
	ok(t, e, "admin", "retention", "1")
	later := threads.New(rdb, threads.Options{Prefix: e["PARLEY_KEY_PREFIX"], Now: func() time.Time { return time.Now().Add(49 * time.Hour) }})
	if _, err := later.Chat.ApplyRetentionByRoom(ctx); err != nil {
		t.Fatal(err)
	}
	files, err := blobs.New(blobDir, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	deleteGoneFiles(ctx, later.Chat, files, slog.New(slog.NewTextHandler(io.Discard, nil)))
	for name, b := range want {
		sum := sha256.Sum256(b)
		id := hex.EncodeToString(sum[:])
		if _, err := os.Stat(filepath.Join(blobDir, id[:2], id)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s is still in PARLEY_BLOB_DIR after retention (%v)", name, err)
		}
	}
	for _, l := range carolLinks {
		if code, _, _ := fetch(l); code != http.StatusNotFound && code != http.StatusGone {
			t.Errorf("GET %s after retention: %d, want 404 or 410", l, code)
		}
	}
}

// mailParts returns the decoded text parts of an RFC 5322 message and its
// attachments by file name.
func mailParts(t *testing.T, raw string) ([]string, map[string][]byte) {
	t.Helper()
	m, err := mail.ReadMessage(strings.NewReader(raw))
	if err != nil {
		t.Fatalf("outbox email: %v", err)
	}
	var texts []string
	files := map[string][]byte{}
	var walk func(h map[string][]string, body io.Reader)
	walk = func(h map[string][]string, body io.Reader) {
		get := func(k string) string {
			if v := h[k]; len(v) > 0 {
				return v[0]
			}
			return ""
		}
		mt, params, _ := mime.ParseMediaType(get("Content-Type"))
		if strings.HasPrefix(mt, "multipart/") {
			r := multipart.NewReader(body, params["boundary"])
			for {
				p, err := r.NextRawPart()
				if err != nil {
					return
				}
				walk(p.Header, p)
			}
		}
		switch strings.ToLower(get("Content-Transfer-Encoding")) {
		case "base64":
			body = base64.NewDecoder(base64.StdEncoding, body)
		case "quoted-printable":
			body = quotedprintable.NewReader(body)
		}
		b, err := io.ReadAll(body)
		if err != nil {
			t.Fatalf("outbox email part: %v", err)
		}
		if _, dp, err := mime.ParseMediaType(get("Content-Disposition")); err == nil && dp["filename"] != "" {
			files[dp["filename"]] = b
			return
		}
		if mt == "" || strings.HasPrefix(mt, "text/") {
			texts = append(texts, string(b))
		}
	}
	walk(m.Header, m.Body)
	return texts, files
}
