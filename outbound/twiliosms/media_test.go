package twiliosms

import (
	"context"
	"slices"
	"strings"
	"testing"
)

// TestSendMedia: a picture message posts each MediaUrl with the body
// through twilio-go; too many media or one that is not an http(s) address
// is refused before any request.
func TestSendMedia(t *testing.T) {
	tw, s := newSender(t, Options{From: numberA})
	media := []string{"https://chat.example.org/f/design~a/photo.jpg", "https://chat.example.org/f/design~b/map.png"}
	sid, err := s.SendMedia(context.Background(), phone, "", "[Design] Alice: photos", media)
	if err != nil {
		t.Fatalf("SendMedia: %v", err)
	}
	msgs := tw.Messages()
	if len(msgs) != 1 || msgs[0].SID != sid || !slices.Equal(msgs[0].MediaURL, media) || msgs[0].Body != "[Design] Alice: photos" {
		t.Fatalf("posted %+v, want one message with the media %v", msgs, media)
	}
	// A plain Send posts no MediaUrl.
	if _, err := s.Send(context.Background(), phone, "", "plain"); err != nil {
		t.Fatal(err)
	}
	if m := tw.Messages()[1]; m.MediaURL != nil || m.Form.Has("MediaUrl") {
		t.Errorf("plain text posted media %v", m.MediaURL)
	}
	for name, bad := range map[string][]string{
		"eleven":     slices.Repeat([]string{media[0]}, MaxMedia+1),
		"javascript": {"javascript:alert(1)"},
		"relative":   {"/f/design~a/photo.jpg"},
	} {
		if _, err := s.SendMedia(context.Background(), phone, "", "x", bad); err == nil || !strings.Contains(err.Error(), "media") {
			t.Errorf("%s: err = %v, want a media error", name, err)
		}
	}
	if n := len(tw.Messages()); n != 2 {
		t.Errorf("%d messages after refused ones, want 2", n)
	}
}
