package sms

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"parley/internal/golden"
	"parley/outbound/smsfmt"
	"parley/templates"
	"parley/threads"
)

// answerCases render every SMS answer, one case per way it reads.
func answerCases(t *testing.T, h *Handler) []struct{ name, text string } {
	t.Helper()
	log := quiet
	rooms := func(n int, long bool) []threads.Room {
		var out []threads.Room
		for i := range n {
			r := threads.Room{ID: fmt.Sprintf("room%d", i+1), Name: fmt.Sprintf("Room%d", i+1)}
			if long {
				r.Name = fmt.Sprintf("The long name of room %d", i+1)
			}
			out = append(out, r)
		}
		return out
	}
	two := []threads.Room{{ID: "design", Name: "Design"}, {ID: "ops", Name: "Ops Team"}}
	cases := []struct{ name, text string }{
		{"help", h.say(log, "sms-help.txt", Answer{})},
		{"unknown", h.say(log, "sms-unknown.txt", Answer{})},
		{"empty", h.say(log, "sms-empty.txt", Answer{Room: "design"})},
		{"left room, a text", h.say(log, "sms-left-room.txt", Answer{Room: "design"})},
		{"left room, MUTE", h.say(log, "sms-left-room.txt", Answer{Room: "design", Command: "MUTE"})},
		{"refused", h.say(log, "sms-refused.txt", Answer{Room: "design", Reason: "too many files"})},
		{"no rooms", h.say(log, "sms-no-rooms.txt", Answer{})},
		{"no such room", h.say(log, "sms-no-such-room.txt", Answer{Ref: "kitchen", List: h.listRooms(log, two)})},
		{"which room", h.say(log, "sms-which-room.txt", Answer{List: h.listRooms(log, two)})},
		{"which room, ten long names", h.say(log, "sms-which-room.txt", Answer{List: h.listRooms(log, rooms(10, true))})},
		{"ROOMS", h.say(log, "sms-rooms.txt", Answer{List: h.listRooms(log, two)})},
		{"ROOMS, none", h.say(log, "sms-rooms.txt", Answer{List: h.listRooms(log, nil)})},
		{"ROOMS, one", h.say(log, "sms-rooms.txt", Answer{List: h.listRooms(log, rooms(1, false)[:1])})},
		{"ROOMS, nine", h.say(log, "sms-rooms.txt", Answer{List: h.listRooms(log, rooms(9, false))})},
		{"AWAY", h.say(log, "sms-away.txt", Answer{})},
		{"AWAY note", h.say(log, "sms-away.txt", Answer{Note: "at the dentist"})},
		{"BACK", h.say(log, "sms-back.txt", Answer{})},
		{"MUTE", h.say(log, "sms-muted.txt", Answer{Room: "ops", Command: "MUTE"})},
		{"UNMUTE", h.say(log, "sms-unmuted.txt", Answer{Room: "ops", Command: "UNMUTE"})},
	}
	return cases
}

// TestAnswersGolden pins every SMS answer as rendered from the built-in
// templates, and holds them to what a text may cost: plain GSM-7, two
// segments at most. Room names cut with "…" are the exception: the answer
// goes as UCS-2, six segments for eight long names.
func TestAnswersGolden(t *testing.T) {
	e := newHenv(t)
	var b strings.Builder
	for _, c := range answerCases(t, e.h) {
		if c.text == "" {
			t.Errorf("%s: no answer", c.name)
		}
		segments, enc, _ := smsfmt.Segments(c.text)
		gsm, limit := true, 2
		if strings.Contains(c.name, "long names") {
			gsm, limit = false, 6
		}
		if gsm && !smsfmt.IsGSM7(c.text) || segments > limit {
			t.Errorf("%s: %d segments (%s), want at most %d: %q", c.name, segments, enc, limit, c.text)
		}
		fmt.Fprintf(&b, "== %s (%d %s)\n%s\n", c.name, segments, plural(segments), c.text)
	}
	golden.Check(t, "answers.txt", []byte(b.String()))
}

func plural(n int) string {
	if n == 1 {
		return "segment"
	}
	return "segments"
}

// TestAnswerOverride: a file in the templates folder replaces one answer,
// and the others stay as built in.
func TestAnswerOverride(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "sms-help.txt"), []byte("{{/* ours */}}Team line: text #room then your words.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	set, err := templates.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	e := newHenv(t)
	e.h.o.Templates = set
	e.text(t, carolPh, num1, "HELP")
	e.text(t, carolPh, num1, "BACK")
	r := e.replies(carolPh)
	if len(r) != 2 || r[0] != "Team line: text #room then your words." || r[1] != "parley: welcome back, you are available." {
		t.Fatalf("replies %q", r)
	}
}

// TestBadAnswerTemplate: a replacement that does not parse, or that names a
// field the answers do not have, is refused at load, naming the file.
func TestBadAnswerTemplate(t *testing.T) {
	for _, c := range []struct{ file, src, want string }{
		{"sms-away.txt", "parley: away {{if .Note}}", "sms-away.txt"},
		{"sms-away.txt", "parley: away ({{.Status}})", "can't evaluate field Status"},
		{"sms-room-list.txt", "{{range .Rooms}}#{{.Id}}{{end}}", "can't evaluate field Id"},
		{"sms-muted.txt", "{{upcase .Room}}", `function "upcase" not defined`},
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, c.file), []byte(c.src), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := templates.Load(dir)
		if err == nil || !strings.Contains(err.Error(), c.file) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), dir) {
			t.Errorf("%s %q: Load said %v, want an error naming %s and %q", c.file, c.src, err, c.file, c.want)
		}
	}
}
