package web

import (
	"net/url"
	"strings"
	"testing"

	"parley/threads"
)

// TestStartFromThePage: a new room from the home page's form, "Message
// Carol" from her profile (the same direct room the second time), and the
// people page listing everyone, who shares alice's interests first.
func TestStartFromThePage(t *testing.T) {
	e := newWebEnv(t, nil)
	b := e.browser("alice")
	_, home := b.fetch(t, "GET", e.srv.URL+"/", nil)
	if !strings.Contains(home, `action="/rooms"`) || !strings.Contains(home, `href="/people"`) {
		t.Fatalf("the home page has no way to start a room:\n%s", text(home))
	}
	res, _ := b.fetch(t, "POST", e.srv.URL+"/rooms", url.Values{"csrf": {b.csrf}, "name": {"Launch plan"}, "members": {"bob, carol"}})
	loc := res.Header.Get("Location")
	if res.StatusCode != 303 || !strings.HasPrefix(loc, "/rooms/launch-plan") {
		t.Fatalf("new room: %d %q", res.StatusCode, loc)
	}
	room, err := e.store.Chat.Room(e.ctx, strings.TrimPrefix(loc, "/rooms/"))
	if err != nil || room.Owner != "alice" || len(room.Members) != 3 || room.Kind != threads.Group {
		t.Fatalf("room %+v %v", room, err)
	}
	for _, bad := range []url.Values{{"name": {"  "}}, {"name": {"X"}, "members": {"nobody"}}} {
		bad.Set("csrf", b.csrf)
		if res, page := b.fetch(t, "POST", e.srv.URL+"/rooms", bad); res.StatusCode != 400 && res.StatusCode != 404 {
			t.Errorf("new room %v: %d %s", bad, res.StatusCode, text(page))
		}
	}
	if res, _ := b.fetch(t, "POST", e.srv.URL+"/rooms", url.Values{"name": {"No token"}}); res.StatusCode != 403 {
		t.Errorf("new room without the form's token: %d", res.StatusCode)
	}

	_, profile := b.fetch(t, "GET", e.srv.URL+"/people/carol", nil)
	if !strings.Contains(text(profile), "Message Carol") {
		t.Fatalf("carol's profile has no Message button:\n%s", text(profile))
	}
	var direct []string
	for range 2 {
		res, _ := b.fetch(t, "POST", e.srv.URL+"/people/carol/message", url.Values{"csrf": {b.csrf}})
		if res.StatusCode != 303 {
			t.Fatalf("message carol: %d", res.StatusCode)
		}
		direct = append(direct, res.Header.Get("Location"))
	}
	if direct[0] != direct[1] {
		t.Errorf("a second direct room: %v", direct)
	}
	dm, err := e.store.Chat.Room(e.ctx, strings.TrimPrefix(direct[0], "/rooms/"))
	if err != nil || dm.Kind != threads.Direct || dm.Name != "Alice & Carol" {
		t.Errorf("direct room %+v %v", dm, err)
	}
	if res, _ := b.fetch(t, "POST", e.srv.URL+"/people/alice/message", url.Values{"csrf": {b.csrf}}); res.StatusCode != 400 {
		t.Errorf("a direct room with oneself: %d", res.StatusCode)
	}

	for id, in := range map[string][]string{"alice": {"go"}, "dave": {"go", "chess"}} {
		if _, err := e.store.Directory.UpdateUser(e.ctx, id, func(u *threads.User) error { u.Profile.Interests = in; return nil }); err != nil {
			t.Fatal(err)
		}
	}
	_, people := b.fetch(t, "GET", e.srv.URL+"/people", nil)
	seen := text(people)
	d, bo, c := strings.Index(seen, "Dave"), strings.Index(seen, "Bob"), strings.Index(seen, "Carol")
	if d < 0 || bo < 0 || c < 0 || !(d < bo && bo < c) {
		t.Errorf("people without terms: want everyone, Dave (shares go) first:\n%s", seen)
	}
}
