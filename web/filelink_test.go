package web

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"parley/internal/filelink"
	"parley/threads"
)

// get fetches url with client (no session), with the given headers.
func get(t *testing.T, c *http.Client, u string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	return res, b
}

// TestFileLinks: a signed link downloads the file without a session, with
// Range; not when forged, expired (which offers a fresh one by email) or
// after the member left the room.
func TestFileLinks(t *testing.T) {
	e := newWebEnv(t, nil)
	data := append(append([]byte{}, png...), bytes.Repeat([]byte{0}, 3000)...)
	st, body := e.upload("alice", "design", "site photo.png", "image/png", data, "the photo")
	var p threads.Posted
	if st != 201 || json.Unmarshal([]byte(body), &p) != nil {
		t.Fatalf("upload: %d %s", st, body)
	}
	a := p.Line.Attachments[0]
	ref := threads.FileRef{Room: "design", Line: p.Line.ID, Member: "bob"}
	tok, err := e.store.Auth.FileToken(ref, a.ID, 0, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	link := filelink.URL(e.srv.URL, tok, a.Name)
	c := &http.Client{}
	res, got := get(t, c, link)
	if res.StatusCode != 200 || !bytes.Equal(got, data) {
		t.Fatalf("download: %d, %d bytes", res.StatusCode, len(got))
	}
	for k, want := range map[string]string{
		"Content-Type":           "image/png",
		"Content-Disposition":    `attachment; filename="site photo.png"`,
		"X-Content-Type-Options": "nosniff",
		"Accept-Ranges":          "bytes",
	} {
		if res.Header.Get(k) != want {
			t.Errorf("%s = %q, want %q", k, res.Header.Get(k), want)
		}
	}
	// Resume on a bad line.
	res, got = get(t, c, link, "Range", "bytes=100-")
	if res.StatusCode != 206 || !bytes.Equal(got, data[100:]) {
		t.Errorf("Range: %d, %d bytes", res.StatusCode, len(got))
	}
	// Forged, or another member's name in it.
	for _, bad := range []string{strings.Replace(tok, "~bob~", "~alice~", 1), tok[:len(tok)-1] + "a", "x", "a~b~c"} {
		res, got = get(t, c, e.srv.URL+"/f/"+bad+"/x.png")
		if res.StatusCode != 404 || !strings.Contains(string(got), "This link does not work") {
			t.Errorf("forged %q: %d", bad, res.StatusCode)
		}
	}

	// Expired: a page offers a fresh link, emailed to bob only.
	old, _ := e.store.Auth.FileToken(ref, a.ID, 0, time.Now().Add(-time.Minute))
	jar, _ := cookiejar.New(nil)
	bc := &http.Client{Jar: jar}
	oldLink := filelink.URL(e.srv.URL, old, a.Name)
	res, got = get(t, bc, oldLink)
	if res.StatusCode != 410 || !strings.Contains(string(got), "Email me a fresh link") || bytes.Contains(got, png[:8]) {
		t.Fatalf("expired: %d %s", res.StatusCode, got)
	}
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(got)
	if csrf == nil {
		t.Fatalf("no csrf in %s", got)
	}
	res2, err := bc.PostForm(oldLink, url.Values{"csrf": {string(csrf[1])}})
	if err != nil {
		t.Fatal(err)
	}
	b2, _ := io.ReadAll(res2.Body)
	res2.Body.Close()
	if res2.StatusCode != 200 || !strings.Contains(string(b2), "on its way") {
		t.Fatalf("fresh link: %d %s", res2.StatusCode, b2)
	}
	ns, err := e.store.Queue.ClaimNotices(e.ctx, "test", 10, time.Minute)
	if err != nil || len(ns) != 1 || ns[0].To != "bob@example.org" || ns[0].Kind != threads.NoticeFileLink || ns[0].Title != "site photo.png" {
		t.Fatalf("notices = %+v, %v", ns, err)
	}
	fresh, ok := strings.CutPrefix(ns[0].Link, "http://parley.test/f/")
	if !ok {
		t.Fatalf("fresh link %q is not under the public URL", ns[0].Link)
	}
	res, got = get(t, c, e.srv.URL+"/f/"+fresh)
	if res.StatusCode != 200 || !bytes.Equal(got, data) {
		t.Fatalf("fresh link %s: %d", ns[0].Link, res.StatusCode)
	}
	// Without the form's token nothing is sent.
	res3, _ := http.PostForm(oldLink, url.Values{})
	res3.Body.Close()
	if res3.StatusCode != 403 {
		t.Errorf("fresh link without csrf: %d", res3.StatusCode)
	}

	// Bob leaves the room: his link stops working.
	if err := e.store.Chat.AddMember(e.ctx, "design", "carol"); err != nil {
		t.Fatal(err)
	}
	if err := e.store.Chat.RemoveMember(e.ctx, "design", "bob"); err != nil {
		t.Fatal(err)
	}
	if res, _ = get(t, c, link); res.StatusCode != 404 {
		t.Errorf("after leaving: %d", res.StatusCode)
	}
}

func TestDownloadType(t *testing.T) {
	cases := []struct {
		data []byte
		want string
	}{
		{png, "image/png"},
		{[]byte("%PDF-1.4 x"), "application/pdf"},
		{[]byte("<html><script>alert(1)</script>"), "text/plain; charset=utf-8"},
		{[]byte("<?xml version=\"1.0\"?><svg/>"), "text/plain; charset=utf-8"},
		{[]byte("a,b\n1,2\n"), "text/plain; charset=utf-8"},
		{[]byte{}, "text/plain; charset=utf-8"},
	}
	for _, c := range cases {
		r := bytes.NewReader(c.data)
		got, err := downloadType(r)
		if err != nil || got != c.want {
			t.Errorf("downloadType(%q) = %q, %v; want %q", c.data, got, err, c.want)
		}
		if pos, _ := r.Seek(0, io.SeekCurrent); pos != 0 {
			t.Errorf("left at %d", pos)
		}
	}
}
