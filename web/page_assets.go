package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"html/template"
	"net/http"
)

// The style sheet is inlined in every page (one round trip less before the
// first paint on a slow link); the page's Content-Security-Policy allows
// exactly that sheet by its hash. A page with rules of its own gets them
// after the common sheet (pageSheets), so that the other pages, the room
// page first, do not carry them.

// pageSheets are the pages with a sheet of their own, in static/.
var pageSheets = map[string]string{"me.html": "static/me.css"}

// sheet is a page's inline style and the CSP source that allows it.
type sheet struct {
	CSS  template.CSS
	Hash string
}

// sheets holds every page's sheet by its template name; "" is the common
// sheet alone.
var sheets = func() map[string]sheet {
	common := mustStatic("static/style.css")
	out := map[string]sheet{"": newSheet(common)}
	for page, file := range pageSheets {
		out[page] = newSheet(common + mustStatic(file))
	}
	return out
}()

// sheetFor is the sheet of the page template name.
func sheetFor(name string) sheet {
	if s, ok := sheets[name]; ok {
		return s
	}
	return sheets[""]
}

func newSheet(css string) sheet {
	sum := sha256.Sum256([]byte(css))
	return sheet{CSS: template.CSS(css), Hash: "sha256-" + base64.StdEncoding.EncodeToString(sum[:])}
}

func mustStatic(name string) string {
	b, err := staticFS.ReadFile(name)
	if err != nil {
		panic("web: " + name + " is not embedded: " + err.Error())
	}
	return string(b)
}

// favicon serves parley's icon (an SVG speech bubble), for /favicon.ico
// and the page's <link rel=icon>.
func (h *handler) favicon(w http.ResponseWriter, r *http.Request) {
	b, err := staticFS.ReadFile("static/icon.svg")
	if err != nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(b)
}

// slimJS drops what a browser does not need from parley's own script: the
// indentation and the lines that are only a comment (about a fifth of its
// gzipped size). It relies on app.js having no multi-line strings or
// template literals.
func slimJS(src []byte) []byte {
	var out bytes.Buffer
	for _, line := range bytes.Split(src, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 || bytes.HasPrefix(line, []byte("//")) {
			continue
		}
		out.Write(line)
		out.WriteByte('\n')
	}
	return out.Bytes()
}
