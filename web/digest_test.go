package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"parley/threads"
)

func TestDigestOneClickUnsubscribe(t *testing.T) {
	s, srv, _ := setup(t)
	ctx := context.Background()
	_, tok, err := s.Auth.DigestTokens(ctx, "bob")
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.Get(srv.URL + "/unsubscribe-digest/" + tok)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if u, _ := s.Directory.User(ctx, "bob"); res.StatusCode != 200 || u.Prefs.Digest == threads.DigestOff {
		t.Fatalf("GET: %d, digest %q", res.StatusCode, u.Prefs.Digest)
	}
	res, err = http.PostForm(srv.URL+"/unsubscribe-digest/"+tok, url.Values{"List-Unsubscribe": {"One-Click"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if u, _ := s.Directory.User(ctx, "bob"); res.StatusCode != 200 || u.Prefs.Digest != threads.DigestOff {
		t.Fatalf("POST: %d, digest %q", res.StatusCode, u.Prefs.Digest)
	}
	// A room's unsubscribe token is not a digest token, and forged ones are 404.
	room, _ := s.Auth.UnsubscribeToken(ctx, "design", "bob")
	for _, bad := range []string{room, strings.Repeat("a", 32), "short"} {
		res, err := http.PostForm(srv.URL+"/unsubscribe-digest/"+bad, url.Values{"List-Unsubscribe": {"One-Click"}})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 404 {
			t.Errorf("token %q: %d", bad, res.StatusCode)
		}
	}
}
