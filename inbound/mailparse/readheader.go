package mailparse

import (
	"bufio"
	"bytes"
	nettextproto "net/textproto"
	"strings"

	"github.com/emersion/go-message/textproto"
)

// This file reads the header section of a message: from memory when it is
// plain, through go-message's textproto.ReadHeader otherwise, into the
// same fields either way.

// topHeader is the header of a message: its fields in message order,
// with keys canonical as textproto.ReadHeader makes them. Get, Values and
// Has answer as those of textproto.Header do, and a summary of the keys
// answers for the many absent fields Parse and Classify ask for without
// canonicalizing the key. It satisfies Header and multiHeader.
type topHeader struct {
	fields []headerField
	keys   keySet
}

// headerField is one field of a topHeader.
type headerField struct {
	key, value string
}

// Get returns the value of the first field k, or "".
func (h *topHeader) Get(k string) string {
	if !h.keys.mayHave(k) {
		return ""
	}
	k = nettextproto.CanonicalMIMEHeaderKey(k)
	for _, f := range h.fields {
		if f.key == k {
			return f.value
		}
	}
	return ""
}

// Values returns the values of the fields k in message order, or nil.
func (h *topHeader) Values(k string) []string {
	if !h.keys.mayHave(k) {
		return nil
	}
	k = nettextproto.CanonicalMIMEHeaderKey(k)
	var vs []string
	for _, f := range h.fields {
		if f.key == k {
			vs = append(vs, f.value)
		}
	}
	return vs
}

// Has reports whether there is a field k.
func (h *topHeader) Has(k string) bool {
	if !h.keys.mayHave(k) {
		return false
	}
	k = nettextproto.CanonicalMIMEHeaderKey(k)
	for _, f := range h.fields {
		if f.key == k {
			return true
		}
	}
	return false
}

// keySet sums up the keys of a header in 256 bits, one set for each length,
// first and last byte (ASCII letters in either case) of a key. Those survive
// the canonicalization of keys, which changes the case of ASCII letters
// only, so a key whose bit is clear is in no field.
type keySet [4]uint64

func keyBit(n int, first, last byte) (word int, bit uint64) {
	h := uint(n)*31 + uint(lowerASCII(first))*7 + uint(lowerASCII(last))
	return int(h>>6) & 3, 1 << (h & 63)
}

func (s *keySet) add(n int, first, last byte) {
	w, b := keyBit(n, first, last)
	s[w] |= b
}

func (s *keySet) mayHave(k string) bool {
	if k == "" {
		return true
	}
	w, b := keyBit(len(k), k[0], k[len(k)-1])
	return s[w]&b != 0
}

// readHeader reads the header section at the start of data as
// textproto.ReadHeader does and returns it with the body that follows.
func readHeader(data []byte) (*topHeader, []byte, error) {
	if h, body, ok := readPlainHeader(data); ok {
		return h, body, nil
	}
	rd := bytes.NewReader(data)
	br := bufio.NewReaderSize(rd, headerBufferSize(data))
	hdr, err := textproto.ReadHeader(br)
	h := &topHeader{fields: make([]headerField, 0, hdr.Len())}
	for f := hdr.Fields(); f.Next(); {
		k := f.Key()
		h.fields = append(h.fields, headerField{key: k, value: f.Value()})
		if k != "" {
			h.keys.add(len(k), k[0], k[len(k)-1])
		}
	}
	// The body is what br has not handed out.
	return h, data[len(data)-rd.Len()-br.Buffered():], err
}

// readPlainHeader builds the header that textproto.ReadHeader would read
// from data, straight from memory, when the header section is plain: every
// line ends in "\n", a blank line ends the section, and each field starts
// with a non-empty key of valid bytes and a colon. ok is false for anything
// else, which is left to ReadHeader and its errors.
//
// ReadHeader joins a field's lines with "\r\n" whatever ended them and
// makes the value as writeValue does, which drops the "\r" before a "\n"
// either way; it canonicalizes the key with net/textproto. Every key and
// value here is a slice of one string.
func readPlainHeader(data []byte) (h *topHeader, body []byte, ok bool) {
	var keys keySet
	type field struct{ start, colon, end, keyEnd, valueEnd int }
	var fieldsBuf [32]field
	fields := fieldsBuf[:0]
	pos := 0
	for {
		end := bytes.IndexByte(data[pos:], '\n')
		if end < 0 {
			return h, nil, false
		}
		end += pos + 1
		line := data[pos:end]
		if len(line) == 1 || len(line) == 2 && line[0] == '\r' {
			pos = end
			break
		}
		if pos == 0 && (line[0] == ' ' || line[0] == '\t') {
			return h, nil, false // ReadHeader's "malformed initial line"
		}
		colon := bytes.IndexByte(line, ':')
		if colon < 0 {
			return h, nil, false
		}
		key := bytes.Trim(line[:colon], " \t")
		if !validHeaderKey(key) {
			return h, nil, false
		}
		keys.add(len(key), key[0], key[len(key)-1])
		for end < len(data) && (data[end] == ' ' || data[end] == '\t') {
			next := bytes.IndexByte(data[end:], '\n')
			if next < 0 {
				return h, nil, false
			}
			end += next + 1
		}
		fields = append(fields, field{start: pos, colon: pos + colon, end: end})
		pos = end
	}
	var b strings.Builder
	b.Grow(pos) // the keys and values are shorter than the section
	for i := range fields {
		f := &fields[i]
		b.Write(bytes.Trim(data[f.start:f.colon], " \t"))
		f.keyEnd = b.Len()
		writeValue(&b, data[f.colon+1:f.end])
		f.valueEnd = b.Len()
	}
	all := b.String()
	h = &topHeader{fields: make([]headerField, len(fields)), keys: keys}
	start := 0
	for i, f := range fields {
		h.fields[i] = headerField{
			key:   nettextproto.CanonicalMIMEHeaderKey(all[start:f.keyEnd]),
			value: all[f.keyEnd:f.valueEnd],
		}
		start = f.valueEnd
	}
	return h, data[pos:], true
}

// writeValue writes the value of a header field as go-message's textproto
// makes it of the text after the colon: each line without one "\r" at its
// end and without spaces and tabs around it, the lines left non-empty
// joined by a space.
func writeValue(b *strings.Builder, v []byte) {
	wrote := false
	for len(v) > 0 {
		line := v
		if i := bytes.IndexByte(v, '\n'); i >= 0 {
			line, v = v[:i], v[i+1:]
		} else {
			v = nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		line = bytes.Trim(line, " \t")
		if len(line) == 0 {
			continue
		}
		if wrote {
			b.WriteByte(' ')
		}
		b.Write(line)
		wrote = true
	}
}

// validHeaderKey reports a key that ReadHeader takes without complaint:
// not empty, printable ASCII without a colon.
func validHeaderKey(key []byte) bool {
	for _, c := range key {
		if c < 33 || c > 126 || c == ':' {
			return false
		}
	}
	return len(key) > 0
}

// headerBufferSize sizes the buffer that textproto.ReadHeader reads data
// through, which is bufio's default of 4096 bytes unless the header section
// is shorter. ReadHeader reads the same through any buffer longer than every
// line it reads (a line that fills the buffer at the end of the input is an
// error), and it reads up to the first line that is empty once "\n" or
// "\r\n" is dropped.
func headerBufferSize(data []byte) int {
	const defaultSize = 4096
	end := 0
	for end < len(data) && end < defaultSize {
		line, next := nextLine(data, end)
		end = next
		if len(line) == 0 || len(line) == 1 && line[0] == '\r' {
			break
		}
	}
	return min(end+1, defaultSize)
}
