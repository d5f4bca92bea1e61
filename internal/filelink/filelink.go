// Package filelink spells the address of a signed file link,
// PUBLIC_URL/f/TOKEN/NAME, for every side that makes one (relay emails,
// texts, the page that sends a fresh link). The token is made and checked
// by threads (Auth.FileToken, Auth.ResolveFileToken); the name is only
// there for people and download managers, and is never trusted.
package filelink

import (
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// DefaultTTL is how long a link works when PARLEY_FILE_LINK_TTL is unset.
const DefaultTTL = 7 * 24 * time.Hour

// Prefix starts the path of every file link.
const Prefix = "/f/"

// URL is the link for token and file name under publicURL.
func URL(publicURL, token, name string) string {
	return strings.TrimRight(publicURL, "/") + Prefix + token + "/" + url.PathEscape(PathName(name))
}

// PathName is name as the last part of a link: its base name with spaces
// as '_' and nothing but letters, digits and ._- (at most 60 characters),
// so that a link survives being wrapped, quoted or texted; "file" when
// nothing is left.
func PathName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	var b strings.Builder
	for _, r := range name {
		switch {
		case r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r)), r == '.', r == '-', r == '_':
			b.WriteRune(r)
		case unicode.IsSpace(r):
			b.WriteByte('_')
		}
		if b.Len() >= 60 {
			break
		}
	}
	out := strings.Trim(b.String(), "._-")
	if out == "" {
		return "file"
	}
	return out
}

// Size says a file size the way every text does: "240 KB", "1.5 MB",
// "800 bytes".
func Size(n int64) string {
	switch {
	case n >= 1<<20:
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MB"
	case n >= 1<<10:
		return strconv.FormatInt((n+512)>>10, 10) + " KB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}
