package outbound

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"parley/internal/blobs"
	"parley/internal/testpeers/redispeer"
	"parley/outbound/mailcompose"
	"parley/threads"
)

// TestFilesForEmailAndSMS: a file within the member's limit goes attached,
// a larger one (or any, for a member who wants links only) as a signed
// link that opens it; a text names each file with its link.
func TestFilesForEmailAndSMS(t *testing.T) {
	ctx := context.Background()
	s, store := fileRoom(t, threads.User{ID: "alice", Name: "Alice"}, threads.User{ID: "bob", Name: "Bob"})
	small := []byte("%PDF-1.4 small plan")
	big := bytes.Repeat([]byte("x"), 2000)
	ms, _ := store.Put(ctx, "plan.pdf", "application/pdf", bytes.NewReader(small))
	mb, _ := store.Put(ctx, "photo.jpg", "image/jpeg", bytes.NewReader(big))
	p, err := s.Chat.Post(ctx, threads.NewLine{Room: "design", Author: "alice", Text: "files", Origin: threads.FromWeb,
		Attachments: []threads.Attachment{{ID: ms.ID, Name: ms.Name, Type: ms.Type, Size: ms.Size}, {ID: mb.ID, Name: mb.Name, Type: mb.Type, Size: mb.Size}}})
	if err != nil {
		t.Fatal(err)
	}
	f := &Files{Auth: s.Auth, PublicURL: "https://chat.example.org", Store: store, AttachMax: 1000, TTL: time.Hour}
	bob, _ := s.Directory.User(ctx, "bob")
	d := Parcel{Member: bob, Room: threads.Room{ID: "design", Name: "Design"}, Lines: []threads.Line{p.Line}}
	opens := func(link string) bool {
		tok := strings.TrimPrefix(link, "https://chat.example.org/f/")
		tok = tok[:strings.Index(tok, "/")]
		g, err := s.Auth.ResolveFileToken(ctx, tok)
		return err == nil && g.Member == "bob"
	}
	got := f.ForEmail(d)
	if a := got[mailcompose.FileKey(p.Line.ID, 0)]; !bytes.Equal(a.Data, small) || a.Link != "" {
		t.Errorf("small file: %+v, want it attached", a)
	}
	if b := got[mailcompose.FileKey(p.Line.ID, 1)]; b.Data != nil || !strings.HasSuffix(b.Link, "/photo.jpg") || !opens(b.Link) {
		t.Errorf("large file: %+v, want a working link", b)
	}
	// Links only, by the member's preference.
	d.Member.Prefs.AttachMax = new(int64(0))
	for k, v := range f.ForEmail(d) {
		if v.Data != nil || !opens(v.Link) {
			t.Errorf("links-only member got %s as %+v", k, v)
		}
	}
	// The text: each file named, with its link, within the budget.
	sms := NewSMS(SMSOptions{Files: f, PublicURL: "https://chat.example.org", Budget: 3})
	body := sms.format(d, false)
	if !strings.Contains(body, "[file: plan.pdf 19 bytes] https://chat.example.org/f/design~") ||
		!strings.Contains(body, "[file: photo.jpg 2 KB] https://chat.example.org/f/design~") {
		t.Errorf("text = %q", body)
	}
	// Without a public URL no link can be made: files are only named.
	none := (&Files{Auth: s.Auth}).ForEmail(Parcel{Member: bob, Lines: []threads.Line{p.Line}})
	if len(none) != 0 {
		t.Errorf("without a public URL: %+v", none)
	}
}

// fileRoom returns a store with a secret, the users, the room design of
// them all, and a file store in a temporary folder.
func fileRoom(t *testing.T, users ...threads.User) (*threads.Store, *blobs.Store) {
	t.Helper()
	r := redispeer.New(t)
	s := threads.New(r.Client, threads.Options{Prefix: r.Prefix, Secret: []byte("0123456789abcdef0123456789abcdef")})
	ctx := context.Background()
	var ids []string
	for _, u := range users {
		if _, err := s.Directory.AddUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, u.ID)
	}
	if _, err := s.Chat.CreateRoom(ctx, threads.Room{ID: "design", Name: "Design", Members: ids}); err != nil {
		t.Fatal(err)
	}
	store, err := blobs.New(t.TempDir(), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	return s, store
}
