package inbound

import (
	"bytes"
	"fmt"
	"mime"
	"net/http"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"

	"parley/threads"
)

// DescribeFiles names a line's files for its text: "report.pdf (240 KB)
// and 2 more"; "" for none. Every door that takes files says it this way.
func DescribeFiles(atts []threads.Attachment) string {
	if len(atts) == 0 {
		return ""
	}
	d := fmt.Sprintf("%s (%s)", atts[0].Name, humanSize(atts[0].Size))
	if len(atts) > 1 {
		d += fmt.Sprintf(" and %d more", len(atts)-1)
	}
	return d
}

func humanSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d KB", (n+512)>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

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

// CleanFileName makes a name a sender gave a file safe to show and to
// offer for download: the last part of a path only, without control and
// format characters (CR, LF, bidi overrides such as U+202E that make
// "invoice\u202efdp.exe" read as "invoiceexe.pdf", zero-width marks) or
// quotes, with blanks squeezed, no leading dots, and at most 100
// characters (the extension kept); "file" when nothing is left.
func CleanFileName(name string) string {
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
