package web

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestSlowConnectionsDoNotStopTheDoor: 300 connections from one address
// that never finish their request. Beyond the per-address cap they are
// answered 429 at once; /healthz from another address still answers fast.
func TestSlowConnectionsDoNotStopTheDoor(t *testing.T) {
	e := newWebEnv(t, nil)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := NewServer(New(Options{Store: e.store, Log: quiet}), ServerOptions{Log: quiet})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(Listen(ln, ServerOptions{})) }()
	t.Cleanup(func() { _ = srv.Close() })
	addr := ln.Addr().String()

	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}, Timeout: 2 * time.Second}
	refused := 0
	for i := 0; i < 300; i++ {
		c, err := d.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		t.Cleanup(func() { _ = c.Close() })
		if _, err := c.Write([]byte("GET /healthz HTTP/1.1\r\nHost: parley.test\r\n")); err != nil {
			continue
		}
		_ = c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		line, _ := bufio.NewReader(c).ReadString('\n')
		if strings.HasPrefix(line, "HTTP/1.1 429") {
			refused++
		}
	}
	if want := 300 - DefaultMaxConnsPerIP; refused != want {
		t.Errorf("%d of 300 slow connections refused, want %d", refused, want)
	}
	start := time.Now()
	res, err := http.Get("http://" + addr + "/healthz")
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	if res.StatusCode != http.StatusOK || took > time.Second {
		t.Fatalf("/healthz with 300 slow connections open: %d in %s", res.StatusCode, took)
	}
	t.Logf("/healthz answered in %s with 300 slow connections from one address (%d refused)", took, refused)
}

// TestStreamCaps: 150 live streams for one member; only
// DefaultMaxStreamsPerMember open, the rest get 429 with a JSON error.
func TestStreamCaps(t *testing.T) {
	e := newWebEnv(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	open, refused := 0, 0
	for i := 0; i < 150; i++ {
		req, _ := http.NewRequestWithContext(ctx, "GET", e.srv.URL+"/api/stream", nil)
		req.Header.Set("Authorization", "Bearer "+e.tokens["alice"])
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		switch res.StatusCode {
		case http.StatusOK:
			open++
			t.Cleanup(func() { _ = res.Body.Close() })
		case http.StatusTooManyRequests:
			body, _ := io.ReadAll(res.Body)
			_ = res.Body.Close()
			if !strings.Contains(string(body), `"code":"too_many_streams"`) {
				t.Fatalf("429 body %s", body)
			}
			refused++
		default:
			t.Fatalf("stream %d: status %d", i, res.StatusCode)
		}
	}
	if open != DefaultMaxStreamsPerMember || refused != 150-DefaultMaxStreamsPerMember {
		t.Fatalf("%d streams open, %d refused", open, refused)
	}
	// Another member is not held back by alice's streams.
	req, _ := http.NewRequestWithContext(ctx, "GET", e.srv.URL+"/api/stream", nil)
	req.Header.Set("Authorization", "Bearer "+e.tokens["bob"])
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("bob's stream: %v %v", res, err)
	}
	_ = res.Body.Close()
}
