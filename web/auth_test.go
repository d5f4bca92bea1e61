package web

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"parley/threads"
)

// get fetches a page with b and returns the status and body.
func (b *browser) fetch(t *testing.T, method, u string, form url.Values) (*http.Response, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, u, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return b.send(t, req)
}

// send sends req and returns the answer with its body read.
func (b *browser) send(t *testing.T, req *http.Request) (*http.Response, string) {
	t.Helper()
	res, err := b.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	return res, string(data)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// formToken reads the CSRF token of the first form on a page.
func formToken(t *testing.T, page string) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF field in:\n%s", page)
	}
	return m[1]
}

// claimLink waits for a sign-in notice to addr and returns its link.
func (e *webEnv) claimLink(addr string) string {
	e.t.Helper()
	var link string
	waitFor(e.t, "a sign-in notice to "+addr, func() bool {
		ns, err := e.store.Queue.ClaimNotices(e.ctx, "test", 10, time.Minute)
		if err != nil {
			e.t.Fatal(err)
		}
		for _, n := range ns {
			_ = e.store.Queue.AckNotice(e.ctx, n)
			e.noticed = append(e.noticed, n.To)
			if n.To == addr && n.Kind == threads.NoticeSignIn {
				link = n.Link
			}
		}
		return link != ""
	})
	return link
}

func TestSignInByEmailedLink(t *testing.T) {
	e := newWebEnv(t, nil)
	b := e.browser("")
	res, _ := b.fetch(t, "GET", e.srv.URL+"/", nil)
	if res.StatusCode != 303 || res.Header.Get("Location") != "/signin" {
		t.Fatalf("/ without a session: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	_, page := b.fetch(t, "GET", e.srv.URL+"/signin", nil)
	csrf := formToken(t, page)

	// A known and an unknown address get the same answer.
	_, known := b.fetch(t, "POST", e.srv.URL+"/signin", url.Values{"csrf": {csrf}, "email": {"Alice@Example.org"}})
	_, unknown := b.fetch(t, "POST", e.srv.URL+"/signin", url.Values{"csrf": {csrf}, "email": {"mallory@example.org"}})
	if strings.ReplaceAll(known, "alice@example.org", "X") != strings.ReplaceAll(unknown, "mallory@example.org", "X") ||
		!strings.Contains(known, "If alice@example.org belongs to a member") {
		t.Errorf("the answers differ:\n%s\n---\n%s", known, unknown)
	}
	link := e.claimLink("alice@example.org")
	if !strings.HasPrefix(link, "http://parley.test/signin/") {
		t.Fatalf("link %q", link)
	}
	path := strings.TrimPrefix(link, "http://parley.test")
	// Opening the link (a mail scanner does) changes nothing.
	for range 2 {
		res, page = b.fetch(t, "GET", e.srv.URL+path, nil)
		if res.StatusCode != 200 || !strings.Contains(page, `id="signin-confirm"`) {
			t.Fatalf("GET link: %d %s", res.StatusCode, page)
		}
	}
	csrf = formToken(t, page)
	// Without the form's token (login CSRF), nothing happens.
	res, _ = b.fetch(t, "POST", e.srv.URL+path, url.Values{})
	if res.StatusCode != 403 {
		t.Errorf("POST link without CSRF: %d", res.StatusCode)
	}
	res, _ = b.fetch(t, "POST", e.srv.URL+path, url.Values{"csrf": {csrf}})
	if res.StatusCode != 303 || res.Header.Get("Location") != "/" {
		t.Fatalf("sign in: %d %v", res.StatusCode, res.Header)
	}
	var cookie *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == sessionCookie {
			cookie = c
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.Secure || cookie.MaxAge < 86400 {
		t.Fatalf("session cookie %+v", cookie)
	}
	if log, err := e.store.Directory.AuditLog(e.ctx, threads.AuditFilter{Action: "signin"}); err != nil || len(log) != 1 || log[0].Actor != "alice" {
		t.Errorf("audit of the sign-in: %v %+v", err, log)
	}
	res, page = b.fetch(t, "GET", e.srv.URL+"/", nil)
	if res.StatusCode != 200 || !strings.Contains(page, `href="/rooms/design"`) || strings.Contains(page, `href="/rooms/other"`) {
		t.Fatalf("home after sign-in: %d %s", res.StatusCode, page)
	}
	// The link works once.
	other := e.browser("")
	_, page = other.fetch(t, "GET", e.srv.URL+path, nil)
	res, page = other.fetch(t, "POST", e.srv.URL+path, url.Values{"csrf": {formToken(t, page)}})
	if res.StatusCode != 400 || !strings.Contains(page, "used already") {
		t.Errorf("second use: %d %s", res.StatusCode, page)
	}
	// Nothing was queued for the unknown address, nor for a disabled member.
	if _, err := e.store.Directory.UpdateUser(e.ctx, "bob", func(u *threads.User) error { u.Disabled = true; return nil }); err != nil {
		t.Fatal(err)
	}
	c := e.browser("")
	_, page = c.fetch(t, "GET", e.srv.URL+"/signin", nil)
	csrf = formToken(t, page)
	c.fetch(t, "POST", e.srv.URL+"/signin", url.Values{"csrf": {csrf}, "email": {"bob@example.org"}})
	c.fetch(t, "POST", e.srv.URL+"/signin", url.Values{"csrf": {csrf}, "email": {"carol@example.org"}})
	e.claimLink("carol@example.org") // queued after bob's would have been
	if got := strings.Join(e.noticed, ","); got != "alice@example.org,carol@example.org" {
		t.Errorf("sign-in notices went to %s", got)
	}
	// A form without the cookie's token, and a malformed address.
	res, _ = e.browser("").fetch(t, "POST", e.srv.URL+"/signin", url.Values{"csrf": {csrf}, "email": {"alice@example.org"}})
	if res.StatusCode != 403 {
		t.Errorf("sign-in form from another site: %d", res.StatusCode)
	}
	res, page = c.fetch(t, "POST", e.srv.URL+"/signin", url.Values{"csrf": {csrf}, "email": {"not an address"}})
	if res.StatusCode != 400 || !strings.Contains(page, "not an email address") {
		t.Errorf("bad address: %d", res.StatusCode)
	}
	// Signing out ends the session.
	_, page = b.fetch(t, "GET", e.srv.URL+"/", nil)
	res, _ = b.fetch(t, "POST", e.srv.URL+"/signout", url.Values{"csrf": {formToken(t, page)}})
	if res.StatusCode != 303 || res.Header.Get("Location") != "/signin" {
		t.Fatalf("sign out: %d", res.StatusCode)
	}
	req, _ := http.NewRequest("GET", e.srv.URL+"/api/me", nil)
	req.AddCookie(cookie)
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != 401 {
		t.Errorf("old session after sign-out: %v %v", res.StatusCode, err)
	}
}

func TestSecureCookiesOverHTTPS(t *testing.T) {
	e := newWebEnv(t, func(o *Options) { o.PublicURL = "https://chat.example.org" })
	res, _ := e.browser("").fetch(t, "GET", e.srv.URL+"/signin", nil)
	c := res.Cookies()
	if len(c) != 1 || c[0].Name != preCookie || !c[0].Secure || !c[0].HttpOnly {
		t.Fatalf("cookies %+v", c)
	}
}

func TestCSRFAndDisabledMembers(t *testing.T) {
	e := newWebEnv(t, nil)
	b := e.browser("alice")
	post := func(header string) int {
		req, _ := http.NewRequest("POST", e.srv.URL+"/api/rooms/design/lines", strings.NewReader(`{"text":"hi"}`))
		req.Header.Set("Content-Type", "application/json")
		if header != "" {
			req.Header.Set("X-CSRF-Token", header)
		}
		res, err := b.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if st := post(""); st != 403 {
		t.Errorf("session POST without CSRF header: %d", st)
	}
	if st := post("forged"); st != 403 {
		t.Errorf("session POST with a wrong CSRF header: %d", st)
	}
	if st := post(b.csrf); st != 201 {
		t.Errorf("session POST with the CSRF header: %d", st)
	}
	// Forms need the token too.
	res, _ := b.fetch(t, "POST", e.srv.URL+"/rooms/design/lines", url.Values{"text": {"hi"}})
	if res.StatusCode != 403 {
		t.Errorf("form without CSRF: %d", res.StatusCode)
	}
	res, _ = b.fetch(t, "POST", e.srv.URL+"/me/status", url.Values{"csrf": {"x"}, "availability": {"away"}})
	if res.StatusCode != 403 {
		t.Errorf("status form with a wrong CSRF token: %d", res.StatusCode)
	}
	// A disabled member's session and tokens stop working.
	if _, err := e.store.Directory.UpdateUser(e.ctx, "alice", func(u *threads.User) error { u.Disabled = true; return nil }); err != nil {
		t.Fatal(err)
	}
	res, _ = b.fetch(t, "GET", e.srv.URL+"/api/me", nil)
	if res.StatusCode != 403 {
		t.Errorf("disabled member's session: %d", res.StatusCode)
	}
	st, body := e.do("alice", "GET", "/api/rooms", nil)
	e.want(403, "disabled", st, body, "disabled member's token")
	if _, err := e.store.Directory.UpdateUser(e.ctx, "alice", func(u *threads.User) error { u.Disabled = false; return nil }); err != nil {
		t.Fatal(err)
	}
	res, _ = b.fetch(t, "GET", e.srv.URL+"/", nil)
	if res.StatusCode != 303 {
		t.Errorf("the session came back after re-enabling: %d", res.StatusCode)
	}
	// Disabling revokes for good: a session nobody used while bob was
	// disabled, and his API token, do not come back when he is enabled.
	quiet := e.browser("bob")
	if _, err := e.store.Directory.DisableUser(e.ctx, "cli", "bob"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.Directory.EnableUser(e.ctx, "cli", "bob"); err != nil {
		t.Fatal(err)
	}
	res, _ = quiet.fetch(t, "GET", e.srv.URL+"/api/me", nil)
	if res.StatusCode != 401 {
		t.Errorf("an untouched session after disable and enable: %d, want 401", res.StatusCode)
	}
	st, body = e.do("bob", "GET", "/api/rooms", nil)
	if st != 401 {
		t.Errorf("an API token after disable and enable: %d %s, want 401", st, body)
	}
	if _, _, err := e.store.Auth.NewSession(e.ctx, "bob"); err != nil {
		t.Errorf("a new session after enable: %v", err)
	}
	// An API token does not open the page.
	req, _ := http.NewRequest("GET", e.srv.URL+"/", nil)
	req.Header.Set("Authorization", "Bearer "+e.tokens["bob"])
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != 401 {
		t.Errorf("page with a bearer token: %v %v", res.StatusCode, err)
	}
}
