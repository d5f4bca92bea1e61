package pgpmime

import (
	"bytes"
	"strings"
)

// field is one header field as written, folding and line break included.
type field struct {
	name string // canonical-case-insensitive name, as written
	raw  []byte // "Name: value\r\n" with any continuation lines
}

// is reports whether the field is named name (case-insensitive).
func (f field) is(name string) bool { return strings.EqualFold(f.name, name) }

// value is the unfolded value of the field, trimmed.
func (f field) value() string {
	_, v, _ := strings.Cut(string(f.raw), ":")
	v = strings.NewReplacer("\r\n", "", "\n", "").Replace(v)
	return strings.TrimSpace(v)
}

// content reports whether the field describes the body (Content-*):
// such fields go with the body, inside the encrypted part.
func (f field) content() bool {
	return len(f.name) > 8 && strings.EqualFold(f.name[:8], "content-")
}

// split cuts a message into its header fields and its body. A message
// with no empty line is all header. Lines may end in CRLF or LF.
func split(msg []byte) ([]field, []byte) {
	var fields []field
	for at := 0; at < len(msg); {
		line := nextLine(msg, at)
		at += len(line)
		if len(bytes.TrimRight(line, "\r\n")) == 0 {
			return fields, msg[at:]
		}
		if (line[0] == ' ' || line[0] == '\t') && len(fields) > 0 {
			last := &fields[len(fields)-1]
			last.raw = append(last.raw, line...)
		} else {
			name, _, _ := bytes.Cut(line, []byte(":"))
			fields = append(fields, field{name: strings.TrimSpace(string(name)), raw: append([]byte(nil), line...)})
		}
	}
	return fields, nil
}

// get is the value of the first field named name ("" when none).
func get(fields []field, name string) string {
	for _, f := range fields {
		if f.is(name) {
			return f.value()
		}
	}
	return ""
}

// lookup is get(split(msg), name) without copying the header: a reply
// is checked for encryption on every delivery, and most are not.
func lookup(msg []byte, name string) string {
	fields := false // a field began: a line that starts with a space continues it
	for at := 0; at < len(msg); {
		line := nextLine(msg, at)
		if len(bytes.TrimRight(line, "\r\n")) == 0 {
			return ""
		}
		start := at
		at += len(line)
		if fields && (line[0] == ' ' || line[0] == '\t') {
			continue
		}
		fields = true
		n, _, _ := bytes.Cut(line, []byte(":"))
		if !bytes.EqualFold(bytes.TrimSpace(n), []byte(name)) {
			continue
		}
		for at < len(msg) && (msg[at] == ' ' || msg[at] == '\t') {
			at += len(nextLine(msg, at)) // its continuation lines
		}
		return field{name: name, raw: msg[start:at]}.value()
	}
	return ""
}

// nextLine is the line of msg that starts at at, its line break included.
func nextLine(msg []byte, at int) []byte {
	if end := bytes.IndexByte(msg[at:], '\n'); end >= 0 {
		return msg[at : at+end+1]
	}
	return msg[at:]
}
