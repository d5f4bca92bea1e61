// Package templates holds every text a person reads in an email or a text
// message, as files embedded in the binary. A deployment overrides any of
// them by putting a file of the same name in a folder (PARLEY_TEMPLATES_DIR).
//
// Files ending in .html are html/template (escaped); every other file is
// text/template. Headers are never built from templates: code builds them.
//
// A package that renders a template may Declare the data it renders it
// with; Load then renders every declared template (built in or replaced)
// with that data, so a replacement that names a field the data lacks, or
// that fails to run, is refused at start-up with the file's name, not when
// a text is first sent.
package templates

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	texttemplate "text/template"
	"time"
	"unicode/utf8"
)

//go:embed files
var embedded embed.FS

// Set is a parsed set of templates, ready to render. It is safe for
// concurrent use.
type Set struct {
	text map[string]*textT
	html map[string]*htmlT
}

type (
	textT = texttemplate.Template
	htmlT = htmltemplate.Template
)

// ErrUnknown: no template has that name.
var ErrUnknown = errors.New("no such template")

// Load parses the embedded templates and, when dir is not empty, the files
// in dir that replace them (a file in dir whose name is not an embedded
// template is an error, to catch typos).
func Load(dir string) (*Set, error) {
	s := &Set{text: map[string]*textT{}, html: map[string]*htmlT{}}
	sub, err := fs.Sub(embedded, "files")
	if err != nil {
		return nil, err
	}
	names, err := fs.Glob(sub, "*")
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		src, err := fs.ReadFile(sub, name)
		if err != nil {
			return nil, err
		}
		if err := s.add(name, string(src)); err != nil {
			return nil, err
		}
	}
	if dir == "" {
		return s, s.check("")
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("templates folder: %w", err)
	}
	for _, e := range entries {
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if s.text[e.Name()] == nil && s.html[e.Name()] == nil {
			return nil, fmt.Errorf("templates folder %s: %s overrides no template (known: %s)", dir, e.Name(), strings.Join(s.Names(), ", "))
		}
		src, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("templates folder: %w", err)
		}
		if err := s.add(e.Name(), string(src)); err != nil {
			return nil, fmt.Errorf("templates folder %s: %w", dir, err)
		}
	}
	return s, s.check(dir)
}

// declared holds, per template name, the data its renderer declared.
var declared = struct {
	sync.Mutex
	samples map[string][]any
}{samples: map[string][]any{}}

// Declare says that the named template is rendered with data like each of
// samples (values of the very types the renderer passes; fill them so that
// every branch a template may take has data). Load renders the template with
// each sample and refuses the set when one fails. Call it from a package's
// init, before Load.
func Declare(name string, samples ...any) {
	declared.Lock()
	defer declared.Unlock()
	declared.samples[name] = append(declared.samples[name], samples...)
}

// check renders every declared template with its samples.
func (s *Set) check(dir string) error {
	declared.Lock()
	defer declared.Unlock()
	names := make([]string, 0, len(declared.samples))
	for n := range declared.samples {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		if s.text[name] == nil && s.html[name] == nil {
			return fmt.Errorf("template %s is missing", name)
		}
		for _, sample := range declared.samples[name] {
			if _, err := s.Render(name, sample); err != nil {
				if dir != "" {
					return fmt.Errorf("templates folder %s: %w", dir, err)
				}
				return err
			}
		}
	}
	return nil
}

// Default returns the embedded templates. It panics only if the embedded
// files do not parse, which the package's tests rule out.
func Default() *Set {
	s, err := Load("")
	if err != nil {
		panic(err)
	}
	return s
}

func (s *Set) add(name, src string) error {
	if strings.HasSuffix(name, ".html") {
		t, err := htmltemplate.New(name).Option("missingkey=error").Funcs(htmltemplate.FuncMap(funcs)).Parse(src)
		if err != nil {
			return fmt.Errorf("parse template %s: %w", name, err)
		}
		s.html[name] = t
		return nil
	}
	t, err := texttemplate.New(name).Option("missingkey=error").Funcs(funcs).Parse(src)
	if err != nil {
		return fmt.Errorf("parse template %s: %w", name, err)
	}
	s.text[name] = t
	return nil
}

// Names lists the templates of the set.
func (s *Set) Names() []string {
	var out []string
	for n := range s.text {
		out = append(out, n)
	}
	for n := range s.html {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Render renders the named template with data.
func (s *Set) Render(name string, data any) (string, error) {
	var buf bytes.Buffer
	var err error
	switch {
	case s.html[name] != nil:
		err = s.html[name].Execute(&buf, data)
	case s.text[name] != nil:
		err = s.text[name].Execute(&buf, data)
	default:
		return "", fmt.Errorf("render %s: %w", name, ErrUnknown)
	}
	if err != nil {
		return "", fmt.Errorf("render %s: %w", name, err)
	}
	return buf.String(), nil
}

// funcs are the helpers every template may use.
var funcs = texttemplate.FuncMap{
	// clock formats a time as 15:04 in loc (UTC when nil).
	"clock": func(t time.Time, loc *time.Location) string { return in(t, loc).Format("15:04") },
	// stamp formats a time as "Mon 20:08 CET" in loc: day, clock and zone,
	// for a reader who may be far away or read it days later.
	"stamp": func(t time.Time, loc *time.Location) string { return in(t, loc).Format("Mon 15:04 MST") },
	// day formats a time as "Wednesday 25 November 2026" in loc.
	"day": func(t time.Time, loc *time.Location) string { return in(t, loc).Format("Monday 2 January 2006") },
	// datetime formats a time as "2026-11-25 15:04" in loc.
	"datetime": func(t time.Time, loc *time.Location) string { return in(t, loc).Format("2006-01-02 15:04") },
	"join":     strings.Join,
	"upper":    strings.ToUpper,
	"lower":    strings.ToLower,
	"trim":     strings.TrimSpace,
	// truncate cuts s to n characters, ending with "…" when cut.
	"truncate": func(n int, s string) string {
		if utf8.RuneCountInString(s) <= n {
			return s
		}
		r := []rune(s)
		return string(r[:max(n-1, 0)]) + "…"
	},
	// plural picks the singular or plural word for n: {{plural 3 "line" "lines"}}.
	"plural": func(n int, one, many string) string {
		if n == 1 {
			return one
		}
		return many
	},
	// indent puts prefix before every line of s (for quoting in plain text).
	"indent": func(prefix, s string) string {
		return prefix + strings.ReplaceAll(s, "\n", "\n"+prefix)
	},
}

func in(t time.Time, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc)
}
