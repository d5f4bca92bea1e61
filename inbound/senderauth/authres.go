package senderauth

import (
	"errors"
	"fmt"
	"strings"
)

// Authentication-Results (RFC 8601): what the relay in front of parley
// found. Only the topmost such field, written by the relay named by
// Options.AuthServID and received from a trusted relay, is believed (an
// MX removes fields that claim its own id from the mail it accepts,
// section 5; anything further down was written by somebody else).

// maxAuthResBytes and maxAuthResults bound what one field may hold.
const (
	maxAuthResBytes = 8 << 10
	maxAuthResults  = 32
)

// AuthResults is one parsed Authentication-Results field.
type AuthResults struct {
	// ServID is the authserv-id: who wrote the field.
	ServID string
	// Results are the method results, in order.
	Results []MethodResult
}

// MethodResult is one resinfo: "dkim=pass header.d=example.org".
type MethodResult struct {
	// Method and Result are in lower case ("dkim", "pass").
	Method, Result string
	// Props are the properties by "ptype.property" in lower case
	// ("header.d", "smtp.mailfrom"), and "reason".
	Props map[string]string
}

// ParseAuthResults reads the value of an Authentication-Results field.
// Comments are dropped, quoted strings read; anything not of the RFC's
// form is an error.
func ParseAuthResults(v string) (AuthResults, error) {
	if len(v) > maxAuthResBytes {
		return AuthResults{}, fmt.Errorf("field of %d bytes is too long", len(v))
	}
	toks, err := lexAuthRes(v)
	if err != nil {
		return AuthResults{}, err
	}
	var ar AuthResults
	p := &arParser{toks: toks}
	id, ok := p.word()
	if !ok {
		return ar, errors.New("no authserv-id")
	}
	ar.ServID = strings.ToLower(id)
	if version, ok := p.word(); ok && version != "1" {
		return ar, fmt.Errorf("unknown version %q", version)
	}
	if p.done() {
		return ar, errors.New("no results")
	}
	for !p.done() {
		if !p.punct(';') {
			return ar, fmt.Errorf("expected ';' at %q", p.peek())
		}
		if p.done() {
			break // a trailing ';' is common enough
		}
		if len(ar.Results) == 0 && p.peekWord("none") && (p.lookahead(1).kind == tokEOF || p.lookahead(1).kind == ';') {
			p.next()
			continue
		}
		r, err := p.resinfo()
		if err != nil {
			return ar, err
		}
		if len(ar.Results) == maxAuthResults {
			return ar, fmt.Errorf("more than %d results", maxAuthResults)
		}
		ar.Results = append(ar.Results, r)
	}
	return ar, nil
}

// resinfo reads method[/version]=result [reason=...] *(ptype.prop=value).
func (p *arParser) resinfo() (MethodResult, error) {
	method, ok := p.word()
	if !ok {
		return MethodResult{}, fmt.Errorf("expected a method at %q", p.peek())
	}
	method, _, _ = strings.Cut(method, "/")
	if method == "" { // "/1=pass": a version without its method
		return MethodResult{}, fmt.Errorf("expected a method before %q", p.peek())
	}
	if !p.punct('=') {
		return MethodResult{}, fmt.Errorf("method %q has no result", method)
	}
	result, ok := p.word()
	if !ok {
		return MethodResult{}, fmt.Errorf("method %q has no result", method)
	}
	r := MethodResult{Method: strings.ToLower(method), Result: strings.ToLower(result), Props: map[string]string{}}
	for !p.done() && p.peek().kind != ';' {
		key, ok := p.word()
		if !ok || !p.punct('=') {
			return r, fmt.Errorf("expected property=value in %s result", r.Method)
		}
		val, ok := p.value()
		if !ok {
			return r, fmt.Errorf("property %q has no value", key)
		}
		key = strings.ToLower(key)
		if key != "reason" && !strings.Contains(key, ".") {
			return r, fmt.Errorf("property %q is not ptype.property", key)
		}
		if _, dup := r.Props[key]; !dup {
			r.Props[key] = val
		}
	}
	return r, nil
}

// Tokens of an Authentication-Results value.
const (
	tokEOF    = 0
	tokWord   = 'w'
	tokQuoted = 'q'
)

type arToken struct {
	kind byte // tokWord, tokQuoted, tokEOF, or the punctuation itself: ; = .
	text string
}

// lexAuthRes cuts v into words, quoted strings and the punctuation ';'
// and '=', dropping blanks and (nested) comments. '.' and '/' and '@' stay
// inside words ("header.d", "dkim/1", "smtp.mailfrom=a@b").
func lexAuthRes(v string) ([]arToken, error) {
	var toks []arToken
	for i := 0; i < len(v); {
		c := v[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			i++
		case c == '(':
			depth := 0
			for ; i < len(v); i++ {
				switch v[i] {
				case '\\':
					i++
				case '(':
					depth++
				case ')':
					depth--
				}
				if depth == 0 {
					break
				}
			}
			if depth != 0 {
				return nil, errors.New("unclosed comment")
			}
			i++
		case c == '"':
			var b strings.Builder
			i++
			for ; i < len(v) && v[i] != '"'; i++ {
				if v[i] == '\\' && i+1 < len(v) {
					i++
				}
				b.WriteByte(v[i])
			}
			if i >= len(v) {
				return nil, errors.New("unclosed quoted string")
			}
			i++
			toks = append(toks, arToken{kind: tokQuoted, text: b.String()})
		case c == ';' || c == '=':
			toks = append(toks, arToken{kind: c})
			i++
		case c < 0x21 || c == 0x7f || c == ')':
			return nil, fmt.Errorf("unexpected byte %q", c)
		default:
			j := i
			for j < len(v) && !strings.ContainsRune(" \t\r\n();=\"", rune(v[j])) && v[j] >= 0x21 && v[j] != 0x7f {
				j++
			}
			toks = append(toks, arToken{kind: tokWord, text: v[i:j]})
			i = j
		}
	}
	return toks, nil
}

type arParser struct {
	toks []arToken
	i    int
}

func (p *arParser) lookahead(n int) arToken {
	if p.i+n < len(p.toks) {
		return p.toks[p.i+n]
	}
	return arToken{kind: tokEOF}
}

func (p *arParser) peek() arToken { return p.lookahead(0) }
func (p *arParser) next()         { p.i++ }
func (p *arParser) done() bool    { return p.i >= len(p.toks) }

func (p *arParser) peekWord(w string) bool {
	t := p.peek()
	return t.kind == tokWord && strings.EqualFold(t.text, w)
}

func (p *arParser) word() (string, bool) {
	if t := p.peek(); t.kind == tokWord {
		p.next()
		return t.text, true
	}
	return "", false
}

func (p *arParser) value() (string, bool) {
	if t := p.peek(); t.kind == tokWord || t.kind == tokQuoted {
		p.next()
		return t.text, true
	}
	return "", false
}

func (p *arParser) punct(c byte) bool {
	if p.peek().kind == c {
		p.next()
		return true
	}
	return false
}
