package mailparse

import (
	"bytes"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// maxQuoteDepth bounds the "> " prefixes written for nested blockquotes,
// so that deeply nested HTML cannot blow up the text.
const maxQuoteDepth = 8

// normalizeNewlines turns CRLF and lone CR into LF.
func normalizeNewlines(s string) string {
	if !strings.Contains(s, "\r") {
		return s
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\r", "\n")
}

// unflow decodes format=flowed text (RFC 3676): lines ending in a space
// are joined with the next line of the same quote depth; with delsp=yes
// that space is deleted. Space-stuffing is undone and quote markers are
// written back as "> ".
func unflow(s string, delSp bool) string {
	lines := strings.Split(normalizeNewlines(s), "\n")
	var b strings.Builder
	b.Grow(len(s))
	open := false // the last written line was flowed and awaits its tail
	openDepth := 0
	for _, line := range lines {
		depth := 0
		for depth < len(line) && line[depth] == '>' {
			depth++
		}
		content := strings.TrimPrefix(line[depth:], " ") // space-stuffing
		if open && depth != openDepth {
			b.WriteByte('\n') // a flowed line must not join another depth
			open = false
		}
		if !open {
			writeQuotePrefix(&b, depth)
		}
		flowed := strings.HasSuffix(content, " ") && content != "-- "
		if flowed && delSp {
			content = content[:len(content)-1]
		}
		b.WriteString(content)
		if flowed {
			open, openDepth = true, depth
			continue
		}
		b.WriteByte('\n')
		open = false
	}
	return strings.TrimRight(b.String(), "\n")
}

func writeQuotePrefix(b *strings.Builder, depth int) {
	if depth > maxQuoteDepth {
		depth = maxQuoteDepth
	}
	for i := 0; i < depth; i++ {
		b.WriteByte('>')
	}
	if depth > 0 {
		b.WriteByte(' ')
	}
}

// htmlToText renders HTML as the plain text a person would read: blocks
// become lines, white space collapses outside <pre>, links keep their
// target, list items get "- " bullets, and quoted history (<blockquote>,
// and the <div name="quote"> of GMX and web.de) becomes "> " lines so that
// ExtractReply can remove it. Script, style and head content is dropped.
// It runs in one pass over the tokens.
func htmlToText(src string) string {
	w := &textWriter{}
	z := html.NewTokenizer(strings.NewReader(src))
	skip, pre := 0, 0
	inHead := false // <head> is often left open; <body> ends it too
	// Outlook writes each line as a <p class=MsoNormal> without a margin,
	// and a blank line as one holding &nbsp;: such a paragraph is a line.
	msoLine := false
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return w.String()
		}
		if tt == html.TextToken {
			if skip == 0 && !inHead {
				w.text(string(z.Text()), pre > 0)
			}
			continue
		}
		if tt != html.StartTagToken && tt != html.EndTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		name, hasAttr := z.TagName()
		a := atom.Lookup(name)
		start, end := tt == html.StartTagToken, tt == html.EndTagToken
		switch a {
		case atom.Head:
			inHead = start
			continue
		case atom.Body:
			inHead = false
			continue
		case atom.Script, atom.Style, atom.Title, atom.Template, atom.Noscript:
			if start {
				skip++
			} else if end && skip > 0 {
				skip--
			}
			continue
		}
		if skip > 0 || inHead {
			continue
		}
		var attrs tagAttrs
		if hasAttr && !end {
			attrs = readAttrs(z, a == atom.Div || a == atom.P)
		}
		switch a {
		case atom.Br:
			w.newline()
		case atom.Pre:
			w.block()
			if start {
				pre++
			} else if end && pre > 0 {
				pre--
			}
		case atom.P:
			if start {
				msoLine = hasClass(attrs.class, "MsoNormal")
			}
			if msoLine {
				w.block()
			} else {
				w.paragraph()
			}
			if end {
				msoLine = false
			}
		case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6,
			atom.Table, atom.Ul, atom.Ol, atom.Dl, atom.Hr:
			w.paragraph()
		case atom.Li:
			w.block()
			if !end {
				w.text("- ", true)
			}
		case atom.Div:
			w.block()
			if start {
				kind := divKind(attrs)
				switch kind {
				case divQuoteRest:
					w.rest = true
				case divSignature:
					if w.depth() == 0 {
						w.text("-- ", true)
						w.newline()
					}
				}
				w.openDiv(kind == divQuote)
			} else if end {
				w.closeDiv()
			}
		case atom.Tr, atom.Dt, atom.Dd, atom.Section, atom.Article, atom.Header,
			atom.Footer, atom.Address, atom.Center, atom.Figure, atom.Main, atom.Nav:
			w.block()
		case atom.Blockquote:
			w.block()
			if start {
				w.quotes++
			} else if end && w.quotes > 0 {
				w.quotes--
			}
		case atom.Td, atom.Th:
			if !end {
				w.space()
			}
		case atom.A:
			if start {
				w.openLink(linkTarget(attrs.href))
			} else if end {
				w.closeLink()
			}
		case atom.Img:
			if alt := strings.TrimSpace(attrs.alt); alt != "" {
				w.text(alt, false)
			}
		}
	}
}

// hasClass reports whether a class attribute lists name.
func hasClass(class, name string) bool {
	for _, c := range strings.Fields(class) {
		if c == name {
			return true
		}
	}
	return false
}

// tagAttrs are the attributes of a tag that htmlToText uses; the last
// of repeated ones wins.
type tagAttrs struct {
	name, href, alt string
	// class, id and style tell a client's quote or signature (divKind).
	class, id, style string
}

// readAttrs collects the attributes that htmlToText uses; the class, id
// and style only for a <div> (divKind) or a <p> (Outlook's lines), as
// block says.
func readAttrs(z *html.Tokenizer, block bool) tagAttrs {
	var attrs tagAttrs
	for {
		key, val, more := z.TagAttr()
		switch string(key) {
		case "name":
			attrs.name = string(val)
		case "href":
			attrs.href = string(val)
		case "alt":
			attrs.alt = string(val)
		case "class":
			if block {
				attrs.class = string(val)
			}
		case "id":
			if block {
				attrs.id = string(val)
			}
		case "style":
			if block && bytes.Contains(val, []byte("border-top")) {
				attrs.style = string(val)
			}
		}
		if !more {
			return attrs
		}
	}
}

// linkTarget returns the href worth showing after a link's text: web and
// mail links only.
func linkTarget(href string) string {
	href = strings.TrimSpace(href)
	l := strings.ToLower(href)
	if len(href) > 2000 || !(strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://") || strings.HasPrefix(l, "mailto:")) {
		return ""
	}
	return href
}

// maxStack bounds the open <div> and <a> elements tracked.
const maxStack = 1 << 12

// textWriter accumulates rendered text line by line.
type textWriter struct {
	b       strings.Builder
	line    []byte // the current line, without its quote prefix; reused
	lineDep int    // quote depth of the current line
	pending bool   // a collapsed space is due before the next text
	blank   bool   // the last line written was blank
	quotes  int    // open <blockquote> elements
	divs    []bool // open <div>s: whether each is a quote
	qdivs   int    // open quote <div>s
	rest    bool   // past an Outlook header block: the rest is history
	// The outermost open link: its target and the text shown so far.
	links    int
	href     string
	linkText strings.Builder
}

func (w *textWriter) depth() int {
	if w.rest {
		return w.quotes + w.qdivs + 1
	}
	return w.quotes + w.qdivs
}

func (w *textWriter) openDiv(quote bool) {
	if len(w.divs) >= maxStack {
		return
	}
	w.divs = append(w.divs, quote)
	if quote {
		w.qdivs++
	}
}

func (w *textWriter) closeDiv() {
	n := len(w.divs)
	if n == 0 {
		return
	}
	if w.divs[n-1] {
		w.qdivs--
	}
	w.divs = w.divs[:n-1]
}

func (w *textWriter) openLink(href string) {
	w.links++
	if w.links == 1 {
		w.href = href
		w.linkText.Reset()
	}
}

func (w *textWriter) closeLink() {
	if w.links == 0 {
		return
	}
	w.links--
	if w.links > 0 || w.href == "" {
		return
	}
	shown := strings.TrimPrefix(w.href, "mailto:")
	if !strings.Contains(w.linkText.String(), shown) {
		w.text(" <"+w.href+">", true)
	}
	w.href = ""
}

// text adds character data; outside <pre> runs of white space collapse.
func (w *textWriter) text(s string, pre bool) {
	if pre {
		for i, part := range strings.Split(s, "\n") {
			if i > 0 {
				w.newline()
			}
			w.write(strings.TrimRight(part, "\r"))
		}
		return
	}
	start := -1
	for i, r := range s {
		if isHTMLSpace(r) {
			if start >= 0 {
				w.write(s[start:i])
				start = -1
			}
			if len(w.line) > 0 {
				w.pending = true
			}
			continue
		}
		if start < 0 {
			start = i
			if w.pending {
				w.write(" ")
				w.pending = false
			}
		}
	}
	if start >= 0 {
		w.write(s[start:])
	}
}

func isHTMLSpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f'
}

func (w *textWriter) write(s string) {
	if s == "" {
		return
	}
	if len(w.line) == 0 {
		w.lineDep = w.depth()
	}
	s = strings.ReplaceAll(s, "\u00a0", " ")
	w.line = append(w.line, s...)
	if w.links > 0 && w.linkText.Len() < 4096 {
		w.linkText.WriteString(s)
	}
}

func (w *textWriter) space() {
	if len(w.line) > 0 {
		w.pending = true
	}
}

// newline ends the current line, even if empty; runs of blank lines are
// kept to one.
func (w *textWriter) newline() {
	line := bytes.TrimRight(w.line, " ") // written out before w.line is again
	dep := w.lineDep
	if len(w.line) == 0 {
		dep = w.depth()
	}
	w.line = w.line[:0]
	w.pending = false
	if len(bytes.TrimFunc(line, isSpaceRune)) == 0 {
		if w.blank || w.b.Len() == 0 {
			return
		}
		w.blank = true
		if dep > maxQuoteDepth {
			dep = maxQuoteDepth
		}
		for i := 0; i < dep; i++ {
			w.b.WriteByte('>')
		}
		w.b.WriteByte('\n')
		return
	}
	w.blank = false
	writeQuotePrefix(&w.b, dep)
	w.b.Write(line)
	w.b.WriteByte('\n')
}

// block ends the current line if it holds text.
func (w *textWriter) block() {
	if len(w.line) > 0 {
		w.newline()
	}
	w.pending = false
}

// paragraph ends the current line and leaves one blank line.
func (w *textWriter) paragraph() {
	w.block()
	w.newline()
}

// String returns the text written so far.
func (w *textWriter) String() string {
	w.block()
	return strings.Trim(w.b.String(), "\n")
}
