package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"testing"

	"parley/threads"
)

// TestRoomAccess proves, endpoint by endpoint, that a member reaches only
// the rooms they belong to, that only the owner or an admin manages
// members, and that nobody gets anything without credentials.
func TestRoomAccess(t *testing.T) {
	e := newWebEnv(t, nil)
	p, err := e.store.Chat.Post(e.ctx, threads.NewLine{Room: "design", Author: "alice", Text: "secret plans", Origin: threads.FromWeb})
	if err != nil {
		t.Fatal(err)
	}
	line := p.Line.ID
	cases := []struct {
		method, path string
		body         any
	}{
		{"GET", "/api/rooms/design", nil},
		{"GET", "/api/rooms/design/lines", nil},
		{"POST", "/api/rooms/design/lines", map[string]string{"text": "let me in"}},
		{"POST", "/api/rooms/design/read", map[string]string{"line": line}},
		{"POST", "/api/rooms/design/members", map[string]string{"user": "carol"}},
		{"DELETE", "/api/rooms/design/members/bob", nil},
		{"DELETE", "/api/rooms/design/members", map[string]string{"user": "bob"}},
		{"GET", "/api/rooms/design/files/" + strings.Repeat("a", 64) + "?line=" + line, nil},
		{"POST", "/api/rooms/design/files", nil},
	}
	for _, c := range cases {
		st, body := e.do("carol", c.method, c.path, c.body)
		e.want(404, "not_found", st, body, "carol (not a member): "+c.method+" "+c.path)
		if strings.Contains(body, "secret plans") {
			t.Errorf("%s %s leaked a line: %s", c.method, c.path, body)
		}
		st, body = e.do("", c.method, c.path, c.body)
		e.want(401, "unauthenticated", st, body, "nobody: "+c.method+" "+c.path)
	}
	// A room that does not exist answers the same as a room of others.
	st, body := e.do("carol", "GET", "/api/rooms/nosuchroom", nil)
	e.want(404, "not_found", st, body, "missing room")
	// Rooms lists only mine.
	st, body = e.do("carol", "GET", "/api/rooms", nil)
	if st != 200 || strings.Contains(body, `"design"`) || !strings.Contains(body, `"other"`) {
		t.Errorf("carol's rooms: %d %s", st, body)
	}
	// bob is a member, not the owner: he may read but not manage, and may leave.
	st, body = e.do("bob", "POST", "/api/rooms/design/members", map[string]string{"user": "carol"})
	e.want(403, "forbidden", st, body, "bob adds carol to alice's room")
	st, body = e.do("bob", "DELETE", "/api/rooms/design/members/alice", nil)
	e.want(403, "forbidden", st, body, "bob removes alice")
	// dave, an admin, sees and manages any room, but reads no lines of rooms he is not in.
	st, body = e.do("dave", "GET", "/api/rooms/design", nil)
	e.want(200, "", st, body, "admin shows design")
	st, body = e.do("dave", "GET", "/api/rooms/design/lines", nil)
	e.want(404, "not_found", st, body, "admin reads design's lines")
	st, body = e.do("dave", "POST", "/api/rooms/design/members", map[string]string{"user": "carol"})
	e.want(200, "", st, body, "admin adds carol")
	// Now carol is in: she reads the lines.
	st, body = e.do("carol", "GET", "/api/rooms/design/lines", nil)
	if st != 200 || !strings.Contains(body, "secret plans") {
		t.Errorf("carol after joining: %d %s", st, body)
	}
	st, body = e.do("bob", "DELETE", "/api/rooms/design/members/bob", nil)
	e.want(204, "", st, body, "bob leaves")
	st, body = e.do("bob", "GET", "/api/rooms/design/lines", nil)
	e.want(404, "not_found", st, body, "bob after leaving")
}

func TestRoomsAPI(t *testing.T) {
	e := newWebEnv(t, nil)
	if _, err := e.store.Chat.SetStatus(e.ctx, "bob", threads.Status{Availability: threads.Away, Text: "at the clinic"}); err != nil {
		t.Fatal(err)
	}
	st, body := e.do("alice", "POST", "/api/rooms", map[string]any{"name": "Launch Plan!", "topic": "q3", "members": []string{"bob"}})
	var room threads.Room
	if st != 201 || json.Unmarshal([]byte(body), &room) != nil || room.Owner != "alice" ||
		!strings.HasPrefix(room.ID, "launch-plan-") || strings.Join(room.Members, ",") != "alice,bob" {
		t.Fatalf("create: %d %s", st, body)
	}
	st, body = e.do("alice", "POST", "/api/rooms", map[string]any{"id": "design", "members": []string{"bob"}})
	e.want(409, "exists", st, body, "a taken id")
	st, body = e.do("alice", "POST", "/api/rooms", map[string]any{"id": "x", "members": []string{"nobody"}})
	e.want(404, "not_found", st, body, "an unknown member")
	st, body = e.do("alice", "POST", "/api/rooms", map[string]any{"id": "Bad Id", "members": []string{"bob"}})
	e.want(400, "invalid", st, body, "a bad id")

	// The room with presence and reach.
	st, body = e.do("alice", "GET", "/api/rooms/"+room.ID, nil)
	var v roomView
	if st != 200 || json.Unmarshal([]byte(body), &v) != nil || len(v.Members) != 2 {
		t.Fatalf("show: %d %s", st, body)
	}
	bob := v.Members[1]
	if bob.ID != "bob" || bob.State != threads.StateAway || bob.Status == nil || bob.Status.Text != "at the clinic" ||
		bob.Reach.Channel != threads.Email {
		t.Errorf("bob = %+v", bob)
	}

	// Lines: post five, page both ways.
	var ids []string
	for i := range 5 {
		st, body := e.do("alice", "POST", "/api/rooms/"+room.ID+"/lines", map[string]string{"text": fmt.Sprintf("line %d", i)})
		var p threads.Posted
		if st != 201 || json.Unmarshal([]byte(body), &p) != nil || p.Line.Origin != threads.FromAPI || p.Routes["bob"].Channel != threads.Email {
			t.Fatalf("post: %d %s", st, body)
		}
		ids = append(ids, p.Line.ID)
	}
	texts := func(body string) string {
		var out struct{ Lines []threads.Line }
		if err := json.Unmarshal([]byte(body), &out); err != nil {
			t.Fatalf("%v: %s", err, body)
		}
		var s []string
		for _, l := range out.Lines {
			s = append(s, strings.TrimPrefix(l.Text, "line "))
		}
		return strings.Join(s, ",")
	}
	for q, want := range map[string]string{
		"":                               "0,1,2,3,4",
		"?limit=2":                       "3,4",
		"?before=" + ids[3] + "&limit=2": "1,2",
		"?after=" + ids[1] + "&limit=2":  "2,3",
		"?after=" + ids[4]:               "",
	} {
		st, body := e.do("bob", "GET", "/api/rooms/"+room.ID+"/lines"+q, nil)
		if st != 200 || texts(body) != want {
			t.Errorf("lines%s = %d %s, want %s", q, st, texts(body), want)
		}
	}
	// Idempotency-Key: a retried post returns the first line.
	post := func() (int, string) {
		req, _ := http.NewRequest("POST", e.srv.URL+"/api/rooms/"+room.ID+"/lines", strings.NewReader(`{"text":"once"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+e.tokens["alice"])
		req.Header.Set("Idempotency-Key", "k1")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	s1, b1 := post()
	s2, b2 := post()
	if s1 != 201 || s2 != 200 || !strings.Contains(b2, `"duplicate":true`) || b1[:40] != b2[:40] {
		t.Errorf("idempotent post: %d %s / %d %s", s1, b1, s2, b2)
	}
	// Read marker.
	st, body = e.do("bob", "POST", "/api/rooms/"+room.ID+"/read", map[string]string{"line": ids[2]})
	e.want(204, "", st, body, "mark read")
	if m, _ := e.store.Chat.ReadMarker(e.ctx, room.ID, "bob"); m != ids[2] {
		t.Errorf("marker = %q", m)
	}
	st, body = e.do("bob", "POST", "/api/rooms/"+room.ID+"/read", map[string]string{"line": "yesterday"})
	e.want(400, "invalid", st, body, "a bad line id")
	// Members: the owner adds and removes.
	st, body = e.do("alice", "POST", "/api/rooms/"+room.ID+"/members", map[string]string{"user": "carol"})
	if st != 200 || !strings.Contains(body, `"carol"`) {
		t.Errorf("add carol: %d %s", st, body)
	}
	st, body = e.do("alice", "DELETE", "/api/rooms/"+room.ID+"/members/carol", nil)
	e.want(204, "", st, body, "remove carol")
	st, body = e.do("alice", "DELETE", "/api/rooms/"+room.ID+"/members/carol", nil)
	e.want(404, "not_member", st, body, "remove carol twice")
	st, body = e.do("alice", "DELETE", "/api/rooms/"+room.ID+"/members/bob", nil)
	e.want(400, "invalid", st, body, "a room of one")
}

func TestMalformedRequests(t *testing.T) {
	e := newWebEnv(t, nil)
	cases := []struct {
		name, method, path string
		body               any
		status             int
		code               string
	}{
		{"not JSON", "POST", "/api/rooms/design/lines", "{text:", 400, "bad_json"},
		{"unknown field", "POST", "/api/rooms/design/lines", `{"txt":"hi"}`, 400, "bad_json"},
		{"two values", "POST", "/api/rooms/design/lines", `{"text":"a"}{"text":"b"}`, 400, "bad_json"},
		{"wrong type", "POST", "/api/rooms/design/lines", `{"text":5}`, 400, "bad_json"},
		{"empty line", "POST", "/api/rooms/design/lines", `{"text":"  "}`, 400, "invalid"},
		{"huge body", "POST", "/api/rooms/design/lines", `{"text":"` + strings.Repeat("a", 70000) + `"}`, 413, "too_large"},
		{"line too long", "POST", "/api/rooms/design/lines", `{"text":"` + strings.Repeat("a", 17000) + `"}`, 400, "invalid"},
		{"bad limit", "GET", "/api/rooms/design/lines?limit=0", nil, 400, "invalid"},
		{"big limit", "GET", "/api/rooms/design/lines?limit=5000", nil, 400, "invalid"},
		{"bad before", "GET", "/api/rooms/design/lines?before=x", nil, 400, "invalid"},
		{"bad room id", "GET", "/api/rooms/..%2f..%2fetc/lines", nil, 404, "not_found"},
		{"unknown endpoint", "GET", "/api/nothing", nil, 404, "not_found"},
		{"wrong method", "PATCH", "/api/rooms/design", nil, 405, "method_not_allowed"},
		{"bad availability", "PUT", "/api/me/status", `{"availability":"gone"}`, 400, "invalid"},
		{"bad until", "PUT", "/api/me/status", `{"availability":"away","until":"soonish"}`, 400, "invalid"},
		{"past until", "PUT", "/api/me/status", `{"availability":"away","until":"2001-01-01T00:00:00Z"}`, 400, "invalid"},
		{"bad phone", "PUT", "/api/me", `{"phone":"555"}`, 400, "invalid"},
		{"bad tz", "PUT", "/api/me", `{"tz":"Mars/Olympus"}`, 400, "invalid"},
		{"long title", "PUT", "/api/me", `{"profile":{"title":"` + strings.Repeat("t", 101) + `"}}`, 400, "invalid"},
		{"too many interests", "PUT", "/api/me", manyInterests(21), 400, "invalid"},
		{"empty token name", "POST", "/api/tokens", `{"name":""}`, 400, "invalid"},
		{"unknown token", "DELETE", "/api/tokens/abc", nil, 404, "not_found"},
		{"bad last event id", "GET", "/api/stream?last=yesterday", nil, 400, "invalid"},
	}
	for _, c := range cases {
		st, body := e.do("alice", c.method, c.path, c.body)
		e.want(c.status, c.code, st, body, c.name)
	}
	// Content-Type must be JSON.
	req, _ := http.NewRequest("POST", e.srv.URL+"/api/rooms/design/lines", strings.NewReader("text=hi"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+e.tokens["alice"])
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	e.want(415, "content_type", res.StatusCode, string(b), "form body to the JSON API")
	// Credentials that are not a bearer token, or unknown.
	for _, auth := range []string{"Basic YWxpY2U6eA==", "Bearer pat_nope", "Bearer " + strings.Repeat("x", 10000)} {
		req, _ := http.NewRequest("GET", e.srv.URL+"/api/me", nil)
		req.Header.Set("Authorization", auth)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		e.want(401, "unauthenticated", res.StatusCode, string(b), "Authorization "+auth[:10])
	}
}

// manyInterests is a PUT /api/me body with n different interests.
func manyInterests(n int) string {
	list := make([]string, n)
	for i := range list {
		list[i] = fmt.Sprintf("interest %d", i)
	}
	b, _ := json.Marshal(map[string]any{"profile": map[string]any{"interests": list}})
	return string(b)
}

func TestMeAndPresenceAPI(t *testing.T) {
	e := newWebEnv(t, nil)
	if _, err := e.store.Directory.UpdateUser(e.ctx, "alice", func(u *threads.User) error {
		u.Phone, u.PhoneVerified = "+15550001111", true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	st, body := e.do("alice", "PUT", "/api/me", map[string]any{"name": "Alice Archer", "tz": "Europe/Berlin",
		"profile": map[string]any{"title": "Designer", "team": "Web", "interests": []string{" Go", "go", "typography", ""}}})
	var me meView
	if st != 200 || json.Unmarshal([]byte(body), &me) != nil || me.Name != "Alice Archer" || me.TimeZone != "Europe/Berlin" ||
		me.Profile.Title != "Designer" || strings.Join(me.Profile.Interests, ",") != "go,typography" || me.Phone != "+15550001111" {
		t.Fatalf("PUT /api/me: %d %s", st, body)
	}
	if u, _ := e.store.Directory.User(e.ctx, "alice"); !u.PhoneVerified {
		t.Error("an unchanged phone lost its verification")
	}
	st, body = e.do("alice", "PUT", "/api/me", map[string]any{"phone": "+15550009999"})
	if u, _ := e.store.Directory.User(e.ctx, "alice"); st != 200 || u.Phone != "+15550009999" || u.PhoneVerified {
		t.Errorf("new phone: %d %s, stored %+v", st, body, u)
	}
	st, body = e.do("alice", "GET", "/api/me", nil)
	if st != 200 || !strings.Contains(body, `"role":"member"`) || !strings.Contains(body, `"emails":["alice@example.org"]`) {
		t.Errorf("GET /api/me: %d %s", st, body)
	}
	st, body = e.do("alice", "PUT", "/api/me/status", map[string]string{"availability": "away", "text": "lunch", "until": "2h"})
	var p threads.Presence
	if st != 200 || json.Unmarshal([]byte(body), &p) != nil || p.State != threads.StateAway || p.Text() != "lunch" || p.Status.Until.IsZero() {
		t.Fatalf("status: %d %s", st, body)
	}
	beats := []struct {
		name   string
		body   any
		status int
		code   string
		state  threads.State
	}{
		{"no body: active, as scripts send it", nil, 204, "", threads.StateOnline},
		{"the tab goes idle", map[string]string{"state": "idle", "client": "tab-1"}, 204, "", threads.StateOnline}, // not the client that was active
		{"active from the tab", map[string]string{"state": "active", "client": "tab-1"}, 204, "", threads.StateOnline},
		{"the same tab hidden", map[string]string{"state": "idle", "client": "tab-1"}, 204, "", threads.StateAway},
		{"an unknown state", map[string]string{"state": "asleep"}, 400, "invalid", threads.StateAway},
		{"a client id too long", map[string]string{"state": "active", "client": strings.Repeat("x", 100)}, 400, "invalid", threads.StateAway},
		{"not JSON", "{", 400, "bad_json", threads.StateAway},
	}
	for _, b := range beats {
		st, body = e.do("bob", "POST", "/api/me/heartbeat", b.body)
		e.want(b.status, b.code, st, body, "heartbeat: "+b.name)
		if p, _ := e.store.Chat.Presence(e.ctx, "bob"); p.State != b.state {
			t.Errorf("bob after %s: %s, want %s", b.name, p.State, b.state)
		}
	}
}

func TestTokensAPI(t *testing.T) {
	e := newWebEnv(t, nil)
	st, body := e.do("alice", "POST", "/api/tokens", map[string]string{"name": "bot"})
	var made newToken
	if st != 201 || json.Unmarshal([]byte(body), &made) != nil || !strings.HasPrefix(made.Token, "pat_") || made.Name != "bot" {
		t.Fatalf("create: %d %s", st, body)
	}
	e.tokens["bot"] = made.Token
	st, body = e.do("bot", "GET", "/api/tokens", nil)
	if st != 200 || !strings.Contains(body, `"name":"bot"`) || strings.Contains(body, made.Token) {
		t.Errorf("list: %d %s", st, body)
	}
	st, body = e.do("bob", "DELETE", "/api/tokens/"+made.ID, nil)
	e.want(404, "not_found", st, body, "bob revokes alice's token")
	st, body = e.do("alice", "DELETE", "/api/tokens/"+made.ID, nil)
	e.want(204, "", st, body, "revoke")
	st, body = e.do("bot", "GET", "/api/me", nil)
	e.want(401, "unauthenticated", st, body, "a revoked token")
}

// multipartBody builds an upload with one file.
func multipartBody(t *testing.T, name, ctype string, data []byte, text string) (*bytes.Buffer, string) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename=%q`, name))
	if ctype != "" {
		h.Set("Content-Type", ctype)
	}
	w, err := mw.CreatePart(h)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = w.Write(data)
	if text != "" {
		_ = mw.WriteField("text", text)
	}
	_ = mw.Close()
	return &b, mw.FormDataContentType()
}

// png is a tiny PNG image.
var png = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")

func (e *webEnv) upload(user, room, name, ctype string, data []byte, text string) (int, string) {
	e.t.Helper()
	body, ct := multipartBody(e.t, name, ctype, data, text)
	req, _ := http.NewRequest("POST", e.srv.URL+"/api/rooms/"+room+"/files", body)
	req.Header.Set("Content-Type", ct)
	req.Header.Set("Authorization", "Bearer "+e.tokens[user])
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func TestFiles(t *testing.T) {
	e := newWebEnv(t, nil)
	st, body := e.upload("alice", "design", `..\..\dot.png`, "", png, "the dot")
	var p threads.Posted
	if st != 201 || json.Unmarshal([]byte(body), &p) != nil || len(p.Line.Attachments) != 1 || p.Line.Text != "the dot" {
		t.Fatalf("upload: %d %s", st, body)
	}
	a := p.Line.Attachments[0]
	if a.Name != "dot.png" || a.Type != "image/png" || a.Size != int64(len(png)) {
		t.Errorf("attachment %+v", a)
	}
	path := "/api/rooms/design/files/" + a.ID + "?line=" + p.Line.ID
	req, _ := http.NewRequest("GET", e.srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+e.tokens["bob"])
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !bytes.Equal(got, png) || res.Header.Get("Content-Type") != "image/png" ||
		res.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(res.Header.Get("Content-Disposition"), `filename=dot.png`) {
		t.Errorf("download: %d %v", res.StatusCode, res.Header)
	}
	// The file only through a line of the room that holds it.
	st, body = e.do("bob", "GET", "/api/rooms/design/files/"+a.ID, nil)
	e.want(404, "not_found", st, body, "download without a line")
	other, _ := e.store.Chat.Post(e.ctx, threads.NewLine{Room: "design", Author: "bob", Text: "no file", Origin: threads.FromWeb})
	st, body = e.do("bob", "GET", "/api/rooms/design/files/"+a.ID+"?line="+other.Line.ID, nil)
	e.want(404, "not_found", st, body, "download through a line without the file")
	st, body = e.do("bob", "GET", "/api/rooms/other/files/"+a.ID+"?line="+p.Line.ID, nil)
	e.want(404, "not_found", st, body, "download through another room")

	// The same bytes posted in another room under another name: that
	// room's line has its own clean name, and this room's file keeps its
	// name (issue 20: file metadata per room).
	st, body = e.upload("bob", "other", `C:\Users\bob\site photo.png`, "image/png", png, "")
	var q threads.Posted
	if st != 201 || json.Unmarshal([]byte(body), &q) != nil || len(q.Line.Attachments) != 1 {
		t.Fatalf("upload in other: %d %s", st, body)
	}
	if b := q.Line.Attachments[0]; b.ID != a.ID || b.Name != "site photo.png" {
		t.Errorf("the same bytes in another room: %+v, want the same file id %s named site photo.png", b, a.ID)
	}
	for _, c := range []struct{ room, line, want string }{{"design", p.Line.ID, "filename=dot.png"}, {"other", q.Line.ID, `filename="site photo.png"`}} {
		req, _ := http.NewRequest("GET", e.srv.URL+"/api/rooms/"+c.room+"/files/"+a.ID+"?line="+c.line, nil)
		req.Header.Set("Authorization", "Bearer "+e.tokens["bob"])
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if cd := res.Header.Get("Content-Disposition"); res.StatusCode != 200 || !strings.Contains(cd, c.want) {
			t.Errorf("download in %s: %d %q, want %s", c.room, res.StatusCode, cd, c.want)
		}
	}
	// A program sent as a PNG is typed by its bytes and refused.
	st, body = e.upload("alice", "design", "invoice.png", "image/png", append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff"), make([]byte, 64)...), "")
	e.want(415, "file_type", st, body, "a program called a PNG")

	st, body = e.upload("alice", "design", "page.txt", "text/plain", []byte("<html><script>alert(1)</script>"), "")
	e.want(415, "file_type", st, body, "HTML called text")
	st, body = e.upload("alice", "design", "x.exe", "application/x-msdownload", []byte("MZ\x90\x00"), "")
	e.want(415, "file_type", st, body, "a program")
	st, body = e.upload("alice", "design", "big.png", "image/png", append(append([]byte{}, png...), make([]byte, 1<<20)...), "")
	e.want(413, "too_large", st, body, "a file over the limit")
	st, body = e.upload("alice", "design", "empty.txt", "text/plain", nil, "")
	e.want(400, "empty_file", st, body, "an empty file")
	st, body = e.do("alice", "POST", "/api/rooms/design/files", `{"file":"x"}`)
	e.want(415, "content_type", st, body, "JSON instead of a form")

	e2 := newWebEnv(t, func(o *Options) { o.Blobs = nil })
	st, body = e2.upload("alice", "design", "dot.png", "image/png", png, "")
	e2.want(503, "no_files", st, body, "uploads without a blob folder")
}

func TestRateLimit(t *testing.T) {
	e := newWebEnv(t, func(o *Options) { o.RatePerMinute = 60 }) // a burst of 6
	for i := range 6 {
		if st, body := e.do("alice", "GET", "/api/me", nil); st != 200 {
			t.Fatalf("request %d: %d %s", i+1, st, body)
		}
	}
	req, _ := http.NewRequest("GET", e.srv.URL+"/api/me", nil)
	req.Header.Set("Authorization", "Bearer "+e.tokens["alice"])
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	e.want(429, "rate_limited", res.StatusCode, string(b), "the 7th request")
	if ra := res.Header.Get("Retry-After"); ra != "1" {
		t.Errorf("Retry-After = %q", ra)
	}
	// Another member has their own budget.
	if st, body := e.do("bob", "GET", "/api/me", nil); st != 200 {
		t.Errorf("bob: %d %s", st, body)
	}
}

// TestMePreferences: PUT /api/me sets channels per state, digest, quiet
// hours and auto-reply; a preference that would not be honoured is
// refused with a clear 400.
func TestMePreferences(t *testing.T) {
	e := newWebEnv(t, nil)
	cases := []struct {
		name   string
		body   map[string]any
		status int
		want   string
	}{
		{"away by email, offline held", map[string]any{"channels": map[string]string{"away": "email", "offline": "digest"}}, 200, `"channels":{"away":"email","offline":"digest"}`},
		{"sms without a verified phone", map[string]any{"channels": map[string]string{"away": "sms"}}, 400, "away=sms needs a verified phone"},
		{"online by email", map[string]any{"channels": map[string]string{"online": "email"}}, 400, "an online member reads lines live"},
		{"busy by email", map[string]any{"channels": map[string]string{"busy": "email"}}, 400, "busy holds every line"},
		{"an unknown channel", map[string]any{"channels": map[string]string{"away": "pigeon"}}, 400, "unknown channel"},
		{"back to the default", map[string]any{"channels": map[string]string{"offline": "default"}}, 200, `"channels":{"away":"email"}`},
		{"quiet hours", map[string]any{"quiet": map[string]string{"from": "22:00", "to": "07:00", "mode": "hold-all"}}, 200, `"quiet":{"from":"22:00","to":"07:00","mode":"hold-all"}`},
		{"quiet hours off", map[string]any{"quiet": map[string]string{"from": ""}}, 200, `"auto_reply":"on"`},
		{"auto-reply off, weekly digest at 7", map[string]any{"auto_reply": "off", "digest": "weekly", "digest_hour": 7}, 200, `"digest":"weekly","digest_hour":7`},
		{"auto-reply maybe", map[string]any{"auto_reply": "maybe"}, 400, "auto-reply preference"},
	}
	for _, c := range cases {
		st, body := e.do("alice", "PUT", "/api/me", c.body)
		if st != c.status || !strings.Contains(body, c.want) {
			t.Errorf("%s: %d %s, want %d with %q", c.name, st, body, c.status, c.want)
		}
	}
	u, _ := e.store.Directory.User(e.ctx, "alice")
	if u.Prefs.Quiet != nil || u.Prefs.AutoReply != "off" || u.Prefs.Channels[threads.StateAway] != threads.Email {
		t.Errorf("stored prefs %+v", u.Prefs)
	}
}
