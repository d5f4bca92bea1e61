package mailcompose

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"reflect"
	"strings"
	"sync"
	"time"
)

// A line posted in a busy room goes to many members at once, and their relay
// bodies differ only in the member's own fields (name, reply address,
// unsubscribe link). bodyCache renders a body once with placeholders for
// those fields and fills them in for each member, which is several times
// cheaper than running the HTML template again.
//
// Templates can be overridden, so the cache trusts nothing about them: an
// entry is made by rendering twice with two sets of placeholders of
// different lengths, and is used only when putting the second set in place
// of the first gives the second rendering exactly, that is when the
// template copies the fields verbatim. A member's value is filled in only
// when escaping cannot change it (letters, digits and ._:/@+-); otherwise,
// and whenever the placeholder check failed, the body is rendered in full.

// bodyCacheSize bounds the entries kept; the cache is emptied when full.
const bodyCacheSize = 512

type bodyCache struct {
	mu      sync.Mutex
	entries map[[32]byte]*cachedBody
	// subjects are rendered subjects by their SubjectData, which holds
	// nothing of the member.
	subjects map[string]string
	// marks are the two placeholder sets, random per composer so that no
	// text a member writes can contain one.
	marks [2]placeholders
}

// placeholders stand for the member-specific fields of RelayData.
type placeholders struct{ member, replyTo, unsubscribe string }

// cachedBody is one rendered body, cut where marks[0] stood for the
// member's fields; ok is false when the template does not copy them
// verbatim.
type cachedBody struct {
	text, html filled
	ok         bool
	uses       [3]bool // member, replyTo, unsubscribe appear in the output
}

// filled is a rendered text cut at its placeholders: parts[i] is followed
// by the value of field slots[i] (0 member, 1 replyTo, 2 unsubscribe).
type filled struct {
	parts []string
	slots []int
}

// cut splits s at every occurrence of one of marks.
func cut(s string, marks [3]string) filled {
	var f filled
	for {
		at, slot := -1, 0
		for i, m := range marks {
			if j := strings.Index(s, m); j >= 0 && (at < 0 || j < at) {
				at, slot = j, i
			}
		}
		if at < 0 {
			f.parts = append(f.parts, s)
			return f
		}
		f.parts = append(f.parts, s[:at])
		f.slots = append(f.slots, slot)
		s = s[at+len(marks[slot]):]
	}
}

// fill puts values in the slots.
func (f filled) fill(values [3]string) string {
	if len(f.slots) == 0 {
		return f.parts[0]
	}
	n := 0
	for _, p := range f.parts {
		n += len(p)
	}
	for _, slot := range f.slots {
		n += len(values[slot])
	}
	var b strings.Builder
	b.Grow(n)
	for i, p := range f.parts {
		b.WriteString(p)
		if i < len(f.slots) {
			b.WriteString(values[f.slots[i]])
		}
	}
	return b.String()
}

func newBodyCache() *bodyCache {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	tag := hex.EncodeToString(b)
	return &bodyCache{
		entries:  make(map[[32]byte]*cachedBody),
		subjects: make(map[string]string),
		marks: [2]placeholders{
			{member: "pm" + tag + "a", replyTo: "pr" + tag + "a", unsubscribe: "pu" + tag + "a"},
			{member: "pm" + tag + tag + "b", replyTo: "pr" + tag + tag + "b", unsubscribe: "pu" + tag + tag + "b"},
		},
	}
}

// render returns the text and HTML bodies of data, from the cache when it
// can (a nil cache renders every time). full renders a body from scratch.
func (bc *bodyCache) render(data RelayData, full func(RelayData) (string, string, error)) (string, string, error) {
	if bc == nil {
		return full(data)
	}
	key, ok := bc.key(data)
	if !ok {
		return full(data)
	}
	bc.mu.Lock()
	e := bc.entries[key]
	bc.mu.Unlock()
	if e == nil {
		var err error
		if e, err = bc.build(data, full); err != nil {
			return "", "", err
		}
		bc.mu.Lock()
		if len(bc.entries) >= bodyCacheSize {
			clear(bc.entries)
		}
		bc.entries[key] = e
		bc.mu.Unlock()
	}
	values := [3]string{data.Member, data.ReplyTo, data.UnsubscribeURL}
	if !e.ok {
		return full(data)
	}
	for i, v := range values {
		if e.uses[i] && !escapeProof(v) {
			return full(data)
		}
	}
	return e.text.fill(values), e.html.fill(values), nil
}

// subject returns the rendered subject for data, from the cache when it can.
func (bc *bodyCache) subject(data SubjectData, render func(SubjectData) (string, error)) (string, error) {
	if bc == nil {
		return render(data)
	}
	sum, ok := valueKey(data, "")
	if !ok {
		return render(data)
	}
	key := string(sum[:])
	bc.mu.Lock()
	subj, ok := bc.subjects[key]
	bc.mu.Unlock()
	if ok {
		return subj, nil
	}
	subj, err := render(data)
	if err != nil {
		return "", err
	}
	bc.mu.Lock()
	if len(bc.subjects) >= bodyCacheSize {
		clear(bc.subjects)
	}
	bc.subjects[key] = subj
	bc.mu.Unlock()
	return subj, nil
}

// build renders data with both placeholder sets and checks that the
// template copied them verbatim.
func (bc *bodyCache) build(data RelayData, full func(RelayData) (string, string, error)) (*cachedBody, error) {
	var text, html [2]string
	for i, m := range bc.marks {
		d := data
		d.Member, d.ReplyTo, d.UnsubscribeURL = m.member, m.replyTo, m.unsubscribe
		if data.UnsubscribeURL == "" {
			d.UnsubscribeURL = "" // "if .UnsubscribeURL" must see what the member has
		}
		var err error
		if text[i], html[i], err = full(d); err != nil {
			return nil, err
		}
	}
	a, b := bc.marks[0], bc.marks[1]
	swap := strings.NewReplacer(a.member, b.member, a.replyTo, b.replyTo, a.unsubscribe, b.unsubscribe)
	marks := [3]string{a.member, a.replyTo, a.unsubscribe}
	e := &cachedBody{text: cut(text[0], marks), html: cut(html[0], marks)}
	e.ok = swap.Replace(text[0]) == text[1] && swap.Replace(html[0]) == html[1]
	for _, f := range []filled{e.text, e.html} {
		for _, slot := range f.slots {
			e.uses[slot] = true
		}
	}
	return e, nil
}

// key identifies everything of data but the member's own fields. Whether
// the member has an unsubscribe link at all is part of the key.
func (bc *bodyCache) key(data RelayData) ([32]byte, bool) {
	d := data
	d.Member, d.ReplyTo = "", ""
	if d.UnsubscribeURL != "" {
		d.UnsubscribeURL = "set"
	}
	d.Loc = nil
	return valueKey(d, data.Loc.String())
}

// valueKey is a SHA-256 of everything v holds (exported or not) and then
// of extra; ok is false for a value of a kind it does not take (a map, a
// func), which is then not cached. A time counts by its instant and its
// offset, not by how it was read.
func valueKey(v any, extra string) (key [32]byte, ok bool) {
	k := keyWriters.Get().(*keyWriter)
	defer keyWriters.Put(k)
	k.b = k.b[:0]
	if !k.value(reflect.ValueOf(v)) {
		return key, false
	}
	k.string(extra)
	return sha256.Sum256(k.b), true
}

var keyWriters = sync.Pool{New: func() any { return new(keyWriter) }}

// keyWriter writes values out for valueKey, each string prefixed with its
// length so that no two values write the same bytes.
type keyWriter struct{ b []byte }

var timeType = reflect.TypeFor[time.Time]()

func (k *keyWriter) int(n int64) { k.b = binary.AppendVarint(k.b, n) }

func (k *keyWriter) string(s string) {
	k.int(int64(len(s)))
	k.b = append(k.b, s...)
}

func (k *keyWriter) value(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.String:
		k.string(v.String())
	case reflect.Bool:
		if v.Bool() {
			k.int(1)
		} else {
			k.int(0)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		k.int(v.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		k.int(int64(v.Uint()))
	case reflect.Slice, reflect.Array:
		k.int(int64(v.Len()))
		for i := range v.Len() {
			if !k.value(v.Index(i)) {
				return false
			}
		}
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			k.int(0)
			return true
		}
		k.int(1)
		return k.value(v.Elem())
	case reflect.Struct:
		if v.Type() == timeType {
			if !v.CanInterface() {
				return false
			}
			t := v.Interface().(time.Time)
			_, offset := t.Zone()
			k.int(t.Unix())
			k.int(int64(t.Nanosecond()))
			k.int(int64(offset))
			return true
		}
		for i := range v.NumField() {
			if !k.value(v.Field(i)) {
				return false
			}
		}
	default:
		return false
	}
	return true
}

// escapeProof reports whether neither HTML nor URL escaping changes s.
func escapeProof(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("._:/@+-", c) >= 0:
		default:
			return false
		}
	}
	return true
}
