package transcript

import (
	"html/template"
	"io"
	"time"

	"parley/threads"
)

// htmlRenderer writes one self-contained HTML page made to be printed: no
// script, no outside resource, a stylesheet with an A4 page, day headings
// that stay with their first line, and lines that never run off the page
// (long words and links wrap anywhere).
type htmlRenderer struct{ o Options }

// pageCSS is the page's only style. Sizes are in print units; on screen
// the page is a readable column.
const pageCSS = `@page { size: A4; margin: 16mm 15mm 18mm; }
html { background: #fff; color: #000; }
body { margin: 0 auto; max-width: 180mm; font-family: Georgia, "Times New Roman", serif; font-size: 11pt; line-height: 1.35; }
h1 { font-size: 16pt; margin: 0 0 1mm; }
.meta { color: #444; font-size: 9pt; margin: 0 0 5mm; }
h2 { font-size: 11pt; margin: 5mm 0 2mm; padding-bottom: 0.5mm; border-bottom: 0.5pt solid #888; break-after: avoid; page-break-after: avoid; }
.l { margin: 0 0 1.5mm; break-inside: avoid; page-break-inside: avoid; overflow-wrap: anywhere; word-wrap: break-word; }
.t { color: #555; font-size: 9pt; margin-right: 1.5mm; }
.n { font-weight: bold; }
.x { white-space: pre-wrap; }
.s { font-style: italic; color: #444; }
.a { margin: 0.5mm 0 0 8mm; padding: 0; list-style: none; font-size: 9pt; color: #333; }
.end { margin-top: 6mm; color: #444; font-size: 9pt; border-top: 0.5pt solid #888; padding-top: 1mm; }
@media screen { body { max-width: 46em; padding: 1em; } }`

var pageTmpl = template.Must(template.New("page").Parse(`
{{- define "head"}}<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{{.Title}}: transcript</title>
<style>{{.CSS}}</style></head>
<body>
<h1>{{.Title}}</h1>
<p class="meta">{{with .Topic}}{{.}} &middot; {{end}}Transcript of {{.Span}}, times in {{.Zone}}. Made by {{.Brand}} on {{.Made}}.</p>
{{end}}
{{- define "day"}}<h2>{{.}}</h2>
{{end}}
{{- define "line"}}<p class="l{{if .System}} s{{end}}"><span class="t">{{.Clock}}</span> {{if not .System}}<span class="n">{{.Name}}</span> {{end}}<span class="x">{{range $i, $t := .Text}}{{if $i}}<br>{{end}}{{$t}}{{end}}</span></p>
{{with .Files}}<ul class="a">{{range .}}<li>attached: {{.}}</li>{{end}}</ul>
{{end}}{{end}}
{{- define "foot"}}<p class="end">{{if .Cut}}Transcript cut here at the size limit after {{.Lines}} {{.Word}}: ask for a shorter time range for the rest.{{else}}End of transcript: {{.Lines}} {{.Word}}.{{end}}</p>
</body></html>
{{end}}`))

func (r *htmlRenderer) head(w io.Writer) error {
	return pageTmpl.ExecuteTemplate(w, "head", map[string]any{
		"Title": roomName(r.o.Room), "Topic": oneLine(r.o.Room.Topic), "Span": span(r.o), "Zone": r.o.Loc.String(),
		"Brand": r.o.Brand, "Made": r.o.Now().In(r.o.Loc).Format("2006-01-02 15:04"),
		"CSS": template.CSS(pageCSS),
	})
}

func (r *htmlRenderer) day(w io.Writer, t time.Time) error {
	return pageTmpl.ExecuteTemplate(w, "day", t.In(r.o.Loc).Format("Monday 2 January 2006"))
}

func (r *htmlRenderer) line(w io.Writer, l threads.Line) error {
	var files []string
	for _, a := range l.Attachments {
		files = append(files, attachment(a))
	}
	return pageTmpl.ExecuteTemplate(w, "line", map[string]any{
		"Clock": l.Time.In(r.o.Loc).Format("15:04"), "Name": name(l), "System": l.Origin == threads.FromSystem,
		"Text": cleanLines(l.Text), "Files": files,
	})
}

func (r *htmlRenderer) foot(w io.Writer, lines int, cut bool) error {
	return pageTmpl.ExecuteTemplate(w, "foot", map[string]any{"Lines": lines, "Cut": cut, "Word": plural(lines, "line", "lines")})
}

func (r *htmlRenderer) footRoom() int64 { return 240 }
