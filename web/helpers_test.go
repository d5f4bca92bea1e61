package web

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"parley/internal/blobs"
	"parley/internal/testpeers/redispeer"
	"parley/threads"
)

// webEnv is one test's parley web server: alice owns design (with bob),
// bob and carol share other, dave is an admin in no room.
type webEnv struct {
	t     *testing.T
	store *threads.Store
	srv   *httptest.Server
	ctx   context.Context
	// tokens are API tokens by user.
	tokens map[string]string
	// noticed are the addresses of the notices claimLink took.
	noticed []string
}

func newWebEnv(t *testing.T, tune func(*Options)) *webEnv {
	t.Helper()
	r := redispeer.New(t)
	s := threads.New(r.Client, threads.Options{Prefix: r.Prefix, Secret: []byte("0123456789abcdef0123456789abcdef")})
	ctx := context.Background()
	for _, u := range []threads.User{
		{ID: "alice", Name: "Alice", Emails: []string{"alice@example.org"}},
		{ID: "bob", Name: "Bob", Emails: []string{"bob@example.org"}},
		{ID: "carol", Name: "Carol", Emails: []string{"carol@example.org"}},
		{ID: "dave", Name: "Dave", Emails: []string{"dave@example.org"}, Role: threads.RoleAdmin},
	} {
		if _, err := s.Directory.AddUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	for _, rm := range []threads.Room{
		{ID: "design", Name: "Design", Members: []string{"alice", "bob"}, Owner: "alice"},
		{ID: "other", Name: "Other", Members: []string{"bob", "carol"}, Owner: "bob"},
	} {
		if _, err := s.Chat.CreateRoom(ctx, rm); err != nil {
			t.Fatal(err)
		}
	}
	b, err := blobs.New(t.TempDir(), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	o := Options{Store: s, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), PublicURL: "http://parley.test",
		Blobs: b, MaxUploadBytes: 1 << 20, RatePerMinute: 100000}
	if tune != nil {
		tune(&o)
	}
	srv := httptest.NewServer(New(o))
	t.Cleanup(srv.Close)
	e := &webEnv{t: t, store: s, srv: srv, ctx: ctx, tokens: map[string]string{}}
	for _, u := range []string{"alice", "bob", "carol", "dave"} {
		secret, _, err := s.Auth.NewAPIToken(ctx, u, "test")
		if err != nil {
			t.Fatal(err)
		}
		e.tokens[u] = secret
	}
	return e
}

// do sends a request as user (by API token; "" for nobody) and returns
// the status and body.
func (e *webEnv) do(user, method, path string, body any) (int, string) {
	e.t.Helper()
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case string:
		rd, ct = strings.NewReader(b), "application/json"
	default:
		data, _ := json.Marshal(b)
		rd, ct = strings.NewReader(string(data)), "application/json"
	}
	req, _ := http.NewRequest(method, e.srv.URL+path, rd)
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if user != "" {
		req.Header.Set("Authorization", "Bearer "+e.tokens[user])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(data)
}

// want fails the test unless the answer has the status (and, for an
// error, a JSON body with the code).
func (e *webEnv) want(status int, code string, gotStatus int, body string, what string) {
	e.t.Helper()
	if gotStatus != status {
		e.t.Errorf("%s: status %d, want %d (%s)", what, gotStatus, status, body)
		return
	}
	if code != "" {
		var ae apiError
		if err := json.Unmarshal([]byte(body), &ae); err != nil || ae.Code != code || ae.Error == "" {
			e.t.Errorf("%s: body %s, want code %q", what, body, code)
		}
	}
}

// browser is a cookie-keeping client signed in as user through a session
// made directly in the store; it does not follow redirects.
type browser struct {
	*http.Client
	csrf string
}

func (e *webEnv) browser(user string) *browser {
	e.t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	b := &browser{Client: c}
	if user != "" {
		tok, se, err := e.store.Auth.NewSession(e.ctx, user)
		if err != nil {
			e.t.Fatal(err)
		}
		u, _ := http.NewRequest("GET", e.srv.URL, nil)
		jar.SetCookies(u.URL, []*http.Cookie{{Name: sessionCookie, Value: tok}})
		b.csrf = se.CSRF
	}
	return b
}

// waitFor polls cond for up to 5 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
