package web

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"parley/threads"
)

// seedProfiles defines the fields office (searchable) and pronouns, and
// gives alice, bob and carol interests, phones and field values.
func seedProfiles(t *testing.T, e *webEnv) {
	t.Helper()
	if err := e.store.Directory.SetProfileFields(e.ctx, "cli", []threads.ProfileField{
		{Name: "office", Label: "Office", Searchable: true}, {Name: "pronouns", Label: "Pronouns"}}); err != nil {
		t.Fatal(err)
	}
	for id, p := range map[string]threads.Profile{
		"alice": {Title: "Designer", Interests: []string{"go", "typography", "cycling"}},
		"bob":   {Title: "Engineer", Team: "Core", Interests: []string{"go", "cycling"}, Fields: map[string]string{"office": "Berlin Mitte", "pronouns": "he/him"}},
		"carol": {Interests: []string{"go"}, Fields: map[string]string{"office": "Lisbon"}},
	} {
		if _, err := e.store.Directory.UpdateUser(e.ctx, id, func(u *threads.User) error {
			u.Profile = p
			u.Phone, u.PhoneVerified = "+1555000"+map[string]string{"alice": "1111", "bob": "2222", "carol": "3333"}[id], true
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestPeopleSearch(t *testing.T) {
	e := newWebEnv(t, nil)
	seedProfiles(t, e)
	var got struct {
		People []threads.PersonMatch `json:"people"`
	}
	ids := func(body string) string {
		got.People = nil
		if err := json.Unmarshal([]byte(body), &got); err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		var out []string
		for _, p := range got.People {
			out = append(out, p.ID+"/"+strings.Join(p.Shared, "+"))
		}
		return strings.Join(out, ",")
	}
	for _, c := range []struct{ query, want string }{
		{"interest=go", "bob/go+cycling,carol/go"},         // ranked by what alice shares with them
		{"", "bob/go+cycling,carol/go"},                    // no query: who shares my interests
		{"interest=go&interest=cycling", "bob/go+cycling"}, // every interest must match
		{"interest=Go,%20Cycling", "bob/go+cycling"},       // the page's one box
		{"name=car", "carol/go"},
		{"field.office=berl", "bob/go+cycling"},
		{"interest=go&limit=1", "bob/go+cycling"},
		{"interest=go&limit=1&offset=1", "carol/go"},
		{"interest=knitting", ""},
	} {
		st, body := e.do("alice", "GET", "/api/people?"+c.query, nil)
		if st != 200 || ids(body) != c.want {
			t.Errorf("search %q: %d %s, want %s", c.query, st, body, c.want)
		}
		// A search never shows addresses or phone numbers.
		if strings.Contains(body, "@example.org") || strings.Contains(body, "+1555") || strings.Contains(body, "email") {
			t.Errorf("search %q leaks contact details: %s", c.query, body)
		}
	}
	// A disabled member is not found.
	if _, err := e.store.Directory.DisableUser(e.ctx, "cli", "carol"); err != nil {
		t.Fatal(err)
	}
	if st, body := e.do("alice", "GET", "/api/people?interest=go", nil); st != 200 || ids(body) != "bob/go+cycling" {
		t.Errorf("after disabling carol: %d %s", st, body)
	}
	for _, c := range []struct{ query, what string }{
		{"field.pronouns=he", "a field that is not searchable"},
		{"field.shoe=42", "an undefined field"},
		{"limit=x", "a limit that is not a number"},
		{"offset=-1", "a negative offset"},
		{"interest=%00", "a control character"},
		{"colour=red", "an unknown parameter"},
		{strings.Repeat("interest=a&", 60), "too many parameters"},
	} {
		st, body := e.do("alice", "GET", "/api/people?"+c.query, nil)
		e.want(400, "invalid", st, body, c.what)
	}
	st, body := e.do("", "GET", "/api/people?interest=go", nil)
	e.want(401, "unauthenticated", st, body, "search without credentials")
}

func TestPersonProfile(t *testing.T) {
	e := newWebEnv(t, nil)
	seedProfiles(t, e)
	get := func(as, id string) (int, personView, string) {
		st, body := e.do(as, "GET", "/api/people/"+id, nil)
		var v personView
		if st == 200 {
			if err := json.Unmarshal([]byte(body), &v); err != nil {
				t.Fatal(err)
			}
		}
		return st, v, body
	}
	st, v, body := get("alice", "bob")
	if st != 200 || v.Name != "Bob" || v.Title != "Engineer" || v.Team != "Core" || strings.Join(v.Shared, ",") != "go,cycling" ||
		len(v.Fields) != 2 || v.Fields[0] != (fieldValue{"office", "Office", "Berlin Mitte"}) || v.Presence == nil {
		t.Errorf("alice reads bob: %d %s", st, body)
	}
	if strings.Contains(body, "bob@example.org") || strings.Contains(body, "+15550002222") {
		t.Errorf("a colleague sees bob's contact details: %s", body)
	}
	for _, as := range []string{"bob", "dave"} {
		if st, v, body := get(as, "bob"); st != 200 || len(v.Emails) != 1 || v.Phone != "+15550002222" {
			t.Errorf("%s reads bob: %d %s, want his contact details", as, st, body)
		}
	}
	if _, err := e.store.Directory.DisableUser(e.ctx, "cli", "carol"); err != nil {
		t.Fatal(err)
	}
	st, _, body = get("alice", "carol")
	e.want(404, "not_found", st, body, "a disabled member, to a member")
	if st, v, body := get("dave", "carol"); st != 200 || !v.Disabled {
		t.Errorf("a disabled member, to an admin: %d %s", st, body)
	}
	for _, id := range []string{"nobody", "BAD%20ID", strings.Repeat("x", 300)} {
		st, _, body := get("alice", id)
		e.want(404, "not_found", st, body, "profile of "+id)
	}
	st, body = e.do("bob", "GET", "/api/profile-fields", nil)
	if st != 200 || !strings.Contains(body, `{"name":"office","label":"Office","searchable":true}`) {
		t.Errorf("profile fields: %d %s", st, body)
	}
}

func TestMeProfileFieldsAndDigest(t *testing.T) {
	e := newWebEnv(t, nil)
	seedProfiles(t, e)
	st, body := e.do("alice", "PUT", "/api/me", map[string]any{"digest": "weekly", "digest_hour": 7,
		"profile": map[string]any{"fields": map[string]string{"office": " Porto ", "pronouns": "she/her"}}})
	var me meView
	if st != 200 || json.Unmarshal([]byte(body), &me) != nil || me.Digest != threads.DigestWeekly || me.DigestHour != 7 ||
		me.Profile.Fields["office"] != "Porto" || me.Profile.Fields["pronouns"] != "she/her" {
		t.Fatalf("PUT /api/me: %d %s", st, body)
	}
	// An empty value removes a field; fields not named stay.
	st, body = e.do("alice", "PUT", "/api/me", map[string]any{"profile": map[string]any{"fields": map[string]string{"pronouns": ""}}})
	if u, _ := e.store.Directory.User(e.ctx, "alice"); st != 200 || u.Profile.Fields["office"] != "Porto" || u.Profile.Fields["pronouns"] != "" ||
		u.Prefs.Digest != threads.DigestWeekly {
		t.Errorf("removing a field: %d %s, stored %+v", st, body, u.Profile)
	}
	// The office is searchable from then on.
	if st, body := e.do("bob", "GET", "/api/people?field.office=porto", nil); st != 200 || !strings.Contains(body, `"id":"alice"`) {
		t.Errorf("search by the new office: %d %s", st, body)
	}
	for _, c := range []struct {
		body any
		what string
	}{
		{map[string]any{"digest": "hourly"}, "an unknown digest frequency"},
		{map[string]any{"digest_hour": 24}, "a digest hour past 23"},
		{map[string]any{"profile": map[string]any{"fields": map[string]string{"shoe": "42"}}}, "an undefined field"},
		{map[string]any{"profile": map[string]any{"title": strings.Repeat("t", 101)}}, "a title too long"},
		{map[string]any{"profile": map[string]any{"interests": []string{"<script>"}}}, "an interest with markup"},
		{map[string]any{"profile": map[string]any{"fields": map[string]string{"office": strings.Repeat("o", 201)}}}, "a field value too long"},
	} {
		st, body := e.do("alice", "PUT", "/api/me", c.body)
		e.want(400, "invalid", st, body, c.what)
	}
	st, body = e.do("alice", "PUT", "/api/me", `{"digest": 3}`)
	e.want(400, "bad_json", st, body, "a digest that is a number")
	if u, _ := e.store.Directory.User(e.ctx, "alice"); u.Prefs.DigestHour != 7 || u.Profile.Fields["office"] != "Porto" {
		t.Errorf("a refused change was stored: %+v", u)
	}
}

func TestTranscriptDownload(t *testing.T) {
	e := newWebEnv(t, func(o *Options) { o.MaxTranscriptBytes = 8000 })
	for _, text := range []string{"first line", "<b>second</b>", "From the start"} {
		if _, err := e.store.Chat.Post(e.ctx, threads.NewLine{Room: "design", Author: "alice", Text: text, Origin: threads.FromWeb}); err != nil {
			t.Fatal(err)
		}
	}
	fetch := func(as, query string) (*http.Response, string) {
		req, _ := http.NewRequest("GET", e.srv.URL+"/api/rooms/design/transcript"+query, nil)
		req.Header.Set("Authorization", "Bearer "+e.tokens[as])
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var sb strings.Builder
		buf := make([]byte, 4096)
		for {
			n, err := res.Body.Read(buf)
			sb.Write(buf[:n])
			if err != nil {
				break
			}
		}
		return res, sb.String()
	}
	for _, c := range []struct{ query, ctype, ext, want string }{
		{"", "text/html; charset=utf-8", ".html", "&lt;b&gt;second&lt;/b&gt;"},
		{"?format=text", "text/plain; charset=utf-8", ".txt", "Alice: first line"},
		{"?format=mbox", "application/mbox", ".mbox", ">From the start"},
	} {
		res, body := fetch("bob", c.query)
		cd := res.Header.Get("Content-Disposition")
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != c.ctype || !strings.HasPrefix(cd, `attachment; filename="design-`) ||
			!strings.HasSuffix(cd, c.ext+`"`) || !strings.Contains(body, c.want) {
			t.Errorf("transcript %q: %d %v\n%s", c.query, res.StatusCode, res.Header, body)
		}
	}
	// A range that ends before the lines holds none of them.
	if res, body := fetch("bob", "?format=text&to=2001-01-01"); res.StatusCode != 200 || strings.Contains(body, "first line") {
		t.Errorf("range before the lines: %d %s", res.StatusCode, body)
	}
	// The size limit cuts the document, with a note.
	for i := 0; i < 120; i++ {
		if _, err := e.store.Chat.Post(e.ctx, threads.NewLine{Room: "design", Author: "bob", Text: strings.Repeat("long line ", 10), Origin: threads.FromWeb}); err != nil {
			t.Fatal(err)
		}
	}
	if res, body := fetch("bob", "?format=text"); res.StatusCode != 200 || len(body) > 8000 || !strings.Contains(strings.ToLower(body), "cut") {
		t.Errorf("cut transcript: %d, %d bytes\n%s", res.StatusCode, len(body), body)
	}
	// carol is not in design; dave is an admin but not a member either.
	for _, as := range []string{"carol", "dave"} {
		res, body := fetch(as, "?format=text")
		e.want(404, "not_found", res.StatusCode, body, as+" asks design's transcript")
	}
	for _, c := range []struct{ query, what string }{
		{"?format=pdf", "an unknown format"},
		{"?from=yesterday", "a from that is not a time"},
		{"?from=2026-11-25&to=2026-11-24", "a range that ends before it starts"},
	} {
		res, body := fetch("bob", c.query)
		e.want(400, "invalid", res.StatusCode, body, c.what)
	}
}
