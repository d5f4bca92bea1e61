package mailparse

import (
	"strings"
	"testing"

	"parley/internal/fixtures"
)

// fixture reads a sample of internal/fixtures (see its README.md for
// sources and licences).
func fixture(t testing.TB, rel string) []byte {
	t.Helper()
	return fixtures.Read(t, rel)
}

// fixtureNames lists the samples of a fixture folder whose names end in
// ext, as paths fixture takes.
func fixtureNames(t testing.TB, dir, ext string) []string {
	t.Helper()
	return fixtures.Names(t, dir, ext)
}

// normalize is what ExtractReply makes of text it keeps whole: LF line
// ends, no trailing blanks on a line, no blank lines around.
func normalize(s string) string {
	s = normalizeNewlines(s)
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t")
	}
	return strings.Trim(strings.Join(lines, "\n"), "\n")
}
