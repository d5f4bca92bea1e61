package twiliopeer

import (
	"strings"
	"testing"
)

func TestSegments(t *testing.T) {
	for _, tc := range []struct {
		name string
		body string
		want int
	}{
		{"empty", "", 0},
		{"160 GSM-7", strings.Repeat("a", 160), 1},
		{"161 GSM-7", strings.Repeat("a", 161), 2},
		{"306 GSM-7", strings.Repeat("a", 306), 2},
		{"307 GSM-7", strings.Repeat("a", 307), 3},
		{"80 euro signs are 160 septets", strings.Repeat("€", 80), 1},
		{"an escape pair is not split", strings.Repeat("a", 152) + "€" + strings.Repeat("a", 10), 2},
		{"the pair moves to the next part", strings.Repeat("a", 152) + "€" + strings.Repeat("a", 153), 3},
		{"70 UCS-2", strings.Repeat("ł", 70), 1},
		{"71 UCS-2", strings.Repeat("ł", 71), 2},
		{"one emoji makes the text UCS-2", strings.Repeat("a", 68) + "😀", 1},
		{"a surrogate pair is not split", strings.Repeat("a", 66) + "😀" + strings.Repeat("a", 10), 2},
		{"134 UCS-2", strings.Repeat("ł", 134), 2},
		{"135 UCS-2", strings.Repeat("ł", 135), 3},
		{"invalid UTF-8 is UCS-2", "\xff" + strings.Repeat("a", 70), 2},
	} {
		if got := Segments(tc.body); got != tc.want {
			t.Errorf("%s: Segments = %d, want %d", tc.name, got, tc.want)
		}
	}
}
