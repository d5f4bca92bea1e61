// Package smsfmt turns chat lines into the body of one text message: it
// counts SMS segments exactly as the network does, replaces typographic
// punctuation with plain GSM-7 characters where that saves a text from UCS-2,
// and cuts a batch of lines at a segment budget with a link to the room.
//
// Everything here is pure: no I/O, no clock, no randomness.
package smsfmt

import "unicode/utf16"

// Encoding is the character encoding a text message travels in.
type Encoding int

const (
	// GSM7 is the GSM 03.38 default alphabet: 7 bits a character, 160
	// characters in a single segment, 153 in each part of a longer text.
	// The extension characters cost two septets each.
	GSM7 Encoding = iota + 1
	// UCS2 is used as soon as one character is outside GSM-7: 16 bits a
	// UTF-16 code unit, 70 units in a single segment, 67 in each part.
	UCS2
)

// String returns "GSM-7" or "UCS-2".
func (e Encoding) String() string {
	switch e {
	case GSM7:
		return "GSM-7"
	case UCS2:
		return "UCS-2"
	}
	return "unknown"
}

// Segment sizes, in septets for GSM-7 and in UTF-16 code units for UCS-2.
// A text that needs more than one segment loses room in each part to the
// user data header that tells the phone how to join them.
const (
	gsmSingle  = 160
	gsmPart    = 153
	ucs2Single = 70
	ucs2Part   = 67
)

// Segments reports how many SMS segments text needs, the encoding it must be
// sent in, and its length in that encoding's units (septets for GSM-7, UTF-16
// code units for UCS-2).
//
// An extension character of GSM-7 is never split from its escape across two
// parts, nor a UTF-16 surrogate pair, so a part may hold one unit less than
// the maximum. An empty text has no segments. Bytes that are not valid UTF-8
// count as U+FFFD, which makes the text UCS-2.
func Segments(text string) (count int, encoding Encoding, units int) {
	if IsGSM7(text) {
		// Septets: a single segment when everything fits, else pack parts.
		for _, r := range text {
			units += septets(r)
		}
		if units == 0 {
			return 0, GSM7, 0
		}
		if units <= gsmSingle {
			return 1, GSM7, units
		}
		count, used := 1, 0
		for _, r := range text {
			n := septets(r)
			if used+n > gsmPart {
				count, used = count+1, 0
			}
			used += n
		}
		return count, GSM7, units
	}
	for _, r := range text {
		units += utf16Len(r)
	}
	if units <= ucs2Single {
		return 1, UCS2, units
	}
	count, used := 1, 0
	for _, r := range text {
		n := utf16Len(r)
		if used+n > ucs2Part {
			count, used = count+1, 0
		}
		used += n
	}
	return count, UCS2, units
}

// IsGSM7 reports whether every character of text is in the GSM-7 default
// alphabet or its extension table, so that text can be sent as GSM-7.
func IsGSM7(text string) bool {
	for _, r := range text {
		if septets(r) == 0 {
			return false
		}
	}
	return true
}

// utf16Len is the number of UTF-16 code units r takes; invalid runes (as
// produced for bad UTF-8) are sent as U+FFFD, one unit.
func utf16Len(r rune) int {
	if n := utf16.RuneLen(r); n > 0 {
		return n
	}
	return 1
}

// septets is what r costs in GSM-7: 1 for the basic alphabet, 2 for the
// extension table (escape plus character), 0 when r is not in GSM-7 at all.
//
// The basic alphabet is GSM 03.38 with its 128 positions less the escape;
// position 0x09 is the capital C with cedilla of the standard.
func septets(r rune) int {
	if r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
		return 1
	}
	switch r {
	case '\n', '\r', ' ', '!', '"', '#', '$', '%', '&', '\'', '(', ')', '*',
		'+', ',', '-', '.', '/', ':', ';', '<', '=', '>', '?', '@', '_',
		'£', '¥', 'è', 'é', 'ù', 'ì', 'ò', 'Ç', 'Ø', 'ø', 'Å', 'å',
		'Δ', 'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ', 'Σ', 'Θ', 'Ξ',
		'Æ', 'æ', 'ß', 'É', '¤', '¡', 'Ä', 'Ö', 'Ñ', 'Ü', '§',
		'¿', 'ä', 'ö', 'ñ', 'ü', 'à':
		return 1
	case '\f', '^', '{', '}', '\\', '[', ']', '~', '|', '€':
		return 2
	}
	return 0
}
