package mailparse

import (
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/emersion/go-message/charset"
)

// This file reads Content-Type and Content-Disposition values leniently:
// the standard library refuses whole headers for one bad parameter, and
// file names arrive in every encoding the RFCs allow and some they do not
// (RFC 2047 words in quoted strings, RFC 2231 continuations, both at once).

const (
	// maxParamHeader bounds the header value parsed for parameters.
	maxParamHeader = 16 << 10
	// maxEncodedWord bounds how far an RFC 2047 word may reach.
	maxEncodedWord = 256
	// maxContinuations bounds RFC 2231 "name*N" pieces.
	maxContinuations = 64
)

// parseParams splits a header value such as
// `attachment; filename*0*=utf-8”Ma%C3%9F; filename*1=na.html` into its
// lower-cased first token and its parameters, with RFC 2231 continuations
// joined, percent-decoding and charsets applied. Values of plain
// parameters are returned as written (unquoted); see decodeFilename for
// RFC 2047 words in them. params is nil when v has no parameter.
func parseParams(v string) (token string, params map[string]string) {
	if len(v) > maxParamHeader {
		v = v[:maxParamHeader]
	}
	if strings.IndexByte(v, ';') < 0 {
		return strings.ToLower(strings.TrimSpace(v)), nil
	}
	var buf [8]string
	pieces := splitParams(buf[:0], v)
	token = strings.ToLower(strings.TrimSpace(pieces[0]))
	// The maps are made when first needed: most values have one or two
	// plain parameters and nothing else.
	var plain, ext map[string]string
	type piece struct {
		n       int
		value   string
		encoded bool
	}
	var conts map[string][]piece
	for _, p := range pieces[1:] {
		eq := strings.IndexByte(p, '=')
		if eq <= 0 {
			continue
		}
		key := strings.ToLower(strings.TrimSpace(p[:eq]))
		val := unquote(strings.TrimSpace(p[eq+1:]))
		star := strings.IndexByte(key, '*')
		switch {
		case star < 0:
			if _, dup := plain[key]; !dup {
				if plain == nil {
					plain = map[string]string{}
				}
				plain[key] = val
			}
		case star == len(key)-1:
			if ext == nil {
				ext = map[string]string{}
			}
			ext[key[:star]] = val
		default:
			name, rest := key[:star], key[star+1:]
			encoded := strings.HasSuffix(rest, "*")
			n, err := strconv.Atoi(strings.TrimSuffix(rest, "*"))
			if err != nil || n < 0 || n >= maxContinuations {
				continue
			}
			if conts == nil {
				conts = map[string][]piece{}
			}
			conts[name] = append(conts[name], piece{n, val, encoded})
		}
	}
	if ext == nil && conts == nil {
		return token, plain // what the loops below would copy
	}
	params = make(map[string]string, len(plain)+len(ext)+len(conts))
	for name, ps := range conts {
		sort.Slice(ps, func(i, j int) bool { return ps[i].n < ps[j].n })
		var raw []byte
		cs := ""
		for i, p := range ps {
			if p.n != i {
				break // a gap ends the value (RFC 2231 section 3)
			}
			val := p.value
			if p.encoded && i == 0 {
				cs, val = split2231(val)
			}
			if p.encoded {
				raw = append(raw, percentDecode(val)...)
			} else {
				raw = append(raw, val...)
			}
		}
		params[name] = toUTF8(cs, raw)
	}
	for name, val := range ext {
		if cs, rest, ok := cut2231(val); ok {
			params[name] = toUTF8(cs, percentDecode(rest))
		} else {
			// Not charset'lang'value: some clients put an RFC 2047
			// word here; keep it for decodeFilename.
			params[name] = val
		}
	}
	for name, val := range plain {
		// A plain value wins when it carries the real name (encoded words
		// or raw UTF-8, as Kopano and Outlook write); otherwise the RFC
		// 2231 value, which exists to carry what plain ASCII cannot.
		if _, has := params[name]; !has || strings.Contains(val, "=?") || !isASCII(val) {
			params[name] = val
		}
	}
	return token, params
}

// splitParams appends to out the pieces of v between semicolons outside
// quoted strings.
func splitParams(out []string, v string) []string {
	inQuote, start := false, 0
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '\\':
			if inQuote {
				i++
			}
		case '"':
			inQuote = !inQuote
		case ';':
			if !inQuote {
				out = append(out, v[start:i])
				start = i + 1
			}
		}
	}
	return append(out, v[start:])
}

// unquote removes surrounding double quotes and backslash escapes; an
// unterminated quote is tolerated.
func unquote(s string) string {
	if !strings.HasPrefix(s, `"`) {
		return s
	}
	s = s[1:]
	if end := strings.IndexAny(s, `"\`); end >= 0 && s[end] == '"' {
		return s[:end] // no escape before the closing quote
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			if i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			}
		case '"':
			return b.String()
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// cut2231 splits an RFC 2231 extended value "charset'lang'value".
func cut2231(v string) (cs, rest string, ok bool) {
	first := strings.IndexByte(v, '\'')
	if first < 0 {
		return "", "", false
	}
	second := strings.IndexByte(v[first+1:], '\'')
	if second < 0 {
		return "", "", false
	}
	return v[:first], v[first+1+second+1:], true
}

// split2231 is cut2231 for the first continuation piece, which may lack
// the charset part when a client gets it wrong.
func split2231(v string) (cs, rest string) {
	if cs, rest, ok := cut2231(v); ok {
		return cs, rest
	}
	return "", v
}

func percentDecode(s string) []byte {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			out = append(out, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
			continue
		}
		out = append(out, s[i])
	}
	return out
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// toUTF8 converts b from charset cs, keeping the bytes when the charset is
// unknown; the result is always valid UTF-8.
func toUTF8(cs string, b []byte) string {
	cs = strings.ToLower(strings.TrimSpace(cs))
	if cs != "" && cs != "utf-8" && cs != "utf8" && cs != "us-ascii" {
		if r, err := charset.Reader(cs, strings.NewReader(string(b))); err == nil {
			if d, err := io.ReadAll(io.LimitReader(r, 4*int64(len(b))+16)); err == nil {
				return strings.ToValidUTF8(string(d), "\uFFFD")
			}
		}
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// decodeFilename decodes the RFC 2047 encoded words of a file name. Unlike
// mime.WordDecoder.DecodeHeader it leaves a word alone when it touches
// ordinary text ("=?utf-8?q?foo?=.bar" stays as is, RFC 2047 section 5),
// while adjacent words, as RFC 2231 continuations produce, are joined.
func decodeFilename(s string) string {
	if !strings.Contains(s, "=?") {
		return cleanText(s)
	}
	type word struct{ start, end int }
	var words []word
	for i := 0; i+1 < len(s); {
		if s[i] != '=' || s[i+1] != '?' {
			i++
			continue
		}
		end := encodedWordEnd(s, i)
		if end < 0 {
			i += 2
			continue
		}
		words = append(words, word{i, end})
		i = end
	}
	dec := newWordDecoder()
	var b strings.Builder
	last := 0     // end of what has been written from s
	prevEnd := -1 // end of the previous decoded word
	for k, w := range words {
		before := s[last:w.start]
		leftOK := w.start == 0 || isSpaceRune(rune(s[w.start-1])) || w.start == prevEnd
		rightOK := w.end == len(s) || isSpaceRune(rune(s[w.end])) || (k+1 < len(words) && words[k+1].start == w.end)
		if !leftOK || !rightOK {
			continue
		}
		text, err := dec.Decode(s[w.start:w.end])
		if err != nil {
			continue
		}
		if prevEnd == last && strings.TrimSpace(before) == "" {
			before = "" // white space between encoded words is dropped
		}
		b.WriteString(before)
		b.WriteString(text)
		last, prevEnd = w.end, w.end
	}
	b.WriteString(s[last:])
	return cleanText(b.String())
}

// encodedWordEnd returns the end of the encoded word "=?cs?e?text?="
// starting at i, or -1. It looks at most maxEncodedWord bytes ahead.
func encodedWordEnd(s string, i int) int {
	limit := i + maxEncodedWord
	if limit > len(s) {
		limit = len(s)
	}
	w := s[i:limit]
	q1 := strings.IndexByte(w[2:], '?')
	if q1 < 1 || 2+q1+2 >= len(w) || w[2+q1+2] != '?' {
		return -1
	}
	switch w[2+q1+1] {
	case 'q', 'Q', 'b', 'B':
	default:
		return -1
	}
	rest := w[2+q1+3:]
	end := strings.Index(rest, "?=")
	if end < 0 {
		return -1
	}
	return i + 2 + q1 + 3 + end + 2
}
