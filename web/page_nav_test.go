package web

import (
	"net/url"
	"strings"
	"testing"
)

// TestSignInReturnsToThePage: a room opened while signed out is where the
// browser lands after the sign-in; a next= that leads off the site is
// ignored.
func TestSignInReturnsToThePage(t *testing.T) {
	tests := []struct{ next, want string }{
		{"/rooms/design?before=1-0", "/rooms/design?before=1-0"},
		{"//evil.example/x", "/"},
		{"https://evil.example/", "/"},
		{"/\\evil.example", "/"},
	}
	e := newWebEnv(t, nil)
	for _, tt := range tests {
		b := e.browser("")
		if tt.want != "/" {
			res, _ := b.fetch(t, "GET", e.srv.URL+tt.next, nil)
			if loc := res.Header.Get("Location"); res.StatusCode != 303 || loc != "/signin?next="+url.QueryEscape(tt.next) {
				t.Fatalf("%s signed out: %d %q", tt.next, res.StatusCode, loc)
			}
		}
		_, page := b.fetch(t, "GET", e.srv.URL+"/signin?next="+url.QueryEscape(tt.next), nil)
		csrf := formToken(t, page)
		b.fetch(t, "POST", e.srv.URL+"/signin", url.Values{"csrf": {csrf}, "email": {"alice@example.org"}})
		path := strings.TrimPrefix(e.claimLink("alice@example.org"), "http://parley.test")
		_, page = b.fetch(t, "GET", e.srv.URL+path, nil)
		res, _ := b.fetch(t, "POST", e.srv.URL+path, url.Values{"csrf": {formToken(t, page)}})
		if loc := res.Header.Get("Location"); res.StatusCode != 303 || loc != tt.want {
			t.Errorf("next=%q: signed in to %d %q, want %q", tt.next, res.StatusCode, loc, tt.want)
		}
	}
}

// TestErrorPages: parley's own pages for an unknown address and a missing
// room, each with a way back; JSON under /api/; the favicon; a status
// change confirmed.
func TestErrorPages(t *testing.T) {
	e := newWebEnv(t, nil)
	b := e.browser("alice")
	for _, tt := range []struct{ path, want string }{
		{"/nowhere", "Not found There is no page at /nowhere. Back to your rooms"},
		{"/rooms/nosuch", "Not found no such room, or you are not a member of it Back to your rooms"},
	} {
		res, page := b.fetch(t, "GET", e.srv.URL+tt.path, nil)
		if res.StatusCode != 404 || !strings.Contains(text(page), tt.want) || !strings.Contains(page, `href="/me"`) {
			t.Errorf("%s: %d %s", tt.path, res.StatusCode, text(page))
		}
	}
	res, page := e.browser("").fetch(t, "GET", e.srv.URL+"/nowhere", nil)
	if res.StatusCode != 404 || !strings.Contains(page, `href="/signin"`) {
		t.Errorf("/nowhere signed out: %d %s", res.StatusCode, text(page))
	}
	res, body := b.fetch(t, "GET", e.srv.URL+"/api/nowhere", nil)
	if res.StatusCode != 404 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") || !strings.Contains(body, `"code":"not_found"`) {
		t.Errorf("/api/nowhere: %d %s %s", res.StatusCode, res.Header.Get("Content-Type"), body)
	}
	res, body = b.fetch(t, "GET", e.srv.URL+"/favicon.ico", nil)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/svg+xml" || !strings.HasPrefix(body, "<svg") {
		t.Errorf("favicon: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	res, _ = b.fetch(t, "POST", e.srv.URL+"/me/status", url.Values{"csrf": {b.csrf}, "availability": {"busy"}, "back": {"/rooms/design"}})
	_, page = b.fetch(t, "GET", e.srv.URL+res.Header.Get("Location"), nil)
	if !strings.Contains(page, `<p class="notice" role="status">Your status is set.</p>`) {
		t.Errorf("no confirmation after setting the status: %s", text(page))
	}
}
