package threads

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// ParseUntil reads the end of a status as people write it, at now, in
// the member's time zone loc:
//
//	3h, 90m                   a duration from now
//	2026-11-27T15:00:00+01:00 an RFC 3339 time
//	15:00, 3pm, 3:30pm        the next such time of day: today, or tomorrow once it has passed
//	2026-11-27                the start of that day
//	2026-11-27 15:00          that day and time
//	tomorrow                  the start of tomorrow
//	friday, fri               the start of the next such day (a week on when today is one)
//
// The result must lie in the future. Errors wrap ErrInvalid and say what is
// accepted.
func ParseUntil(s string, now time.Time, loc *time.Location) (time.Time, error) {
	if loc == nil {
		loc = time.UTC
	}
	v := strings.ToLower(strings.TrimSpace(s))
	t, ok := parseUntilForm(v, now, loc)
	if !ok {
		return time.Time{}, invalid("until %q is not a duration (3h), a time of day (15:00, 3pm), a day (tomorrow, friday, 2026-11-27) or an RFC 3339 time", cutUTF8(s, 64))
	}
	if !t.After(now) {
		return time.Time{}, invalid("until %q (%s) is not in the future", cutUTF8(s, 64), t.In(loc).Format("2006-01-02 15:04 MST"))
	}
	return t, nil
}

var (
	clockPattern = regexp.MustCompile(`^([0-9]{1,2})(?::([0-9]{2}))?\s*(am|pm)?$`)
	weekdays     = map[string]time.Weekday{"sunday": time.Sunday, "monday": time.Monday, "tuesday": time.Tuesday,
		"wednesday": time.Wednesday, "thursday": time.Thursday, "friday": time.Friday, "saturday": time.Saturday}
)

func parseUntilForm(v string, now time.Time, loc *time.Location) (time.Time, bool) {
	if d, err := time.ParseDuration(v); err == nil {
		return now.Add(d), true
	}
	if t, err := time.Parse(time.RFC3339, strings.ToUpper(v)); err == nil {
		return t, true
	}
	if t, err := time.ParseInLocation("2006-01-02", v, loc); err == nil {
		return t, true
	}
	if t, err := time.ParseInLocation("2006-01-02 15:04", v, loc); err == nil {
		return t, true
	}
	local := now.In(loc)
	midnight := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, loc)
	if v == "tomorrow" {
		return midnight.AddDate(0, 0, 1), true
	}
	for name, wd := range weekdays {
		if v == name || (len(v) >= 3 && strings.HasPrefix(name, v)) {
			days := (int(wd) - int(local.Weekday()) + 7) % 7
			if days == 0 {
				days = 7
			}
			return midnight.AddDate(0, 0, days), true
		}
	}
	if m := clockPattern.FindStringSubmatch(v); m != nil && (m[2] != "" || m[3] != "") {
		h, _ := strconv.Atoi(m[1])
		mins := 0
		if m[2] != "" {
			mins, _ = strconv.Atoi(m[2])
		}
		switch {
		case m[3] != "" && (h < 1 || h > 12):
			return time.Time{}, false
		case m[3] == "pm" && h != 12:
			h += 12
		case m[3] == "am" && h == 12:
			h = 0
		}
		if h > 23 || mins > 59 {
			return time.Time{}, false
		}
		t := time.Date(local.Year(), local.Month(), local.Day(), h, mins, 0, 0, loc)
		if !t.After(now) {
			t = time.Date(local.Year(), local.Month(), local.Day()+1, h, mins, 0, 0, loc)
		}
		return t, true
	}
	return time.Time{}, false
}
