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
	rest := msg
	for len(rest) > 0 {
		end := bytes.IndexByte(rest, '\n')
		if end < 0 {
			end = len(rest) - 1
		}
		line := rest[:end+1]
		if len(bytes.TrimRight(line, "\r\n")) == 0 {
			return fields, rest[end+1:]
		}
		if (line[0] == ' ' || line[0] == '\t') && len(fields) > 0 {
			last := &fields[len(fields)-1]
			last.raw = append(last.raw, line...)
		} else {
			name, _, _ := bytes.Cut(line, []byte(":"))
			fields = append(fields, field{name: strings.TrimSpace(string(name)), raw: append([]byte(nil), line...)})
		}
		rest = rest[end+1:]
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
