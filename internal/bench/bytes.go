package bench

import (
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"time"

	"parley/outbound/smsfmt"
	"parley/threads"
	"parley/web"
)

// bytesFigure: what one line costs a member on a slow link: the relay email
// for one line (as handed to the smarthost), the first load of a room page
// (HTML and the static files it names, gzip as a browser asks), and the SMS
// segments of a 120-character line (as the SMS channel formats it).
func bytesFigure(ctx context.Context, r *run) Figure {
	const what, target = "bytes: relay email for one line; first room load; SMS segments of a 120-char line", "≤ 4 KB, ≤ 10 KB, 1"
	st := r.redis.newStore()
	for _, id := range []string{"alice", "bob"} {
		if _, err := st.Directory.AddUser(ctx, threads.User{ID: id, Name: strings.ToUpper(id[:1]) + id[1:] + " Archer",
			Emails: []string{id + "@example.org"}}); err != nil {
			return failed(what, target, err)
		}
	}
	if _, err := st.Chat.CreateRoom(ctx, threads.Room{ID: "design", Name: "Design", Members: []string{"alice", "bob"}}); err != nil {
		return failed(what, target, err)
	}
	if _, err := st.Chat.SetStatus(ctx, "bob", threads.Status{Availability: threads.Away}); err != nil {
		return failed(what, target, err)
	}
	email, err := relayBytes(ctx, r, st)
	if err != nil {
		return failed(what, target, err)
	}
	page, err := pageBytes(ctx, st)
	if err != nil {
		return failed(what, target, err)
	}
	text := strings.Repeat("Can we move the review to Friday afternoon? ", 3)[:120]
	sms := smsfmt.Format([]smsfmt.Line{{Room: "Design", Name: "Alice Archer", Text: text}},
		smsfmt.Options{Link: "https://chat.example.org/rooms/design"})
	segments, _, _ := smsfmt.Segments(sms)
	return Figure{What: what, Target: target, Peer: "—",
		Parley: fmt.Sprintf("%s B; %s B; %d segment(s)", thousands(float64(email)), thousands(float64(page)), segments),
		Values: map[string]float64{"relay_email_bytes": float64(email), "first_room_load_bytes": float64(page), "sms_segments": float64(segments)}}
}

// relayBytes is the size of the relay email of one line from alice to bob.
func relayBytes(ctx context.Context, r *run, st *threads.Store) (int64, error) {
	sk, err := startSink()
	if err != nil {
		return 0, err
	}
	defer sk.Close()
	m, err := newMailer(st, sk.Addr, throughput)
	if err != nil {
		return 0, err
	}
	defer m.Close()
	defer m.start()()
	if _, err := st.Chat.Post(ctx, threads.NewLine{Room: "design", Author: "alice",
		Text: "Can we move the design review to Friday afternoon?", Origin: threads.FromAPI}); err != nil {
		return 0, err
	}
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := drained(dctx, st); err != nil {
		return 0, err
	}
	if m.n.Load() != 1 {
		return 0, fmt.Errorf("%d relay emails for one line, want 1", m.n.Load())
	}
	return m.bytes.Load(), nil
}

var staticRef = regexp.MustCompile(`(?:src|href)="(/static/[^"]+)"`)

// pageBytes is what a browser downloads to show the room page the first
// time: the page and every static file it names, gzip accepted.
func pageBytes(ctx context.Context, st *threads.Store) (int64, error) {
	session, _, err := st.Auth.NewSession(ctx, "alice")
	if err != nil {
		return 0, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	srv := &http.Server{Handler: web.New(web.Options{Store: st, Log: quiet}), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }()
	defer srv.Close()
	base := "http://" + l.Addr().String()
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	get := func(path string) (string, int64, error) {
		req, _ := http.NewRequestWithContext(ctx, "GET", base+path, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		req.AddCookie(&http.Cookie{Name: "parley_session", Value: session})
		resp, err := client.Do(req)
		if err != nil {
			return "", 0, err
		}
		defer resp.Body.Close()
		raw, err := io.ReadAll(resp.Body)
		if err != nil {
			return "", 0, err
		}
		if resp.StatusCode != http.StatusOK {
			return "", 0, fmt.Errorf("GET %s: %s", path, resp.Status)
		}
		body := raw
		if resp.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(strings.NewReader(string(raw)))
			if err != nil {
				return "", 0, err
			}
			if body, err = io.ReadAll(zr); err != nil {
				return "", 0, err
			}
		}
		return string(body), int64(len(raw)), nil
	}
	html, total, err := get("/rooms/design")
	if err != nil {
		return 0, err
	}
	seen := map[string]bool{}
	for _, m := range staticRef.FindAllStringSubmatch(html, -1) {
		if seen[m[1]] {
			continue
		}
		seen[m[1]] = true
		_, n, err := get(m[1])
		if err != nil {
			return 0, err
		}
		total += n
	}
	return total, nil
}
