package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"parley/threads"
)

var tags = regexp.MustCompile(`<[^>]*>`)

// text is a page without its tags and with spaces squeezed: what a reader sees.
func text(page string) string {
	return html.UnescapeString(strings.Join(strings.Fields(tags.ReplaceAllString(page, "")), " "))
}

func TestRoomPage(t *testing.T) {
	e := newWebEnv(t, nil)
	if _, err := e.store.Chat.SetStatus(e.ctx, "bob", threads.Status{Availability: threads.Away, Text: "at the clinic"}); err != nil {
		t.Fatal(err)
	}
	e.post("design", "alice", "The header is on <staging>")
	if _, err := e.store.Chat.Post(e.ctx, threads.NewLine{Room: "design", Author: "bob", Text: "Looks good", Origin: threads.FromEmail}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.Chat.Post(e.ctx, threads.NewLine{Room: "design", Author: "bob", Text: "Wire it to IBAN X", Origin: threads.FromEmail, Unverified: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.Chat.Post(e.ctx, threads.NewLine{Room: "design", Author: "bob", Text: "Bob is away: at the clinic", Origin: threads.FromSystem}); err != nil {
		t.Fatal(err)
	}
	st, body := e.upload("bob", "design", "dot.png", "image/png", png, "")
	if st != 201 {
		t.Fatal(st, body)
	}
	b := e.browser("alice")
	res, page := b.fetch(t, "GET", e.srv.URL+"/rooms/design", nil)
	if res.StatusCode != 200 {
		t.Fatalf("room page: %d %s", res.StatusCode, page)
	}
	seen := text(page)
	for _, want := range []string{
		"Alice: The header is on <staging>",
		"Bob: Looks good",
		"Bob: unverified Wire it to IBAN X", // an email whose domain did not vouch for it (issue 20)
		"Bob: away “at the clinic” — by email",
		"Alice: offline", // a page fetched is not a person at it (the script says when one is)
		fmt.Sprintf("Bob: dot.png (image/png, %d bytes) show", len(png)),
	} {
		if !strings.Contains(seen, want) {
			t.Errorf("the page does not show %q:\n%s", want, seen)
		}
	}
	for _, want := range []string{`class="line o-email"`, `class="line o-system"`, `&lt;staging&gt;`,
		`href="/api/rooms/design/files/`, `<time datetime="`, `data-live="1"`, `<script src="/static/app.js?v=`} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	if res.Header.Get("Content-Security-Policy") == "" || res.Header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("headers %v", res.Header)
	}
	// The room of others is not there.
	res, page = b.fetch(t, "GET", e.srv.URL+"/rooms/other", nil)
	if res.StatusCode != 404 || strings.Contains(page, "Carol") || !strings.Contains(page, "not a member") {
		t.Errorf("someone else's room: %d %s", res.StatusCode, page)
	}
}

func TestPageFormsWithoutScript(t *testing.T) {
	e := newWebEnv(t, nil)
	b := e.browser("alice")
	_, page := b.fetch(t, "GET", e.srv.URL+"/rooms/design", nil)
	csrf := formToken(t, page)
	res, _ := b.fetch(t, "POST", e.srv.URL+"/rooms/design/lines", url.Values{"csrf": {csrf}, "text": {"posted from a form\r\n"}})
	if res.StatusCode != 303 || res.Header.Get("Location") != "/rooms/design#end" {
		t.Fatalf("post form: %d %v", res.StatusCode, res.Header)
	}
	if ls, _ := e.store.Chat.Lines(e.ctx, "design", threads.Range{}); len(ls) != 1 || ls[0].Text != "posted from a form" || ls[0].Origin != threads.FromWeb {
		t.Errorf("lines %+v", ls)
	}
	res, page = b.fetch(t, "POST", e.srv.URL+"/rooms/design/lines", url.Values{"csrf": {csrf}, "text": {"   "}})
	if res.StatusCode != 400 || !strings.Contains(page, "line is empty") {
		t.Errorf("empty line: %d %s", res.StatusCode, page)
	}
	res, _ = b.fetch(t, "POST", e.srv.URL+"/me/status", url.Values{"csrf": {csrf}, "availability": {"away"},
		"text": {"on a train"}, "until": {"3h"}, "back": {"/rooms/design"}})
	if res.StatusCode != 303 || res.Header.Get("Location") != "/rooms/design?status=set" {
		t.Fatalf("status form: %d %v", res.StatusCode, res.Header)
	}
	if p, _ := e.store.Chat.Presence(e.ctx, "alice"); p.State != threads.StateAway || p.Text() != "on a train" {
		t.Errorf("presence %+v", p)
	}
	res, _ = b.fetch(t, "POST", e.srv.URL+"/me/status", url.Values{"csrf": {csrf}, "availability": {"available"}, "back": {"//evil.example/"}})
	if res.Header.Get("Location") != "/?status=set" {
		t.Errorf("status form sent the browser to %q", res.Header.Get("Location"))
	}
	// A file from the form.
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("csrf", csrf)
	fw, _ := mw.CreateFormFile("file", "notes.txt")
	_, _ = fw.Write([]byte("minutes of the meeting"))
	_ = mw.Close()
	req, _ := http.NewRequest("POST", e.srv.URL+"/rooms/design/files", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	res, err := b.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 303 {
		t.Fatalf("upload form: %d", res.StatusCode)
	}
	if ls, _ := e.store.Chat.Lines(e.ctx, "design", threads.Range{Newest: true, Limit: 1}); len(ls[0].Attachments) != 1 || ls[0].Attachments[0].Type != "text/plain" {
		t.Errorf("uploaded line %+v", ls)
	}

	// Profile.
	res, _ = b.fetch(t, "POST", e.srv.URL+"/me", url.Values{"csrf": {csrf}, "name": {"Alice Archer"}, "title": {"Designer"},
		"team": {"Web"}, "interests": {"go, typography,,Go"}, "tz": {"Europe/Berlin"}, "phone": {""}})
	if res.StatusCode != 303 {
		t.Fatalf("profile form: %d", res.StatusCode)
	}
	if u, _ := e.store.Directory.User(e.ctx, "alice"); u.Name != "Alice Archer" || strings.Join(u.Profile.Interests, "|") != "go|typography" || u.TimeZone != "Europe/Berlin" {
		t.Errorf("user %+v", u)
	}
	res, page = b.fetch(t, "POST", e.srv.URL+"/me", url.Values{"csrf": {csrf}, "name": {"Alice"}, "tz": {"Nowhere/Land"}})
	if res.StatusCode != 400 || !strings.Contains(page, "Nowhere/Land") || !strings.Contains(page, "time zone") {
		t.Errorf("bad profile: %d %s", res.StatusCode, text(page))
	}

	// Tokens: made, shown once, revoked.
	_, page = b.fetch(t, "POST", e.srv.URL+"/tokens", url.Values{"csrf": {csrf}, "name": {"my script"}})
	m := regexp.MustCompile(`<code id="new-token">(pat_[^<]+)</code>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no new token on:\n%s", page)
	}
	e.tokens["script"] = m[1]
	if st, body := e.do("script", "GET", "/api/me", nil); st != 200 || !strings.Contains(body, `"id":"alice"`) {
		t.Errorf("the new token: %d %s", st, body)
	}
	_, page = b.fetch(t, "GET", e.srv.URL+"/tokens", nil)
	if strings.Contains(page, m[1]) || !strings.Contains(page, "my script") {
		t.Errorf("tokens page shows the secret again, or not the token")
	}
	list, _ := e.store.Auth.APITokens(e.ctx, "alice")
	for _, tk := range list {
		res, _ = b.fetch(t, "POST", e.srv.URL+"/tokens/"+tk.ID+"/revoke", url.Values{"csrf": {csrf}})
		if res.StatusCode != 303 {
			t.Errorf("revoke: %d", res.StatusCode)
		}
	}
	if st, _ := e.do("script", "GET", "/api/me", nil); st != 401 {
		t.Errorf("revoked token: %d", st)
	}
}

// TestPageWeight measures the first load of a busy room as a browser on
// a slow link gets it: the HTML, the style sheet and the script, gzipped.
func TestPageWeight(t *testing.T) {
	e := newWebEnv(t, nil)
	// Lines of 8 to 30 words drawn at random, so gzip gets no easy repeats.
	words := strings.Fields("the header on staging looks right but footer still needs new address and a darker link colour " +
		"can we ship friday after review I will call printer before noon budget meeting moved to Thursday please check " +
		"mobile layout images are too large on slow links send me photos from site visit contract draft attached")
	rnd := rand.New(rand.NewPCG(1, 2))
	for i := range 60 {
		n := 8 + rnd.IntN(23)
		line := make([]string, n)
		for j := range line {
			line[j] = words[rnd.IntN(len(words))]
		}
		e.post("design", []string{"alice", "bob"}[i%2], fmt.Sprintf("%d %s", rnd.IntN(100000), strings.Join(line, " ")))
	}
	b := e.browser("alice")
	total, raw := 0, 0
	for _, path := range []string{"/rooms/design", "/static/style.css?v=" + assetVersion, "/static/app.js?v=" + assetVersion} {
		req, _ := http.NewRequest("GET", e.srv.URL+path, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		res, err := b.Transport().RoundTrip(addCookies(b, req))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || res.Header.Get("Content-Encoding") != "gzip" {
			t.Fatalf("%s: %d, encoding %q", path, res.StatusCode, res.Header.Get("Content-Encoding"))
		}
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		plain, _ := io.ReadAll(zr)
		if strings.HasPrefix(path, "/static/app.js") && len(plain) > 15<<10 {
			t.Errorf("app.js is %d bytes; the limit is 15 KB", len(plain))
		}
		if strings.Contains(string(plain), "http://") || strings.Contains(string(plain), "https://") {
			t.Errorf("%s refers to an outside resource", path)
		}
		total += len(body)
		raw += len(plain)
		t.Logf("%s: %d bytes, %d gzipped", strings.Split(path, "?")[0], len(plain), len(body))
	}
	t.Logf("first load of a room with 50 lines shown: %d bytes (%d before gzip), %.1f s at 56 kbit/s", total, raw, float64(total*8)/56000)
	if total > 60<<10 {
		t.Errorf("first load is %d bytes; the limit is 60 KB", total)
	}
}

// addCookies puts the browser's cookies on a request sent around its jar.
func addCookies(b *browser, req *http.Request) *http.Request {
	for _, c := range b.Jar.Cookies(req.URL) {
		req.AddCookie(c)
	}
	return req
}

func (b *browser) Transport() http.RoundTripper {
	if b.Client.Transport != nil {
		return b.Client.Transport
	}
	return http.DefaultTransport
}

// TestProfileFormPreferences: the profile page sets channels per state,
// quiet hours and auto-reply, and shows a refused preference's reason.
func TestProfileFormPreferences(t *testing.T) {
	e := newWebEnv(t, nil)
	b := e.browser("alice")
	form := func(away string) url.Values {
		return url.Values{"csrf": {b.csrf}, "name": {"Alice"}, "digest": {"daily"}, "digest_hour": {"8"},
			"away": {away}, "offline": {"email"}, "quiet_from": {"22:00"}, "quiet_to": {"07:00"}, "quiet_mode": {"hold-all"}, "auto_reply": {"off"}}
	}
	res, page := b.fetch(t, "POST", e.srv.URL+"/me", form("sms"))
	if res.StatusCode != 400 || !strings.Contains(text(page), "away=sms needs a verified phone") {
		t.Fatalf("away=sms without a phone: %d %s", res.StatusCode, text(page))
	}
	if res, page = b.fetch(t, "POST", e.srv.URL+"/me", form("digest")); res.StatusCode != 303 {
		t.Fatalf("save: %d %s", res.StatusCode, text(page))
	}
	u, _ := e.store.Directory.User(e.ctx, "alice")
	if u.Prefs.Channels[threads.StateAway] != threads.Hold || u.Prefs.Channels[threads.StateOffline] != threads.Email ||
		u.Prefs.Quiet == nil || u.Prefs.Quiet.Mode != threads.QuietHoldAll || u.Prefs.AutoReply != "off" {
		t.Fatalf("stored prefs %+v", u.Prefs)
	}
	if _, page = b.fetch(t, "GET", e.srv.URL+"/me", nil); !strings.Contains(page, `<option value="digest" selected>`) {
		t.Errorf("the form does not show the saved preference:\n%s", page)
	}
}

// TestRoomPageShowsEscalation: a line that needs bob (away, by email, with
// a verified phone) shows in the members list when it escalates to text.
func TestRoomPageShowsEscalation(t *testing.T) {
	e := newWebEnv(t, nil)
	if _, err := e.store.Directory.UpdateUser(e.ctx, "bob", func(u *threads.User) error {
		u.Phone, u.PhoneVerified = "+15550003333", true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.Chat.SetStatus(e.ctx, "bob", threads.Status{Availability: threads.Away}); err != nil {
		t.Fatal(err)
	}
	b := e.browser("alice")
	_, page := b.fetch(t, "GET", e.srv.URL+"/rooms/design", nil)
	if strings.Contains(text(page), "escalates") {
		t.Fatalf("an escalation before any line:\n%s", text(page))
	}
	e.post("design", "alice", "@bob can you sign the form?")
	_, page = b.fetch(t, "GET", e.srv.URL+"/rooms/design", nil)
	// The time, with its date when it falls on another day than now (a
	// line posted after 23:30 escalates tomorrow).
	if seen := text(page); !regexp.MustCompile(`Bob: away — by email · escalates to text at ([A-Z][a-z]{2} \d{1,2}, )?\d\d:\d\d`).MatchString(seen) {
		t.Errorf("the members list does not show bob's escalation:\n%s", seen)
	}
}

// TestLineDeliveryAPI: the sender reads how their line went to each member
// and when it escalates; a non-member gets 404, a bad line id 400.
func TestLineDeliveryAPI(t *testing.T) {
	e := newWebEnv(t, nil)
	if _, err := e.store.Directory.UpdateUser(e.ctx, "bob", func(u *threads.User) error {
		u.Phone, u.PhoneVerified = "+15550003333", true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.Chat.SetStatus(e.ctx, "bob", threads.Status{Availability: threads.Away}); err != nil {
		t.Fatal(err)
	}
	l := e.post("design", "alice", "@bob can you sign the form?")
	st, body := e.do("alice", "GET", "/api/rooms/design/lines/"+l.ID+"/delivery", nil)
	var v deliveryView
	if err := json.Unmarshal([]byte(body), &v); st != 200 || err != nil {
		t.Fatalf("%d %s (%v)", st, body, err)
	}
	if r := v.Reached["bob"]; len(r) != 1 || r[0].Channel != threads.Email || v.Escalates["bob"].Channel != threads.SMS {
		t.Errorf("delivery %+v", v)
	}
	if st, body := e.do("carol", "GET", "/api/rooms/design/lines/"+l.ID+"/delivery", nil); st != 404 {
		t.Errorf("a non-member: %d %s", st, body)
	}
	if st, body := e.do("alice", "GET", "/api/rooms/design/lines/nope/delivery", nil); st != 400 || !strings.Contains(body, "line id") {
		t.Errorf("a bad line id: %d %s", st, body)
	}
}

// TestPageSheets: every page's inline style is allowed by its own CSP
// hash, and the profile page's rules (its key section) stay on that page.
func TestPageSheets(t *testing.T) {
	e := newWebEnv(t, nil)
	b := e.browser("alice")
	for _, c := range []struct {
		path string
		keys bool
	}{{"/rooms/design", false}, {"/me", true}, {"/", false}} {
		res, body := b.fetch(t, "GET", e.srv.URL+c.path, nil)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", c.path, res.StatusCode)
		}
		_, rest, _ := strings.Cut(body, "<style>")
		css, _, ok := strings.Cut(rest, "</style>")
		if !ok {
			t.Fatalf("%s has no inline style", c.path)
		}
		sum := sha256.Sum256([]byte(css))
		if want := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"; !strings.Contains(res.Header.Get("Content-Security-Policy"), want) {
			t.Errorf("%s: CSP %q does not allow its style (%s)", c.path, res.Header.Get("Content-Security-Policy"), want)
		}
		if got := strings.Contains(css, ".keys dl"); got != c.keys {
			t.Errorf("%s: key section rules inlined = %v, want %v", c.path, got, c.keys)
		}
	}
}
