package web

import (
	"html"
	"net/url"
	"strings"
	"testing"

	"parley/threads"
)

// cells is a page's text with a space where each tag was, so that table
// cells and list terms stay apart.
func cells(page string) string {
	return html.UnescapeString(strings.Join(strings.Fields(tags.ReplaceAllString(page, " ")), " "))
}

func TestAdminPageRefusedToMembers(t *testing.T) {
	e := newWebEnv(t, nil)
	b := e.browser("alice")
	res, page := b.fetch(t, "GET", e.srv.URL+"/admin", nil)
	if res.StatusCode != 404 || strings.Contains(page, "dave@example.org") || strings.Contains(page, "Audit log") {
		t.Errorf("member opens /admin: %d %s", res.StatusCode, page)
	}
	if strings.Contains(page, `href="/admin"`) {
		t.Error("a member's navigation links to the admin page")
	}
	csrf := formToken(t, page)
	for path, form := range map[string]url.Values{
		"/admin/users/bob":            {"role": {"admin"}},
		"/admin/users":                {"id": {"erin"}, "name": {"Erin"}, "email": {"erin@example.org"}},
		"/admin/domains":              {"domains": {"example.org"}},
		"/admin/fields":               {"name": {"office"}},
		"/admin/fields/office/delete": {},
		"/admin/retention":            {"default_days": {"1"}},
	} {
		form.Set("csrf", csrf)
		if res, _ := b.fetch(t, "POST", e.srv.URL+path, form); res.StatusCode != 404 {
			t.Errorf("member posts %s: %d", path, res.StatusCode)
		}
	}
	if u, _ := e.store.Directory.User(e.ctx, "bob"); u.Role != threads.RoleMember {
		t.Errorf("bob became %s", u.Role)
	}
	if log, _ := e.store.Directory.AuditLog(e.ctx, threads.AuditFilter{}); len(log) != 0 {
		t.Errorf("audit after refused forms: %+v", log)
	}
	// Without a session: the sign-in page.
	if res, _ := e.browser("").fetch(t, "GET", e.srv.URL+"/admin", nil); res.StatusCode != 303 {
		t.Errorf("/admin without a session: %d", res.StatusCode)
	}
}

func TestAdminPageForms(t *testing.T) {
	e := newWebEnv(t, nil)
	b := e.browser("dave")
	res, page := b.fetch(t, "GET", e.srv.URL+"/admin", nil)
	if res.StatusCode != 200 || !strings.Contains(page, `href="/admin"`) {
		t.Fatalf("/admin: %d %s", res.StatusCode, page)
	}
	seen := cells(page)
	for _, want := range []string{"alice Alice alice@example.org", "Allowed email domains", "No fields are defined.",
		"Design design 2", "Nothing recorded yet."} {
		if !strings.Contains(seen, want) {
			t.Errorf("the admin page does not show %q:\n%s", want, seen)
		}
	}
	csrf := formToken(t, page)
	post := func(path string, form url.Values) (int, string) {
		t.Helper()
		form.Set("csrf", csrf)
		res, page := b.fetch(t, "POST", e.srv.URL+path, form)
		if res.StatusCode == 303 {
			return 303, res.Header.Get("Location")
		}
		return res.StatusCode, page
	}
	for _, c := range []struct {
		path string
		form url.Values
	}{
		{"/admin/users", url.Values{"id": {"erin"}, "name": {"Erin"}, "email": {"erin@example.org"}, "role": {"member"}}},
		{"/admin/users/bob", url.Values{"role": {"admin"}}},
		{"/admin/users/carol", url.Values{"disabled": {"1"}}},
		{"/admin/domains", url.Values{"domains": {"example.org, example.net"}}},
		{"/admin/fields", url.Values{"name": {"office"}, "label": {"Office"}, "searchable": {"1"}}},
		{"/admin/retention", url.Values{"default_days": {"90"}, "room.design": {"7"}, "room.other": {""}}},
	} {
		if st, loc := post(c.path, c.form); st != 303 || !strings.HasPrefix(loc, "/admin?done=1#") {
			t.Errorf("%s: %d %s", c.path, st, loc)
		}
	}
	if u, _ := e.store.Directory.User(e.ctx, "bob"); u.Role != threads.RoleAdmin {
		t.Errorf("bob is %s", u.Role)
	}
	if u, _ := e.store.Directory.User(e.ctx, "carol"); !u.Disabled {
		t.Error("carol is not disabled")
	}
	if p, _ := e.store.Chat.Retention(e.ctx); p.Default != 90 || p.Days("design") != 7 || p.Days("other") != 90 {
		t.Errorf("retention %+v", p)
	}
	// Refusals show the page again with the reason.
	for _, c := range []struct {
		path   string
		form   url.Values
		status int
		want   string
	}{
		{"/admin/users", url.Values{"id": {"fred"}, "name": {"Fred"}, "email": {"fred@gmail.com"}}, 400, "not allowed"},
		{"/admin/users/dave", url.Values{"disabled": {"1"}}, 400, "cannot demote or disable yourself"},
		{"/admin/retention", url.Values{"default_days": {"soon"}}, 400, "not a number of days"},
		{"/admin/fields", url.Values{"name": {"Bad Name"}}, 400, "must be 1-32 characters"},
	} {
		st, page := post(c.path, c.form)
		if st != c.status || !strings.Contains(page, c.want) || !strings.Contains(page, `id="audit"`) {
			t.Errorf("%s: %d, want %d with %q", c.path, st, c.status, c.want)
		}
	}
	// A field in use is removed only with "clear values".
	if _, err := e.store.Directory.UpdateUser(e.ctx, "alice", func(u *threads.User) error {
		u.Profile.Fields = map[string]string{"office": "Porto"}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if st, page := post("/admin/fields/office/delete", url.Values{}); st != 409 || !strings.Contains(page, "hold a value") {
		t.Errorf("removing a field in use: %d", st)
	}
	if st, _ := post("/admin/fields/office/delete", url.Values{"clear": {"1"}}); st != 303 {
		t.Errorf("removing a field with its values: %d", st)
	}
	// A form without the session's token changes nothing.
	res, _ = b.fetch(t, "POST", e.srv.URL+"/admin/users/alice", url.Values{"role": {"admin"}})
	if u, _ := e.store.Directory.User(e.ctx, "alice"); res.StatusCode != 403 || u.Role != threads.RoleMember {
		t.Errorf("form without CSRF: %d, alice is %s", res.StatusCode, u.Role)
	}
	// The audit log on the page names the admin.
	_, page = b.fetch(t, "GET", e.srv.URL+"/admin", nil)
	seen = cells(page)
	for _, want := range []string{"dave user.create erin", "dave user.role bob member -> admin", "dave user.disable carol",
		"dave retention.set room design 7 days", "dave field.clear office"} {
		if !strings.Contains(seen, want) {
			t.Errorf("the audit section lacks %q:\n%s", want, seen)
		}
	}
}

func TestPeopleAndProfilePages(t *testing.T) {
	e := newWebEnv(t, nil)
	seedProfiles(t, e)
	b := e.browser("alice")
	res, page := b.fetch(t, "GET", e.srv.URL+"/people?interest=go", nil)
	seen := cells(page)
	if res.StatusCode != 200 || !strings.Contains(page, `href="/people/bob"`) || !strings.Contains(seen, "Bob — Engineer (Core) shares go, cycling") ||
		strings.Index(page, "/people/bob") > strings.Index(page, "/people/carol") || strings.Contains(page, "+1555") {
		t.Errorf("/people?interest=go: %d\n%s", res.StatusCode, seen)
	}
	// The searchable field gets a box; the other does not.
	if !strings.Contains(page, `name="field.office"`) || strings.Contains(page, `name="field.pronouns"`) {
		t.Error("search boxes for fields are wrong")
	}
	res, page = b.fetch(t, "GET", e.srv.URL+"/people?field.pronouns=he", nil)
	if res.StatusCode != 400 || !strings.Contains(page, "not searchable") {
		t.Errorf("search by a field that is not searchable: %d", res.StatusCode)
	}
	res, page = b.fetch(t, "GET", e.srv.URL+"/people/bob", nil)
	seen = cells(page)
	if res.StatusCode != 200 || !strings.Contains(seen, "Office Berlin Mitte") || !strings.Contains(seen, "You share go, cycling") ||
		strings.Contains(seen, "bob@example.org") {
		t.Errorf("/people/bob: %d\n%s", res.StatusCode, seen)
	}
	if res, _ := b.fetch(t, "GET", e.srv.URL+"/people/nobody", nil); res.StatusCode != 404 {
		t.Errorf("/people/nobody: %d", res.StatusCode)
	}

	// The profile page: fields and digest settings.
	_, page = b.fetch(t, "GET", e.srv.URL+"/me", nil)
	if !strings.Contains(page, `name="field.pronouns"`) || !strings.Contains(page, `name="digest"`) {
		t.Fatalf("the profile page lacks fields or the digest:\n%s", page)
	}
	form := url.Values{"csrf": {formToken(t, page)}, "name": {"Alice"}, "interests": {"go, typography"},
		"field.office": {"Porto"}, "field.pronouns": {"she/her"}, "digest": {"weekly"}, "digest_hour": {"7"}}
	if res, _ := b.fetch(t, "POST", e.srv.URL+"/me", form); res.StatusCode != 303 {
		t.Fatalf("profile form: %d", res.StatusCode)
	}
	u, _ := e.store.Directory.User(e.ctx, "alice")
	if u.Profile.Fields["office"] != "Porto" || u.Prefs.Digest != threads.DigestWeekly || u.Prefs.DigestHour != 7 {
		t.Errorf("stored %+v %+v", u.Profile, u.Prefs)
	}
	form.Set("digest_hour", "25")
	res, page = b.fetch(t, "POST", e.srv.URL+"/me", form)
	if res.StatusCode != 400 || !strings.Contains(page, "between 0 and 23") || !strings.Contains(page, `value="Porto"`) {
		t.Errorf("bad digest hour: %d", res.StatusCode)
	}

	// The room page links its transcripts, and they download with the session.
	_, page = b.fetch(t, "GET", e.srv.URL+"/rooms/design", nil)
	for _, f := range []string{"html", "text", "mbox"} {
		link := "/api/rooms/design/transcript?format=" + f
		if !strings.Contains(page, `href="`+link+`"`) {
			t.Errorf("no %s transcript link", f)
		}
	}
	if res, _ := b.fetch(t, "GET", e.srv.URL+"/api/rooms/design/transcript?format=text", nil); res.StatusCode != 200 ||
		!strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment") {
		t.Errorf("transcript by session: %d %v", res.StatusCode, res.Header)
	}
}
