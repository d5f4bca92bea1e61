package mailparse

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// fixturesDir is the shared folder of real-world samples, relative to this
// package: the repository sits at /work/main, the samples at
// /work/shared/fixtures (see its README.md for sources and licences).
const fixturesDir = "../../../shared/fixtures"

// fixturePath returns the path of a sample and fails the test, never skips
// it, when the shared folder is missing.
func fixturePath(t testing.TB, rel string) string {
	t.Helper()
	if _, err := os.Stat(fixturesDir); err != nil {
		abs, _ := filepath.Abs(fixturesDir)
		t.Fatalf("fixtures folder not found at %s (%v): these tests need the shared samples checked out beside the repository", abs, err)
	}
	return filepath.Join(fixturesDir, filepath.FromSlash(rel))
}

// fixture reads a sample.
func fixture(t testing.TB, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(fixturePath(t, rel))
	if err != nil {
		t.Fatalf("reading fixture %s: %v", rel, err)
	}
	return b
}

// fixtureNames lists the files of a fixture folder, relative to fixturesDir.
func fixtureNames(t testing.TB, dir, ext string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(fixturePath(t, dir), "*"+ext))
	if err != nil || len(files) == 0 {
		t.Fatalf("no %s fixtures in %s (%v)", ext, dir, err)
	}
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = dir + "/" + filepath.Base(f)
	}
	sort.Strings(names)
	return names
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
