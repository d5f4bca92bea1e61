package web

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"parley/internal/redisclient"
	"parley/internal/testpeers/redispeer"
	"parley/threads"

	"github.com/redis/go-redis/v9"
)

func setup(t *testing.T) (*threads.Store, *httptest.Server, string) {
	r := redispeer.New(t)
	s := threads.New(r.Client, threads.Options{Prefix: r.Prefix, Secret: []byte("0123456789abcdef0123456789abcdef")})
	ctx := context.Background()
	for _, id := range []string{"alice", "bob"} {
		if _, err := s.Directory.AddUser(ctx, threads.User{ID: id, Name: id, Emails: []string{id + "@example.org"}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Chat.CreateRoom(ctx, threads.Room{ID: "design", Name: "Design", Members: []string{"alice", "bob"}}); err != nil {
		t.Fatal(err)
	}
	tok, err := s.Auth.UnsubscribeToken(ctx, "design", "bob")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(New(Options{Store: s}))
	t.Cleanup(srv.Close)
	return s, srv, tok
}

func TestHealth(t *testing.T) {
	_, srv, _ := setup(t)
	res, err := http.Get(srv.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || strings.TrimSpace(string(body)) != `{"status":"ok"}` {
		t.Fatalf("healthz = %d %s", res.StatusCode, body)
	}
}

func TestOneClickUnsubscribe(t *testing.T) {
	s, srv, tok := setup(t)
	ctx := context.Background()
	// GET shows a button and changes nothing (link scanners).
	res, err := http.Get(srv.URL + "/unsubscribe/" + tok)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), "Stop emails from Design") || !strings.Contains(string(body), `method="post"`) {
		t.Fatalf("GET = %d %s", res.StatusCode, body)
	}
	if m, _ := s.Chat.Muted(ctx, "design", "bob"); m {
		t.Fatal("GET unsubscribed")
	}
	// RFC 8058: POST with List-Unsubscribe=One-Click.
	res, err = http.PostForm(srv.URL+"/unsubscribe/"+tok, url.Values{"List-Unsubscribe": {"One-Click"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("POST = %d", res.StatusCode)
	}
	if m, _ := s.Chat.Muted(ctx, "design", "bob"); !m {
		t.Fatal("not muted after one-click")
	}
	if p, _ := s.Chat.Post(ctx, threads.NewLine{Room: "design", Author: "alice", Text: "hi", Origin: threads.FromWeb}); p.Routes["bob"].Channel != threads.Hold {
		t.Fatalf("bob still routed %v", p.Routes["bob"])
	}
}

func TestUnsubscribeBadInput(t *testing.T) {
	_, srv, tok := setup(t)
	cases := []struct {
		name, method, path, body string
		want                     int
	}{
		{"forged token", "POST", "/unsubscribe/" + strings.Repeat("a", 32), "", 404},
		{"short token", "GET", "/unsubscribe/abc", "", 404},
		{"huge body", "POST", "/unsubscribe/" + tok, "x=" + strings.Repeat("a", 20000), 400},
		{"wrong method", "DELETE", "/unsubscribe/" + tok, "", 405},
	}
	for _, c := range cases {
		req, _ := http.NewRequest(c.method, srv.URL+c.path, strings.NewReader(c.body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != c.want {
			t.Errorf("%s: %d, want %d", c.name, res.StatusCode, c.want)
		}
	}
}

// TestHealthWithoutRedis: /healthz is liveness only. It answers 200 at
// once while Redis is down or takes connections and never answers, so a
// Redis outage does not get every process restarted (/readyz, in
// cmd/parley, is the check that waits on Redis).
func TestHealthWithoutRedis(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
			go func() { _, _ = io.Copy(io.Discard, c) }()
		}
	}()
	for _, c := range []struct{ name, addr string }{
		{"redis down", "127.0.0.1:1"},
		{"redis hangs", ln.Addr().String()},
	} {
		rdb := redisclient.New(&redis.Options{Addr: c.addr, MaxRetries: -1})
		srv := httptest.NewServer(New(Options{Store: threads.New(rdb, threads.Options{}), Log: slog.New(slog.DiscardHandler)}))
		start := time.Now()
		res, err := http.Get(srv.URL + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		took := time.Since(start)
		if res.StatusCode != 200 || strings.TrimSpace(string(body)) != `{"status":"ok"}` || took > time.Second {
			t.Errorf("%s: healthz = %d %s after %s; want 200 at once", c.name, res.StatusCode, body, took)
		}
		srv.Close()
		rdb.Close()
	}
}
