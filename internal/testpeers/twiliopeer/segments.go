package twiliopeer

import "strings"

// The GSM 03.38 default alphabet in table order, 0x00 to 0x7F, with the
// escape to the extension table (0x1B) left out; and the characters of
// the extension table, which travel as escape plus character.
const (
	gsmDefault = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
		"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
	gsmExtension = "\f^{}\\[~]|€"
)

// Segments is the num_segments Twilio reports for body, worked out here
// from the GSM 03.38 and SMS concatenation rules, apart from parley's own
// counter (the peer imports no product code, and a test that compares the
// two compares two readings of the standard). A body that is all GSM-7
// takes 160 septets in one segment, or 153 in each part of a longer one,
// an extension character costing two septets that are never split; any
// other body travels as UCS-2: 70 UTF-16 units in one segment or 67 in
// each part, a surrogate pair never split. An empty body has no segments.
func Segments(body string) int {
	costs, single, part := gsmCosts(body), 160, 153
	if costs == nil {
		costs, single, part = ucs2Costs(body), 70, 67
	}
	total := 0
	for _, c := range costs {
		total += c
	}
	if total <= single {
		return min(total, 1)
	}
	n, room := 1, part
	for _, c := range costs {
		if c > room {
			n, room = n+1, part
		}
		room -= c
	}
	return n
}

// gsmCosts is the septets each character of body takes in GSM-7, or nil
// when one of them is not in GSM-7 (or body is empty).
func gsmCosts(body string) []int {
	var costs []int
	for _, r := range body {
		switch {
		case strings.ContainsRune(gsmDefault, r):
			costs = append(costs, 1)
		case strings.ContainsRune(gsmExtension, r):
			costs = append(costs, 2)
		default:
			return nil
		}
	}
	return costs
}

// ucs2Costs is the UTF-16 units each character of body takes: two for a
// character beyond the Basic Multilingual Plane, else one (a byte that is
// not UTF-8 is sent as U+FFFD).
func ucs2Costs(body string) []int {
	var costs []int
	for _, r := range body {
		if r > 0xFFFF {
			costs = append(costs, 2)
		} else {
			costs = append(costs, 1)
		}
	}
	return costs
}
