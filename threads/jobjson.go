package threads

import (
	"encoding/json"
	"strconv"
	"time"
)

// Fan-out writes one job a member for every line, tens of thousands a
// second under load, and encoding/json's reflection was a tenth of the
// posting path's CPU. jobJSON writes the same bytes by hand for the jobs
// fan-out makes: ids, a channel and a time, plain ASCII. Anything else
// (a string that needs escaping, a year encoding/json refuses) goes
// through encoding/json, so the bytes are always what json.Marshal makes.

// jobJSON is json.Marshal(d).
func jobJSON(d Job) []byte {
	if !plainJSON(d.Room) || !plainJSON(d.Line) || !plainJSON(d.Member) || !plainJSON(string(d.Channel)) ||
		!plainJSON(d.LastError) || d.Queued.Year() < 0 || d.Queued.Year() > 9999 {
		data, _ := json.Marshal(d) // a struct of strings, ints and a time cannot fail
		return data
	}
	b := make([]byte, 0, 128+len(d.LastError))
	b = appendField(b, `{"room":`, d.Room)
	b = appendField(b, `,"line":`, d.Line)
	b = appendField(b, `,"member":`, d.Member)
	b = appendField(b, `,"channel":`, string(d.Channel))
	if d.Attempt != 0 {
		b = strconv.AppendInt(append(b, `,"attempt":`...), int64(d.Attempt), 10)
	}
	b = append(d.Queued.AppendFormat(append(b, `,"queued":"`...), time.RFC3339Nano), '"')
	if d.LastError != "" {
		b = appendField(b, `,"last_error":`, d.LastError)
	}
	if d.Now {
		b = append(b, `,"now":true`...)
	}
	return append(b, '}')
}

// appendField appends name and s, quoted; s is plainJSON.
func appendField(b []byte, name, s string) []byte {
	return append(append(append(append(b, name...), '"'), s...), '"')
}

// plainJSON reports whether s is printable ASCII that encoding/json
// writes as it is, between quotes (it escapes " \ and, for HTML, < > &).
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c > 0x7e, c == '"', c == '\\', c == '<', c == '>', c == '&':
			return false
		}
	}
	return true
}
