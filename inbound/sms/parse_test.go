package sms

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseCommand(t *testing.T) {
	for _, c := range []struct {
		text string
		want Command
	}{
		{"HELP", Command{Kind: Help}},
		{"  help \n", Command{Kind: Help}},
		{"Info", Command{Kind: Help}},
		{"rooms", Command{Kind: Rooms}},
		{"AWAY", Command{Kind: Away}},
		{"away   at the   dentist ", Command{Kind: Away, Arg: "at the dentist"}},
		{"Back", Command{Kind: Back}},
		{"MUTE #design", Command{Kind: Mute, Arg: "design"}},
		{"unmute  #Design", Command{Kind: Unmute, Arg: "Design"}},
		{"mute the call please", Command{Kind: Post}},
		{"MUTE #design now", Command{Kind: Post}},
		{"MUTE", Command{Kind: Post}},
		{"mute #", Command{Kind: Post}},
		{"STOP", Command{Kind: Stop}},
		{"stopall", Command{Kind: Stop}},
		{"Unsubscribe", Command{Kind: Stop}},
		{"cancel", Command{Kind: Stop}},
		{"END", Command{Kind: Stop}},
		{"quit", Command{Kind: Stop}},
		{"START", Command{Kind: Start}},
		{"yes", Command{Kind: Start}},
		{"UNSTOP", Command{Kind: Start}},
		{"stop the build", Command{Kind: Post}},
		{"yes please", Command{Kind: Post}},
		{"back in 5", Command{Kind: Post}},
		{"helpful", Command{Kind: Post}},
		{"", Command{Kind: Post}},
	} {
		if got := ParseCommand(c.text); got != c.want {
			t.Errorf("ParseCommand(%q) = %+v, want %+v", c.text, got, c.want)
		}
	}
}

func TestParsePrefix(t *testing.T) {
	rooms := []RoomRef{{ID: "design", Name: "Design"}, {ID: "alice-carol", Name: "Alice & Carol"},
		{ID: "des", Name: "Des"}}
	for _, c := range []struct {
		text string
		want Prefix
	}{
		{"no prefix here", Prefix{Text: "no prefix here"}},
		{"#design hi there", Prefix{Found: true, Room: "design", Text: "hi there"}},
		{"  #DESIGN: hi", Prefix{Found: true, Room: "design", Text: "hi"}},
		{"#des hi", Prefix{Found: true, Room: "des", Text: "hi"}},
		{"#designers hi", Prefix{Found: true, Ref: "designers", Text: "hi"}},
		{"#alice & carol see you", Prefix{Found: true, Room: "alice-carol", Text: "see you"}},
		{"#alice-carol,see you", Prefix{Found: true, Room: "alice-carol", Text: "see you"}},
		{"#design", Prefix{Found: true, Room: "design", Text: ""}},
		{"#1 priority", Prefix{Found: true, Ref: "1", Text: "priority"}},
		{"#", Prefix{Found: true}},
	} {
		if got := ParsePrefix(c.text, rooms); got != c.want {
			t.Errorf("ParsePrefix(%q) = %+v, want %+v", c.text, got, c.want)
		}
	}
}

// FuzzParse feeds any text to the parsers: they never panic, a command's
// argument comes from the text, and a prefix's text is part of it.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"HELP", "away at lunch", "MUTE #design", "#design hi", "#Alice & Carol: yo", "#",
		"\xff#\x00", "#ΣΑΣ hi", "#\u212a x", "stop", "  #design  "} {
		f.Add(s)
	}
	rooms := []RoomRef{{ID: "design", Name: "Design"}, {ID: "sas", Name: "ΣΑΣ"}, {ID: "k", Name: "\u212a"}}
	f.Fuzz(func(t *testing.T, text string) {
		c := ParseCommand(text)
		if c.Kind == Post && c.Arg != "" {
			t.Fatalf("post with an argument: %+v", c)
		}
		if c.Kind != Post && c.Kind != Away && c.Arg != "" && !strings.Contains(text, c.Arg) {
			t.Fatalf("argument %q not in %q", c.Arg, text)
		}
		p := ParsePrefix(text, rooms)
		if !strings.Contains(text, p.Text) {
			t.Fatalf("prefix text %q not in %q", p.Text, text)
		}
		if p.Room != "" && !p.Found {
			t.Fatalf("room without a prefix: %+v", p)
		}
		if utf8.ValidString(text) && !utf8.ValidString(p.Text) {
			t.Fatalf("valid text cut inside a character: %q", p.Text)
		}
	})
}
