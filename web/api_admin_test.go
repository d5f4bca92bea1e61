package web

import (
	"encoding/json"
	"strings"
	"testing"

	"parley/threads"
)

// adminEndpoints are every admin endpoint with a body that would succeed
// for an admin.
var adminEndpoints = []struct {
	method, path string
	body         any
}{
	{"GET", "/api/admin/users", nil},
	{"POST", "/api/admin/users", map[string]any{"id": "erin", "name": "Erin", "emails": []string{"erin@example.org"}}},
	{"PUT", "/api/admin/users/bob", map[string]any{"role": "admin"}},
	{"GET", "/api/admin/domains", nil},
	{"PUT", "/api/admin/domains", map[string]any{"domains": []string{"example.org"}}},
	{"GET", "/api/admin/profile-fields", nil},
	{"PUT", "/api/admin/profile-fields", map[string]any{"fields": []map[string]any{{"name": "office"}}}},
	{"DELETE", "/api/admin/profile-fields/office", nil},
	{"GET", "/api/admin/retention", nil},
	{"PUT", "/api/admin/retention", map[string]any{"default_days": 30}},
	{"GET", "/api/admin/rooms", nil},
	{"GET", "/api/admin/audit", nil},
}

func TestAdminAPIRefusesMembers(t *testing.T) {
	e := newWebEnv(t, nil)
	for _, ep := range adminEndpoints {
		st, body := e.do("alice", ep.method, ep.path, ep.body)
		e.want(403, "forbidden", st, body, "member: "+ep.method+" "+ep.path)
		st, body = e.do("", ep.method, ep.path, ep.body)
		e.want(401, "unauthenticated", st, body, "nobody: "+ep.method+" "+ep.path)
	}
	// Nothing changed.
	if u, _ := e.store.Directory.User(e.ctx, "bob"); u.Role != threads.RoleMember {
		t.Errorf("bob's role: %s", u.Role)
	}
	if _, err := e.store.Directory.User(e.ctx, "erin"); err == nil {
		t.Error("a member created a user")
	}
	if log, _ := e.store.Directory.AuditLog(e.ctx, threads.AuditFilter{}); len(log) != 0 {
		t.Errorf("audit log after refused requests: %+v", log)
	}
	// A browser session of a member is refused as well, CSRF header or not.
	b := e.browser("alice")
	res, page := b.fetch(t, "GET", e.srv.URL+"/api/admin/users", nil)
	if res.StatusCode != 403 || strings.Contains(page, "dave@example.org") {
		t.Errorf("member's session: %d %s", res.StatusCode, page)
	}
}

func TestAdminUsers(t *testing.T) {
	e := newWebEnv(t, nil)
	st, body := e.do("dave", "POST", "/api/admin/users", map[string]any{"id": "erin", "name": "Erin",
		"emails": []string{"Erin@Example.org"}, "tz": "Europe/Lisbon"})
	var u adminUser
	if st != 201 || json.Unmarshal([]byte(body), &u) != nil || u.ID != "erin" || u.Emails[0] != "erin@example.org" || u.Role != threads.RoleMember {
		t.Fatalf("create: %d %s", st, body)
	}
	st, body = e.do("dave", "PUT", "/api/admin/users/erin", map[string]any{"role": "admin"})
	if st != 200 || !strings.Contains(body, `"role":"admin"`) {
		t.Errorf("set role: %d %s", st, body)
	}
	st, body = e.do("dave", "PUT", "/api/admin/users/bob", map[string]any{"disabled": true})
	if st != 200 || !strings.Contains(body, `"disabled":true`) {
		t.Errorf("disable: %d %s", st, body)
	}
	// bob's token stops working at once.
	st, body = e.do("bob", "GET", "/api/me", nil)
	e.want(403, "disabled", st, body, "a disabled member's token")
	st, body = e.do("dave", "PUT", "/api/admin/users/bob", map[string]any{"disabled": false})
	if st != 200 || strings.Contains(body, `"disabled"`) {
		t.Errorf("enable: %d %s", st, body)
	}
	st, body = e.do("dave", "GET", "/api/admin/users", nil)
	var list struct{ Users []adminUser }
	if st != 200 || json.Unmarshal([]byte(body), &list) != nil || len(list.Users) != 5 || list.Users[0].ID != "alice" ||
		list.Users[0].Emails[0] != "alice@example.org" {
		t.Errorf("list: %d %s", st, body)
	}
	for _, c := range []struct {
		method, path string
		body         any
		status       int
		code, what   string
	}{
		{"POST", "/api/admin/users", map[string]any{"id": "erin", "name": "E", "emails": []string{"e2@example.org"}}, 409, "exists", "a taken id"},
		{"POST", "/api/admin/users", map[string]any{"id": "fred", "name": "Fred"}, 400, "invalid", "no address"},
		{"POST", "/api/admin/users", map[string]any{"id": "Bad Id!", "name": "X", "emails": []string{"x@example.org"}}, 400, "invalid", "a bad id"},
		{"POST", "/api/admin/users", map[string]any{"id": "fred", "name": "Fred", "emails": []string{"fred@example.org"}, "role": "god"}, 400, "invalid", "an unknown role"},
		{"POST", "/api/admin/users", `{"id":`, 0, "bad_json", "broken JSON"},
		{"PUT", "/api/admin/users/nobody", map[string]any{"role": "admin"}, 404, "not_found", "an unknown user"},
		{"PUT", "/api/admin/users/bob", map[string]any{"role": "owner"}, 400, "invalid", "an unknown role"},
		{"PUT", "/api/admin/users/bob", map[string]any{}, 400, "invalid", "nothing to change"},
		{"PUT", "/api/admin/users/bob", map[string]any{"colour": "red"}, 400, "bad_json", "an unknown field"},
		{"PUT", "/api/admin/users/dave", map[string]any{"disabled": true}, 400, "invalid", "disabling oneself"},
		{"PUT", "/api/admin/users/dave", map[string]any{"role": "member"}, 400, "invalid", "demoting oneself"},
	} {
		st, body := e.do("dave", c.method, c.path, c.body)
		if c.status == 0 {
			c.status = 400
		}
		e.want(c.status, c.code, st, body, c.what)
	}
	log, err := e.store.Directory.AuditLog(e.ctx, threads.AuditFilter{Actor: "dave"})
	var got []string
	for _, a := range log {
		got = append(got, a.Action+" "+a.Target)
	}
	if err != nil || strings.Join(got, ",") != "user.enable bob,user.disable bob,user.role erin,user.create erin" {
		t.Errorf("audit: %v %s", err, strings.Join(got, ","))
	}
}

func TestAdminSettings(t *testing.T) {
	e := newWebEnv(t, nil)
	// Allowed domains.
	st, body := e.do("dave", "PUT", "/api/admin/domains", map[string]any{"domains": []string{"@Example.org", "example.net", "example.org"}})
	if st != 200 || body != `{"domains":["example.net","example.org"]}`+"\n" {
		t.Errorf("set domains: %d %s", st, body)
	}
	st, body = e.do("dave", "POST", "/api/admin/users", map[string]any{"id": "erin", "name": "Erin", "emails": []string{"erin@gmail.com"}})
	e.want(400, "invalid", st, body, "an address outside the allowed domains")
	st, body = e.do("dave", "PUT", "/api/admin/domains", map[string]any{"domains": []string{"not a domain"}})
	e.want(400, "invalid", st, body, "a malformed domain")
	if st, body := e.do("dave", "GET", "/api/admin/domains", nil); st != 200 || !strings.Contains(body, "example.net") {
		t.Errorf("get domains: %d %s", st, body)
	}

	// Profile fields: a field in use is not removed unless cleared.
	st, body = e.do("dave", "PUT", "/api/admin/profile-fields", map[string]any{"fields": []map[string]any{
		{"name": "office", "label": "Office", "searchable": true}, {"name": "pronouns"}}})
	if st != 200 || !strings.Contains(body, `{"name":"pronouns","label":"pronouns"}`) {
		t.Errorf("set fields: %d %s", st, body)
	}
	st, body = e.do("alice", "PUT", "/api/me", map[string]any{"profile": map[string]any{"fields": map[string]string{"pronouns": "she/her"}}})
	e.want(200, "", st, body, "alice fills in a field")
	st, body = e.do("dave", "DELETE", "/api/admin/profile-fields/pronouns", nil)
	e.want(409, "in_use", st, body, "removing a field in use")
	st, body = e.do("dave", "PUT", "/api/admin/profile-fields", map[string]any{"fields": []map[string]any{{"name": "office"}}})
	e.want(409, "in_use", st, body, "leaving out a field in use")
	st, body = e.do("dave", "DELETE", "/api/admin/profile-fields/pronouns?clear=1", nil)
	e.want(204, "", st, body, "removing a field with clear=1")
	if u, _ := e.store.Directory.User(e.ctx, "alice"); u.Profile.Fields["pronouns"] != "" {
		t.Errorf("alice keeps the removed field: %+v", u.Profile.Fields)
	}
	for _, c := range []struct {
		method, path string
		body         any
		status       int
		code, what   string
	}{
		{"DELETE", "/api/admin/profile-fields/pronouns", nil, 404, "not_found", "removing a field that is gone"},
		{"DELETE", "/api/admin/profile-fields/Bad-Name", nil, 400, "invalid", "a malformed field name"},
		{"DELETE", "/api/admin/profile-fields/office?clear=maybe", nil, 400, "invalid", "clear that is not 0 or 1"},
		{"PUT", "/api/admin/profile-fields", map[string]any{"fields": []map[string]any{{"name": "a"}, {"name": "a"}}}, 400, "invalid", "a field twice"},
		{"PUT", "/api/admin/retention", map[string]any{"default_days": -1}, 400, "invalid", "a negative retention"},
		{"PUT", "/api/admin/retention", map[string]any{"rooms": map[string]any{"nowhere": 3}}, 404, "not_found", "an unknown room"},
		{"PUT", "/api/admin/retention", map[string]any{}, 400, "invalid", "no retention given"},
		{"GET", "/api/admin/audit?limit=0", nil, 400, "invalid", "an audit limit of 0"},
		{"GET", "/api/admin/audit?before=yesterday", nil, 400, "invalid", "a malformed before"},
	} {
		st, body := e.do("dave", c.method, c.path, c.body)
		e.want(c.status, c.code, st, body, c.what)
	}

	// Retention: the default and a room's override, then its reset.
	st, body = e.do("dave", "PUT", "/api/admin/retention", map[string]any{"default_days": 90, "rooms": map[string]any{"design": 7}})
	if st != 200 || body != `{"default_days":90,"rooms":{"design":7}}`+"\n" {
		t.Errorf("set retention: %d %s", st, body)
	}
	st, body = e.do("dave", "GET", "/api/admin/rooms", nil)
	var rooms struct{ Rooms []adminRoom }
	if st != 200 || json.Unmarshal([]byte(body), &rooms) != nil || len(rooms.Rooms) != 2 || rooms.Rooms[0].ID != "design" ||
		rooms.Rooms[0].RetentionDays != 7 || !rooms.Rooms[0].Override || rooms.Rooms[1].RetentionDays != 90 {
		t.Errorf("rooms: %d %s", st, body)
	}
	st, body = e.do("dave", "PUT", "/api/admin/retention", `{"rooms":{"design":null}}`)
	if st != 200 || body != `{"default_days":90}`+"\n" {
		t.Errorf("reset a room's retention: %d %s", st, body)
	}

	// The audit log, filtered.
	st, body = e.do("dave", "GET", "/api/admin/audit?action=retention.&limit=2", nil)
	var log struct{ Entries []threads.AuditEntry }
	if st != 200 || json.Unmarshal([]byte(body), &log) != nil || len(log.Entries) != 2 || log.Entries[0].Action != "retention.reset" ||
		log.Entries[0].Actor != "dave" || log.Entries[1].Target != "room design" {
		t.Errorf("audit: %d %s", st, body)
	}
	st, body = e.do("dave", "GET", "/api/admin/audit?actor=alice", nil)
	if st != 200 || body != `{"entries":[]}`+"\n" {
		t.Errorf("audit of alice: %d %s", st, body)
	}
}
