package mailparse

import (
	netmail "net/mail"
	"strings"
	"time"
)

// commonDateLayout is how nearly every client writes the Date field, and
// the first layout with a day of the week that net/mail.ParseDate tries.
const commonDateLayout = "Mon, 2 Jan 2006 15:04:05 -0700"

// parseDate reads a Date field as go-message's mail.Header.Date does, with
// the zero time for an absent or unreadable value. net/mail.ParseDate tries
// 48 layouts in turn and every layout that fails allocates an error, twelve
// of them before the common one; parseDate tries that one first when the
// value has its shape, which gives the very same result.
func parseDate(v string) time.Time {
	if v == "" {
		return time.Time{}
	}
	if t, ok := parseCommonDate(v); ok {
		return t
	}
	t, err := netmail.ParseDate(v)
	if err != nil {
		return time.Time{}
	}
	return t
}

// parseCommonDate parses v with commonDateLayout where net/mail.ParseDate
// would return the same, and reports false otherwise. That holds when:
//   - v has no CR or LF and starts with a letter, so that ParseDate's
//     removal of CRLF and of leading blanks changes nothing;
//   - what follows the zone (ParseDate cuts the value four bytes after its
//     first '+' or '-') is blank or one simple "(comment)", which ParseDate
//     accepts;
//   - the twelve layouts ParseDate tries first begin with the day of the
//     month, a number, so they fail on a value that starts with a letter,
//     and commonDateLayout is the next one.
func parseCommonDate(v string) (time.Time, bool) {
	if !isASCIILetter(v[0]) || strings.ContainsAny(v, "\r\n") {
		return time.Time{}, false
	}
	zone := strings.IndexAny(v, "+-")
	if zone < 0 || len(v) < zone+5 || !isSimpleComment(v[zone+5:]) {
		return time.Time{}, false
	}
	t, err := time.Parse(commonDateLayout, v[:zone+5])
	return t, err == nil
}

// isSimpleComment reports whether s is blank, or a "(comment)" without
// nested parentheses or backslashes between blanks, as in "+0000 (UTC)".
func isSimpleComment(s string) bool {
	s = strings.TrimLeft(s, " \t")
	if s == "" {
		return true
	}
	end := strings.IndexByte(s, ')')
	if s[0] != '(' || end < 0 || strings.ContainsAny(s[1:end], "(\\") {
		return false
	}
	return strings.TrimLeft(s[end+1:], " \t") == ""
}
