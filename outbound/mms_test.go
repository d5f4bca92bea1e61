package outbound

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"parley/internal/blobs"
	"parley/internal/testpeers/twiliopeer"
	"parley/outbound/twiliosms"
	"parley/threads"
)

// TestSMSPictureMessage: through twilio-go and the fake Twilio, a batch
// with an image goes as a picture message whose MediaUrl is the member's
// signed link to it (other files stay links in the text); a member who
// turned MMS off, a confidential room, or a batch without images gets a
// plain text.
func TestSMSPictureMessage(t *testing.T) {
	ctx := context.Background()
	s, store := fileRoom(t, threads.User{ID: "alice", Name: "Alice"}, threads.User{ID: "carol", Name: "Carol", Phone: "+15550002222", PhoneVerified: true})
	img, _ := store.Put(ctx, "site.png", "image/png", bytes.NewReader([]byte("\x89PNG\r\n\x1a\n a small picture")))
	pdf, _ := store.Put(ctx, "plan.pdf", "application/pdf", bytes.NewReader([]byte("%PDF-1.4 plan")))
	post := func(text string, atts ...blobs.Meta) threads.Line {
		var as []threads.Attachment
		for _, a := range atts {
			as = append(as, threads.Attachment{ID: a.ID, Name: a.Name, Type: a.Type, Size: a.Size})
		}
		p, err := s.Chat.Post(ctx, threads.NewLine{Room: "design", Author: "alice", Text: text, Origin: threads.FromWeb, Attachments: as})
		if err != nil {
			t.Fatal(err)
		}
		return p.Line
	}
	both, onlyPDF := post("the site and the plan", img, pdf), post("the plan again", pdf)

	fake := twiliopeer.New(t)
	sender, err := twiliosms.New(twiliosms.Options{AccountSID: fake.AccountSID, AuthToken: fake.AuthToken,
		From: "+15550009999", APIBaseURL: fake.URL, Rate: -1})
	if err != nil {
		t.Fatal(err)
	}
	const public = "https://chat.example.org"
	files := &Files{Auth: s.Auth, PublicURL: public, Store: store, TTL: time.Hour}
	ch := NewSMS(SMSOptions{SMS: s.SMS, Sender: sender, Files: files, PublicURL: public, Budget: 4, Log: quiet})
	carol, err := s.Directory.User(ctx, "carol")
	if err != nil {
		t.Fatal(err)
	}
	room := threads.Room{ID: "design", Name: "Design"}
	off := carol
	off.Prefs.MMS = "off"
	for _, tc := range []struct {
		name   string
		member threads.User
		room   threads.Room
		line   threads.Line
		media  bool
	}{
		{"image, MMS on by default", carol, room, both, true},
		{"no image", carol, room, onlyPDF, false},
		{"MMS off", off, room, both, false},
		{"confidential room", carol, threads.Room{ID: "design", Name: "Design", Confidential: true}, both, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(fake.Messages())
			if err := ch.Deliver(ctx, Parcel{Member: tc.member, Room: tc.room, Lines: []threads.Line{tc.line}}); err != nil {
				t.Fatal(err)
			}
			msgs := fake.Messages()
			if len(msgs) != before+1 {
				t.Fatalf("%d texts sent, want 1", len(msgs)-before)
			}
			m := msgs[len(msgs)-1]
			if !tc.media {
				if len(m.MediaURL) != 0 {
					t.Errorf("media %v, want a plain text", m.MediaURL)
				}
				return
			}
			if len(m.MediaURL) != 1 || !strings.HasPrefix(m.MediaURL[0], public+"/f/") || !strings.HasSuffix(m.MediaURL[0], "/site.png") {
				t.Fatalf("media %v, want carol's link to site.png", m.MediaURL)
			}
			tok := strings.TrimPrefix(m.MediaURL[0], public+"/f/")
			g, err := s.Auth.ResolveFileToken(ctx, tok[:strings.Index(tok, "/")])
			if err != nil || g.Member != "carol" || g.File.ID != img.ID {
				t.Errorf("the media link opens %+v (%v), want carol's site.png", g, err)
			}
			if !strings.Contains(m.Body, "[file: plan.pdf") {
				t.Errorf("the text lacks the other file: %q", m.Body)
			}
		})
	}
}
