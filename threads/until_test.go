package threads

import (
	"errors"
	"testing"
	"time"
)

func TestParseUntil(t *testing.T) {
	lisbon, _ := time.LoadLocation("Europe/Lisbon")
	// Wednesday 25 November 2026, 09:00 UTC = 09:00 in Lisbon (WET).
	now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	day := func(d, h, m int) time.Time { return time.Date(2026, 11, d, h, m, 0, 0, lisbon) }
	cases := []struct {
		in   string
		want time.Time
	}{
		{"3h", now.Add(3 * time.Hour)},
		{"90m", now.Add(90 * time.Minute)},
		{"2026-11-27T15:00:00+01:00", time.Date(2026, 11, 27, 14, 0, 0, 0, time.UTC)},
		{"15:00", day(25, 15, 0)},
		{"08:30", day(26, 8, 30)}, // passed today: tomorrow
		{"3pm", day(25, 15, 0)},
		{"3:30 PM", day(25, 15, 30)},
		{"12am", day(26, 0, 0)},
		{"tomorrow", day(26, 0, 0)},
		{"Friday", day(27, 0, 0)},
		{"fri", day(27, 0, 0)},
		{"wednesday", time.Date(2026, 12, 2, 0, 0, 0, 0, lisbon)}, // today is one: next week
		{"2026-11-30", day(30, 0, 0)},
		{"2026-11-30 17:45", day(30, 17, 45)},
	}
	for _, c := range cases {
		got, err := ParseUntil(c.in, now, lisbon)
		if err != nil || !got.Equal(c.want) {
			t.Errorf("ParseUntil(%q) = %s, %v; want %s", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "soon", "-1h", "0s", "2026-11-01", "25:00", "13pm", "fr", "9", "2026-11-25T08:00:00Z"} {
		if _, err := ParseUntil(bad, now, lisbon); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseUntil(%q): %v, want ErrInvalid", bad, err)
		}
	}
}

func FuzzParseUntil(f *testing.F) {
	for _, s := range []string{"3h", "15:00", "3pm", "friday", "2026-11-30 17:45", "2026-11-27T15:00:00+01:00", "12:99am"} {
		f.Add(s)
	}
	now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseUntil(s, now, time.UTC)
		if err == nil && !got.After(now) {
			t.Errorf("ParseUntil(%q) = %s, not after now", s, got)
		}
		if err != nil && !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseUntil(%q): %v does not wrap ErrInvalid", s, err)
		}
	})
}
