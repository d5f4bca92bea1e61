// Package filesafe makes what a sender says about a file safe to keep and
// to show: its name cleaned of paths and invisible characters, its media
// type taken from its bytes, checked against an allowlist. Every door that
// takes files (email, MMS, web upload) uses it, so one file is named and
// typed the same whichever way it came.
package filesafe

import (
	"bytes"
	"mime"
	"net/http"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

// TypeAllowed reports whether a file of media type ct may be kept: allowed
// lists types ("application/pdf") and families ("image/*").
func TypeAllowed(allowed []string, ct string) bool {
	for _, a := range allowed {
		if a == ct || (strings.HasSuffix(a, "*") && strings.HasPrefix(ct, strings.TrimSuffix(a, "*"))) {
			return true
		}
	}
	return false
}

// maxFileName is the longest file name kept, in characters.
const maxFileName = 100

// CleanName makes a name a sender gave a file safe to show and to
// offer for download: the last part of a path only, without control and
// format characters (CR, LF, bidi overrides such as U+202E that make
// "invoice\u202efdp.exe" read as "invoiceexe.pdf", zero-width marks) or
// quotes, with blanks squeezed, no leading dots, and at most 100
// characters (the extension kept); "file" when nothing is left.
func CleanName(name string) string {
	name = strings.ToValidUTF8(name, "")
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsSpace(r):
			return ' '
		case unicode.Is(unicode.Cc, r), unicode.Is(unicode.Cf, r), r == '"', r == utf8.RuneError:
			return -1
		}
		return r
	}, name)
	name = strings.TrimLeft(strings.Join(strings.Fields(name), " "), ". ")
	if r := []rune(name); len(r) > maxFileName {
		ext := []rune(path.Ext(name))
		if len(ext) > 16 {
			ext = nil
		}
		name = strings.TrimSpace(string(r[:maxFileName-len(ext)])) + string(ext)
	}
	if name == "" {
		return "file"
	}
	return name
}

// oleMagic starts the old Office formats (.doc, .xls), which
// http.DetectContentType does not name.
var oleMagic = []byte{0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1}

// zipBased are the declared types whose content is a ZIP archive.
var zipBased = []string{"application/vnd.openxmlformats-officedocument.", "application/vnd.oasis.opendocument.",
	"application/zip", "application/epub+zip"}

// SniffType returns the media type of a file from its bytes, with the
// type the sender declared where the bytes agree with it or cannot say
// more (a .docx is a ZIP; a CSV is text). Bytes that contradict the
// declared type win: an .exe declared as a PDF is
// application/octet-stream, which no allowlist takes. HTML and XML are
// reported as such whatever they were called.
func SniffType(data []byte, declared string) string {
	declared = strings.ToLower(strings.TrimSpace(declared))
	sniffed, _, _ := mime.ParseMediaType(http.DetectContentType(data))
	switch {
	case sniffed == declared:
		return declared
	case sniffed == "application/zip":
		for _, z := range zipBased {
			if strings.HasPrefix(declared, z) {
				return declared
			}
		}
	case sniffed == "text/plain" && (declared == "text/csv" || declared == "text/calendar" || declared == "text/vcard"):
		return declared
	case sniffed == "application/octet-stream" && bytes.HasPrefix(data, oleMagic) &&
		(declared == "application/msword" || declared == "application/vnd.ms-excel" || declared == "application/vnd.ms-powerpoint"):
		return declared
	}
	return sniffed
}
