package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"parley/threads"
)

// addPhoneMembers adds pia (phone only, verified, in design), uma (phone
// only, not verified) and quinn (phone only, verified).
func (e *webEnv) addPhoneMembers() {
	e.t.Helper()
	for _, u := range []threads.User{
		{ID: "pia", Name: "Pia", Phone: "+15550001111", PhoneVerified: true},
		{ID: "uma", Name: "Uma", Phone: "+15550002222"},
		{ID: "quinn", Name: "Quinn", Phone: "+15550003333", PhoneVerified: true},
	} {
		if _, err := e.store.Directory.AddUser(e.ctx, u); err != nil {
			e.t.Fatal(err)
		}
	}
}

// claimCode waits for a sign-in code texted to phone and returns it; the
// numbers of every notice claimed are added to e.noticed.
func (e *webEnv) claimCode(phone string) string {
	e.t.Helper()
	return e.claimText(threads.NoticeSignInCode, phone)
}

// claimText waits for a notice of kind texted to phone and returns its
// text; the numbers of every notice claimed are added to e.noticed.
func (e *webEnv) claimText(kind, phone string) string {
	e.t.Helper()
	var code string
	waitFor(e.t, "a "+kind+" text to "+phone, func() bool {
		ns, err := e.store.Queue.ClaimNotices(e.ctx, "test", 10, time.Minute)
		if err != nil {
			e.t.Fatal(err)
		}
		for _, n := range ns {
			_ = e.store.Queue.AckNotice(e.ctx, n)
			e.noticed = append(e.noticed, n.To)
			if n.To == phone && n.Kind == kind && n.Channel == threads.SMS {
				code = n.Text
			}
		}
		return code != ""
	})
	return code
}

// TestSignInByTextedCode: a phone-only member signs in with a code texted
// to their verified number and lands on the page that sent them; the
// answer is the same for unknown and unverified numbers; wrong codes are
// refused and the fifth burns the code; a code works once.
func TestSignInByTextedCode(t *testing.T) {
	e := newWebEnv(t, nil)
	e.addPhoneMembers()
	b := e.browser("")
	_, page := b.fetch(t, "GET", e.srv.URL+"/signin?next="+url.QueryEscape("/rooms/design"), nil)
	csrf := formToken(t, page)

	// Known, unverified and unknown numbers get the same answer.
	ask := func(c *browser, csrf, number string) (*http.Response, string) {
		return c.fetch(t, "POST", e.srv.URL+"/signin", url.Values{"csrf": {csrf}, "email": {number}})
	}
	_, unknown := ask(b, csrf, "+15550009999")
	_, unverified := ask(b, csrf, "+15550002222")
	res, known := ask(b, csrf, "+1 (555) 000-1111")
	if res.StatusCode != 200 || !strings.Contains(text(known), "If +15550001111 is the verified number of a member") ||
		!strings.Contains(known, `action="/signin/code"`) || !strings.Contains(known, `name="phone" value="&#43;15550001111"`) {
		t.Fatalf("code form: %d %s", res.StatusCode, text(known))
	}
	same := func(page, number string) string { return strings.ReplaceAll(page, "&#43;"+number[1:], "N") }
	if same(known, "+15550001111") != same(unknown, "+15550009999") || same(known, "+15550001111") != same(unverified, "+15550002222") {
		t.Errorf("the answers differ:\n%s\n---\n%s\n---\n%s", known, unknown, unverified)
	}
	code := e.claimCode("+15550001111")
	// The code form's address, opened by hand, leads back to the sign-in page.
	if res, _ := b.fetch(t, "GET", e.srv.URL+"/signin/code", nil); res.StatusCode != 303 || res.Header.Get("Location") != "/signin" {
		t.Errorf("GET /signin/code: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	if got := strings.Join(e.noticed, ","); got != "+15550001111" {
		t.Errorf("codes went to %s, want only the verified number", got)
	}
	if _, _, err := QueueSignInCode(e.ctx, e.store.Auth, e.store.Queue, "+15550002222"); !errors.Is(err, threads.ErrNotFound) {
		t.Errorf("code for an unverified number: %v", err)
	}

	csrf = formToken(t, known)
	try := func(c *browser, csrf, phone, code string) (*http.Response, string) {
		return c.fetch(t, "POST", e.srv.URL+"/signin/code", url.Values{"csrf": {csrf}, "phone": {phone}, "code": {code}})
	}
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	res, page = try(b, csrf, "+15550001111", wrong)
	if res.StatusCode != 400 || !strings.Contains(text(page), "That code is wrong") || !strings.Contains(page, `action="/signin/code"`) {
		t.Errorf("wrong code: %d %s", res.StatusCode, text(page))
	}
	// Without the form's token nothing happens.
	if res, _ = e.browser("").fetch(t, "POST", e.srv.URL+"/signin/code", url.Values{"phone": {"+15550001111"}, "code": {code}}); res.StatusCode != 403 {
		t.Errorf("code without CSRF: %d", res.StatusCode)
	}
	// A malformed number is refused with the sign-in form.
	if res, page = try(b, csrf, "bob@example.org", code); res.StatusCode != 400 || !strings.Contains(text(page), "not a phone number") {
		t.Errorf("malformed number: %d %s", res.StatusCode, text(page))
	}
	// The right code (typed with a space) signs in and returns to the room's page.
	res, _ = try(b, csrf, "+15550001111", code[:3]+" "+code[3:])
	if res.StatusCode != 303 || res.Header.Get("Location") != "/rooms/design" {
		t.Fatalf("sign in by code: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	signedIn := false
	for _, c := range res.Cookies() {
		signedIn = signedIn || (c.Name == sessionCookie && c.MaxAge > 0 && c.HttpOnly)
	}
	if !signedIn {
		t.Fatalf("no session cookie: %+v", res.Cookies())
	}
	if log, err := e.store.Directory.AuditLog(e.ctx, threads.AuditFilter{Action: "signin"}); err != nil || len(log) != 1 || log[0].Actor != "pia" {
		t.Errorf("audit of the sign-in: %v %+v", err, log)
	}
	// The code works once.
	other := e.browser("")
	_, page = other.fetch(t, "GET", e.srv.URL+"/signin", nil)
	if res, page = try(other, formToken(t, page), "+15550001111", code); res.StatusCode != 400 || !strings.Contains(text(page), "That code is wrong") {
		t.Errorf("second use: %d %s", res.StatusCode, text(page))
	}
	// Five wrong codes burn the next one.
	_, page = other.fetch(t, "GET", e.srv.URL+"/signin", nil)
	csrf = formToken(t, page)
	ask(other, csrf, "+15550001111")
	code = e.claimCode("+15550001111")
	for i := 0; i < threads.MaxCodeTries; i++ {
		w := []byte(code)
		w[5] = '0' + (w[5]-'0'+byte(i)+1)%10
		try(other, csrf, "+15550001111", string(w))
	}
	if res, _ = try(other, csrf, "+15550001111", code); res.StatusCode != 400 {
		t.Errorf("burned code: %d", res.StatusCode)
	}
}

// TestSignInCodeLimits: a number gets as many codes an hour as an address
// gets links (5); the code form is rate-limited per client like every
// sign-in form, with parley's error page and Retry-After.
func TestSignInCodeLimits(t *testing.T) {
	e := newWebEnv(t, func(o *Options) { o.RatePerMinute = 10 })
	e.addPhoneMembers()
	for i := 0; i < 5; i++ {
		if _, queued, err := QueueSignInCode(e.ctx, e.store.Auth, e.store.Queue, "+15550003333"); err != nil || !queued {
			t.Fatalf("code %d: %v %v", i, queued, err)
		}
	}
	if u, queued, err := QueueSignInCode(e.ctx, e.store.Auth, e.store.Queue, "+15550003333"); err != nil || queued || u.ID != "quinn" {
		t.Fatalf("sixth code in an hour: %v %v", queued, err)
	}
	b := e.browser("")
	_, page := b.fetch(t, "GET", e.srv.URL+"/signin", nil)
	csrf := formToken(t, page)
	var res *http.Response
	for i := 0; i < 3; i++ {
		res, page = b.fetch(t, "POST", e.srv.URL+"/signin/code", url.Values{"csrf": {csrf}, "phone": {"+15550003333"}, "code": {"123456"}})
		if res.StatusCode == http.StatusTooManyRequests {
			break
		}
	}
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" ||
		!strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") || !strings.Contains(text(page), "too many requests") {
		t.Errorf("rate limit: %d %v %s", res.StatusCode, res.Header, text(page))
	}
}

func TestPhoneNumber(t *testing.T) {
	for in, want := range map[string]string{
		"+15550001111":                "+15550001111",
		" +1 (555) 000-1111 ":         "+15550001111",
		"+44 20.7946.0000":            "+442079460000",
		"15550001111":                 "",
		"+1555":                       "",
		"+1555000111x":                "",
		"alice@example.org":           "",
		"+" + strings.Repeat("1", 40): "",
	} {
		if got, ok := phoneNumber(in); got != want || ok != (want != "") {
			t.Errorf("phoneNumber(%q) = %q %v, want %q", in, got, ok, want)
		}
	}
}

// FuzzPhoneNumber: whatever is typed, phoneNumber never panics and gives
// either nothing or a valid E.164 number made of the digits typed.
func FuzzPhoneNumber(f *testing.F) {
	for _, s := range []string{"+15550001111", "+1 (555) 000-1111", "alice@example.org", "+", "+١٢٣٤٥٦٧٨", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := phoneNumber(s)
		if ok != (got != "") {
			t.Fatalf("phoneNumber(%q) = %q, %v", s, got, ok)
		}
		if ok && threads.ValidPhone(got) != nil {
			t.Fatalf("phoneNumber(%q) = %q, not E.164", s, got)
		}
	})
}
