package sms

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"parley/internal/blobs"
	"parley/internal/testpeers/redispeer"
	"parley/internal/testpeers/twiliopeer"
	"parley/outbound/twiliosms"
	"parley/threads"
)

const (
	publicURL = "https://parley.example.org"
	carolPh   = "+15550001111"
	erinPh    = "+15550005555"
	davePh    = "+15550004444"
	frankPh   = "+15550006666"
	num1      = "+15550009001"
	num2      = "+15550009002"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// henv is one handler test: a store with carol (design and ops), erin
// (design only), dave (disabled), the handler answering through the real
// twilio-go client to a fake Twilio, and a media server that wants the
// account's credentials.
type henv struct {
	store *threads.Store
	fake  *twiliopeer.Server
	h     *Handler
	ctx   context.Context
	media *httptest.Server
	blobs string
}

func newHenv(t *testing.T) *henv {
	t.Helper()
	r := redispeer.New(t)
	st := threads.New(r.Client, threads.Options{Prefix: r.Prefix})
	ctx := context.Background()
	for _, u := range []threads.User{
		{ID: "alice", Name: "Alice", Emails: []string{"alice@example.org"}},
		{ID: "bob", Name: "Bob", Emails: []string{"bob@example.org"}},
		{ID: "carol", Name: "Carol", Phone: carolPh, PhoneVerified: true, Emails: []string{"carol@example.org"}},
		{ID: "erin", Name: "Erin", Phone: erinPh, PhoneVerified: true},
		{ID: "dave", Name: "Dave", Phone: davePh, PhoneVerified: true, Disabled: true},
		{ID: "frank", Name: "Frank", Phone: frankPh}, // typed in by himself: not verified
	} {
		if _, err := st.Directory.AddUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	for _, rm := range []threads.Room{
		{ID: "design", Name: "Design", Members: []string{"alice", "bob", "carol", "erin", "frank"}},
		{ID: "ops", Name: "Ops Team", Members: []string{"alice", "carol"}},
	} {
		if _, err := st.Chat.CreateRoom(ctx, rm); err != nil {
			t.Fatal(err)
		}
	}
	fake := twiliopeer.New(t)
	sender, err := twiliosms.New(twiliosms.Options{AccountSID: fake.AccountSID, AuthToken: fake.AuthToken,
		From: "+15550009999", Numbers: []string{num1, num2}, APIBaseURL: fake.URL, Rate: -1})
	if err != nil {
		t.Fatal(err)
	}
	media := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		if !ok || user != fake.AccountSID || pass != fake.AuthToken {
			http.Error(w, "who are you", http.StatusUnauthorized)
			return
		}
		switch r.URL.Path {
		case "/photo":
			w.Header().Set("Content-Type", "image/jpeg")
			_, _ = w.Write([]byte("\xff\xd8\xff\xe0 a small photo"))
		case "/big":
			w.Header().Set("Content-Type", "image/jpeg")
			_, _ = w.Write([]byte(strings.Repeat("x", 2048)))
		case "/down":
			http.Error(w, "try later", http.StatusServiceUnavailable)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(media.Close)
	dir := t.TempDir()
	b, err := blobs.New(dir, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	h, err := New(Options{SMS: st.SMS, Directory: st.Directory, Chat: st.Chat, PublicURL: publicURL,
		AccountSID: fake.AccountSID, AuthToken: fake.AuthToken, Replies: sender, Blobs: b, MediaBases: []string{media.URL}, MaxMedia: 1024, Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	return &henv{store: st, fake: fake, h: h, ctx: ctx, media: media, blobs: dir}
}

// do sends a form signed as Twilio signs it for the public URL of path.
func (e *henv) do(t *testing.T, path string, params url.Values) *httptest.ResponseRecorder {
	t.Helper()
	req, err := twiliopeer.NewSignedRequest(e.ctx, e.fake.AuthToken, publicURL+path, "http://127.0.0.1"+path, params)
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, req)
	return w
}

// text sends an inbound text and checks that Twilio got empty TwiML.
func (e *henv) text(t *testing.T, from, to, body string) url.Values {
	t.Helper()
	p := e.fake.InboundParams(from, to, body)
	e.mustTake(t, p)
	return p
}

// mustTake posts params to the inbound webhook and wants 200 with TwiML.
func (e *henv) mustTake(t *testing.T, p url.Values) {
	t.Helper()
	w := e.do(t, InboundPath, p)
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "text/xml; charset=utf-8" || !strings.Contains(w.Body.String(), "<Response/>") {
		t.Fatalf("inbound text answered %d %q: %s", w.Code, w.Header().Get("Content-Type"), w.Body)
	}
}

// replies returns the bodies of the replies sent to phone.
func (e *henv) replies(phone string) []string {
	var out []string
	for _, m := range e.fake.Messages() {
		if m.To == phone {
			out = append(out, m.Body)
		}
	}
	return out
}

// lines returns a room's lines as "author: text".
func (e *henv) lines(t *testing.T, room string) []string {
	t.Helper()
	ls, err := e.store.Chat.Lines(e.ctx, room, threads.Range{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range ls {
		out = append(out, l.Author+": "+l.Text)
	}
	return out
}
