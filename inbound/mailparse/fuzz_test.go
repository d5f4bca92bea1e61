package mailparse

import (
	"bufio"
	"bytes"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/emersion/go-message/textproto"
)

// FuzzParse runs the whole path — header, MIME walk, decoding, HTML,
// classification, bounce reading, reply extraction — on arbitrary bytes.
// It calls parseBytes, not Parse, so that a panic is reported instead of
// being turned into an error by Parse's last-resort recover. Crashers are
// kept in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	for _, name := range fixtureNames(f, "mime/deltachat", ".eml") {
		f.Add(fixture(f, name))
	}
	f.Add([]byte("From: a@b\nContent-Type: multipart/alternative; boundary=x\n\n--x\nContent-Type: text/html\n\n<blockquote><div name=quote>q</div></blockquote>\n--x--\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := parseBytes(data, Options{MaxBytes: 1 << 20, MaxAttachmentBytes: 1 << 16})
		if err != nil {
			return
		}
		for _, s := range []string{m.Text, m.Reply, m.Removed, m.Subject, m.From.Name} {
			if !utf8.ValidString(s) {
				t.Fatalf("invalid UTF-8 in output: %q", s)
			}
		}
		if m.Kind == KindBounce && m.Bounce == nil || m.Kind != KindBounce && m.Bounce != nil {
			t.Fatalf("Kind %v with Bounce %v", m.Kind, m.Bounce)
		}
		for _, a := range m.Attachments {
			if a.Data != nil && int64(len(a.Data)) != a.Size {
				t.Fatalf("attachment %q: %d bytes for size %d", a.Filename, len(a.Data), a.Size)
			}
		}
		checkReplyInvariants(t, m.Text, m.Reply, m.Removed)
	})
}

// FuzzExtractReply feeds arbitrary text to ExtractReply.
func FuzzExtractReply(f *testing.F) {
	for _, dir := range []string{"crisp", "github", "willdurand", "alfonsrv", "forwardparser", "extended"} {
		for _, name := range fixtureNames(f, "replies/"+dir, ".txt") {
			f.Add(string(fixture(f, name)))
		}
	}
	for _, name := range fixtureNames(f, "replies/quotequail", ".html") {
		f.Add(htmlToText(string(fixture(f, name))))
	}
	for _, p := range adversarialPatterns {
		f.Add(strings.Repeat(p, 20))
	}
	f.Fuzz(func(t *testing.T, text string) {
		reply, removed := ExtractReply(text)
		checkReplyInvariants(t, text, reply, removed)
		// With a forward's subject, and a sender named as the text's
		// first word, so that a last line holding that word is cut.
		first, _, _ := strings.Cut(strings.TrimSpace(text), " ")
		reply, removed = extractReply(text, replyContext{Subject: "FW: x", From: Address{Name: first}})
		checkReplyInvariants(t, text, reply, removed)
		// The shortcut for text kept whole must agree with assemble.
		lines, _ := markLines(text, "")
		if whole, ok := keptWhole(lines, text); ok {
			if r, rm := assemble(lines); whole != r || rm != "" {
				t.Fatalf("keptWhole %q, assemble %q / %q", whole, r, rm)
			}
		}
	})
}

// checkReplyInvariants: every line of the reply and of what was removed
// comes from the input, and nothing is both kept and removed.
func checkReplyInvariants(t *testing.T, text, reply, removed string) {
	t.Helper()
	if utf8.ValidString(text) && (!utf8.ValidString(reply) || !utf8.ValidString(removed)) {
		t.Fatalf("valid input gave invalid UTF-8: %q / %q", reply, removed)
	}
	lines := map[string]bool{}
	for _, l := range scanLines(text) {
		lines[strings.TrimRight(l.text, " \t")] = true
		lines[l.text] = true
		lines[strings.TrimPrefix(l.text, "\ufeff")] = true // a leading byte order mark goes
		// A forwarded text loses the indentation its lines share.
		for t := l.text; t != "" && (t[0] == ' ' || t[0] == '\t'); {
			t = t[1:]
			lines[t] = true
			lines[strings.TrimRight(t, " \t")] = true
		}
		// A quoted forward is posted one quote level down, and then loses
		// the indentation its lines share too.
		down := strings.TrimPrefix(strings.TrimPrefix(strings.TrimLeft(l.text, " \t"), ">"), " ")
		lines[strings.TrimRight(down, " \t")] = true
		for t := down; t != "" && (t[0] == ' ' || t[0] == '\t'); {
			t = t[1:]
			lines[strings.TrimRight(t, " \t")] = true
		}
	}
	for _, out := range []string{reply, removed} {
		if out == "" {
			continue
		}
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, forwardHeader) && strings.HasSuffix(l, ":") {
				continue // the one line ExtractReply writes itself
			}
			if l != "" && !lines[l] && !lines[strings.TrimRight(l, " \t")] {
				t.Fatalf("output line %q is not an input line", l)
			}
		}
	}
	if trimSpace(text) != "" && trimSpace(reply) == "" && trimSpace(removed) == "" {
		t.Fatalf("non-blank input %q vanished", text)
	}
	// Issue 15's invariant: the reply is empty only when the text is
	// blank or nothing but a signature ("-- " and below, "Sent from ...").
	if trimSpace(reply) == "" && typedText(text) {
		t.Fatalf("text %q had typed text, the reply is empty (removed %q)", text, removed)
	}
}

// typedText reports whether text holds a non-blank line above any "-- "
// signature delimiter that is not a "Sent from my ..." line.
func typedText(text string) bool {
	for _, l := range scanLines(text) {
		if isSigDelim(l.text) {
			return false
		}
		if !l.blank && !isMobileSig(l.text) {
			return true
		}
	}
	return false
}

// FuzzReadHeader checks that readHeader reads every header section as
// textproto.ReadHeader does: the same fields in the same order, the same
// error, the same body after it.
func FuzzReadHeader(f *testing.F) {
	for _, name := range fixtureNames(f, "mime/deltachat", ".eml") {
		// The header and a little body: small seeds fuzz faster.
		data := fixture(f, name)
		f.Add(data[:min(len(data), 2048)])
	}
	f.Add([]byte("From: a@b\r\nTo: c@d,\r\n e@f\r\n\r\nbody"))
	f.Add([]byte("From: a@b\nX: 1\r\r\n\nbody"))
	f.Add([]byte(" From: a@b\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		h, body, err := readHeader(data)
		br := bufio.NewReader(bytes.NewReader(data))
		want, wantErr := textproto.ReadHeader(br)
		if (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error() {
			t.Fatalf("error %v, ReadHeader's %v", err, wantErr)
		}
		if err != nil {
			return
		}
		rest, _ := io.ReadAll(br)
		if !bytes.Equal(body, rest) {
			t.Fatalf("body %q, ReadHeader leaves %q", body, rest)
		}
		i := 0
		for exp := want.Fields(); exp.Next(); i++ {
			if i == len(h.fields) {
				t.Fatalf("field %q missing", exp.Key())
			}
			if got := h.fields[i]; got.key != exp.Key() || got.value != exp.Value() {
				t.Fatalf("field %q: %q, ReadHeader's %q: %q", got.key, got.value, exp.Key(), exp.Value())
			}
		}
		if i != len(h.fields) {
			t.Fatalf("extra field %q", h.fields[i].key)
		}
		keys := []string{"From", "subject", "Received", "X-MS-Exchange-Inbox-Rules-Loop", "Content-Type", "x"}
		for _, f := range h.fields {
			keys = append(keys, f.key, strings.ToLower(f.key))
		}
		for _, k := range keys {
			if g, w := h.Get(k), want.Get(k); g != w || h.Has(k) != want.Has(k) || len(h.Values(k)) != len(want.Values(k)) {
				t.Fatalf("Get(%q) = %q, ReadHeader's %q", k, g, w)
			}
		}
	})
}
