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
// exactly that sheet by its hash.

// inlineCSS is static/style.css, as put in the page's <style>.
var inlineCSS = func() template.CSS {
	b, err := staticFS.ReadFile("static/style.css")
	if err != nil {
		panic("web: static/style.css is not embedded: " + err.Error())
	}
	return template.CSS(b)
}()

// inlineCSSHash is the CSP source that allows inlineCSS.
var inlineCSSHash = func() string {
	sum := sha256.Sum256([]byte(inlineCSS))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}()

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
