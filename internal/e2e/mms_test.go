package e2e

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"parley/internal/testpeers/redispeer"
	"parley/internal/testpeers/twiliopeer"
	"parley/threads"
)

// TestMMSImage: through the real binary, an image alice uploads reaches
// carol (offline, texted) as a picture message at the fake Twilio whose
// MediaUrl is her signed link; fetched as Twilio would (no session), it
// is the same bytes. Dave, who turned picture messages off, gets a plain
// text with the link.
func TestMMSImage(t *testing.T) {
	const public = "https://parley.example.org"
	fake := twiliopeer.New(t)
	rd := redispeer.New(t)
	p := startParley(t, rd, "TWILIO_ACCOUNT_SID="+fake.AccountSID, "TWILIO_AUTH_TOKEN="+fake.AuthToken,
		"PARLEY_SMS_FROM=+15550009999", "PARLEY_TWILIO_API_URL="+fake.URL, "PARLEY_PUBLIC_URL="+public,
		"PARLEY_SMS_RATE=50", "PARLEY_BLOB_DIR="+t.TempDir())
	p.run(t, "user", "add", "--id", "alice", "--name", "Alice Archer", "--email", "alice@example.org")
	p.run(t, "user", "add", "--id", "carol", "--name", "Carol Chen", "--phone", "+15550002222")
	p.run(t, "user", "add", "--id", "dave", "--name", "Dave Dunn", "--phone", "+15550003333")
	p.run(t, "room", "create", "--id", room, "--name", "Design", "--members", "alice,carol,dave")
	p.run(t, "presence", "set", "carol", "offline")
	p.run(t, "presence", "set", "dave", "offline")
	st := threads.New(rd.Client, threads.Options{Prefix: rd.Prefix})
	ctx := context.Background()
	if _, err := st.Directory.UpdateUser(ctx, "dave", func(u *threads.User) error { u.Prefs.MMS = "off"; return nil }); err != nil {
		t.Fatal(err)
	}
	secret, _, err := st.Auth.NewAPIToken(ctx, "alice", "mms test")
	if err != nil {
		t.Fatal(err)
	}

	img := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte("pixels "), 200)...)
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	w, _ := mw.CreateFormFile("file", "site.png")
	_, _ = w.Write(img)
	_ = mw.WriteField("text", "@carol @dave the new site")
	_ = mw.Close()
	req, _ := http.NewRequest("POST", "http://"+p.HTTP+"/api/rooms/"+room+"/files", &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+secret)
	client := &http.Client{Timeout: 10 * time.Second}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("upload answered %d %s", res.StatusCode, answer)
	}

	var carol, plain twiliopeer.Message
	waitFor(t, mailWait, "carol's and dave's texts", func() bool {
		for _, m := range fake.Messages() {
			switch m.To {
			case "+15550002222":
				carol = m
			case "+15550003333":
				plain = m
			}
		}
		return carol.SID != "" && plain.SID != ""
	})
	if len(carol.MediaURL) != 1 || !strings.HasPrefix(carol.MediaURL[0], public+"/f/") || !strings.Contains(carol.Body, "the new site") {
		t.Fatalf("carol's text: body %q, media %v; want a picture message with her link", carol.Body, carol.MediaURL)
	}
	if len(plain.MediaURL) != 0 || !strings.Contains(plain.Body, public+"/f/") {
		t.Errorf("dave (MMS off): body %q, media %v; want a text with the link", plain.Body, plain.MediaURL)
	}
	// Twilio fetches the media without a session (through the proxy that
	// PARLEY_PUBLIC_URL names: here straight to parley).
	got, err := client.Get("http://" + p.HTTP + strings.TrimPrefix(carol.MediaURL[0], public))
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(got.Body)
	got.Body.Close()
	if got.StatusCode != http.StatusOK || !bytes.Equal(data, img) || got.Header.Get("Content-Type") != "image/png" {
		t.Errorf("fetching the media: %d %s, %d bytes; want 200 image/png and the uploaded %d bytes",
			got.StatusCode, got.Header.Get("Content-Type"), len(data), len(img))
	}
	p.stop(t, fake.AuthToken)
}
