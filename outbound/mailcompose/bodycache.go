package mailcompose

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"sync"
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
	raw, err := json.Marshal(data)
	if err != nil {
		return render(data)
	}
	key := string(raw)
	bc.mu.Lock()
	subj, ok := bc.subjects[key]
	bc.mu.Unlock()
	if ok {
		return subj, nil
	}
	if subj, err = render(data); err != nil {
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
	raw, err := json.Marshal(d)
	if err != nil {
		return [32]byte{}, false
	}
	h := sha256.New()
	h.Write(raw)
	h.Write([]byte{0})
	h.Write([]byte(data.Loc.String()))
	var k [32]byte
	h.Sum(k[:0])
	return k, true
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
